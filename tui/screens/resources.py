"""Ressources aidants et répit: list, filters, search, and the coverage matrix."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, replace
from typing import Any

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Checkbox, DataTable, Input, Select, Static, TabbedContent, TabPane

from store.resources import ResourceData
from store.views.coverage import CoverageMatrix
from store.views.resource_list import ResourceFilter, ResourceRow, TownInBassin
from store.vocab import AUDIENCES, RESOURCE_TYPES, ResourceStatus
from tui.screens.base import BaseScreen
from tui.widgets.columns import Column, clip, table_width, theme_style
from tui.widgets.confirm_dialog import ConfirmDialog
from tui.widgets.record_table import RecordTable
from tui.widgets.select_options import set_select_options

#: Name, type, territories and status stay; the others go (highest priority first) when narrow.
COLUMNS = [
    Column("code", "Code", 12, priority=3),
    Column("name", "Nom", 36, flex=True, min_width=32),
    Column("kind", "Type", 24, flex=True, min_width=14),
    Column("audiences", "Public", 30, flex=True, min_width=16, priority=6),
    Column("carrier", "Porteur", 20, flex=True, min_width=14, priority=5),
    Column("territories", "Territoires", 24, flex=True, min_width=12),
    Column("status", "Statut", max(len(s.label) for s in ResourceStatus)),
    Column("check", "Vérification", 12, priority=2),
]
#: Matrix cells: a count, or "aucune" for a gap; at least this wide (and as wide as the longest
#: word of a header), so that headers stay readable.
COVERAGE_CELL = 8
COVERAGE_HEADER_LINES = 3
#: Shorter headers for the matrix when the whole one does not fit (the detail line says it in full).
SHORT_LABELS = {
    "Personnes en situation de handicap": "Situation de handicap",
    "Plateforme d'accompagnement et de répit": "Plateforme de répit",
    "Centre de ressources territorial": "Centre de ressources",
    "Dispositif jeunes aidants": "Dispositif jeunes aidants",
}


def wrap_label(label: str, width: int, lines: int = COVERAGE_HEADER_LINES) -> Text:
    """A column header on at most `lines` lines of `width` cells (the last one ends in "…" if cut)."""
    wrapped = textwrap.wrap(label, width) or [""]
    if len(wrapped) > lines or any(len(line) > width for line in wrapped):
        wrapped = textwrap.wrap(SHORT_LABELS.get(label, label), width) or [""]
    if len(wrapped) > lines:
        wrapped = [*wrapped[: lines - 1], " ".join(wrapped[lines - 1 :])]
    return Text("\n").join(clip(line, width) for line in wrapped)


class ResourcesScreen(BaseScreen):
    """Who offers respite to whom, where — and where nobody does."""

    SEARCH_BOX = "#resource-search"

    TITLE = "Ressources aidants et répit"
    WRITE_ACTIONS = frozenset({"new", "close_resource"})
    BINDINGS = [
        Binding("slash", "search", "Chercher", tooltip="Aller au champ de recherche"),
        Binding("down", "results", "Résultats", show=False, tooltip="Du champ de recherche aux résultats"),
        Binding("n", "new", "Nouvelle", tooltip="Ajouter une ressource"),
        Binding("m", "close_resource", "Fermer la ressource", tooltip="Marquer la ressource comme fermée"),
        Binding("c", "coverage", "Couverture", tooltip="Matrice territoire × public"),
        Binding("p", "toggle_axis", "Public/type", tooltip="Couverture par public ou par type", show=False),
    ]

    @dataclass
    class Loaded(Message):
        rows: list[ResourceRow]
        criteria: ResourceFilter
        #: the towns of the document the search names, with their bassin
        towns: list[TownInBassin]
        #: nothing mentions the search: `rows` are the resources of the whole department
        everywhere: bool = False

    @dataclass
    class CoverageLoaded(Message):
        matrix: CoverageMatrix
        by: str

    @dataclass
    class TerritoriesLoaded(Message):
        territories: list[tuple[str, str]]

    @dataclass
    class Closed(Message):
        resource: ResourceData

    def __init__(self) -> None:
        super().__init__()
        self.criteria = ResourceFilter()
        self.axis = "public"
        self._matrix: CoverageMatrix | None = None
        self._matrix_layout: tuple[int, int] = (0, 0)
        #: Entrée was pressed in the search box before its results arrived: open the first one.
        self._open_when_loaded = False

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
                yield Static("", id="resource-count", markup=False)
                yield RecordTable(COLUMNS, self._cell, key=lambda r: r.code, id="resource-table")
                yield Static("", id="resource-detail", classes="row-detail", markup=False)
            with TabPane("Couverture", id="tab-coverage"):
                yield Static("", id="coverage-title", classes="section-title", markup=False)
                yield DataTable(
                    id="coverage-table",
                    cursor_type="cell",
                    fixed_columns=1,
                    header_height=COVERAGE_HEADER_LINES,
                )
                yield Static("", id="coverage-detail", classes="row-detail", markup=False)
                yield Static(
                    "Rouge : aucune offre existante pour ce public sur ce bassin. "
                    "Une ressource départementale couvre tous les bassins. (p : public ↔ type)",
                    id="coverage-legend",
                )

    def on_mount(self) -> None:
        self.call_after_refresh(self._fill_matrix)
        self.load_territories()
        self.refresh_data()
        self.query_one("#resource-table").focus()  # ↑ ↓ and Entrée on the list at once

    def on_resize(self, _event: events.Resize) -> None:
        self.call_after_refresh(self._fill_matrix)  # once the matrix has its new size

    @on(TabbedContent.TabActivated)
    def _tab_shown(self) -> None:
        self.call_after_refresh(self._fill_matrix)
        self.refresh_bindings()  # the keys of the tab shown

    #: Keys of one tab only: elsewhere they are no keys of the screen (« p » typed on the list
    #: begins « plateforme » instead of turning the hidden matrix; « m » on the matrix would close
    #: the resource highlighted in the hidden list).
    TAB_ACTIONS = {"toggle_axis": "tab-coverage", "close_resource": "tab-list"}

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        tab = self.TAB_ACTIONS.get(action)
        if (
            tab is not None
            and self.is_mounted
            and self.query_one("#resource-tabs", TabbedContent).active != tab
        ):
            return False
        return super().check_action(action, parameters)

    def refresh_data(self) -> None:
        self.load(self.criteria)
        self.load_coverage(self.axis)

    @work(thread=True, exit_on_error=False, group="territories")
    def load_territories(self) -> None:
        self.post_message(self.TerritoriesLoaded(self.service.filter_choices()["territories"]))

    @on(TerritoriesLoaded)
    def territories(self, message: TerritoriesLoaded) -> None:
        set_select_options(self.query_one("#rf-territories", Select), message.territories)

    @work(thread=True, exit_on_error=False, exclusive=True, group="resources")
    def load(self, criteria: ResourceFilter) -> None:
        towns = self.service.searched_towns(criteria.search) if criteria.search.strip() else []
        rows = self.service.resources(criteria)
        if rows or not criteria.search.strip() or towns:
            self.post_message(self.Loaded(rows, criteria, towns))
            return
        # a place the reference does not name (« Saint-Girons »): what serves the whole department
        everywhere = self.service.resources_everywhere(criteria)
        self.post_message(self.Loaded(everywhere, criteria, towns, everywhere=bool(everywhere)))

    @work(thread=True, exit_on_error=False, exclusive=True, group="coverage")
    def load_coverage(self, axis: str) -> None:
        self.post_message(self.CoverageLoaded(self.service.coverage(axis), axis))

    @on(Loaded)
    def show(self, message: Loaded) -> None:
        if message.criteria != self.criteria:
            return
        self.query_one("#resource-table", RecordTable).records = message.rows
        count = f"{len(message.rows)} ressource(s)"
        for town in message.towns:  # the search named a town: say which bassin, and on what ground
            count += f" — {town.town} : bassin {town.bassin} (d'après le schéma)"
        searched = self.criteria.search.strip()
        if message.everywhere:
            count = (
                f"Aucune ressource ne mentionne «\u00a0{searched}\u00a0» : voici les {len(message.rows)} "
                "qui couvrent tout le département (donc ce lieu, s'il en fait partie). Pour un bassin : "
                "le filtre Territoire."
            )
        elif not message.rows and searched:
            count += (
                f" : aucune ne mentionne « {searched} » (nom, public, type, commune, "
                "bassin, porteur). Essayez le filtre Territoire, ou la couverture (c) pour voir les manques."
            )
        self.query_one("#resource-count", Static).update(count)
        if self._open_when_loaded:
            self._open_when_loaded = False
            self._open_first()

    def _cell(self, r: ResourceRow, key: str) -> str | Text:
        if key == "check":
            colours = self.app.theme_variables
            if r.needs_verification:
                return Text("à vérifier", style=theme_style(colours, "bold $text-warning"))
            return Text("à jour", style=theme_style(colours, "$text-success"))
        if key == "status":
            return Text(r.status_label, style="dim" if r.status == ResourceStatus.CLOSED.value else "")
        return str(getattr(r, key) or "")

    @on(RecordTable.Highlighted, "#resource-table")
    def _show_detail(self, message: RecordTable.Highlighted) -> None:
        """The whole highlighted resource under the table (the cells may end in "…")."""
        r: ResourceRow | None = message.record
        detail = self.query_one("#resource-detail", Static)
        if r is None:
            detail.update("")
            return
        parts = [
            f"{r.code} — {r.name}",
            r.kind,
            f"public : {r.audiences}" if r.audiences else "",
            f"porteur : {r.carrier}" if r.carrier else "",
            f"territoires : {r.territories}" if r.territories else "",
            f"commune : {r.commune}" if r.commune else "",
            r.status_label.lower(),
            "à vérifier" if r.needs_verification else "vérifiée",
        ]
        detail.update(Text(" · ".join(p for p in parts if p)))

    @on(CoverageLoaded)
    def show_coverage_matrix(self, message: CoverageLoaded) -> None:
        self._matrix = message.matrix
        self._matrix_layout = (0, 0)
        self._fill_matrix()
        axis = "public" if message.by == "public" else "type de ressource"
        self.query_one("#coverage-title", Static).update(
            f"Couverture par bassin et par {axis} : {len(message.matrix.gaps())} manque(s)"
        )
        which = "ce public" if message.by == "public" else "ce type de ressource"
        self.query_one("#coverage-legend", Static).update(
            f"Rouge : aucune offre existante pour {which} sur ce bassin. Une ressource départementale "
            "couvre tous les bassins. (p : public ↔ type ; ← → : autres colonnes)"
        )

    def _fill_matrix(self) -> None:
        """The matrix with its headers wrapped on three lines, as narrow as the table needs."""
        matrix = self._matrix
        if matrix is None:
            return
        table = self.query_one("#coverage-table", DataTable)
        available = table_width(table, self)
        names = [name for _code, name in matrix.territories]
        header = min(max((len(n) for n in names), default=6), 20)
        n = max(len(matrix.columns), 1)
        longest_word = max((len(w) for c in matrix.columns for w in c.split()), default=COVERAGE_CELL)
        share = (available - header - 2) // n - 2
        # As wide as the longest word if there is room; else narrower, down to COVERAGE_CELL
        # (then the table scrolls sideways, the bassin column staying in place).
        pieces = [w for c in matrix.columns for w in SHORT_LABELS.get(c, c).replace("-", "- ").split()]
        narrowest = max([COVERAGE_CELL, *(len(w) for w in pieces)])
        width = max(narrowest, min(share, longest_word))
        if self._matrix_layout == (available, width) and table.columns:
            return
        self._matrix_layout = (available, width)
        cursor = table.cursor_coordinate
        colours = self.app.theme_variables
        found = theme_style(colours, "bold $text-success")
        gap = theme_style(colours, "bold reverse $error")
        table.clear(columns=True)
        table.add_column("Bassin", key="territory", width=header)
        for column in matrix.columns:
            table.add_column(wrap_label(column, width), key=column, width=width)
        for code, name in matrix.territories:
            cells: list[Any] = [clip(name, header)]
            for column in matrix.columns:
                count = matrix.counts.get((code, column), 0)
                cells.append(
                    Text(f"{count}".center(width), style=found)
                    if count
                    else Text("aucune".center(width), style=gap)
                )
            table.add_row(*cells, key=code)
        table.cursor_coordinate = cursor
        self._show_cell()

    @on(DataTable.CellHighlighted, "#coverage-table")
    def _show_cell(self) -> None:
        """The highlighted cell in words: bassin, public (or type), how many resources."""
        matrix = self._matrix
        table = self.query_one("#coverage-table", DataTable)
        detail = self.query_one("#coverage-detail", Static)
        if matrix is None or not table.row_count:
            detail.update("")
            return
        row, col = table.cursor_coordinate
        code, name = matrix.territories[row]
        if col == 0:
            detail.update(f"{name} : {sum(matrix.counts.get((code, c), 0) for c in matrix.columns)} offre(s)")
            return
        column = matrix.columns[col - 1]
        count = matrix.counts.get((code, column), 0)
        what = f"{count} ressource(s)" if count else "aucune offre existante"
        detail.update(f"{name} × {column} : {what}")

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
        self._open(str(event.row_key.value))

    def _open(self, code: str) -> None:
        from tui.screens.resource_form import ResourceFormScreen

        self.app.push_screen(ResourceFormScreen(code))

    @on(Input.Submitted, "#resource-search")
    def search_done(self) -> None:
        """Entrée in the search box opens the first resource found (as on the Actions list),
        once the search has run."""
        self.query_one("#resource-table").focus()
        if self.loading_in("resources"):
            self._open_when_loaded = True
        else:
            self._open_first()

    def _open_first(self) -> None:
        code = self.query_one("#resource-table", RecordTable).highlighted_key
        if code is not None:
            self._open(code)

    # --- keys ----------------------------------------------------------------------------------

    def action_search(self) -> None:
        self.show_list()
        self.query_one("#resource-search", Input).focus()

    def action_results(self) -> None:
        """Down in the search box: to the results, the first one highlighted."""
        if self.focused is self.query_one("#resource-search", Input):
            self.query_one("#resource-table").focus()

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
        code = self.query_one("#resource-table", RecordTable).highlighted_key
        if code is None:
            return

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
