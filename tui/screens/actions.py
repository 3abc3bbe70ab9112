"""Actions: every action, live search, filters, sort, a window of rows; Enter opens one."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Checkbox, DataTable, Input, Select, Static

from store.views.action_list import SORT_COLUMNS, ActionFilter, ActionPage
from tui.screens.base import BaseScreen
from tui.widgets.choice_dialog import ChoiceDialog
from tui.widgets.text_dialog import TextDialog

PAGE = 200
#: Wait this long after the last keystroke before searching (keeps fast typing smooth).
SEARCH_DEBOUNCE_S = 0.04
WEATHER_STYLE = {"vert": "green", "orange": "dark_orange", "rouge": "red"}
COLUMN_WIDTHS = {
    "title": 44,
    "lead": 22,
    "objective": 9,
    "status": 12,
    "weather": 6,
    "progress": 6,
    "due_date": 10,
}
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

    TITLE = "Actions"
    BINDINGS = [
        Binding("slash", "search", "Chercher", tooltip="Aller au champ de recherche"),
        Binding("n", "new", "Nouvelle", tooltip="Créer une action"),
        Binding("t", "sort", "Trier", tooltip="Choisir la colonne de tri"),
        Binding("i", "invert", "Inverser", show=False, tooltip="Inverser l'ordre de tri"),
        Binding("s", "save_filter", "Enregistrer le filtre", tooltip="Nommer et garder ce filtre"),
        Binding("f", "load_filter", "Filtres", tooltip="Appliquer un filtre enregistré"),
        Binding("x", "export", "Exporter", tooltip="Exporter en Excel (classeur ARS ou rapport CTS)"),
        Binding("e", "reset", "Effacer filtres", tooltip="Revenir à toutes les actions"),
        Binding("right_square_bracket", "next_page", "Suivantes", show=False, tooltip="Fenêtre suivante"),
        Binding(
            "left_square_bracket", "previous_page", "Précédentes", show=False, tooltip="Fenêtre précédente"
        ),
    ]

    class Loaded(Message):
        def __init__(self, page: ActionPage, criteria: ActionFilter) -> None:
            super().__init__()
            self.page = page
            self.criteria = criteria

    class ChoicesLoaded(Message):
        def __init__(self, choices: dict[str, list[tuple[str, str]]]) -> None:
            super().__init__()
            self.choices = choices

    def __init__(self) -> None:
        super().__init__()
        self.criteria = ActionFilter()
        self.row_offset = 0
        self._debounce: Timer | None = None
        self._syncing = False

    def compose_body(self) -> ComposeResult:
        yield Input(placeholder="Rechercher (accents et majuscules indifférents)…", id="search", compact=True)
        with Horizontal(id="filters"):
            for key, label in FILTER_SELECTS:
                yield Select[str]([], prompt=label, id=f"filter-{key}", classes="filter", compact=True)
            yield Checkbox("En retard", id="filter-late", compact=True)
        yield Static("", id="count")
        yield DataTable(id="actions-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one("#actions-table", DataTable)
        narrow = self.app.size.width < 110
        for key, label in SORT_COLUMNS.items():
            width = 26 if narrow and key == "title" else COLUMN_WIDTHS.get(key)
            table.add_column(label, key=key, width=width)
        table.add_column("Territoires", key="territories", width=24)
        self.load_choices()
        self.refresh_data()
        table.focus()

    def refresh_data(self) -> None:
        self.load(self.criteria, self.row_offset)

    # --- loading ------------------------------------------------------------------------

    @work(thread=True, exit_on_error=False, group="choices")
    def load_choices(self) -> None:
        self.post_message(self.ChoicesLoaded(self.service.filter_choices()))
        self.service.warm_up_search()  # so that the first search is as quick as the next ones

    @work(thread=True, exit_on_error=False, exclusive=True, group="actions")
    def load(self, criteria: ActionFilter, offset: int) -> None:
        self.post_message(self.Loaded(self.service.action_page(criteria, offset, PAGE), criteria))

    @on(ChoicesLoaded)
    def fill_filters(self, message: ChoicesLoaded) -> None:
        self._syncing = True
        for key, _label in FILTER_SELECTS:
            self.query_one(f"#filter-{key}", Select).set_options(message.choices.get(key, []))
        self._sync_widgets()
        self._syncing = False

    @on(Loaded)
    def show(self, message: Loaded) -> None:
        if message.criteria != self.criteria:
            return  # an older request
        page = message.page
        table = self.query_one("#actions-table", DataTable)
        selected = (
            table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value if table.row_count else None
        )
        table.clear()
        for r in page.rows:
            status = Text(
                f"⚠ {r.status_label}" if r.late else r.status_label, style="bold red" if r.late else ""
            )
            table.add_row(
                r.code,
                r.title,
                r.objective or "",
                r.lead or "",
                status,
                Text(r.weather or "", style=WEATHER_STYLE.get(r.weather or "", "")),
                f"{r.progress} %",
                f"{r.due_date:%d/%m/%Y}" if r.due_date else "",
                r.territories,
                key=r.code,
            )
            if r.code == selected:
                table.move_cursor(row=table.row_count - 1)
        shown = f"{page.offset + 1}–{page.offset + len(page.rows)}" if page.rows else "0"
        more = "  ( ] suivantes / [ précédentes )" if page.total > PAGE else ""
        self.query_one("#count", Static).update(
            f"{page.total} action(s) — {self.criteria.describe()} — affichées {shown}{more}"
        )

    # --- filters --------------------------------------------------------------------------

    def apply_filter(self, criteria: ActionFilter) -> None:
        """Show the list with these criteria (from the dashboard, a saved filter…)."""
        self.criteria = criteria
        self.row_offset = 0
        if not self.is_mounted:
            return  # on_mount shows these criteria
        self._syncing = True
        self._sync_widgets()
        self._syncing = False
        self.refresh_data()

    def _sync_widgets(self) -> None:
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
        if self._syncing:
            return
        self.criteria = replace(self.criteria, **changes)
        self.row_offset = 0
        self.refresh_data()

    @on(Input.Changed, "#search")
    def search_changed(self, event: Input.Changed) -> None:
        if self._syncing:
            return
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(SEARCH_DEBOUNCE_S, lambda: self._changed(search=event.value))

    @on(Input.Submitted, "#search")
    def search_done(self) -> None:
        self.query_one("#actions-table", DataTable).focus()

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
        from tui.exchange import ask_and_export

        ask_and_export(self)
