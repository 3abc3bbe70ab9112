"""The indicators of an action: pick one, read its values by period and breakdown, pick a cell."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import DataTable, Select, Static

from store.fields import INDICATOR, INDICATOR_VALUE
from store.views.indicator_grid import IndicatorGrid
from tui.widgets.select_options import set_select_options

TOTAL = "__total__"
NO_INDICATOR = "Aucun indicateur : Ctrl+G pour en créer un."
HELP = "Entrée : saisir la valeur ; Ctrl+N : période ; Ctrl+B : ventilation ; Ctrl+G : indicateur."


def show_value(value: float | None) -> str:
    """A value as people read it ("1 234,5"), through the registry."""
    return INDICATOR_VALUE["value"].format(value)


class IndicatorGridView(Vertical):
    """A choice of indicator above the grid of its values (periods × total and breakdowns)."""

    grids: reactive[list[IndicatorGrid]] = reactive(list, always_update=True)
    #: Periods and breakdowns added but not yet given a value, per indicator code.
    pending: reactive[dict[str, tuple[frozenset[str], frozenset[str]]]] = reactive(dict, always_update=True)

    @dataclass
    class CellChosen(Message):
        """Enter on a value: the indicator, the period and the breakdown ("" for the total)."""

        grid: IndicatorGrid
        period: str
        category: str

    def compose(self) -> ComposeResult:
        yield Select[str]([], prompt="Indicateur", id="ind-select")
        yield Static(NO_INDICATOR, id="ind-info", markup=False)
        yield DataTable(id="ind-grid", cursor_type="cell", zebra_stripes=True)

    @property
    def current(self) -> IndicatorGrid | None:
        """The indicator chosen."""
        value = self.query_one("#ind-select", Select).value
        return next((g for g in self.grids if g.indicator.code == value), None)

    def add_period(self, code: str, period: str) -> None:
        periods, categories = self.pending.get(code, (frozenset(), frozenset()))
        self.pending = {**self.pending, code: (periods | {period}, categories)}

    def add_category(self, code: str, category: str) -> None:
        periods, categories = self.pending.get(code, (frozenset(), frozenset()))
        self.pending = {**self.pending, code: (periods, categories | {category})}

    def watch_grids(self, grids: list[IndicatorGrid]) -> None:
        select = self.query_one("#ind-select", Select)
        current = select.value
        set_select_options(
            select, [(f"{g.indicator.code} — {g.indicator.label}", g.indicator.code) for g in grids]
        )
        codes = [g.indicator.code for g in grids]
        if codes:
            select.value = current if current in codes else codes[0]
        self._show()

    def watch_pending(self) -> None:
        self._show()

    @on(Select.Changed, "#ind-select")
    def _chosen(self) -> None:
        self._show()

    def _show(self) -> None:
        grid = self.current
        table = self.query_one("#ind-grid", DataTable)
        table.clear(columns=True)
        info = self.query_one("#ind-info", Static)
        if grid is None:
            info.update(NO_INDICATOR)
            return
        ind = grid.indicator
        periods_extra, categories_extra = self.pending.get(ind.code, (frozenset(), frozenset()))
        categories = ["", *sorted((set(grid.categories) | categories_extra) - {""})]
        periods = sorted(set(grid.periods) | periods_extra)
        periodicity = INDICATOR["periodicity"].format(ind.periodicity)  # mid-sentence: « mensuelle »
        info.update(
            f"{ind.label} — {ind.unit or 'sans unité'}, {periodicity.lower()} ; "
            f"initiale {show_value(ind.baseline) or '—'}, cible {show_value(ind.target) or '—'}, "
            f"dernière valeur {show_value(grid.latest) or '—'}. {HELP}"
        )
        table.add_column("Période", key="period")
        for category in categories:
            table.add_column(category or "Total", key=category or TOTAL)
        for period in periods:
            table.add_row(period, *(show_value(grid.values.get((period, c))) for c in categories), key=period)

    @on(DataTable.CellSelected, "#ind-grid")
    def _cell_selected(self, event: DataTable.CellSelected) -> None:
        event.stop()
        grid = self.current
        column = str(event.cell_key.column_key.value)
        if grid is None or column == "period":
            return
        category = "" if column == TOTAL else column
        self.post_message(self.CellChosen(grid, str(event.cell_key.row_key.value), category))
