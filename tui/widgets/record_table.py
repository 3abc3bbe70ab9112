"""A table of records fitted to its width: optional columns drop out, long texts end in "…".

The screens of lists (Actions, Atelier, Ressources) give it their columns, how to draw a cell
and each record's key; they set `records` and it does the rest: columns chosen for the width it
has (again on every resize), the cursor kept on the same record, cells drawn again when the
theme changes, one row redrawn in place (`update_record`), and `Highlighted` posted with the
record under the cursor so that the screen can show it in full.

A long list is drawn in two steps, so that a search answers as fast as the eye can see: the
rows that fit on the screen (and a few more) at once, the others once typing pauses
(`REST_AFTER_S`), or at once when the table gets the focus or is scrolled. Rows already drawn
that the new records begin with (equal records, in the same order: a search typed one more
letter often keeps the first screen) are left as they are, not drawn again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import on
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.timer import Timer
from textual.widgets import DataTable
from textual.widgets._data_table import CellCacheKey, RowKey, SegmentLines

from tui.widgets.columns import Column, clip, fit_columns, table_width

#: How a screen draws one cell: the record and the column's key → its text.
CellText = Callable[[Any, str], "str | Text"]
#: Rows added beyond the screen's height, in the first step.
MARGIN_ROWS = 10
#: The other rows come this long after the last change of `records` (typing pauses).
REST_AFTER_S = 0.3
_JOIN = Text("\n")


def _cell_len(value: str | Text) -> int:
    return value.cell_len if isinstance(value, Text) else Text(value).cell_len


class RecordTable(DataTable[Text]):
    """Rows of records; `records` is its state, the columns follow the width."""

    records: reactive[list[Any]] = reactive(list, always_update=True, init=False)
    #: The column the records are sorted by and whether downwards: its header shows ▲ or ▼.
    sorted_by: reactive[tuple[str, bool] | None] = reactive(None, init=False)

    @dataclass
    class Highlighted(Message):
        """The record under the cursor changed (None: the table is empty)."""

        table: RecordTable
        record: Any | None

        @property
        def control(self) -> RecordTable:
            return self.table

    def __init__(
        self,
        columns: Sequence[Column],
        cell: CellText,
        key: Callable[[Any], str],
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=True)
        self.specs = list(columns)
        self.cell_text = cell
        self.key_of = key
        self.fitted: list[tuple[Column, int]] = []
        self._index: dict[str, int] = {}
        #: Columns are being laid out (a watcher run meanwhile must not add them a second time).
        self._fitting = False
        #: The records that are rows of the table, in order (the others come with `fill_rest`).
        self._drawn: list[Any] = []
        self._rest_timer: Timer | None = None
        #: Enter was pressed before the first records came: the first row is chosen with them.
        self._choose_when_filled = False
        self._filled_once = False

    def on_mount(self) -> None:
        self.watch(self.app, "theme", self._redraw, init=False)

    def on_resize(self) -> None:
        self.call_after_refresh(self.fit)  # once the new size is known

    def watch_sorted_by(self) -> None:
        self.fitted = []  # the headers are written again
        self.fit()

    def watch_records(self) -> None:
        self._index = {self.key_of(r): i for i, r in enumerate(self.records)}
        if not self._fitting and not self.fit():
            self._fill()  # (while fitting, the rows are filled at its end)
        self._filled_once = True
        if not self.records:
            self._choose_when_filled = False  # nothing to open

    def action_select_cursor(self) -> None:
        """Enter. Pressed before the first records came (a quick key right after opening the
        screen), it is kept: the first row is chosen as soon as they come."""
        if not self._filled_once:
            self._choose_when_filled = True
            return
        super().action_select_cursor()

    # --- columns ----------------------------------------------------------------------------

    def _wanted(self) -> list[Column]:
        """The columns, those of width 0 as wide as their longest value (codes)."""
        wanted = []
        for spec in self.specs:
            if spec.width == 0:
                longest = max((_cell_len(self.cell_text(r, spec.key)) for r in self.records), default=0)
                spec = replace(spec, width=max(len(spec.label), longest))
            wanted.append(spec)
        return wanted

    def fit(self) -> bool:
        """Choose the columns and their widths for the width the table has; True if they changed."""
        if self._fitting or (not self.size.width and not self.screen.size.width):
            return False
        self._fitting = True
        try:
            return self._fit()
        finally:
            self._fitting = False

    def _fit(self) -> bool:
        layout = fit_columns(self._wanted(), table_width(self, self.screen))
        if [(c.key, w) for c, w in layout] == [(c.key, w) for c, w in self.fitted]:
            return False
        self.fitted = layout
        cursor = (self.highlighted_key, self.cursor_row)  # the columns cleared, the rows go too
        self.clear(columns=True)
        for column, width in layout:
            self.add_column(self._header(column, width), key=column.key, width=width)
        self._fill(cursor)
        return True

    def _header(self, column: Column, width: int) -> Text:
        if self.sorted_by is None or self.sorted_by[0] != column.key:
            return clip(column.label, width)
        arrow = " ▼" if self.sorted_by[1] else " ▲"
        return clip(column.label, max(width - len(arrow), 1)) + arrow

    @property
    def shown_columns(self) -> list[str]:
        """The keys of the columns shown at this width."""
        return [c.key for c, _w in self.fitted]

    # --- rows -------------------------------------------------------------------------------

    def _cells(self, record: Any) -> list[Text]:
        return [clip(self.cell_text(record, c.key), w) for c, w in self.fitted]

    def _fill(self, cursor: tuple[str | None, int] | None = None) -> None:
        """The records as rows, the cursor kept on its record (`cursor`: where it was before the
        columns were cleared, when they were)."""
        if not self.fitted:
            return  # the columns come once the table has a size
        # the rows on screen now, down to the cursor's record at least; the others shortly
        # (at once if the table has the focus: its keys move through every row)
        first = max(self.size.height, self.screen.size.height, 1) + MARGIN_ROWS
        if self._drawn and self._drawn == self.records[: len(self._drawn)]:
            # the rows drawn stay as they are (and the cursor with them); more may come
            self._add_rows(len(self.records) if self.has_focus else first)
            self._rest_later()
            return
        selected, row = cursor if cursor is not None else (self.highlighted_key, self.cursor_row)
        self.clear()
        first = max(first, self._index.get(selected or "", -1) + 1, row + 1)
        self._add_rows(len(self.records) if self.has_focus else first)
        self._rest_later()
        if selected in self._index:
            self.move_cursor(row=self._index[selected])
        elif self.row_count:
            self.move_cursor(row=min(row, self.row_count - 1))
        self.post_message(self.Highlighted(self, self.highlighted_record))

    def _add_rows(self, until: int) -> None:
        for record in self.records[len(self._drawn) : until]:
            self.add_row(*self._cells(record), key=self.key_of(record))
            self._drawn.append(record)
        if self._choose_when_filled and self.row_count:
            self._choose_when_filled = False
            self.call_after_refresh(self.action_select_cursor)  # once the cursor is on its row

    def _rest_later(self) -> None:
        """The records not yet rows come once typing pauses (`REST_AFTER_S`)."""
        if self._rest_timer is not None:
            self._rest_timer.stop()
            self._rest_timer = None
        if len(self._drawn) < len(self.records):
            self._rest_timer = self.set_timer(REST_AFTER_S, self.fill_rest)

    def clear(self, columns: bool = False) -> RecordTable:
        super().clear(columns)
        self._drawn = []
        return self

    def fill_rest(self) -> None:
        """Every record a row of the table (the first step drew those on screen)."""
        if self._rest_timer is not None:
            self._rest_timer.stop()
            self._rest_timer = None
        if self.fitted and len(self._drawn) < len(self.records):
            self._add_rows(len(self.records))

    def on_focus(self) -> None:
        self.fill_rest()

    def on_mouse_scroll_down(self) -> None:
        self.fill_rest()

    def _redraw(self) -> None:
        """Every row drawn again (the theme's colours changed)."""
        for record in self.records:
            self.update_record(record)

    def update_record(self, record: Any) -> None:
        """Replace one record and redraw its row in place (the others are left alone)."""
        key = self.key_of(record)
        index = self._index.get(key)
        if index is None:
            return
        self.records[index] = record  # the reactive list itself: no full refill
        if not self.fitted or key not in self.rows:
            return
        self._drawn[index] = record
        for (column, _w), value in zip(self.fitted, self._cells(record), strict=True):
            self.update_cell(key, column.key, value)
        if self.highlighted_key == key:
            self.post_message(self.Highlighted(self, record))

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> SegmentLines:
        """A body cell drawn straight from its text (already clipped to its column by `clip`),
        with the styles `DataTable` gives it but without Rich's padding and styling layers,
        which cost most of a redrawn screen. Headers, fixed cells and texts that do not fit on
        one line are drawn by `DataTable` (Textual 8's private method: the snapshots check it)."""
        if min(row_index - self.fixed_rows, column_index - self.fixed_columns) < 0:  # headers, fixed
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        if row_key is None or column_key is None:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        cache_key: CellCacheKey = (
            row_key,
            column_key,
            base_style,
            cursor,
            hover,
            self._show_hover_cursor,
            self._update_count,
            self._pseudo_class_state,
        )
        lines = self._cell_render_cache.get(cache_key)
        if lines is not None:
            return lines
        cell = self._get_row_renderables(row_index).cells[column_index]
        inner = width - 2 * self.cell_padding
        if (
            not isinstance(cell, Text)
            or self.rows[row_key].height != 1
            or cell.cell_len > inner
            or "\n" in cell.plain
            or "\t" in cell.plain
        ):
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        component_style, post_style = self._get_styles_to_render_cell(
            False,
            False,
            False,
            hover,
            cursor,
            self.show_cursor,
            self._show_hover_cursor,
            self.cursor_foreground_priority == "css",
            self.cursor_background_priority == "css",
        )
        pre_style = base_style + Style.from_meta({"row": row_index, "column": column_index}) + component_style
        blank = Style.null()
        padding = Segment(" " * self.cell_padding, blank)
        # (joined as Rich joins the lines it draws: the text's own style becomes a span)
        line = [padding, *_JOIN.join([cell]).render(self.app.console, end="")]
        if cell.cell_len < inner:
            line.append(Segment(" " * (inner - cell.cell_len), blank))
        line.append(padding)
        lines = [list(Segment.apply_style(line, style=pre_style, post_style=post_style))]
        self._cell_render_cache[cache_key] = lines
        return lines

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        """The table's size once rows are added: no cell measured when every column has its
        width and every row one line without a label (as `fit` and `_add_rows` make them)."""
        new_rows = list(new_rows)
        if any(c.auto_width for c in self.columns.values()) or any(
            (row := self.rows.get(key)) is not None and (row.label is not None or row.height != 1)
            for key in new_rows
        ):
            super()._update_dimensions(new_rows)
            return
        header = self.header_height if self.show_header else 0
        width = sum(column.get_render_width(self) for column in self.columns.values())
        self.virtual_size = Size(width + self._row_label_column_width, self._total_row_height + header)

    @property
    def highlighted_key(self) -> str | None:
        if not self.row_count:
            return None
        return str(self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value)

    @property
    def highlighted_record(self) -> Any | None:
        """The record under the cursor."""
        key = self.highlighted_key
        return self.records[self._index[key]] if key in self._index else None

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table is self:
            self.post_message(self.Highlighted(self, self.highlighted_record))
