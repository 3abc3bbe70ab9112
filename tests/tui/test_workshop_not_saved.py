"""The Atelier when a write fails (another program holds the store, the disk is full, the server
is cut): the gestures stay on screen, said not saved, and are written by themselves once it can;
nothing typed is lost, the session cannot be closed nor the app left without a word."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from textual.widgets import Static

from store.actions import ActionData
from store.vocab import ActionStatus
from tests.tui.conftest import TODAY
from tests.tui.support import stored, until
from tests.tui.test_workshop import open_session
from tui.app import SuiviStsApp, make_app
from tui.screens.form_base import UnsavedDialog
from tui.screens.workshop import WorkshopScreen
from tui.widgets.error_dialog import ErrorDialog
from tui.widgets.text_dialog import TextDialog

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


#: What a coordinator's fingers do in a session: move, statuses, progress, weather, a comment.
GESTURES = ["down", "up", "1", "2", "3", "4a", "5a", "plus", "minus", "v", "o", "r", "w", "cmt"]


@settings(
    max_examples=5,
    deadline=None,
    phases=(
        Phase.explicit,
        Phase.reuse,
        Phase.generate,
    ),  # a failing case is printed as found, not shrunk (slow)
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(st.sampled_from([*GESTURES, "hold", "let go"]), min_size=4, max_size=20))
@example(steps=["hold", "5a", "3", "4a", "w", "v"])  # found: the first status's comment was lost
@example(steps=["r", "minus", "hold", "4a", "r", "2", "v", "up", "1", "minus"])
def test_whatever_fails_in_between_the_store_ends_as_the_screen_shows(
    steps: list[str], ariege_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Gestures typed fast while another program takes and lets go of the store, in any order:
    once it is free, every row of the session is saved as shown and every comment typed is in
    the journal (those of statuses typed faster than saved, together)."""
    folder = tmp_path_factory.mktemp("atelier")
    db = folder / "ariege.sqlite"
    shutil.copy2(ariege_template, db)
    os.environ["SUIVI_STS_BUSY_TIMEOUT_MS"] = "100"
    try:
        shown, comments = asyncio.run(_session(db, steps))
    finally:
        del os.environ["SUIVI_STS_BUSY_TIMEOUT_MS"]
    for code, action in shown.items():
        saved = stored(db, code)[0]
        assert (saved.status, saved.progress, saved.weather) == (
            action.status,
            action.progress,
            action.weather,
        )
    journal = " | ".join(line.comment or "" for code in shown for line in stored(db, code)[1])
    assert all(comment in journal for comment in comments), (comments, journal)


async def _session(db: Path, steps: list[str]) -> tuple[dict[str, ActionData], list[str]]:
    """Play `steps` in the Atelier; the rows shown at the end and the comments typed."""
    app = make_app(db, today=TODAY, author="coordinatrice")
    app.retry_delays_s = (0.2, 0.3)
    holder = sqlite3.connect(db, isolation_level=None)
    comments: list[str] = []
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_session(pilot)
        for step in steps:
            if step == "hold" and not holder.in_transaction:
                holder.execute("BEGIN EXCLUSIVE")
            elif step == "let go" and holder.in_transaction:
                holder.rollback()
            elif step in ("4a", "5a"):  # a status asking why (unless already so): the comment
                await pilot.press(step[0])
                await pilot.pause(0.05)
                if isinstance(app.screen, TextDialog):
                    comments.append(f"pourquoi {len(comments)}")
                    await pilot.press(*comments[-1], "enter")
            elif step == "cmt":
                await pilot.press("c")
                await pilot.pause(0.05)
                if isinstance(app.screen, TextDialog):
                    comments.append(f"note {len(comments)}")
                    await pilot.press(*comments[-1], "enter")
            elif step in GESTURES:
                await pilot.press(step)
            await until(pilot, lambda: not screen.loading_in("save"))  # the write tried
            while isinstance(app.screen, ErrorDialog):  # said once: read and closed
                await pilot.press("enter")
                await pilot.pause(0.05)
        if holder.in_transaction:
            holder.rollback()
        holder.close()
        await until(
            pilot, lambda: isinstance(app.screen, WorkshopScreen) and not screen.is_dirty(), timeout=30
        )
        await pilot.pause(0.3)
        assert app.screen is screen
        return dict(screen.actions), comments
