"""At 80 columns, nothing the user needs is pushed off the screen: the help key and the dates."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from textual.widgets._footer import FooterKey

from store.actions import load_actions, update_action
from store.database import open_store
from store.dates import PreciseDate, Precision
from tests.tui.support import until
from tests.tui.test_list_layouts import screen_lines
from tui.app import SuiviStsApp
from tui.widgets.app_footer import AppFooter
from tui.widgets.connection_banner import ConnectionTrouble
from tui.widgets.help_dialog import HelpDialog

AppFactory = Callable[..., SuiviStsApp]


async def _settle(pilot: Any) -> None:
    for _ in range(4):
        await pilot.pause(0.05)
        await pilot.app.workers.wait_for_complete()
    await pilot.pause(0.1)


@pytest.mark.parametrize("key", ["f2", "f3", "f4", "f5", "f6", "f7"])
async def test_f1_help_is_always_in_sight_at_80_columns(app_factory: AppFactory, key: str) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        await pilot.press(key)
        await _settle(pilot)
        footer = screen_lines(app)[-1]
        assert footer.rstrip().endswith("F1 Aide"), footer
        await pilot.press("f1")  # and it opens the help of that screen
        await _settle(pilot)
        assert isinstance(app.screen, HelpDialog)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize("key", ["f2", "f4", "f6", "ctrl+k"])
async def test_no_key_of_the_footer_is_cut(app_factory: AppFactory, key: str, size: tuple[int, int]) -> None:
    """A key that does not fit whole is left out (the help lists it), never shown half-written."""
    app = app_factory()
    async with app.run_test(size=size) as pilot:
        await _settle(pilot)
        await pilot.press(key)
        await _settle(pilot)
        footer = screen_lines(app)[-1]
        keys = app.screen.query_one(AppFooter).query(FooterKey)
        shown = [
            k for k in keys if k.display and all(a.display for a in k.ancestors_with_self if a is not app)
        ]
        assert len(shown) >= 2, footer
        for item in shown:
            assert item.render().plain.strip() in footer, (item.render().plain, footer)
        left = footer.split("▏")[0].rstrip()
        assert any(left.endswith(k.render().plain.strip()) for k in shown), footer


async def test_the_footer_is_redrawn_when_its_keys_change_and_only_then(app_factory: AppFactory) -> None:
    """Textual asks the footer for a new layout at every change of focus: the same keys are kept
    as they are (rebuilding them was a tenth of the start-up), other keys are shown at once."""
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await _settle(pilot)
        before = list(app.screen.query_one(AppFooter).query(FooterKey))
        app.screen.refresh_bindings()  # what a change of focus does
        await _settle(pilot)
        assert list(app.screen.query_one(AppFooter).query(FooterKey)) == before
        app.connection_trouble = ConnectionTrouble("serveur injoignable (essai)")  # Ctrl+R appears
        await _settle(pilot)
        keys = [k.key for k in app.screen.query_one(AppFooter).query(FooterKey)]
        assert "ctrl+r" in keys, keys
        app.connection_trouble = None
        await _settle(pilot)
        keys = [k.key for k in app.screen.query_one(AppFooter).query(FooterKey)]
        assert "ctrl+r" not in keys, keys


async def test_a_month_due_date_is_whole_in_the_actions_table_at_80_columns(
    app_factory: AppFactory, ariege_db: Path
) -> None:
    store = open_store(ariege_db)
    with store.engine.begin() as conn:
        before = load_actions(conn, "09", ["ACT-001"])["ACT-001"]
        month = PreciseDate(2026, 9, precision=Precision.MONTH)
        update_action(conn, "09", before, replace(before, due_date=month), author="test", source="test")
    store.dispose()
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        await pilot.press("f4")
        await _settle(pilot)
        row = next(line for line in screen_lines(app) if "ACT-001" in line)
        assert "09/2026" in row and "…" not in row.split("%")[-1], row


async def _on_the_list(pilot: Any, key: str) -> Any:
    """The list screen opened by `key`, the focus on the list (not in its search box)."""
    await _settle(pilot)
    await pilot.press(key)
    await _settle(pilot)
    screen = pilot.app.screen
    screen.set_focus(None)
    return screen


@pytest.mark.parametrize(("key", "box"), [("f4", "#search"), ("f6", "#resource-search")])
async def test_a_word_typed_on_a_list_searches_instead_of_firing_its_letters(
    app_factory: AppFactory, key: str, box: str
) -> None:
    """« lavelanet » typed on the list: the « n » in it must not open a new record half-way."""
    from textual.widgets import Input

    from tui.screens.base import BaseScreen

    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _on_the_list(pilot, key)
        await pilot.press(*"lavelanet")
        await _settle(pilot)
        assert app.screen is screen and isinstance(screen, BaseScreen)
        assert screen.query_one(box, Input).value == "lavelanet"
        await pilot.press("down", "n")  # down to the results: the letter is the screen's key again
        await _settle(pilot)
        assert app.screen is not screen


@pytest.mark.parametrize(("key", "box"), [("f4", "#search"), ("f6", "#resource-search")])
async def test_a_word_typed_at_once_on_a_list_is_searched_whole(
    app_factory: AppFactory, key: str, box: str
) -> None:
    """A terminal delivers « lavelanet » typed fast in one burst: the letters after the first one
    reached the list before the search box had the focus, each replacing the last (seen in tmux
    at 80×24: « mam » searched « m »); « n », « e », « t » are keys of the list: none may fire."""
    from textual import events
    from textual.widgets import Input

    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _on_the_list(pilot, key)
        for letter in "lavelanet":
            app.post_message(events.Key(letter, letter))  # all queued before any is handled
        field = screen.query_one(box, Input)
        await until(pilot, lambda: len(field.value) >= len("lavelanet") or app.screen is not screen)
        await pilot.pause(0.3)  # (searches of the burst's keys cancel each other: no settling)
        assert app.screen is screen
        assert field.value == "lavelanet"


async def test_a_long_question_in_a_text_dialog_is_read_whole_at_80_columns(app_factory: AppFactory) -> None:
    from tui.widgets.text_dialog import TextDialog

    question = "Qui participe ? Noms séparés par des virgules, pour le compte rendu (ou Entrée)."
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        app.push_screen(TextDialog("Participants", question, required=False))
        await _settle(pilot)
        shown = " ".join(line.strip(" █▎▊") for line in screen_lines(app))
        assert "(ou Entrée)." in " ".join(shown.split()), screen_lines(app)
