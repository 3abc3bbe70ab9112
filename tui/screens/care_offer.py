"""Offre de soins: existing versus target per activity, gaps highlighted."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Checkbox, DataTable, Static

from store.views.care_offer import CareOfferLine
from tui.screens.base import BaseScreen


class CareOfferScreen(BaseScreen):
    """The quantitative targets of the care offer as the scheme writes them."""

    TITLE = "Offre de soins"
    BINDINGS = [Binding("g", "gaps", "Écarts seulement", tooltip="N'afficher que les lignes en écart")]

    class Loaded(Message):
        def __init__(self, lines: list[CareOfferLine]) -> None:
            super().__init__()
            self.offer_lines = lines

    def __init__(self) -> None:
        super().__init__()
        self.offer_lines: list[CareOfferLine] = []

    def compose_body(self) -> ComposeResult:
        yield Static("", id="care-summary", classes="screen-title")
        yield Checkbox(
            "N'afficher que les écarts (existant inférieur ou supérieur à la cible)", id="gaps-only"
        )
        yield DataTable(id="care-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one("#care-table", DataTable)
        table.add_column("Activité", width=22)
        table.add_column("Modalité", width=36)
        table.add_column("Mention", width=30)
        table.add_columns("Existant", "Cible", "Écart")
        self.refresh_data()

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

    def _show_lines(self) -> None:
        gaps_only = self.query_one("#gaps-only", Checkbox).value
        table = self.query_one("#care-table", DataTable)
        table.clear()
        previous = None
        missing = sum(1 for line in self.offer_lines if line.gap)
        for line in self.offer_lines:
            if gaps_only and not (line.gap or line.above_target):
                continue
            if line.gap:
                gap = Text(f"{line.gap} à créer", style="bold red")
            elif line.above_target:
                gap = Text("au-delà de la cible", style="dark_orange")
            elif line.existing is not None and line.target is not None:
                gap = Text("atteint", style="green")
            else:
                gap = Text("")
            activity = line.activity if line.activity != previous else ""
            previous = line.activity
            table.add_row(
                activity,
                line.modality or "",
                line.mention or "",
                line.existing or "",
                line.target or "",
                gap,
            )
        self.query_one("#care-summary", Static).update(
            f"{len(self.offer_lines)} lignes d'objectifs quantitatifs ; {missing} sous la cible. "
            "Les cibles « 0/1 » ou « 1 / 2 » sont des fourchettes."
        )
