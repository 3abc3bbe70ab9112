"""The dashboard's deadline lists fit the terminal: code, title and due date, no sideways scroll."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.widgets import DataTable

from tests.tui.support import settle
from tui.app import SuiviStsApp


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_late_actions_show_code_title_and_due_date(
    app_factory: Callable[..., SuiviStsApp], size: tuple[int, int]
) -> None:
    app = app_factory()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        late = app.screen.query_one("#late", DataTable)
        labels = [str(c.label) for c in late.columns.values()]
        assert labels[:3] == ["Code", "Action", "Échéance"]
        assert late.max_scroll_x == 0
        assert late.row_count >= 1
        row = late.get_row_at(0)
        assert str(row[0]).startswith("ACT-") and "/" in str(row[2])
