"""The dashboard's deadline lists fit the terminal: code, title and due date, no sideways scroll."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pytest
from textual.containers import VerticalScroll
from textual.dom import DOMNode
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


async def test_the_page_the_dashboard_focuses_restyles_only_itself(
    app_factory: Callable[..., SuiviStsApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 16: Textual focuses the dashboard's scrolling page when it opens; that focus changes
    the page's own look, and no longer styles the twenty-odd widgets inside it again."""
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        page = app.screen.query_one("#dashboard", VerticalScroll)
        assert app.focused is page  # the scroll keys work at once
        late = app.screen.query_one("#late", DataTable)
        late.focus()
        await pilot.pause()
        styled: list[object] = []
        update_nodes = app.stylesheet.update_nodes

        def spy(nodes: Iterable[DOMNode], animate: bool = False) -> None:
            nodes = list(nodes)
            styled.extend(nodes)
            update_nodes(nodes, animate=animate)

        monkeypatch.setattr(app.stylesheet, "update_nodes", spy)
        page.focus()
        await pilot.pause()
        assert app.focused is page
        assert page in styled and late in styled  # the page, and the table that lost the focus
        assert len(page.query("*")) > 20 and len(set(styled)) < 10
