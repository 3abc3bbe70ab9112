"""What a usability test found in the dialogs, the palette and the footer, at 80×24 and 120×40:
everything a dialog needs stays on screen, keys are named in French, nothing is told by colour alone."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.command import CommandPalette
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Button, Checkbox, DataTable, Footer, Input, RadioButton

from tests.tui.support import settle, until
from tui.app import SuiviStsApp
from tui.widgets.choice_dialog import HINT, ChoiceDialog
from tui.widgets.confirm_dialog import ConfirmDialog
from tui.widgets.export_dialog import ExportDialog
from tui.widgets.help_dialog import HelpDialog

AppFactory = Callable[..., SuiviStsApp]

SIZES = [(80, 24), (120, 40)]


def screen_text(app: App[Any]) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def footer_text(app: App[Any]) -> str:
    return screen_text(app).splitlines()[-1]


def on_screen(app: App[Any], widget: Widget) -> bool:
    """The whole widget is drawn inside the terminal and inside its dialog's box."""
    screen = Region(0, 0, *app.size)
    box = widget.screen.query_one(".dialog-box").region
    region = widget.region
    return region.area > 0 and screen.contains_region(region) and box.contains_region(region)


@pytest.fixture
def documents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "Documents"
    folder.mkdir()
    monkeypatch.setattr("platformdirs.user_documents_dir", lambda: str(folder))
    return folder


# --- 1. Aide (F1) ------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
async def test_help_list_scrolls_with_the_keys_and_fermer_stays_on_screen(
    app_factory: AppFactory, size: tuple[int, int]
) -> None:
    app = app_factory()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("f4")  # the Actions screen has the most keys
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause(0.3)
        dialog = app.screen
        assert isinstance(dialog, HelpDialog)
        table = dialog.query_one(DataTable)
        assert app.focused is table
        assert on_screen(app, dialog.query_one("#close", Button))
        assert on_screen(app, table)
        if size == (120, 40):  # room enough for every key: no cap at 24 rows
            assert table.region.height == table.row_count + 1
        else:
            assert table.region.height < table.row_count + 1
        await pilot.press("end")
        await pilot.pause(0.2)
        assert table.cursor_row == table.row_count - 1
        assert table.scroll_y == table.max_scroll_y
        last = str(table.get_row_at(table.row_count - 1)[0])
        assert last in screen_text(app).splitlines()[table.region.bottom - 1]
        await pilot.press("home")
        await pilot.pause(0.1)
        assert table.cursor_row == 0 and table.scroll_y == 0
        await pilot.press("pagedown")
        await pilot.pause(0.1)
        assert table.cursor_row > 0
        assert "Échap Fermer" in footer_text(app)


# --- 2. Exporter (Ctrl+E) ----------------------------------------------------------------------


async def open_export(pilot: Pilot[int]) -> ExportDialog:
    await settle(pilot)
    await pilot.press("ctrl+e")
    await pilot.pause(0.3)
    dialog = pilot.app.screen
    assert isinstance(dialog, ExportDialog)
    return dialog


@pytest.mark.parametrize("size", SIZES)
async def test_export_cts_report_fits_and_enter_moves_on_to_exporter(
    app_factory: AppFactory, documents: Path, size: tuple[int, int]
) -> None:
    app = app_factory()
    async with app.run_test(size=size) as pilot:
        dialog = await open_export(pilot)
        await pilot.press("down", "enter")
        await pilot.pause(0.2)
        assert dialog.kind == "cts"
        ok, cancel = dialog.query_one("#ok", Button), dialog.query_one("#cancel", Button)
        assert app.focused is ok
        assert on_screen(app, ok) and on_screen(app, cancel)
        contacts = dialog.query_one("#contacts", Checkbox)
        assert on_screen(app, contacts)
        label = str(contacts.label)
        assert label.endswith("courriels)")
        line = screen_text(app).splitlines()[contacts.region.y + 1]
        assert label in line
        assert "Ctrl+S Exporter" in footer_text(app)


async def test_enter_on_the_document_already_chosen_moves_on(
    app_factory: AppFactory, documents: Path
) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await open_export(pilot)
        assert dialog.kind == "ars"
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert dialog.kind == "ars"
        assert app.focused is dialog.query_one("#ok", Button)


