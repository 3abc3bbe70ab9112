"""The action screen shows where a shipped action comes from (the document, as a delegation names
it), and keeps a date as precise as typed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.widgets import Input, Static

from store.fields import ACTION
from tests.tui.support import settle, stored
from tui.app import SuiviStsApp
from tui.screens.action_detail import ActionDetailScreen


async def test_the_source_is_shown_and_a_year_typed_stays_a_year(
    app_factory: Callable[..., SuiviStsApp], ariege_db: Path
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_action("ACT-005")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ActionDetailScreen)
        source = str(screen.query_one("#source", Static).render())
        # the document named, not the extracted text's lines (« seed 003, lignes 648 »)
        assert source == "Schéma territorial de santé de l'Ariège 2023-2028 — En pratique, objectif E1-D4-O2"
        screen.query_one("#due_date", Input).value = "2025"
        await pilot.press("ctrl+s")
        await settle(pilot)
    action, journal = stored(ariege_db, "ACT-005")
    assert ACTION["due_date"].format(action.due_date) == "2025"
    assert any(line.field_name == "due_date" and line.new_value == "2025" for line in journal)
