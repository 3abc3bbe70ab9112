"""Dialogs read the keys of people who type fast: letters typed as the comment box opens go into
it, and ← → move between the buttons of a question."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input, Select, Static

from store.vocab import ActionStatus
from tests.tui.support import settle, stored, until
from tests.tui.test_unsaved_work import open_action
from tests.tui.test_workshop import open_session
from tui.app import SuiviStsApp
from tui.screens.action_detail import ActionDetailScreen
from tui.widgets.error_dialog import ErrorDialog
from tui.widgets.status_dialog import StatusDialog
from tui.widgets.text_dialog import TextDialog

AppFactory = Callable[..., SuiviStsApp]


async def test_keys_right_after_a_status_asking_for_a_comment_go_into_it(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_session(pilot)
        await pilot.press("down", "4", *"en attente")  # no pause: the dialog is being opened
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, TextDialog)
        assert dialog.query_one(Input).value == "en attente"


@pytest.mark.parametrize(
    ("burst", "typed"),
    [
        ((("4", "4"), *[("plus", "+")] * 3), "+++"),  # a status asking why, then keys
        ((("c", "c"), ("b", "b"), ("o", "o"), ("n", "n")), "bon"),  # a comment typed at once
    ],
    ids=["4+++", "cbon"],
)
async def test_a_burst_after_a_key_opening_a_text_box_loses_no_key(
    app_factory: AppFactory, burst: tuple[tuple[str, str], ...], typed: str
) -> None:
    """A terminal delivers « c b o n » at once: the box opens half-way through the burst, and
    the letters after « c » were lost (« o » and « n » are keys of the Atelier: they must not
    fire either). They go into the box, whose field shows them."""
    from textual import events

    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_session(pilot)
        await pilot.press("down")
        await settle(pilot)
        current = screen._current()  # noqa: SLF001
        assert current is not None
        before = screen.actions[current.code]
        for key, character in burst:
            app.post_message(events.Key(key, character))  # all queued before any is handled
        await settle(pilot)
        assert isinstance(app.screen, TextDialog)
        assert app.screen.query_one(Input).value == typed
        assert screen.actions[current.code] == before  # no gesture fired by a letter of the comment


async def test_letters_reaching_the_dialog_before_its_field_has_the_focus_are_typed_in_it(
    app_factory: AppFactory,
) -> None:
    """In a real terminal the keys after « 4 » arrive before the dialog has focused its field."""
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        dialog = TextDialog("Commentaire", "Pourquoi ?")
        await app.push_screen(dialog)
        await settle(pilot)
        dialog.set_focus(None)  # the instant between its opening and its field's focus
        await pilot.press(*"en attente")
        assert dialog.query_one(Input).value == "en attente"


async def test_arrows_move_between_the_buttons_of_a_question(app_factory: AppFactory) -> None:
    from textual.widgets import Button

    from tui.widgets.confirm_dialog import ConfirmDialog

    app = app_factory()
    answers: list[bool | None] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.push_screen(ConfirmDialog("Clore l'atelier ?"), answers.append)
        await settle(pilot)
        await pilot.press("right")
        assert isinstance(app.screen.focused, Button) and app.screen.focused.id == "yes"
        await pilot.press("left")
        assert isinstance(app.screen.focused, Button) and app.screen.focused.id == "no"
        await pilot.press("right", "enter")
        await settle(pilot)
    assert answers == [True]


async def test_arrows_move_between_the_three_buttons_of_the_unsaved_question(app_factory: AppFactory) -> None:
    from textual.widgets import Button

    from tui.screens.form_base import UnsavedDialog

    app = app_factory()
    answers: list[str | None] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.push_screen(UnsavedDialog("Action ACT-001"), answers.append)
        await settle(pilot)
        await pilot.press("right", "right", "right")  # stops at the last one
        assert isinstance(app.screen.focused, Button) and app.screen.focused.id == "discard"
        await pilot.press("left", "enter")
        await settle(pilot)
    assert answers == ["save"]


async def shown_again_after_the_error(pilot: Pilot[int], kind: type[Screen[Any]]) -> Screen[Any]:
    """The save's error is read and closed: the dialog is there again, saying it was not saved."""
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, ErrorDialog))
    await pilot.press("enter")
    await settle(pilot)
    again = app.screen
    assert isinstance(again, kind), "what was typed is lost"
    assert "Non enregistré" in str(again.query_one("#error", Static).render())
    return again


