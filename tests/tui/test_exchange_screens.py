"""Excel export and import from the app: options dialog, preview, conflicts, apply."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import openpyxl
from textual.widgets import DataTable, Input, Static

from store.actions import load_actions
from store.database import open_store
from tests.tui.support import settle, until
from tui.app import SuiviStsApp
from tui.screens.import_screen import ImportScreen
from tui.widgets.export_dialog import ExportDialog

AppFactory = Callable[..., SuiviStsApp]


def set_status_in_workbook(path: Path, code: str, status: str) -> None:
    """What a coordinator does in Excel: change one status cell."""
    book = openpyxl.load_workbook(path)
    sheet = book["Actions"]
    headers = [cell.value for cell in sheet[1]]
    code_col, status_col = headers.index("Code") + 1, headers.index("Statut") + 1
    for row in range(2, sheet.max_row + 1):
        if sheet.cell(row, code_col).value == code:
            sheet.cell(row, status_col).value = status
    book.save(path)


def stored_status(db: Path, code: str) -> str:
    store = open_store(db)
    with store.engine.connect() as conn:
        status = load_actions(conn, "09", [code])[code].status
    store.dispose()
    return status


async def test_export_then_edit_then_import_through_the_screens(
    app_factory: AppFactory, ariege_db: Path, tmp_path: Path
) -> None:
    workbook = tmp_path / "echange.xlsx"
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+e")
        await pilot.pause(0.2)
        assert isinstance(app.screen, ExportDialog)
        app.screen.query_one("#path", Input).value = str(workbook)
        await pilot.click("#ok")
        await settle(pilot)
        assert workbook.is_file()

        set_status_in_workbook(workbook, "ACT-002", "terminé")
        await pilot.press("ctrl+o")
        await pilot.pause(0.2)
        screen = app.screen
        assert isinstance(screen, ImportScreen)
        screen.query_one("#import-path", Input).value = str(workbook)
        await pilot.press("enter")
        await settle(pilot)
        summary = str(screen.query_one("#import-summary", Static).render())
        assert "1 modifié" in summary
        rows = [screen.query_one("#import-table", DataTable).get_row_at(i) for i in range(1)]
        assert "ACT-002" in str(rows[0][1]) and "Statut : En cours → Réalisée" in str(rows[0][2])
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Import appliqué" in str(screen.query_one("#import-summary", Static).render())
    assert stored_status(ariege_db, "ACT-002") == "realisee"


async def test_an_unreadable_file_is_reported_and_nothing_changes(
    app_factory: AppFactory, ariege_db: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "pas-un-classeur.xlsx"
    bad.write_bytes(b"ceci n'est pas un classeur")
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.push_screen(ImportScreen(bad))
        await settle(pilot)
        said = getattr(app.screen, "message", "")
        assert "pas-un-classeur.xlsx" in said
        assert "Error" not in said, said  # French, no Python class name
        assert getattr(app.screen, "title_text", "") == "Import impossible"
    assert stored_status(ariege_db, "ACT-002") == "en_cours"


async def test_a_workshop_session_is_exported_for_the_ars(app_factory: AppFactory, tmp_path: Path) -> None:
    from tui.screens.workshop import WorkshopScreen

    target = tmp_path / "atelier.xlsx"
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("n")  # Périmètre (o is the orange weather)
        await settle(pilot)
        await pilot.press(*"E1-D4-O2", "enter")
        await settle(pilot)
        await pilot.press("enter")  # participants: none recorded
        await settle(pilot)
        await pilot.press("2", "plus")
        await settle(pilot)
        assert isinstance(app.screen, WorkshopScreen)
        await pilot.press("x")
        await pilot.pause(0.2)
        assert isinstance(app.screen, ExportDialog)
        app.screen.query_one("#path", Input).value = str(target)
        await pilot.click("#ok")
        await settle(pilot)
    sheet = openpyxl.load_workbook(target, read_only=True).worksheets
    text = " ".join(str(c) for ws in sheet for row in ws.iter_rows(values_only=True) for c in row if c)
    assert "ACT-004" in text and "Atelier n°1" in text


async def test_an_import_not_written_keeps_its_preview_and_is_applied_again(
    app_factory: AppFactory, ariege_db: Path, tmp_path: Path, hold_store: Callable[[], Callable[[], None]]
) -> None:
    """Ctrl+S while another program holds the store: the error, then the preview as it was (no
    progress bar left running), and Ctrl+S again applies it."""
    from textual.widgets import ProgressBar

    from tui.widgets.error_dialog import ErrorDialog

    workbook = tmp_path / "echange.xlsx"
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+e")
        await pilot.pause(0.2)
        assert isinstance(app.screen, ExportDialog)
        app.screen.query_one("#path", Input).value = str(workbook)
        await pilot.click("#ok")
        await settle(pilot)
        set_status_in_workbook(workbook, "ACT-002", "terminé")
        await pilot.press("ctrl+o")
        await pilot.pause(0.2)
        screen = app.screen
        assert isinstance(screen, ImportScreen)
        screen.query_one("#import-path", Input).value = str(workbook)
        await pilot.press("enter")
        await settle(pilot)

        let_go = hold_store()
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ErrorDialog))
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is screen)
        assert not screen.query_one("#import-progress", ProgressBar).display
        assert "1 modifié" in str(screen.query_one("#import-summary", Static).render())
        assert stored_status(ariege_db, "ACT-002") == "en_cours"

        let_go()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Import appliqué" in str(screen.query_one("#import-summary", Static).render())
    assert stored_status(ariege_db, "ACT-002") == "realisee"
