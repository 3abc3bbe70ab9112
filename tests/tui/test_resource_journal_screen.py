"""The resource screen keeps and shows its journal: a change saved with Ctrl+S is listed there."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.widgets import DataTable, Input, Static, TabbedContent

from tests.tui.support import settle, show_tab
from tui.app import SuiviStsApp
from tui.screens.resource_form import ResourceFormScreen


async def test_editing_a_resource_appears_in_its_journal(app_factory: Callable[..., SuiviStsApp]) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.push_screen(ResourceFormScreen("RES-PFR"))
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ResourceFormScreen)
        screen.query_one("#capacity", Input).value = "15"
        screen.query_one("#verified_on", Input).value = "2 mars 2024"
        await pilot.press("ctrl+s")
        await settle(pilot)
        screen.query_one("#resource-tabs", TabbedContent).active = "tab-resource-journal"
        await settle(pilot)
        journal = screen.query_one("#resource-journal", DataTable)
        keys = [str(c.key.value) for c in journal.columns.values()]
        assert keys[:5] == ["at", "author", "what", "old", "new"]
        assert {"source", "comment"} <= set(keys)  # at 120 columns, without scrolling sideways
        rows = [[str(cell) for cell in journal.get_row_at(i)] for i in range(journal.row_count)]
        changes = {(row[1], row[2], row[3], row[4]) for row in rows}
        assert ("coordinatrice", "Capacité", "", "15") in changes
        assert ("coordinatrice", "Vérifié le", "", "02/03/2024") in changes
        assert any(row[2] == "Création" for row in rows)
        detail = str(screen.query_one(".journal-detail", Static).render())
        assert "coordinatrice" in detail and "source :" in detail  # the highlighted line in full


async def test_a_shipped_resource_shows_where_the_document_says_it(
    app_factory: Callable[..., SuiviStsApp],
) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.push_screen(ResourceFormScreen("RES-PFR"))
        await settle(pilot)
        source = str(app.screen.query_one("#source", Static).render())
    assert source == "Schéma territorial de santé de l'Ariège 2023-2028 — Constats, objectif E2-D2-O1"


async def test_a_long_journal_comment_is_read_whole_at_80_columns(
    app_factory: Callable[..., SuiviStsApp],
) -> None:
    from tests.tui.test_snapshots import fixed_journal

    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.open_action("ACT-009")
        await settle(pilot)
        show_tab(app.screen, "tab-journal")
        await settle(pilot)
        fixed_journal(app)  # its latest line, highlighted first, is a comment of 4 × 36 characters
        await settle(pilot)
        detail = app.screen.query_one(".journal-detail", Static)
        text = str(detail.render())
        assert text.endswith("source : Atelier n°1")
        wrapped = Text(text).wrap(app.console, detail.content_size.width)
        assert len(wrapped) <= detail.content_size.height  # every line of it on the screen
