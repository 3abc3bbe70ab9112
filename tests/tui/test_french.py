"""French everywhere: Textual's own texts (palette, Select menu, Ctrl+C, key names), and a
journal readable at 120 columns."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.command import CommandPalette
from textual.widgets import DataTable, Select

from tests.tui.support import settle, show_tab
from tui.app import SuiviStsApp
from tui.screens.action_detail import ActionDetailScreen
from tui.widgets.french import key_label, keys_label
from tui.widgets.help_dialog import HelpDialog

AppFactory = Callable[..., SuiviStsApp]

#: English a user met on screen (word boundaries: "Keys" is English, "Clés" is not).
ENGLISH = ("Search", "Keys", "Maximize", "Screenshot", "Theme", "Dismiss", "Press", "SLASH", "EQUALS", "Quit")


def screen_text(app: App[Any]) -> str:
    """Every character on screen, line by line."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def english_in(text: str) -> list[str]:
    return [word for word in ENGLISH if re.search(rf"\b{word}\b", text)]


@pytest.mark.parametrize(
    ("key", "shown"),
    [
        ("slash", "/"),
        ("right_square_bracket", "]"),
        ("plus,equals_sign", "+ / ="),
        ("ctrl+o", "Ctrl+O"),
        ("f5", "F5"),
        ("escape", "Échap"),
        ("enter", "Entrée"),
        ("space", "Espace"),
        ("tab", "Tab"),
        ("shift+tab", "Maj+Tab"),
        ("question_mark", "?"),
    ],
)
def test_key_names_as_printed_on_the_keyboard(key: str, shown: str) -> None:
    assert keys_label(key) == shown
    if "," not in key:
        assert key_label(key) == shown


async def test_palette_speaks_french(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause(0.5)
        assert CommandPalette.is_open(app)  # type: ignore[arg-type]
        text = screen_text(app)
        assert "Rechercher une commande" in text
        assert english_in(text) == []
        for query, expected in (("thème", "Thème"), ("touches", "Touches"), ("capture", "Capture d'écran")):
            await pilot.press(*query)
            await pilot.pause(0.5)
            text = screen_text(app)
            assert expected in text
            assert english_in(text) == []
            await pilot.press(*["backspace"] * len(query))


async def test_help_dialog_shows_keys_as_printed(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause(0.3)
        assert isinstance(app.screen, HelpDialog)
        table = app.screen.query_one(DataTable)
        keys = {str(table.get_row_at(i)[0]) for i in range(table.row_count)}
        assert {"F1", "Ctrl+O", "Ctrl+Q"} <= keys
        assert all("_" not in key and not key.isupper() or len(key) <= 3 for key in keys)
        assert english_in(screen_text(app)) == []


async def test_select_menu_and_ctrl_c_speak_french(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_action("ACT-002")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ActionDetailScreen)
        screen.query_one("#status", Select).focus()
        await pilot.press("enter")
        await pilot.pause(0.3)
        text = screen_text(app)
        assert "Fermer le menu" in text
        assert english_in(text) == []
        await pilot.press("escape", "ctrl+c")
        await pilot.pause(0.3)
        notices = [f"{n.title} {n.message}" for n in app._notifications]
        assert notices == ["Quitter ? Ctrl+C ne quitte pas : Ctrl+Q pour quitter."]


async def test_journal_source_and_comment_are_on_screen_at_120_columns(
    app_factory: AppFactory, ariege_db: Path
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_action("ACT-002")
        await settle(pilot)
        screen = app.screen
        show_tab(screen, "tab-journal")
        await settle(pilot)
        header = next(line for line in screen_text(app).splitlines() if "Quand" in line)
        assert "Source" in header and "Commentaire" in header
        assert header.index("Commentaire") < 110


async def test_a_bug_in_a_background_task_is_said_in_french(app_factory: AppFactory) -> None:
    """A task of a screen that fails for no reason of the user's (a bug): the dialog says so in
    French, with the detail to pass on; before, it was only « KeyError : 'x' »."""
    from tui.widgets.error_dialog import ErrorDialog

    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)

        def bug() -> None:
            raise KeyError("objectif")

        app.screen.run_worker(bug, thread=True, exit_on_error=False, group="load")
        await pilot.pause(0.5)
        dialog = app.screen
        assert isinstance(dialog, ErrorDialog)
        assert dialog.message.startswith("Erreur inattendue de Suivi STS : l'opération n'a pas abouti")
        assert "KeyError : 'objectif'" in dialog.message
        assert app.is_running


def test_every_key_has_a_french_tooltip() -> None:
    """The help (F1) and the footer's hover say what each key does: every binding of every
    screen and widget has its sentence (a plain tuple, or a Binding without one, has none)."""
    import importlib
    import inspect
    import pkgutil

    from textual.binding import Binding

    import tui.screens
    import tui.widgets

    holders: list[type] = [SuiviStsApp]
    for package in (tui.screens, tui.widgets):
        for module_info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{module_info.name}")
            holders += [
                c for c in vars(module).values() if inspect.isclass(c) and c.__module__ == module.__name__
            ]
    without = [
        f"{holder.__name__} {binding}"
        for holder in holders
        for binding in holder.__dict__.get("BINDINGS", [])
        if not isinstance(binding, Binding) or not binding.tooltip
    ]
    assert without == []
