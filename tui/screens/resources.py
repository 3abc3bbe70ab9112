"""Ressources aidants et répit: list, filters, search, and the coverage matrix."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Checkbox, DataTable, Input, Select, Static, TabbedContent, TabPane

from store.resources import ResourceData
from store.views.coverage import CoverageMatrix
from store.views.resource_list import ResourceFilter, ResourceRow
from store.vocab import AUDIENCES, RESOURCE_TYPES, ResourceStatus
from tui.screens.base import BaseScreen
from tui.widgets.confirm_dialog import ConfirmDialog


class ResourcesScreen(BaseScreen):
    """Who offers respite to whom, where — and where nobody does."""

    TITLE = "Ressources aidants et répit"
    BINDINGS = [
        Binding("slash", "search", "Chercher", tooltip="Aller au champ de recherche"),
        Binding("n", "new", "Nouvelle", tooltip="Ajouter une ressource"),
        Binding("m", "close_resource", "Fermer la ressource", tooltip="Marquer la ressource comme fermée"),
        Binding("c", "coverage", "Couverture", tooltip="Matrice territoire × public"),
        Binding("p", "toggle_axis", "Public/type", tooltip="Couverture par public ou par type", show=False),
    ]

    class Loaded(Message):
        def __init__(self, rows: list[ResourceRow], criteria: ResourceFilter) -> None:
            super().__init__()
            self.rows = rows
            self.criteria = criteria

    class CoverageLoaded(Message):
        def __init__(self, matrix: CoverageMatrix, by: str) -> None:
            super().__init__()
            self.matrix = matrix
            self.by = by

    class TerritoriesLoaded(Message):
        def __init__(self, territories: list[tuple[str, str]]) -> None:
            super().__init__()
            self.territories = territories

    class Closed(Message):
        def __init__(self, resource: ResourceData) -> None:
            super().__init__()
            self.resource = resource

    def __init__(self) -> None:
        super().__init__()
        self.criteria = ResourceFilter()
        self.axis = "public"

    def compose_body(self) -> ComposeResult:
        with TabbedContent(id="resource-tabs"):
            with TabPane("Liste", id="tab-list"):
                yield Input(
                    placeholder="Rechercher une ressource, une commune…", id="resource-search", compact=True
                )
                with Horizontal(id="resource-filters"):
                    yield Select(
                        [(t, t) for t in RESOURCE_TYPES],
                        prompt="Type",
                        id="rf-kinds",
                        classes="rfilter",
                        compact=True,
                    )
                    yield Select(
                        [(a, a) for a in AUDIENCES],
                        prompt="Public",
                        id="rf-audiences",
                        classes="rfilter",
                        compact=True,
                    )
                    yield Select[str](
                        [], prompt="Territoire", id="rf-territories", classes="rfilter", compact=True
                    )
                    yield Select(
                        [(s.label, s.value) for s in ResourceStatus],
                        prompt="Statut",
                        id="rf-statuses",
                        classes="rfilter",
                        compact=True,
                    )
                    yield Checkbox("À vérifier", id="rf-unverified", compact=True)
                yield Static("", id="resource-count")
                yield DataTable(id="resource-table", cursor_type="row", zebra_stripes=True)
            with TabPane("Couverture", id="tab-coverage"):
                yield Static("", id="coverage-title", classes="section-title")
                yield DataTable(id="coverage-table", cursor_type="cell")
                yield Static(
                    "Rouge : aucune offre existante pour ce public sur ce bassin. "
                    "Une ressource départementale couvre tous les bassins. (p : public ↔ type)",
                    id="coverage-legend",
                )

    def on_mount(self) -> None:
        table = self.query_one("#resource-table", DataTable)
        table.add_column("Code")
        table.add_column("Nom", width=36)
        table.add_column("Type", width=24)
        table.add_column("Public", width=30)
        table.add_column("Porteur", width=20)
        table.add_column("Territoires", width=24)
        table.add_columns("Statut", "Vérification")
        self.load_territories()
        self.refresh_data()

    def refresh_data(self) -> None:
        self.load(self.criteria)
        self.load_coverage(self.axis)

    @work(thread=True, exit_on_error=False, group="territories")
    def load_territories(self) -> None:
        self.post_message(self.TerritoriesLoaded(self.service.filter_choices()["territories"]))

    @on(TerritoriesLoaded)
    def territories(self, message: TerritoriesLoaded) -> None:
        self.query_one("#rf-territories", Select).set_options(message.territories)

    @work(thread=True, exit_on_error=False, exclusive=True, group="resources")
    def load(self, criteria: ResourceFilter) -> None:
        self.post_message(self.Loaded(self.service.resources(criteria), criteria))

    @work(thread=True, exit_on_error=False, exclusive=True, group="coverage")
    def load_coverage(self, axis: str) -> None:
        self.post_message(self.CoverageLoaded(self.service.coverage(axis), axis))

    @on(Loaded)
    def show(self, message: Loaded) -> None:
        if message.criteria != self.criteria:
            return
        table = self.query_one("#resource-table", DataTable)
        table.clear()
        for r in message.rows:
            check = (
                Text("à vérifier", style="bold dark_orange")
                if r.needs_verification
                else Text("à jour", style="green")
            )
            status = Text(r.status_label, style="dim" if r.status == ResourceStatus.CLOSED.value else "")
            table.add_row(
                r.code, r.name, r.kind, r.audiences, r.carrier or "", r.territories, status, check, key=r.code
            )
        self.query_one("#resource-count", Static).update(f"{len(message.rows)} ressource(s)")

    @on(CoverageLoaded)
    def show_coverage_matrix(self, message: CoverageLoaded) -> None:
        matrix = message.matrix
        table = self.query_one("#coverage-table", DataTable)
        table.clear(columns=True)
        table.add_column("Bassin", key="territory")
        for column in matrix.columns:
            table.add_column(column, key=column)
        for code, name in matrix.territories:
            cells: list[Any] = [name]
            for column in matrix.columns:
                count = matrix.counts.get((code, column), 0)
                cells.append(
                    Text(f" {count} ", style="bold white on dark_green")
                    if count
                    else Text(" aucune ", style="bold white on red")
                )
            table.add_row(*cells, key=code)
        axis = "public" if message.by == "public" else "type de ressource"
        self.query_one("#coverage-title", Static).update(
            f"Couverture par bassin et par {axis} : {len(matrix.gaps())} manque(s)"
        )

    # --- filters ------------------------------------------------------------------------------

    def _changed(self, **changes: Any) -> None:
        self.criteria = replace(self.criteria, **changes)
        self.load(self.criteria)

    @on(Input.Changed, "#resource-search")
    def search(self, event: Input.Changed) -> None:
        self._changed(search=event.value)

    @on(Select.Changed, ".rfilter")
    def filter_changed(self, event: Select.Changed) -> None:
        key = (event.select.id or "").removeprefix("rf-")
        self._changed(**{key: () if event.value is Select.NULL else (str(event.value),)})

    @on(Checkbox.Changed, "#rf-unverified")
    def unverified(self, event: Checkbox.Changed) -> None:
        self._changed(unverified_only=event.value)

    @on(DataTable.RowSelected, "#resource-table")
    def open_resource(self, event: DataTable.RowSelected) -> None:
        from tui.screens.resource_form import ResourceFormScreen

        self.app.push_screen(ResourceFormScreen(str(event.row_key.value)))

    # --- keys ----------------------------------------------------------------------------------

    def action_search(self) -> None:
        self.show_list()
        self.query_one("#resource-search", Input).focus()

    def show_list(self) -> None:
        self.query_one("#resource-tabs", TabbedContent).active = "tab-list"

    def show_coverage(self) -> None:
        """Open the coverage matrix tab."""
        self.query_one("#resource-tabs", TabbedContent).active = "tab-coverage"
        self.query_one("#coverage-table", DataTable).focus()

    def action_coverage(self) -> None:
        self.show_coverage()

    def action_toggle_axis(self) -> None:
        self.axis = "type" if self.axis == "public" else "public"
        self.load_coverage(self.axis)

    def action_new(self) -> None:
        if self.refuse_if_read_only():
            return
        from tui.screens.resource_form import ResourceFormScreen

        self.app.push_screen(ResourceFormScreen(None))

    def action_close_resource(self) -> None:
        if self.refuse_if_read_only():
            return
        table = self.query_one("#resource-table", DataTable)
        if not table.row_count:
            return
        code = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.close_resource(code)

        self.app.push_screen(
            ConfirmDialog(f"Marquer la ressource {code} comme fermée ?", confirm="Fermer"), confirmed
        )

    @work(thread=True, exit_on_error=False, group="save")
    def close_resource(self, code: str) -> None:
        before = self.service.resource(code)
        if before is None:
            return
        after = self.service.save_resource(before, replace(before, status=ResourceStatus.CLOSED.value))
        self.post_message(self.Closed(after))

    @on(Closed)
    def closed(self, message: Closed) -> None:
        self.notify(f"Ressource {message.resource.code} marquée fermée.")
        self.refresh_data()
