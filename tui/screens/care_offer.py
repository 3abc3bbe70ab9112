"""Offre de soins: existing versus target per activity, gaps highlighted."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Checkbox, DataTable, Static

from store.views.care_offer import CareOfferLine
from tui.screens.base import BaseScreen
from tui.widgets.columns import Column, clip, fit_columns, table_width, theme_style

#: Activity, existing, target and gap stay; modality and mention go when narrow.
COLUMNS = [
    Column("activity", "Activité", 22, flex=True, min_width=20),
    Column("modality", "Modalité", 36, flex=True, min_width=16, priority=2),
    Column("mention", "Mention", 30, flex=True, min_width=14, priority=3),
    Column("existing", "Existant", 8),
    Column("target", "Cible", 6),
    Column("gap", "Écart", len("au-delà de la cible")),
]


class CareOfferScreen(BaseScreen):
    """The quantitative targets of the care offer as the scheme writes them."""

    TITLE = "Offre de soins"
    BINDINGS = [Binding("g", "gaps", "Écarts seulement", tooltip="N'afficher que les lignes en écart")]

    @dataclass
    class Loaded(Message):
        offer_lines: list[CareOfferLine]

    def __init__(self) -> None:
        super().__init__()
        self.offer_lines: list[CareOfferLine] = []
        self._shown: list[CareOfferLine] = []
        self._layout: list[tuple[Column, int]] = []

    def compose_body(self) -> ComposeResult:
        yield Static("", id="care-summary", classes="screen-title", markup=False)
        yield Checkbox(
            "N'afficher que les écarts (existant inférieur ou supérieur à la cible)",
            id="gaps-only",
            compact=True,
        )
        yield DataTable(id="care-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="care-detail", classes="row-detail", markup=False)

    def on_mount(self) -> None:
        self.call_after_refresh(self._fit_columns)
        self.refresh_data()
        self.query_one("#care-table").focus()  # ↑ ↓ go through the lines at once (g: the check box)

    def on_resize(self, _event: events.Resize) -> None:
        self.call_after_refresh(self._fit_columns)  # once the table has its new size

    def _fit_columns(self) -> None:
        """Choose the columns and their widths for the width the table has now."""
        table = self.query_one("#care-table", DataTable)
        layout = fit_columns(COLUMNS, table_width(table, self))
        if [(c.key, w) for c, w in layout] == [(c.key, w) for c, w in self._layout]:
            return
        self._layout = layout
        table.clear(columns=True)
        for column, width in layout:
            table.add_column(column.label, key=column.key, width=width)
        self._show_lines()

    def refresh_data(self) -> None:
        self.load()

    @work(thread=True, exit_on_error=False, exclusive=True)
    def load(self) -> None:
        self.post_message(self.Loaded(self.service.care_offer()))

    @on(Loaded)
    def show(self, message: Loaded) -> None:
        self.offer_lines = message.offer_lines
        self._show_lines()

    @on(Checkbox.Changed, "#gaps-only")
    def _toggled(self) -> None:
        self._show_lines()

    def action_gaps(self) -> None:
        box = self.query_one("#gaps-only", Checkbox)
        box.value = not box.value

    def _gap(self, line: CareOfferLine) -> Text:
        colours = self.app.theme_variables
        if line.gap:
            return Text(f"{line.gap} à créer", style=theme_style(colours, "bold $text-error"))
        if line.above_target:
            return Text("au-delà de la cible", style=theme_style(colours, "$text-warning"))
        if line.existing is not None and line.target is not None:
            return Text("atteint", style=theme_style(colours, "$text-success"))
        return Text("")

    def _show_lines(self) -> None:
        gaps_only = self.query_one("#gaps-only", Checkbox).value
        self._shown = [line for line in self.offer_lines if not gaps_only or line.gap or line.above_target]
        missing = sum(1 for line in self.offer_lines if line.gap)
        self.query_one("#care-summary", Static).update(
            f"{len(self.offer_lines)} lignes d'objectifs quantitatifs ; {missing} sous la cible. "
            "Les cibles « 0/1 » ou « 1 / 2 » sont des fourchettes."
        )
        if not self._layout:
            return  # the columns come once the table has a size
        table = self.query_one("#care-table", DataTable)
        table.clear()
        keys = {c.key for c, _w in self._layout}
        # Without the modality column, each line names its activity and modality (no blank repeats).
        together = "modality" not in keys
        previous = None
        for line in self._shown:
            if together:
                activity = " · ".join(filter(None, (line.activity, line.modality)))
            else:
                activity = line.activity if line.activity != previous else ""
            previous = line.activity
            cells: dict[str, str | Text] = {
                "activity": activity,
                "modality": line.modality or "",
                "mention": line.mention or "",
                "existing": line.existing or "",
                "target": line.target or "",
                "gap": self._gap(line),
            }
            table.add_row(*(clip(cells[c.key], w) for c, w in self._layout))
        self._show_detail()

    @on(DataTable.RowHighlighted, "#care-table")
    def _show_detail(self) -> None:
        """The whole highlighted line under the table (the cells may end in "…")."""
        table = self.query_one("#care-table", DataTable)
        detail = self.query_one("#care-detail", Static)
        if not table.row_count or not 0 <= table.cursor_row < len(self._shown):
            detail.update("")
            return
        line = self._shown[table.cursor_row]
        parts = [
            line.activity,
            line.modality or "",
            f"mention : {line.mention}" if line.mention else "",
            f"existant : {line.existing or '—'}",
            f"cible : {line.target or '—'}",
            self._gap(line).plain,
        ]
        detail.update(Text(" · ".join(p for p in parts if p)))
