"""The export dialog opens on the choice of document, names the file after it, asks before replacing;
an export abandoned when the app quits leaves neither a half file nor temporary files."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from textual.pilot import Pilot
from textual.widgets import Input, RadioSet, Static

from exports.atomic import ExportCancelled, temporary_leftovers
from tests.tui.support import settle
from tui import exchange
from tui.app import SuiviStsApp
from tui.widgets.confirm_dialog import ConfirmDialog
from tui.widgets.export_dialog import ExportDialog

AppFactory = Callable[..., SuiviStsApp]


@pytest.fixture
def documents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user's documents folder, as platformdirs names it."""
    folder = tmp_path / "Documents"
    folder.mkdir()
    monkeypatch.setattr("platformdirs.user_documents_dir", lambda: str(folder))
    return folder


async def open_dialog(pilot: Pilot[int]) -> ExportDialog:
    await settle(pilot)
    await pilot.press("ctrl+e")
    await pilot.pause(0.2)
    dialog = pilot.app.screen
    assert isinstance(dialog, ExportDialog)
    return dialog


def sheet_names(path: Path) -> list[str]:
    return openpyxl.load_workbook(path, read_only=True).sheetnames


async def test_down_enter_chooses_the_cts_report_in_the_documents_folder(
    app_factory: AppFactory, documents: Path
) -> None:
    today = datetime.now().astimezone().date().isoformat()
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = await open_dialog(pilot)
        assert isinstance(app.focused, RadioSet), app.focused
        path = dialog.query_one("#path", Input)
        assert Path(path.value) == documents / f"suivi-sts-09-ars-{today}.xlsx"
        await pilot.press("down", "enter")
        assert dialog.kind == "cts"
        assert Path(path.value) == documents / f"suivi-sts-09-cts-{today}.xlsx"
        await pilot.press("enter")  # the choice made, Enter exports
        await settle(pilot)
        assert app.screen is not dialog
    target = documents / f"suivi-sts-09-cts-{today}.xlsx"
    assert "Synthèse" in sheet_names(target)
    assert sorted(p.name for p in documents.iterdir()) == [target.name]


async def test_the_cts_dossier_as_pdf_is_the_third_choice(app_factory: AppFactory, documents: Path) -> None:
    today = datetime.now().astimezone().date().isoformat()
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = await open_dialog(pilot)
        await pilot.press("down", "down", "enter")
        assert dialog.kind == "cts-pdf"
        path = dialog.query_one("#path", Input)
        assert Path(path.value) == documents / f"suivi-sts-09-cts-{today}.pdf"
        await pilot.press("enter")
        for _ in range(60):  # the worker typesets the dossier
            await pilot.pause(0.1)
            if (documents / f"suivi-sts-09-cts-{today}.pdf").exists():
                break
        await settle(pilot)
    target = documents / f"suivi-sts-09-cts-{today}.pdf"
    assert target.read_bytes().startswith(b"%PDF")
    assert sorted(p.name for p in documents.iterdir()) == [target.name]


async def test_an_existing_file_is_replaced_only_when_the_user_says_so(
    app_factory: AppFactory, documents: Path
) -> None:
    target = documents / "rapport.xlsx"
    target.write_bytes(b"ancien rapport")
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = await open_dialog(pilot)
        dialog.query_one("#path", Input).value = str(target)
        await pilot.click("#ok")
        await pilot.pause(0.2)
        question = app.screen
        assert isinstance(question, ConfirmDialog)
        assert question.question == f"Le fichier « {target} » existe déjà. Le remplacer ?"
        await pilot.click("#no")  # Annuler
        await settle(pilot)
        assert app.screen is dialog
        assert "conservé" in str(dialog.query_one("#error", Static).render())
        assert target.read_bytes() == b"ancien rapport"

        await pilot.click("#ok")
        await pilot.pause(0.2)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.click("#yes")  # Remplacer
        await settle(pilot)
    assert "Actions" in sheet_names(target)
    assert temporary_leftovers(documents) == []


async def test_quitting_during_an_export_leaves_no_temporary_file(
    app_factory: AppFactory, documents: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The export is still running when the app quits: it stops, and nothing is left."""
    from textual.worker import get_current_worker

    started, outcome = threading.Event(), list[BaseException | None]()
    real_progress = exchange._progress

    def slow_progress(screen: object) -> Callable[[int, int], None]:
        report = real_progress(screen)  # type: ignore[arg-type]
        worker = get_current_worker()

        def slow(done: int, total: int) -> None:
            started.set()
            deadline = time.monotonic() + 10
            while not worker.is_cancelled and time.monotonic() < deadline:
                time.sleep(0.01)
            try:
                report(done, total)
            except BaseException as exc:
                outcome.append(exc)
                raise
            outcome.append(None)

        return slow

    monkeypatch.setattr(exchange, "_progress", slow_progress)
    target = documents / "echange.xlsx"
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = await open_dialog(pilot)
        dialog.query_one("#path", Input).value = str(target)
        await pilot.click("#ok")
        for _ in range(200):
            if started.is_set():
                break
            await pilot.pause(0.05)
        assert started.is_set(), "l'export n'a pas commencé"
        assert temporary_leftovers(documents), "pas de dossier temporaire pendant l'export"
        app.exit()
    deadline = time.monotonic() + 20
    while (not outcome or temporary_leftovers(documents)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert outcome and isinstance(outcome[0], ExportCancelled), outcome
    time.sleep(0.2)
    assert list(documents.iterdir()) == []


async def test_a_sessions_workbook_and_minutes_both_carry_its_number(
    app_factory: AppFactory, documents: Path
) -> None:
    """Two sessions the same day never propose the same file: « atelier-3 » for both documents."""
    from tui.screens.workshop import WorkshopExportDialog

    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.push_screen(WorkshopExportDialog(3))
        await pilot.pause(0.3)
        path = app.screen.query_one("#path", Input)
        assert Path(path.value).name.startswith("suivi-sts-atelier-3-") and path.value.endswith(".xlsx")
        await pilot.press("down", "enter")  # the minutes
        await pilot.pause(0.3)
        assert Path(path.value).name.startswith("suivi-sts-atelier-3-") and path.value.endswith(".pdf")
        assert Path(path.value).parent == documents


async def test_ctrl_s_exports_the_document_the_arrows_are_on(
    app_factory: AppFactory, documents: Path
) -> None:
    """Down to « Dossier PDF », then Ctrl+S (« Exporter » in the footer): the workbook, still marked
    ●, was exported, not the document the bar was on. Now that one is chosen and exported."""
    today = datetime.now().astimezone().date().isoformat()
    target = documents / f"suivi-sts-09-cts-{today}.pdf"
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_dialog(pilot)
        await pilot.press("down", "down", "ctrl+s")
        for _ in range(60):  # the worker typesets the dossier
            await pilot.pause(0.1)
            if target.exists():
                break
        await settle(pilot)
    assert sorted(p.name for p in documents.iterdir()) == [target.name]
    assert target.read_bytes().startswith(b"%PDF")
