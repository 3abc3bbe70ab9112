"""What is allowed but looks wrong is said after saving: « À lancer » with progress."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import Input, Select

from store.vocab import ActionStatus
from tests.tui.support import settle, stored
from tui.app import SuiviStsApp
from tui.screens.action_detail import ActionDetailScreen


async def test_a_todo_action_with_progress_is_saved_with_a_warning(
    app_factory: Callable[..., SuiviStsApp], ariege_db: object
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_action("ACT-002")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ActionDetailScreen)
        screen.query_one("#status", Select).value = ActionStatus.TODO.value
        screen.query_one("#progress", Input).value = "40"
        await pilot.press("ctrl+s")
        await settle(pilot)
        shown = [n.message for n in app._notifications]
        assert any("Avancement de 40 %" in m and "En cours" in m for m in shown), shown
    action, _journal = stored(ariege_db, "ACT-002")  # type: ignore[arg-type]
    assert action.status == ActionStatus.TODO.value and action.progress == 40
