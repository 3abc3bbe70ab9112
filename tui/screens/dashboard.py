"""Tableau de bord: where the plan stands, what is late, where respite is missing."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Button, DataTable, OptionList, Static
from textual.widgets.option_list import Option

from store.views.action_rows import ActionFilter, ActionRow
from store.views.dashboard import Dashboard
from store.vocab import ActionStatus
from tui.screens.base import BaseScreen
from tui.widgets.bars import bar
from tui.widgets.columns import Column, theme_style
from tui.widgets.record_table import RecordTable

_DIRECTIONS = {"import": "Import", "export": "Export"}
#: What was exchanged: the workbook's kind, or the name of the mapping an import used.
_KINDS = {"ars": "du classeur ARS", "cts": "du rapport CTS", "atelier": "des changements d'un atelier"}
#: The late and due-soon lists: code, title (the room left), due date; status when there is room.
_DEADLINE_COLUMNS = [
    Column("code", "Code", 8),
    Column("title", "Action", 30, flex=True, min_width=12),
    Column("due", "Échéance", 10),
    Column("status", "Statut", 10, priority=1),
]


def _deadline_cell(row: ActionRow, key: str) -> str:
    return {"code": row.code, "title": row.title, "due": row.due_cell, "status": row.status_label}[key]


def _code(row: ActionRow) -> str:
    return row.code


class DashboardPage(VerticalScroll):
    """The dashboard's scrolling page, which the screen focuses when it opens (scroll keys).

    Its focus changes its own look only: Textual would style every widget inside it again (the
    whole dashboard, 20–30 ms of its first drawing); no style of theirs depends on the page's
    focus (a widget of theirs focused later is styled as usual)."""

    def watch_has_focus(self, _has_focus: bool) -> None:
        self.app.stylesheet.update_nodes([self], animate=True)


class DashboardScreen(BaseScreen):
    """The first screen: the department and the state of its plan; everything clicks through."""

    TITLE = "Tableau de bord"
    CSS_PATH = "dashboard.tcss"
    BINDINGS = [
        Binding("r", "reload", "Actualiser", tooltip="Relire la base"),
        Binding("l", "late", "En retard", tooltip="Liste des actions en retard"),
        Binding("c", "coverage", "Couverture répit", tooltip="Où manque-t-il une offre de répit ?"),
    ]

    #: The latest figures read (None until the first are); the widgets follow it.
    data: reactive[Dashboard | None] = reactive(None, init=False, always_update=True)

    @dataclass
    class Loaded(Message):
        data: Dashboard

    def compose_body(self) -> ComposeResult:
        with DashboardPage(id="dashboard"):
            yield Static("", id="dept-title", classes="screen-title", markup=False)
            with Horizontal(id="status-row"):
                for status in ActionStatus:
                    yield Button(
                        status.label, id=f"status-{status.value}", classes="status-button", compact=True
                    )
            # what to act on first: the late actions and those due soon, then the progress
            with Horizontal(id="deadlines"):
                with Vertical():
                    yield Static("En retard", id="late-title", classes="section-title")
                    yield RecordTable(_DEADLINE_COLUMNS, _deadline_cell, key=_code, id="late")
                with Vertical():
                    yield Static("Échéance dans les 30 jours", id="soon-title", classes="section-title")
                    yield RecordTable(_DEADLINE_COLUMNS, _deadline_cell, key=_code, id="soon")
            yield Static(
                "Avancement par engagement (barre : avancement moyen · part réalisée)",
                classes="section-title",
            )
            yield OptionList(id="engagements")
            yield Static("Couverture aidants / répit", classes="section-title")
            with Horizontal(id="coverage-row"):
                yield Static("", id="coverage", markup=False)
                yield Button("Voir la couverture", id="coverage-button")
            yield Static("Derniers échanges de fichiers", classes="section-title")
            yield Static("", id="exchanges", markup=False)

    def on_mount(self) -> None:
        if self.data is None and not self.suivi.is_open:  # read before the store opened
            self.set_reactive(DashboardScreen.data, self.suivi.first_figures)
        if self.data is not None:  # figures read before the widgets were there
            self._show(self.data)
        # the figures are read on ScreenResume (BaseScreen), which follows the mount

    def refresh_data(self) -> None:
        if self.suivi.is_open:
            self.load()
        elif self.data is not None:  # the first figures, read before the store opened, are shown:
            # the store opens once they are drawn (a refresh of the screen now current; from
            # `on_mount` the callback would come before the drawing, and the store layer's
            # import would hold it back)
            self.call_after_refresh(self.call_after_refresh, self.suivi.start_opening)

    @work(thread=True, exit_on_error=False, exclusive=True, group="dashboard")
    def load(self) -> None:
        self.post_message(self.Loaded(self.service.dashboard()))

    @on(Loaded)
    def loaded(self, message: Loaded) -> None:
        self.data = message.data

    def watch_data(self, data: Dashboard | None) -> None:
        # a result may come while the widgets are not there yet (shown by on_mount) or are going
        # away (the screen replaced, the app closing): only a screen in place shows it
        if data is not None and self.is_mounted and self.is_attached and not (self._closing or self._pruning):
            self._show(data)

    def _show(self, data: Dashboard) -> None:
        self.query_one("#dept-title", Static).update(
            f"{data.department_name} ({data.department_code}) — {data.total} actions, "
            f"{data.late_count} en retard, {data.due_soon_count} à échéance sous 30 jours"
            + (
                f" ; {data.past_due_unknown} échéance(s) passée(s) sans statut renseigné"
                if data.past_due_unknown
                else ""
            )
        )
        for status, count in data.by_status.items():
            button = self.query_one(f"#status-{status}", Button)
            button.label = f"{ActionStatus(status).label} {count}"
            button.refresh(layout=True)  # its width follows the label
        engagements = self.query_one("#engagements", OptionList)
        engagements.clear_options()
        colours = self.app.theme_variables
        for e in data.engagements:
            label = Text(f"{e.number or ''} {e.title}\n", style="bold")
            label.append("  avancement ")
            label.append(bar((e.mean_progress or 0) / 100, 12, theme_style(colours, "$primary")))
            label.append(f" {e.rate.mean_text():>5}")
            label.append("  réalisées ")
            label.append(bar(e.done_share, 12, theme_style(colours, "$success")))
            label.append(f" {e.done}/{e.actions}")
            engagements.add_option(Option(label, id=e.code))
        self.query_one("#late", RecordTable).records = data.late
        self.query_one("#late-title", Static).update(f"En retard ({data.late_count})")
        self.query_one("#soon", RecordTable).records = data.due_soon
        self.query_one("#soon-title", Static).update(f"Échéance dans les 30 jours ({data.due_soon_count})")
        if data.coverage_gaps:
            gaps = "\n".join(
                f"• {territory} : rien pour « {public} »" for territory, public in data.coverage_gaps[:6]
            )
            more = f"\n… et {len(data.coverage_gaps) - 6} autres" if len(data.coverage_gaps) > 6 else ""
            coverage = f"{len(data.coverage_gaps)} manques d'offre de répit :\n{gaps}{more}"
        else:
            coverage = "Chaque bassin a une offre existante pour chaque public."
        if data.unverified_resources:
            coverage += (
                f"\n{data.unverified_resources} ressource(s) à vérifier (jamais vérifiée(s), "
                "ou pas depuis plus d'un an)."
            )
        self.query_one("#coverage", Static).update(coverage)
        exchanges = [
            f"{x.at.astimezone():%d/%m/%Y %H:%M} — {_DIRECTIONS.get(x.direction, x.direction)} "
            f"{_KINDS.get(x.kind, f'(correspondance {x.kind})')} "
            f"« {x.file_name} » ({x.author})"
            for x in data.exchanges
        ]
        self.query_one("#exchanges", Static).update(
            "\n".join(exchanges) or "Aucun import ni export pour l'instant."
        )

    @on(Button.Pressed, ".status-button")
    def by_status(self, event: Button.Pressed) -> None:
        status = (event.button.id or "").removeprefix("status-")
        self.suivi.show_actions(ActionFilter(statuses=(status,)))

    @on(OptionList.OptionSelected, "#engagements")
    def by_engagement(self, event: OptionList.OptionSelected) -> None:
        self.suivi.show_actions(ActionFilter(engagements=(event.option.id or "",)))

    @on(DataTable.RowSelected)
    def open_row(self, event: DataTable.RowSelected) -> None:
        self.suivi.open_action(str(event.row_key.value))

    def action_late(self) -> None:
        self.suivi.show_actions(ActionFilter(late_only=True, sort="due_date"))

    @on(Button.Pressed, "#coverage-button")
    def action_coverage(self) -> None:
        self.suivi.when_open(self._show_coverage)

    def _show_coverage(self) -> None:
        self.suivi.switch_mode("resources")
        from tui.screens.resources import ResourcesScreen

        if isinstance(self.app.screen, ResourcesScreen):
            self.app.screen.show_coverage()

    def action_reload(self) -> None:
        self.refresh_data()