async def test_replacing_a_file_asks_annuler_or_remplacer(app_factory: AppFactory, documents: Path) -> None:
    target = documents / "rapport.xlsx"
    target.write_bytes(b"ancien")
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await open_export(pilot)
        dialog.query_one("#path", Input).value = str(target)
        await pilot.press("ctrl+s")
        await pilot.pause(0.3)
        question = app.screen
        assert isinstance(question, ConfirmDialog)
        assert str(question.query_one("#no", Button).label) == "Annuler"
        assert str(question.query_one("#yes", Button).label) == "Remplacer"
        assert app.focused is question.query_one("#no", Button)
        assert on_screen(app, question.query_one("#yes", Button))


# --- 3. Palette (Ctrl+P) -----------------------------------------------------------------------


async def test_palette_says_in_french_that_nothing_matches(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause(0.3)
        assert CommandPalette.is_open(app)  # type: ignore[arg-type]
        await pilot.press(*"zzzq")
        await until(pilot, lambda: "Aucune commande ne correspond" in screen_text(app))
        text = screen_text(app)
        assert "Aucune commande ne correspond" in text
        assert "No matches" not in text


async def test_palette_has_no_theme_picker_with_english_names(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        names = [command.title for command in app.get_system_commands(app.screen)]
        assert "Thème" not in names
        await pilot.press("ctrl+p")
        await pilot.pause(0.3)
        await pilot.press(*"thème")
        await until(pilot, lambda: "Thème clair / sombre" in screen_text(app))
        text = screen_text(app)
        assert "Thème clair / sombre" in text
        assert not re.search(r"\b(Theme|ansi-dark|dracula|textual-dark)\b", text)


async def test_screenshot_goes_to_the_documents_folder(app_factory: AppFactory, documents: Path) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.take_screenshot()
        await pilot.pause(0.2)
        shots = list(documents.glob("*.svg"))
        assert len(shots) == 1 and shots[0].name.startswith("capture-suivi-sts-")
        notices = [n.message for n in app._notifications]
        assert notices[-1] == f"Capture d'écran enregistrée dans {documents} : {shots[0].name}"


# --- 4. Footer --------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
async def test_footer_names_keys_in_french(app_factory: AppFactory, size: tuple[int, int]) -> None:
    app = app_factory()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        assert app.screen.query_one(Footer)
        footer = footer_text(app)
        assert "Ctrl+Q Quitter" in footer and "F1 Aide" in footer
        if size == (120, 40):  # at 80 columns, Ctrl+P is left to the help (F1) to leave room for F1
            assert "Ctrl+P Palette" in footer
        assert not re.search(r"\^[a-z]|\bf1\b|\besc\b", footer)
        await pilot.press("f1")
        await pilot.pause(0.3)
        assert footer_text(app).startswith(" Échap Fermer")


# --- 5. Cases à cocher -------------------------------------------------------------------------


async def test_ticked_and_unticked_differ_without_colour(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        late = app.screen.query_one("#filter-late", Checkbox)
        off = str(late.render())
        assert "▐ ▌" in off and "X" not in off
        late.value = True
        await settle(pilot)
        assert "▐✓▌" in str(late.render())
        dialog = await open_export(pilot)
        radios = list(dialog.query(RadioButton))
        marks = [str(button.render())[:3] for button in radios]
        assert marks[0] == "▐●▌" and len(marks) >= 2 and set(marks[1:]) == {"▐ ▌"}


# --- 6. Listes de choix (t, f) -----------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
async def test_choice_dialog_says_which_keys_choose_and_cancel(
    app_factory: AppFactory, size: tuple[int, int]
) -> None:
    app = app_factory()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        app.screen.set_focus(None)
        await pilot.press("t")
        await pilot.pause(0.3)
        dialog = app.screen
        assert isinstance(dialog, ChoiceDialog)
        assert HINT == "Entrée : choisir · Échap : annuler"
        assert HINT in screen_text(app)
        assert on_screen(app, dialog.query_one(".dialog-hint"))
