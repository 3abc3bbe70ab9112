"""« Which respite near Saint-Girons? »: a town the reference does not name still gets an answer."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import Input, Static

from tests.tui.support import settle, until
from tui.app import SuiviStsApp
from tui.widgets.record_table import RecordTable

AppFactory = Callable[..., SuiviStsApp]


async def test_a_town_no_resource_mentions_lists_what_serves_the_whole_department(
    app_factory: AppFactory,
) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)
        app.screen.query_one("#resource-search", Input).focus()
        await pilot.press(*"saint-girons")
        count = app.screen.query_one("#resource-count", Static)
        await until(pilot, lambda: "tout le département" in str(count.render()))
        said = str(count.render())
        assert "Aucune ressource ne mentionne «\u00a0saint-girons\u00a0»" in said  # never cut inside
        table = app.screen.query_one("#resource-table", RecordTable)
        assert table.row_count > 0 and f"voici les {table.row_count} qui couvrent" in said, said


async def test_a_long_choice_in_a_narrow_filter_ends_in_an_ellipsis(app_factory: AppFactory) -> None:
    from textual.widgets import Select

    from tests.tui.test_list_layouts import screen_lines

    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)
        app.screen.query_one("#rf-audiences", Select).value = "Personnes en situation de handicap"
        await settle(pilot)
        line = next(line for line in screen_lines(app) if "Personnes" in line)
        assert "Personnes en situatio…" in line or "Personnes en situation de handicap" in line, line
