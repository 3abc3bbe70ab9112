"""The record table: columns fitted to the width, cursor kept, one row redrawn, detail posted."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import App, ComposeResult

from tui.widgets.columns import Column
from tui.widgets.record_table import RecordTable


@dataclass(frozen=True)
class Row:
    code: str
    title: str
    status: str


COLUMNS = [
    Column("code", "Code", 0),
    Column("title", "Intitulé", 40, flex=True, min_width=12),
    Column("lead", "Pilote", 20, priority=1),
    Column("status", "Statut", 10),
]
ROWS = [
    Row("ACT-001", "Repérer les aidants épuisés dans le Couserans et leur proposer un répit", "En cours"),
    Row("ACT-0002", "Ouvrir une plateforme de répit", "À lancer"),
    Row("ACT-003", "Former les professionnels", "Réalisée"),
]


def cell(row: Row, key: str) -> str | Text:
    return "Conseil départemental" if key == "lead" else str(getattr(row, key))


class TableApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[Row | None] = []

    def compose(self) -> ComposeResult:
        yield RecordTable(COLUMNS, cell, key=lambda r: r.code)

    def on_record_table_highlighted(self, message: RecordTable.Highlighted) -> None:
        self.seen.append(message.record)


def shown(table: RecordTable) -> list[list[str]]:
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_narrow_drops_optional_columns_and_ends_long_texts_in_an_ellipsis() -> None:
    app = TableApp()
    async with app.run_test(size=(50, 12)) as pilot:
        table = app.query_one(RecordTable)
        table.records = list(ROWS)
        await pilot.pause()
        assert table.shown_columns == ["code", "title", "status"]
        rows = shown(table)
        assert rows[1][0] == "ACT-0002"  # the code column is as wide as the longest code
        assert rows[0][1].endswith("…") and len(rows[0][1]) <= 50
        assert rows[0][2] == "En cours"
        await pilot.resize_terminal(140, 12)
        await pilot.pause(0.2)
        assert table.shown_columns == ["code", "title", "lead", "status"]
        assert not shown(table)[0][1].endswith("…")


async def test_the_cursor_stays_on_the_same_record_when_the_rows_change() -> None:
    app = TableApp()
    async with app.run_test(size=(100, 12)) as pilot:
        table = app.query_one(RecordTable)
        table.records = list(ROWS)
        await pilot.pause()
        table.move_cursor(row=2)
        await pilot.pause()
        table.records = [ROWS[2], ROWS[0]]
        await pilot.pause()
        assert table.highlighted_key == "ACT-003"
        assert table.cursor_row == 0
        assert app.seen[-1] == ROWS[2]


async def test_one_record_is_redrawn_in_place_and_its_detail_posted() -> None:
    app = TableApp()
    async with app.run_test(size=(100, 12)) as pilot:
        table = app.query_one(RecordTable)
        table.records = list(ROWS)
        await pilot.pause()
        done = Row("ACT-001", ROWS[0].title, "Réalisée")
        table.update_record(done)
        await pilot.pause()
        assert shown(table)[0][-1] == "Réalisée"
        assert table.highlighted_record == done
        assert app.seen[-1] == done
        table.update_record(Row("ACT-999", "inconnue", "—"))  # not in the table: nothing happens
        assert table.row_count == 3


async def test_the_sorted_column_says_so_in_its_header() -> None:
    app = TableApp()
    async with app.run_test(size=(100, 12)) as pilot:
        table = app.query_one(RecordTable)
        table.records = list(ROWS)
        table.sorted_by = ("status", True)
        await pilot.pause()
        headers = {str(c.key.value): str(c.label) for c in table.columns.values()}
        assert headers["status"] == "Statut ▼" and headers["code"] == "Code"
        table.sorted_by = ("code", False)
        await pilot.pause()
        headers = {str(c.key.value): str(c.label) for c in table.columns.values()}
        assert headers["code"].endswith("▲") and headers["status"] == "Statut"


async def test_a_long_list_draws_the_rows_on_screen_first_then_the_others() -> None:
    """Typing a search redraws only what the eye sees; the rest follows when typing pauses."""
    from tui.widgets.record_table import MARGIN_ROWS, REST_AFTER_S

    many = [Row(f"ACT-{i:04d}", f"Action {i}", "En cours") for i in range(200)]
    app = TableApp()
    async with app.run_test(size=(80, 20)) as pilot:
        table = app.query_one(RecordTable)
        table.blur()  # the focus is in the search box
        await pilot.pause()
        table.records = many
        await pilot.pause()
        first = table.row_count
        assert first == app.screen.size.height + MARGIN_ROWS < len(many)
        assert shown(table)[0][0] == "ACT-0000"
        others = [Row(f"AUT-{i:04d}", f"Autre {i}", "En cours") for i in range(200)]
        table.records = others  # another search before the pause: the first step again
        await pilot.pause()
        assert table.row_count == first and shown(table)[0][0] == "AUT-0000"
        await pilot.pause(REST_AFTER_S + 0.2)
        assert table.row_count == len(others)
        assert shown(table)[-1][0] == "AUT-0199"


async def test_the_whole_list_is_there_as_soon_as_the_table_has_the_focus() -> None:
    many = [Row(f"ACT-{i:04d}", f"Action {i}", "En cours") for i in range(200)]
    app = TableApp()
    async with app.run_test(size=(80, 20)) as pilot:
        table = app.query_one(RecordTable)
        table.blur()
        await pilot.pause()
        table.records = many
        await pilot.pause()
        assert table.row_count < len(many)
        table.focus()
        await pilot.pause()
        assert table.row_count == len(many)
        assert shown(table)[-1][0] == "ACT-0199"


async def test_rows_the_new_records_begin_with_stay_and_the_others_follow() -> None:
    app = TableApp()
    async with app.run_test(size=(100, 12)) as pilot:
        table = app.query_one(RecordTable)
        table.records = ROWS[:2]
        await pilot.pause()
        table.move_cursor(row=1)
        await pilot.pause()
        drawn = table.get_row_at(0)[0]
        table.records = list(ROWS)  # one more letter typed: the same first rows, one more
        await pilot.pause()
        assert table.row_count == 3 and shown(table)[2][0] == "ACT-003"
        assert table.get_row_at(0)[0] is drawn  # not drawn again
        assert table.highlighted_record == ROWS[1]
        table.records = [ROWS[0], ROWS[2]]  # a row in between gone: drawn again
        await pilot.pause()
        assert [r[0] for r in shown(table)] == ["ACT-001", "ACT-003"]
        table.records = [Row("ACT-001", ROWS[0].title, "Réalisée")]  # the same code, changed
        await pilot.pause()
        assert len(shown(table)) == 1 and shown(table)[0][-1] == "Réalisée"
