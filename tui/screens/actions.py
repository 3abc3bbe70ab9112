"""Actions: every action, live search, filters, sort, a window of rows; Enter opens one."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Checkbox, DataTable, Input, Select, Static
from textual.worker import Worker

from store.fields import ACTION
from store.views.action_list import SORT_COLUMNS, ActionFilter, ActionPage, ActionRow
from store.vocab import ActionStatus
from tui.screens.base import BaseScreen
from tui.widgets.choice_dialog import ChoiceDialog
from tui.widgets.columns import Column, theme_style
from tui.widgets.record_table import RecordTable
from tui.widgets.select_options import set_select_options
from tui.widgets.text_dialog import TextDialog

PAGE = 200
WEATHER_STYLE = {"vert": "$text-success", "orange": "$text-warning", "rouge": "$text-error"}
#: What the user acts on stays (priority 0); the others go, highest priority first, when narrow.
COLUMNS = [
    Column("code", SORT_COLUMNS["code"], 7),
    Column("title", SORT_COLUMNS["title"], 44, flex=True, min_width=40),
    Column("objective", SORT_COLUMNS["objective"], 9, priority=2),
    Column("lead", SORT_COLUMNS["lead"], 20, flex=True, min_width=14, priority=3),
    # the longest status ("Non renseigné"), or "⚠ " and an open one (only open ones are late)
    Column("status", SORT_COLUMNS["status"], max(len(s.label) for s in ActionStatus)),
    Column("weather", SORT_COLUMNS["weather"], 6),
    Column("progress", SORT_COLUMNS["progress"], 10),
    Column("due_date", SORT_COLUMNS["due_date"], 10),
    Column("territories", "Territoires", 22, flex=True, min_width=14, priority=4),
]
#: Filters the widgets above the table do not show (set from the Schéma, the dashboard…).
HIDDEN_FILTER_LABELS = (("engagements", "engagement"), ("challenges", "défi"), ("objectives", "objectif"))
FILTER_SELECTS = (
    ("statuses", "Statut"),
    ("leads", "Pilote"),
    ("territories", "Territoire"),
    ("themes", "Thème"),
    ("pathways", "Parcours"),
    ("engagements", "Engagement"),
)


class ActionsScreen(BaseScreen):
    """The table of actions; filtering and sorting happen in the store, a window is shown."""

    SEARCH_BOX = "#search"

    TITLE = "Actions"
    WRITE_ACTIONS = frozenset({"new", "save_filter"})
    BINDINGS = [
        Binding("slash", "search", "Chercher", tooltip="Aller au champ de recherche"),
        Binding("n", "new", "Nouvelle", tooltip="Créer une action"),
        Binding("t", "sort", "Trier", tooltip="Choisir la colonne de tri"),
        Binding("i", "invert", "Inverser", show=False, tooltip="Inverser l'ordre de tri"),
        Binding("s", "save_filter", "Enregistrer le filtre", tooltip="Nommer et garder ce filtre"),
        Binding("f", "load_filter", "Filtres", tooltip="Appliquer un filtre enregistré"),
        Binding("x", "export", "Exporter", tooltip="Exporter en Excel (classeur ARS ou rapport CTS)"),
        Binding("e", "reset", "Effacer filtres", tooltip="Revenir à toutes les actions"),
        Binding(
            "o",
            "clear_scheme_filter",
            "Retirer le filtre du schéma",
            show=False,
            tooltip="Retirer le filtre engagement / défi / objectif venu du Schéma",
        ),
        Binding("down", "results", "Résultats", show=False, tooltip="Du champ de recherche aux résultats"),
        Binding("right_square_bracket", "next_page", "Suivantes", show=False, tooltip="Fenêtre suivante"),
        Binding(
            "left_square_bracket", "previous_page", "Précédentes", show=False, tooltip="Fenêtre précédente"
        ),
    ]

    @dataclass
    class Loaded(Message):
        page: ActionPage
        criteria: ActionFilter

    @dataclass
    class ChoicesLoaded(Message):
        choices: dict[str, list[tuple[str, str]]]

    @dataclass
    class ExportCodes(Message):
        """The codes of every action the filtered list shows (all its windows)."""

        codes: list[str]
        criteria: ActionFilter

    def __init__(self) -> None:
        super().__init__()
        self.criteria = ActionFilter()
        self.row_offset = 0
        #: What was typed in the search box while a search was running: searched once it answers.
        self._typed: str | None = None
        #: Enter was pressed in the search box before its results arrived: open the first one.
        self._open_when_loaded = False

    def compose_body(self) -> ComposeResult:
        yield Input(placeholder="Rechercher (accents et majuscules indifférents)…", id="search", compact=True)
        with Horizontal(id="filters"):
            for key, label in FILTER_SELECTS:
                yield Select[str]([], prompt=label, id=f"filter-{key}", classes="filter", compact=True)
            yield Checkbox("En retard", id="filter-late", compact=True)
        yield Static("", id="count", markup=False)
        yield Static("", id="scheme-filter", markup=False)
        yield RecordTable(COLUMNS, self._cell, key=lambda r: r.code, id="actions-table")
        yield Static("", id="action-detail", classes="row-detail", markup=False)

    def on_mount(self) -> None:
        self._show_scheme_filter()
        self.load_choices()
        self.query_one("#actions-table").focus()
        # the list is read on ScreenResume (BaseScreen), which follows the mount

    def refresh_data(self) -> None:
        self.load(self.criteria, self.row_offset)
        self.warm_up_search()

    # --- loading ------------------------------------------------------------------------

    @work(thread=True, exit_on_error=False, group="choices")
    def load_choices(self) -> None:
        self.post_message(self.ChoicesLoaded(self.service.filter_choices()))

    @work(thread=True, exit_on_error=False, exclusive=True, group="search-index")
    def warm_up_search(self) -> None:
        """The search index of the store as it is now, built before the first key needs it: when
        the list opens and when it comes back after a save (nothing to do if the store is
        unchanged)."""
        self.service.warm_up_search()

    @work(thread=True, exit_on_error=False, exclusive=True, group="actions")
    def load(self, criteria: ActionFilter, offset: int) -> None:
        self.post_message(self.Loaded(self.service.action_page(criteria, offset, PAGE), criteria))

    @on(ChoicesLoaded)
    def fill_filters(self, message: ChoicesLoaded) -> None:
        with self.prevent(Input.Changed, Select.Changed, Checkbox.Changed):
            for key, _label in FILTER_SELECTS:
                set_select_options(self.query_one(f"#filter-{key}", Select), message.choices.get(key, []))
            self._sync_widgets(search=False)  # what is being typed stays

    @on(Loaded)
    def show(self, message: Loaded) -> None:
        if message.criteria != self.criteria:
            return  # an older request
        page = message.page
        table = self.query_one("#actions-table", RecordTable)
        shown = f"{page.offset + 1}–{page.offset + len(page.rows)}" if page.rows else "0"
        more = "  ( ] suivantes / [ précédentes )" if page.total > PAGE else ""
        with self.app.batch_update():  # the rows and the count line in one drawing
            table.sorted_by = (self.criteria.sort, self.criteria.descending)
            table.records = page.rows
            self.query_one("#count", Static).update(
                f"{page.total} action(s) — {self.criteria.describe()} — affichées {shown}{more}"
            )
        if self._open_when_loaded:
            self._open_when_loaded = False
            self._open_highlighted()

    def _cell(self, r: ActionRow, key: str) -> str | Text:
        colours = self.app.theme_variables
        if key == "status":
            if r.late:
                return Text(f"⚠ {r.status_label}", style=theme_style(colours, "bold $text-error"))
            return r.status_label
        if key == "weather":
            label = ACTION["weather"].format(r.weather)
            return Text(label, style=theme_style(colours, WEATHER_STYLE.get(r.weather or "", "")))
        if key == "progress":
            return r.progress_label
        if key == "due_date":
            return r.due_cell
        return str(getattr(r, key) or "")

    def _highlighted(self) -> ActionRow | None:
        row: ActionRow | None = self.query_one("#actions-table", RecordTable).highlighted_record
        return row

    @on(RecordTable.Highlighted, "#actions-table")
    def _show_detail(self, message: RecordTable.Highlighted) -> None:
        """The whole highlighted action under the table (the cells may end in "…")."""
        r: ActionRow | None = message.record
        detail = self.query_one("#action-detail", Static)
        if r is None:
            detail.update("")
            return
        parts = [
            f"{r.code} — {r.title}",
            f"objectif {r.objective}" if r.objective else "",
            f"pilote {r.lead}" if r.lead else "",
            ("⚠ en retard, " if r.late else "") + r.status_label.lower(),
            f"météo {ACTION['weather'].format(r.weather).lower()}" if r.weather else "",
            r.progress_label if r.progress is not None else "",  # (a lone « — » said nothing)
            f"échéance {r.due_label}" if r.due_date else "",
            r.territories,
        ]
        detail.update(Text(" · ".join(p for p in parts if p)))

    # --- filters --------------------------------------------------------------------------

    def apply_filter(self, criteria: ActionFilter) -> None:
        """Show the list with these criteria (from the dashboard, the Schéma, a saved filter…)."""
        self.criteria = criteria
        self.row_offset = 0
        if not self.is_mounted:
            return  # on_mount shows these criteria
        with self.prevent(Input.Changed, Select.Changed, Checkbox.Changed):
            self._sync_widgets()
        self._show_scheme_filter()
        self.refresh_data()

    def _show_scheme_filter(self) -> None:
        """A line for the criteria no widget above the table shows (a node of the Schéma…)."""
        parts = [
            f"{label} {', '.join(values)}"
            for key, label in HIDDEN_FILTER_LABELS
            if (values := getattr(self.criteria, key))
        ]
        if self.criteria.due_within_days is not None:
            parts.append(f"échéance sous {self.criteria.due_within_days} jours")
        line = self.query_one("#scheme-filter", Static)
        line.update(f"Filtre : {' ; '.join(parts)}   (o : retirer ce filtre, e : tout effacer)")
        line.display = bool(parts)

    def _sync_widgets(self, *, search: bool = True) -> None:
        if search:
            self.query_one("#search", Input).value = self.criteria.search
        for key, _label in FILTER_SELECTS:
            select = self.query_one(f"#filter-{key}", Select)
            values: tuple[str, ...] = getattr(self.criteria, key)
            wanted: Any = values[0] if values else Select.NULL
            try:
                select.value = wanted
            except Exception:  # value not (yet) among the options
                select.clear()
        self.query_one("#filter-late", Checkbox).value = self.criteria.late_only

    def _changed(self, **changes: Any) -> None:
        self.criteria = replace(self.criteria, **changes)
        self.row_offset = 0
        self._show_scheme_filter()
        self.refresh_data()

    @on(Input.Changed, "#search")
    def search_changed(self, event: Input.Changed) -> None:
        """Search at once (no fixed wait); keys typed while a search runs are searched together
        when it is done (`_search_typed`), so that fast typing never piles searches up."""
        if self.loading_in("actions"):
            self._typed = event.value
        else:
            self._typed = None
            self._changed(search=event.value)

    @on(Worker.StateChanged)
    def _search_typed(self, event: Worker.StateChanged) -> None:
        """A search is done (shown, failed or replaced): what was typed meanwhile is searched."""
        if event.worker.group == "actions" and event.worker.is_finished and self._typed is not None:
            typed, self._typed = self._typed, None
            if typed != self.criteria.search:
                self._changed(search=typed)

    @on(Input.Submitted, "#search")
    def search_done(self, event: Input.Submitted) -> None:
        """Enter in the search box opens the first result (once the search has run)."""
        self.query_one("#actions-table", DataTable).focus()
        self._typed = None
        if event.value != self.criteria.search:
            self._open_when_loaded = True
            self._changed(search=event.value)
        elif self.loading_in("actions"):
            self._open_when_loaded = True  # Enter right after the screen opened: once it is read
        else:
            self._open_highlighted()

    def _open_highlighted(self) -> None:
        r = self._highlighted()
        if r is not None:
            self.suivi.open_action(r.code)

    @on(Select.Changed, ".filter")
    def select_changed(self, event: Select.Changed) -> None:
        key = (event.select.id or "").removeprefix("filter-")
        value = () if event.value is Select.NULL else (str(event.value),)
        if getattr(self.criteria, key) != value:
            self._changed(**{key: value})

    @on(Checkbox.Changed, "#filter-late")
    def late_changed(self, event: Checkbox.Changed) -> None:
        if self.criteria.late_only != event.value:
            self._changed(late_only=event.value)

    @on(DataTable.HeaderSelected)
    def header_sort(self, event: DataTable.HeaderSelected) -> None:
        key = str(event.column_key.value)
        if key in SORT_COLUMNS:
            same = self.criteria.sort == key
            self._changed(sort=key, descending=not self.criteria.descending if same else False)

    @on(DataTable.RowSelected, "#actions-table")
    def open_action(self, event: DataTable.RowSelected) -> None:
        self.suivi.open_action(str(event.row_key.value))

    # --- key actions ----------------------------------------------------------------------

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_new(self) -> None:
        if not self.refuse_if_read_only():
            self.suivi.open_action(None)

    def action_sort(self) -> None:
        def chosen(key: str | None) -> None:
            if key:
                self._changed(sort=key, descending=False)

        self.app.push_screen(
            ChoiceDialog("Trier par", [(label, key) for key, label in SORT_COLUMNS.items()]), chosen
        )

    def action_invert(self) -> None:
        self._changed(descending=not self.criteria.descending)

    def action_reset(self) -> None:
        self.apply_filter(ActionFilter())

    def action_clear_scheme_filter(self) -> None:
        self._changed(engagements=(), challenges=(), objectives=(), due_within_days=None)
        with self.prevent(Input.Changed, Select.Changed, Checkbox.Changed):
            self._sync_widgets()

    def action_results(self) -> None:
        """Down in the search box: to the results, the first one highlighted."""
        if self.focused is self.query_one("#search", Input):
            self.query_one("#actions-table", DataTable).focus()

    def action_next_page(self) -> None:
        self.row_offset += PAGE
        self.refresh_data()

    def action_previous_page(self) -> None:
        self.row_offset = max(0, self.row_offset - PAGE)
        self.refresh_data()

    def action_save_filter(self) -> None:
        if self.refuse_if_read_only():
            return

        def named(name: str | None) -> None:
            if name:
                self.save_filter(name, self.criteria)

        self.app.push_screen(
            TextDialog("Enregistrer le filtre", "Nom du filtre", value=self.criteria.describe()), named
        )

    @work(thread=True, exit_on_error=False)
    def save_filter(self, name: str, criteria: ActionFilter) -> None:
        self.service.save_filter(name, criteria)
        self.app.call_from_thread(self.notify, f"Filtre « {name} » enregistré.")

    @work(thread=True, exit_on_error=False)
    def action_load_filter(self) -> None:
        filters = self.service.saved_filters()
        self.app.call_from_thread(self._choose_filter, filters)

    def _choose_filter(self, filters: dict[str, dict[str, Any]]) -> None:
        if not filters:
            self.notify("Aucun filtre enregistré (touche s pour en créer un).")
            return

        def chosen(name: str | None) -> None:
            if name:
                self.apply_filter(ActionFilter.from_dict(filters[name]))

        self.app.push_screen(ChoiceDialog("Filtres enregistrés", [(n, n) for n in filters]), chosen)

    def action_export(self) -> None:
        """Export what the list shows: every action, or only those of the filter."""
        if replace(self.criteria, sort="code", descending=False) == ActionFilter():
            from tui.exchange import ask_and_export

            ask_and_export(self)
        else:
            self.filtered_codes(self.criteria)

    @work(thread=True, exit_on_error=False, group="export-codes")
    def filtered_codes(self, criteria: ActionFilter) -> None:
        page = self.service.action_page(criteria, 0, 1_000_000)
        self.post_message(self.ExportCodes([r.code for r in page.rows], criteria))

    @on(ExportCodes)
    def export_filtered(self, message: ExportCodes) -> None:
        from tui.exchange import ask_and_export

        if not message.codes:
            self.notify("Aucune action à exporter avec ce filtre.", severity="warning")
            return
        self.notify(f"Export des {len(message.codes)} action(s) affichée(s) — {message.criteria.describe()}.")
        ask_and_export(self, codes=message.codes)
