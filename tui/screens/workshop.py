"""Atelier: go through the actions of one objective, défi or territory; single keys update them.

Every change is saved and journaled at once (source « Atelier n°N »); the session's changes
are listed beside the table and can be exported at the end.
"""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from store.actions import ActionData
from store.activity import WorkshopInfo
from store.errors import ValidationError, VersionConflict
from store.journal import JournalLine
from store.views.action_list import ActionFilter
from store.vocab import STATUSES_NEEDING_COMMENT, ActionStatus, Weather
from tui.screens.base import BaseScreen
from tui.services import with_status
from tui.widgets.choice_dialog import ChoiceDialog
from tui.widgets.confirm_dialog import ConfirmDialog
from tui.widgets.text_dialog import TextDialog

STATUS_KEYS = {str(i + 1): status for i, status in enumerate(ActionStatus)}
PROGRESS_STEP = 10
WEATHER_CYCLE = [None, *(w.value for w in Weather)]


class WorkshopScreen(BaseScreen):
    """Workshop mode: keyboard-only updates, saved at once."""

    TITLE = "Atelier"
    BINDINGS = [
        Binding("o", "choose_scope", "Périmètre", tooltip="Choisir l'objectif, le défi ou le territoire"),
        *[
            Binding(
                key, f"status('{status.value}')", status.label, show=False, tooltip=f"Statut : {status.label}"
            )
            for key, status in STATUS_KEYS.items()
        ],
        Binding("plus,equals_sign", "progress(1)", "+10 %", tooltip="Avancement +10 %"),
        Binding("minus", "progress(-1)", "−10 %", tooltip="Avancement −10 %"),
        Binding("w", "weather", "Météo", tooltip="Changer la météo (vert, orange, rouge)"),
        Binding("c", "comment", "Commenter", tooltip="Ajouter un commentaire"),
        Binding("x", "export", "Exporter la séance", tooltip="Exporter les changements de la séance"),
        Binding("q", "end", "Clore la séance", tooltip="Terminer l'atelier"),
    ]

    class Started(Message):
        def __init__(self, session: WorkshopInfo, actions: dict[str, ActionData]) -> None:
            super().__init__()
            self.session = session
            self.actions = actions

    class Changed(Message):
        def __init__(self, action: ActionData, lines: list[JournalLine]) -> None:
            super().__init__()
            self.action = action
            self.lines = lines

    class Refused(Message):
        def __init__(self, message: str, current: ActionData | None) -> None:
            super().__init__()
            self.message = message
            self.current = current

    class ScopesLoaded(Message):
        def __init__(self, options: list[tuple[str, str]]) -> None:
            super().__init__()
            self.options = options

    def __init__(self) -> None:
        super().__init__()
        self.session: WorkshopInfo | None = None
        self.actions: dict[str, ActionData] = {}

    def compose_body(self) -> ComposeResult:
        yield Static(
            "Aucune séance en cours : touche o pour choisir un objectif, un défi ou un territoire.",
            id="workshop-title",
            classes="screen-title",
        )
        yield Static(
            "1 À lancer · 2 En cours · 3 Réalisée · 4 Reportée · 5 Abandonnée · +/− avancement · "
            "w météo · c commentaire",
            id="workshop-keys",
        )
        with Horizontal(id="workshop"):
            yield DataTable(id="workshop-table", cursor_type="row", zebra_stripes=True)
            with Vertical(id="workshop-side"):
                yield Static("Changements de la séance", classes="section-title")
                yield DataTable(id="session-changes", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one("#workshop-table", DataTable)
        table.add_column("Code")
        table.add_column("Action", width=40)
        table.add_columns("Statut", "Avancement", "Météo", "Échéance")
        self.query_one("#session-changes", DataTable).add_columns("Heure", "Action", "Changement")

    def refresh_data(self) -> None:
        """The table shows what this screen saved; nothing to reload."""

    # --- choosing the scope ---------------------------------------------------------------------

    def action_choose_scope(self) -> None:
        self.load_scopes()

    @work(thread=True, exit_on_error=False, group="scopes")
    def load_scopes(self) -> None:
        options: list[tuple[str, str]] = []
        for e in self.service.scheme():
            for c in e.challenges:
                options.append((f"Défi {c.code} — {c.title}", f"defi|{c.code}|{c.label}"))
                options += [
                    (f"Objectif {o.code} — {o.title}", f"objectif|{o.code}|{o.label}") for o in c.objectives
                ]
        options += [
            (f"Territoire — {label}", f"territoire|{code}|{label}")
            for label, code in self.service.filter_choices()["territories"]
        ]
        self.post_message(self.ScopesLoaded(options))

    @on(ScopesLoaded)
    def pick_scope(self, message: ScopesLoaded) -> None:
        def chosen(value: str | None) -> None:
            if value:
                kind, code, label = value.split("|", 2)
                self.start(kind, code, label)

        self.app.push_screen(ChoiceDialog("Atelier : sur quoi travaille-t-on ?", message.options), chosen)

    @work(thread=True, exit_on_error=False, exclusive=True, group="workshop")
    def start(self, kind: str, code: str, label: str) -> None:
        if self.session is not None:
            self.service.end_workshop(self.session.id)
        criteria = {
            "objectif": ActionFilter(objectives=(code,)),
            "defi": ActionFilter(challenges=(code,)),
            "territoire": ActionFilter(territories=(code,)),
        }[kind]
        rows = self.service.action_page(criteria, 0, 10_000).rows
        actions = self.service.actions([r.code for r in rows])
        session = self.service.start_workshop(kind, code, label)
        self.post_message(self.Started(session, {r.code: actions[r.code] for r in rows if r.code in actions}))

    @on(Started)
    def started(self, message: Started) -> None:
        self.session = message.session
        self.actions = message.actions
        self.query_one("#workshop-title", Static).update(
            f"Atelier n°{message.session.id} — {message.session.scope_label} — {len(self.actions)} action(s)"
        )
        table = self.query_one("#workshop-table", DataTable)
        table.clear()
        for action in self.actions.values():
            table.add_row(*self._cells(action), key=action.code)
        self.query_one("#session-changes", DataTable).clear()
        table.focus()

    def _cells(self, a: ActionData) -> list[object]:
        weather_style = {"vert": "green", "orange": "dark_orange", "rouge": "red"}.get(a.weather or "", "")
        return [
            a.code,
            a.title,
            ActionStatus(a.status).label,
            Text(f"{a.progress:3d} %"),
            Text(a.weather or "—", style=weather_style),
            f"{a.due_date:%d/%m/%Y}" if a.due_date else "",
        ]

    # --- changes ----------------------------------------------------------------------------------

    def _current(self) -> ActionData | None:
        if self.session is None:
            self.notify("Choisissez d'abord le périmètre de l'atelier (touche o).", severity="warning")
            return None
        if self.refuse_if_read_only():
            return None
        table = self.query_one("#workshop-table", DataTable)
        if not table.row_count:
            return None
        code = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        return self.actions.get(code)

    def action_status(self, status: str) -> None:
        action = self._current()
        if action is None or action.status == status:
            return
        if ActionStatus(status) in STATUSES_NEEDING_COMMENT:
            label = ActionStatus(status).label

            def commented(comment: str | None) -> None:
                if comment:
                    self.apply(action, with_status(action, status), comment)

            self.app.push_screen(
                TextDialog(f"{action.code} : « {label} »", "Commentaire (obligatoire)"), commented
            )
            return
        self.apply(action, with_status(action, status), None)

    def action_progress(self, direction: int) -> None:
        action = self._current()
        if action is None:
            return
        progress = min(100, max(0, action.progress + direction * PROGRESS_STEP))
        if progress != action.progress:
            self.apply(action, replace(action, progress=progress), None)

    def action_weather(self) -> None:
        action = self._current()
        if action is None:
            return
        index = WEATHER_CYCLE.index(action.weather) if action.weather in WEATHER_CYCLE else 0
        self.apply(action, replace(action, weather=WEATHER_CYCLE[(index + 1) % len(WEATHER_CYCLE)]), None)

    def action_comment(self) -> None:
        action = self._current()
        if action is None:
            return

        def typed(text: str | None) -> None:
            if text:
                self.apply(action, action, text)

        self.app.push_screen(TextDialog("Commentaire", f"{action.code} — {action.title}"), typed)

    @work(thread=True, exit_on_error=False, group="save")
    def apply(self, before: ActionData, after: ActionData, comment: str | None) -> None:
        """Save one change at once, journaled under the session's source."""
        assert self.session is not None
        source = self.session.source
        try:
            if before == after and comment:
                self.service.comment_action(before, comment, source=source)
                stored = self.service.action(before.code) or before
            else:
                stored, _changes = self.service.save_action(before, after, source=source, comment=comment)
        except VersionConflict as conflict:
            current = conflict.current if isinstance(conflict.current, ActionData) else None
            self.post_message(
                self.Refused(
                    f"{before.code} a été modifiée ailleurs : ligne rechargée, refaites le geste.", current
                )
            )
            return
        except ValidationError as error:
            self.post_message(self.Refused(str(error), None))
            return
        self.post_message(self.Changed(stored, self.service.workshop_lines(source)))

    @on(Changed)
    def changed(self, message: Changed) -> None:
        self._update_row(message.action)
        changes = self.query_one("#session-changes", DataTable)
        changes.clear()
        for line in reversed(message.lines):
            if line.kind == "commentaire":
                what = f"commentaire : {line.comment}"
            elif line.field_name:
                what = f"{line.what} : {line.old_text or '—'} → {line.new_text or '—'}"
                if line.comment:
                    what += f" ({line.comment})"
            else:
                what = line.kind
            changes.add_row(f"{line.at.astimezone():%H:%M}", line.code, what)

    @on(Refused)
    def refused(self, message: Refused) -> None:
        self.notify(message.message, severity="warning")
        if message.current is not None:
            self._update_row(message.current)

    def _update_row(self, action: ActionData) -> None:
        self.actions[action.code] = action
        table = self.query_one("#workshop-table", DataTable)
        for column, value in zip(table.columns, self._cells(action), strict=True):
            table.update_cell(action.code, column, value)

    # --- end / export ---------------------------------------------------------------------------------

    def action_export(self) -> None:
        if self.session is None:
            self.notify("Aucune séance à exporter.", severity="warning")
            return
        from tui.exchange import export_workshop

        export_workshop(self, self.session.id)

    def action_end(self) -> None:
        if self.session is None:
            return
        session = self.session

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.end(session.id)

        self.app.push_screen(
            ConfirmDialog(f"Clore l'atelier n°{session.id} ? (tout est déjà enregistré)", confirm="Clore"),
            confirmed,
        )

    @work(thread=True, exit_on_error=False, group="workshop")
    def end(self, session_id: int) -> None:
        self.service.end_workshop(session_id)
        self.app.call_from_thread(self._ended)

    def _ended(self) -> None:
        self.session = None
        self.actions = {}
        self.query_one("#workshop-table", DataTable).clear()
        self.query_one("#workshop-title", Static).update("Séance close. Touche o pour en ouvrir une autre.")
