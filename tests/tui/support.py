"""What the app tests share: waiting for workers, and reading an action back from the store."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import TabbedContent, Tabs

from store.actions import ActionData, load_actions
from store.database import open_store
from store.journal import JournalLine, journal_lines
from tui.app import SuiviStsApp

AppFactory = Callable[..., SuiviStsApp]


def stored(db: Path, code: str) -> tuple[ActionData, list[JournalLine]]:
    """An action and its journal as saved in the store file."""
    store = open_store(db)
    try:
        with store.engine.connect() as conn:
            action = load_actions(conn, "09", [code])[code]
            journal = journal_lines(conn, "09", action_id=action.id)
        return action, journal
    finally:
        store.dispose()


async def settle(pilot: Pilot[int]) -> None:
    """Let workers started by the last key (and the messages they post) finish."""
    for _ in range(3):
        await pilot.pause(0.05)
        await pilot.app.workers.wait_for_complete()
    await pilot.pause(0.1)


async def until(pilot: Pilot[int], condition: Callable[[], bool], timeout: float = 15) -> float:
    """Wait (the UI running) until `condition` holds; returns the seconds it took."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"toujours faux après {timeout} s")
        await pilot.pause(0.05)
    return time.monotonic() - started


def show_tab(screen: Screen[object], tab: str) -> None:
    """A tab of the screen shown as a click on its title does: the tabs take the focus first (else
    Textual hands the focus of the hidden field to its neighbour, whose pane comes back)."""
    screen.set_focus(screen.query_one(Tabs))
    screen.query_one(TabbedContent).active = tab