async def test_a_quick_status_not_saved_comes_back_as_typed_to_try_again(
    app_factory: AppFactory, ariege_db: Path, hold_store: Callable[[], Callable[[], None]]
) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_action(pilot, "ACT-005")
        let_go = hold_store()
        await pilot.press("f8")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, StatusDialog)
        dialog.query_one("#status", Select).value = ActionStatus.POSTPONED.value
        comment = dialog.query_one("#comment", Input)
        comment.value = "financement attendu en mars"
        comment.focus()
        await pilot.press("enter")
        again = await shown_again_after_the_error(pilot, StatusDialog)
        assert again.query_one("#status", Select).value == ActionStatus.POSTPONED.value
        assert again.query_one("#comment", Input).value == "financement attendu en mars"
        assert stored(ariege_db, "ACT-005")[0].status != ActionStatus.POSTPONED

        let_go()  # the other program is done: Entrée tries again
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is form
    action, journal = stored(ariege_db, "ACT-005")
    assert action.status == ActionStatus.POSTPONED
    assert any(line.comment == "financement attendu en mars" for line in journal)


async def test_a_quick_comment_not_saved_comes_back_as_typed_to_try_again(
    app_factory: AppFactory, ariege_db: Path, hold_store: Callable[[], Callable[[], None]]
) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_action(pilot, "ACT-005")
        let_go = hold_store()
        await pilot.press("f9")
        await settle(pilot)
        await pilot.press(*"relancer le porteur", "enter")
        again = await shown_again_after_the_error(pilot, TextDialog)
        assert again.query_one(Input).value == "relancer le porteur"

        let_go()
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is form
        notes = [n.message for n in app._notifications]
        assert not any("Rien n'a changé" in n for n in notes), notes
    assert any(line.comment == "relancer le porteur" for line in stored(ariege_db, "ACT-005")[1])


async def new_indicator(pilot: Pilot[int], form: ActionDetailScreen) -> None:
    """« Femmes dépistées », a new indicator of the action shown."""
    from tui.widgets.indicator_dialog import IndicatorDialog

    form.action_new_indicator()
    await settle(pilot)
    assert isinstance(pilot.app.screen, IndicatorDialog)
    pilot.app.screen.query_one("#ind-label", Input).value = "Femmes dépistées"
    await pilot.click("#ok")
    await settle(pilot)


async def test_an_indicator_value_unreadable_or_not_saved_stays_in_its_dialog(
    app_factory: AppFactory, ariege_db: Path, hold_store: Callable[[], Callable[[], None]]
) -> None:
    from store.database import open_store
    from store.indicators import ValueKey, load_values

    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_action(pilot, "ACT-003")
        await new_indicator(pilot, form)
        await pilot.press("ctrl+n", *"2024-01", "enter")
        await settle(pilot)

        await pilot.press(*"12,5,3", "enter")  # unreadable: said in the dialog, the text kept
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, TextDialog) and dialog.query_one(Input).value == "12,5,3"
        assert str(dialog.query_one("#error", Static).render())

        let_go = hold_store()
        dialog.query_one(Input).value = "125"
        await pilot.press("enter")
        again = await shown_again_after_the_error(pilot, TextDialog)
        assert again.query_one(Input).value == "125"

        let_go()
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is form
    store = open_store(ariege_db)
    try:
        with store.engine.connect() as conn:
            assert load_values(conn, "09")[ValueKey("IND-0001", "2024-01", "")] == 125
    finally:
        store.dispose()


async def test_a_new_indicator_not_saved_comes_back_as_typed(
    app_factory: AppFactory, ariege_db: Path, hold_store: Callable[[], Callable[[], None]]
) -> None:
    from store.database import open_store
    from store.indicators import load_indicators
    from tui.widgets.indicator_dialog import IndicatorDialog

    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_action(pilot, "ACT-003")
        let_go = hold_store()
        form.action_new_indicator()
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, IndicatorDialog)
        dialog.query_one("#ind-label", Input).value = "Femmes dépistées"
        dialog.query_one("#ind-target", Input).value = "1 234,5"
        await pilot.click("#ok")
        again = await shown_again_after_the_error(pilot, IndicatorDialog)
        assert again.query_one("#ind-label", Input).value == "Femmes dépistées"
        assert again.query_one("#ind-target", Input).value == "1 234,5"

        let_go()
        await pilot.click("#ok")
        await settle(pilot)
        assert app.screen is form
    store = open_store(ariege_db)
    try:
        with store.engine.connect() as conn:
            created = [i for i in load_indicators(conn, "09").values() if i.label == "Femmes dépistées"]
    finally:
        store.dispose()
    assert [i.target for i in created] == [1234.5]


async def test_a_period_typed_wrong_is_said_in_its_dialog_and_kept(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_action(pilot, "ACT-003")
        await new_indicator(pilot, form)
        await pilot.press("ctrl+n", *"mars 2024x", "enter")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, TextDialog), "the period typed is lost"
        assert dialog.query_one(Input).value == "mars 2024x"
        assert "Période" in str(dialog.query_one("#error", Static).render())
