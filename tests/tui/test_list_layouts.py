"""The list screens at 80×24 and 120×40: what the user acts on is on screen, nothing cut mid-word.

Each test renders the real screen (App.run_test) and reads the visible lines back.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Input, Static

from tui.app import SuiviStsApp
from tui.screens.actions import ActionsScreen
from tui.widgets.columns import Column, fit_columns

AppFactory = Callable[..., SuiviStsApp]
SIZES = [(80, 24), (120, 40)]


async def _settle(pilot: Any) -> None:
    for _ in range(4):
        await pilot.pause(0.05)
        await pilot.app.workers.wait_for_complete()
    await pilot.pause(0.1)


async def _open(pilot: Any, *keys: str) -> None:
    await _settle(pilot)
    for key in keys:
        await pilot.press(key)
        await _settle(pilot)


def screen_lines(app: SuiviStsApp) -> list[str]:
    """The text of every line of the terminal, as the user sees it."""
    strips = app.screen._compositor.render_strips()
    return ["".join(segment.text for segment in strip) for strip in strips]


def header_line(lines: list[str], *labels: str) -> str:
    found = [line for line in lines if all(label in line for label in labels)]
    assert found, f"no line with {labels}:\n" + "\n".join(lines)
    return found[0]


def assert_whole(detail: Static) -> str:
    """The detail line shows its whole text: every wrapped line of it on the screen."""
    from rich.text import Text

    text = str(detail.render())
    wrapped = Text(text).wrap(detail.app.console, detail.content_size.width)
    assert len(wrapped) <= detail.content_size.height, (text, detail.content_size)
    return text


def assert_fits(table: DataTable[Any]) -> None:
    """No horizontal scrolling: the columns fit in the table."""
    assert table.virtual_size.width <= table.scrollable_content_region.width, (
        table.virtual_size,
        table.scrollable_content_region,
    )


@pytest.mark.parametrize("size", SIZES)
async def test_actions_show_what_is_acted_on(app_factory: AppFactory, size: tuple[int, int]) -> None:
    app = app_factory()
    async with app.run_test(size=size) as pilot:
        await _open(pilot, "f4")
        table = app.screen.query_one("#actions-table", DataTable)
        assert_fits(table)
        lines = screen_lines(app)
        header_line(lines, "Code", "Intitulé", "Statut", "Météo", "Avancement", "Échéance")
        assert any(re.search(r"ACT-001 .*(En cours|À lancer|Réalisée).* \d+ %", line) for line in lines)
        assert any(re.search(r"\d\d/\d\d/\d{4}", line) for line in lines), "\n".join(lines)
        # Cut texts end in "…"; the whole title is under the table.
        detail = assert_whole(app.screen.query_one("#action-detail", Static))
        assert detail.startswith("ACT-001 — ")
        assert all(" …" not in line for line in lines)


@pytest.mark.parametrize("size", SIZES)
async def test_status_and_weather_never_cut(app_factory: AppFactory, size: tuple[int, int]) -> None:
    from store.vocab import ActionStatus

    app = app_factory()
    async with app.run_test(size=size) as pilot:
        await _open(pilot, "f4")
        table = app.screen.query_one("#actions-table", DataTable)
        widths = {str(c.key.value): c.width for c in table.columns.values()}
        longest_status = max(len(s.label) for s in ActionStatus)  # "Abandonnée"
        assert widths["status"] >= max(longest_status, len("⚠ En cours"))
        assert widths["weather"] >= len("orange")
        for row in range(table.row_count):
            for key in ("status", "weather", "progress", "due_date"):
                cell = table.get_cell_at(Coordinate(row, list(widths).index(key)))
                assert "…" not in str(cell), (row, key, cell)


@pytest.mark.parametrize("size", SIZES)
async def test_resources_show_name_type_territories_status(
    app_factory: AppFactory, size: tuple[int, int]
) -> None:
    app = app_factory()
    async with app.run_test(size=size) as pilot:
        await _open(pilot, "f6")
        assert_fits(app.screen.query_one("#resource-table", DataTable))
        lines = screen_lines(app)
        header_line(lines, "Nom", "Type", "Territoires", "Statut")
        assert any("Existant" in line and "Ariège" in line for line in lines), "\n".join(lines)
        detail = assert_whole(app.screen.query_one("#resource-detail", Static))
        assert detail.startswith("RES-")


@pytest.mark.parametrize("size", SIZES)
async def test_care_offer_shows_existing_target_gap(app_factory: AppFactory, size: tuple[int, int]) -> None:
    app = app_factory()
    async with app.run_test(size=size) as pilot:
        await _open(pilot, "f7")
        assert_fits(app.screen.query_one("#care-table", DataTable))
        lines = screen_lines(app)
        header_line(lines, "Activité", "Existant", "Cible", "Écart")
        await pilot.press("g")  # only the gaps: each line says how many to create
        await _settle(pilot)
        lines = screen_lines(app)
        assert any(re.search(r"\d+ à créer", line) for line in lines), "\n".join(lines)


@pytest.mark.parametrize("size", SIZES)
async def test_coverage_matrix_columns_all_readable(app_factory: AppFactory, size: tuple[int, int]) -> None:
    app = app_factory()
    async with app.run_test(size=size) as pilot:
        await _open(pilot, "f6", "c")
        table = app.screen.query_one("#coverage-table", DataTable)
        assert_fits(table)  # by public: every column on screen
        text = "\n".join(screen_lines(app))
        for word in (
            "Bassin",
            "Personnes",
            "âgées",
            "handicap",
            "neuro-",
            "évolutives",
            "Jeunes",
            "Couserans",
        ):
            assert word in text, word
        await pilot.press("p")  # by type: more columns, the bassin column stays while scrolling
        await _settle(pilot)
        assert table.fixed_columns == 1
        table.scroll_to(x=table.virtual_size.width, animate=False)
        await _settle(pilot)
        text = "\n".join(screen_lines(app))
        assert "Couserans" in text and "Autre" in text


async def test_schema_filter_is_visible_and_cleared(app_factory: AppFactory) -> None:
    from store.views.action_list import ActionFilter

    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        app.show_actions(ActionFilter(objectives=("E1-D4-O2",)))
        await _settle(pilot)
        line = app.screen.query_one("#scheme-filter", Static)
        assert line.display and "Filtre : objectif E1-D4-O2" in str(line.render())
        assert any("Filtre : objectif E1-D4-O2" in text for text in screen_lines(app))
        await pilot.press("o")
        await _settle(pilot)
        assert not line.display
        screen = app.screen
        assert isinstance(screen, ActionsScreen) and screen.criteria.objectives == ()


@pytest.mark.parametrize("keys", [("enter",), ("down", "enter")])
async def test_one_enter_opens_the_search_result(app_factory: AppFactory, keys: tuple[str, ...]) -> None:
    from tui.screens.action_detail import ActionDetailScreen

    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await _open(pilot, "f4", "slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"mammobile")
        await _settle(pilot)
        await pilot.press(*keys)
        await _settle(pilot)
        assert isinstance(app.screen, ActionDetailScreen)


async def test_enter_right_after_typing_waits_for_the_search(app_factory: AppFactory) -> None:
    from tui.screens.action_detail import ActionDetailScreen

    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await _open(pilot, "f4", "slash")
        await pilot.press(*"mammobile", "enter")  # no pause: the search has not run yet
        await _settle(pilot)
        assert isinstance(app.screen, ActionDetailScreen)


def test_fit_columns_drops_optional_columns_first() -> None:
    columns = [
        Column("a", "A", 5),
        Column("b", "B", 40, flex=True, min_width=20),
        Column("c", "C", 10, priority=1),
        Column("d", "D", 20, flex=True, min_width=10, priority=2),
    ]
    assert [c.key for c, _w in fit_columns(columns, 200)] == ["a", "b", "c", "d"]
    assert [c.key for c, _w in fit_columns(columns, 50)] == ["a", "b", "c"]
    assert [c.key for c, _w in fit_columns(columns, 30)] == ["a", "b"]
    for available in (30, 50, 77, 118, 200):
        layout = fit_columns(columns, available)
        assert sum(w + 2 for _c, w in layout) == available


def test_export_of_a_filtered_list_holds_only_its_actions(ariege_db: Any, tmp_path: Any) -> None:
    """`x` on a filtered list passes the codes shown; the workbooks hold those actions only."""
    from exports import excel
    from store.database import open_store

    store = open_store(str(ariege_db))
    try:
        ars = excel.export_ars(
            store, "09", tmp_path / "ars.xlsx", author="test", codes=["ACT-001", "ACT-002"]
        )
        cts = excel.export_cts(store, "09", tmp_path / "cts.xlsx", author="test", codes=["ACT-003"])
        everything = excel.export_ars(store, "09", tmp_path / "all.xlsx", author="test")
    finally:
        store.dispose()
    assert ars.summary.startswith("2 actions")
    assert cts.summary == "rapport CTS : 1 action"
    assert everything.summary.startswith("80 actions")


async def test_x_on_a_filtered_list_exports_what_is_shown(
    app_factory: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from store.views.action_list import ActionFilter
    from tui import exchange

    asked: list[Any] = []
    monkeypatch.setattr(exchange, "ask_and_export", lambda screen, **kw: asked.append(kw.get("codes")))
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        app.show_actions(ActionFilter(objectives=("E1-D3-S1",)))
        await _settle(pilot)
        await pilot.press("x")
        await _settle(pilot)
        app.show_actions(ActionFilter())
        await _settle(pilot)
        await pilot.press("x")
        await _settle(pilot)
    assert asked == [["ACT-001", "ACT-002"], None]


async def test_columns_follow_a_resized_terminal(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(pilot, "f4")
        table = app.screen.query_one("#actions-table", DataTable)
        assert "objective" not in {str(k.value) for k in table.columns}
        await pilot.resize_terminal(120, 40)
        await _settle(pilot)
        assert "objective" in {str(k.value) for k in table.columns}
        assert_fits(table)
        await pilot.resize_terminal(80, 24)
        await _settle(pilot)
        assert "objective" not in {str(k.value) for k in table.columns}
        assert_fits(table)
