"""The Atelier when a write fails (another program holds the store, the disk is full, the server
is cut): the gestures stay on screen, said not saved, and are written by themselves once it can;
nothing typed is lost, the session cannot be closed nor the app left without a word."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.widgets import Static

from store.vocab import ActionStatus
from tests.tui.support import stored, until
from tests.tui.test_workshop import open_session
from tui.app import SuiviStsApp
from tui.screens.form_base import UnsavedDialog
from tui.screens.workshop import WorkshopScreen
from tui.widgets.error_dialog import ErrorDialog

AppFactory = Callable[..., SuiviStsApp]


def unsaved_line(screen: WorkshopScreen) -> str:
    line = screen.query_one("#workshop-unsaved", Static)
    return str(line.render()) if line.display else ""


def errors_shown(app: SuiviStsApp) -> int:
    return sum(isinstance(screen, ErrorDialog) for screen in app.screen_stack)


async def test_gestures_not_written_stay_said_and_are_written_once_the_store_is_free(
    app_factory: AppFactory, ariege_db: Path, hold_store: Callable[[], Callable[[], None]]
) -> None:
    app = app_factory()
    app.retry_delays_s = (0.5, 0.5)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_session(pilot)
        await pilot.press("down")
        await pilot.pause(0.2)
        current = screen._current()  # noqa: SLF001
        assert current is not None
        code = current.code
        assert stored(ariege_db, code)[0].status != ActionStatus.DONE

        let_go = hold_store()
        await pilot.press("3")  # Réalisée: the write waits for the store, then fails
        await until(pilot, lambda: isinstance(app.screen, ErrorDialog))
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is screen)
        assert screen.actions[code].status == ActionStatus.DONE  # still shown as chosen
        assert "1 changement(s) affiché(s) pas encore enregistré(s)" in unsaved_line(screen)

        await pilot.press("c", *"vu en séance", "enter")  # a comment meanwhile: kept too
        await pilot.pause(1.5)  # attempts fail again, silently: one error said, not one per attempt
        assert app.screen is screen and errors_shown(app) == 0
        assert "2 changement(s)" in unsaved_line(screen)

        await pilot.press("q")  # closing the session now would lose them: refused, said why
        await pilot.pause(0.2)
        assert app.screen is screen and screen.session is not None
        assert any("pas encore enregistré" in n.message for n in app._notifications)

        await pilot.press("ctrl+q")  # leaving the app: asked, as for a form
        await until(pilot, lambda: isinstance(app.screen, UnsavedDialog))
        await pilot.press("escape")  # stay
        await until(pilot, lambda: app.screen is screen)

        let_go()  # the other program is done: written by itself, in order
        await until(pilot, lambda: not unsaved_line(screen))
        assert any("Changements de l'atelier enregistrés" in n.message for n in app._notifications)
    action, journal = stored(ariege_db, code)
    assert action.status == ActionStatus.DONE
    assert any(line.comment == "vu en séance" for line in journal)
