"""Atelier: go through the actions of one objective, défi or territory; single keys update them.

A key press shows at once on the row (the screen's own copy of each action) and is saved by
the screen's one writer: a queue of gestures drained, in order, by a single worker that always
saves the latest state of the row (`after`) over the last version it saved (`before`). Quick
keystrokes on one action therefore never conflict with each other; a change made meanwhile in
another copy of the app still shows both versions (`ConflictDialog`).

Nothing typed is lost if the app is killed: a gesture is queued at once and its transaction
starts as soon as the ones before it are done. Measured on a local file: committed 12–25 ms
after the key (tests/tui/test_workshop.py); five quick presses then `kill -9` 100 ms later lost
nothing. Only gestures of the last few tens of milliseconds — still in the queue — can be lost.

Every saved change is journaled under the session's source (« Atelier n°N »); the session's
changes are listed beside the table, one line per action and field (`net_changes`), as the
export shows them. A session not yet closed is offered for resumption in any copy of the app.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, replace
from pathlib import Path

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Button, DataTable, Input, Static
from textual.worker import Worker, WorkerState

from store.actions import ActionData, warnings
from store.activity import WorkshopInfo
from store.errors import ValidationError, VersionConflict
from store.fields import ACTION
from store.journal import JournalLine, net_changes
from store.merge import three_way
from store.views.action_list import ActionFilter
from store.vocab import STATUSES_NEEDING_COMMENT, ActionStatus, Weather
from tui.screens.base import BaseScreen
from tui.services import with_status
from tui.widgets.choice_dialog import ChoiceDialog
from tui.widgets.columns import Column
from tui.widgets.confirm_dialog import ConfirmDialog
from tui.widgets.conflict_dialog import ConflictDialog
from tui.widgets.export_dialog import ExportDialog, ExportRequest, default_path
from tui.widgets.journal_table import change_text
from tui.widgets.record_table import RecordTable
from tui.widgets.text_dialog import TextDialog

STATUS_KEYS = {str(i + 1): status for i, status in enumerate(ActionStatus)}
PROGRESS_STEP = 10
#: Between the status comments saved with one change (statuses typed faster than saved).
COMMENTS_JOINED = " ; "
#: At most this long between two attempts to write gestures that failed (the room is waiting).
WRITE_RETRY_MAX_S = 10.0
WEATHER_CYCLE = [None, *(w.value for w in Weather)]
WEATHER_KEYS = {"v": Weather.GREEN, "o": Weather.ORANGE, "r": Weather.RED}
#: The theme variable that colours each weather.
WEATHER_COLOURS = {"vert": "success", "orange": "warning", "rouge": "error"}
#: Fixed widths (the longest value or header), so that a value set later is never clipped; the
#: code as wide as the longest code; the title takes the rest; the due date goes first if narrow.
COLUMNS = [
    Column("code", "Code", 0),
    Column("title", "Action", 40, flex=True, min_width=12),
    Column("status", "Statut", max(len(s.label) for s in ActionStatus)),
    Column("progress", "Av.", 5),
    Column("weather", "Météo", 6),
    Column("due", "Échéance", 10, priority=1),
]
SCOPE_FILTERS = {
    "objectif": lambda code: ActionFilter(objectives=(code,)),
    "defi": lambda code: ActionFilter(challenges=(code,)),
    "territoire": lambda code: ActionFilter(territories=(code,)),
}


def documents_folder() -> Path:
    """The user's documents folder (where a session's export goes by default), else home."""
    from platformdirs import user_documents_dir

    folder = Path(user_documents_dir())
    return folder if folder.is_dir() else Path.home()


def describe_scope(kind: str, code: str, title: str) -> str:
    """ "Objectif E1-D4-O2 — Renforcer…", "Territoire — Couserans": the scope as listed; the store
    keeps only its title (`scope_label`), as the exports expect."""
    from exports.excel.workshop import SCOPES  # the exports' own names of the scopes

    if kind == "territoire":
        return f"{SCOPES[kind]} — {title}"
    return f"{SCOPES.get(kind, kind)} {code} — {title}"


def scope_of(session: WorkshopInfo) -> str:
    return describe_scope(session.scope_kind, session.scope_code, session.scope_label)


def describe_start(session: WorkshopInfo) -> str:
    """ "commencé le 26/11/2026 à 15:02 par marie"."""
    started = session.started_at.astimezone()
    return f"commencé le {started:%d/%m/%Y à %H:%M} par {session.author}"


@dataclass(frozen=True)
class Pending:
    """One gesture waiting for the writer: save the row's latest state, or add a free comment."""

    code: str
    source: str
    note: str | None = None


@dataclass(frozen=True)
class Write:
    """One write of the Atelier's writer: `pending` goes back to the queue's head if it fails."""

    pending: Pending
    before: ActionData
    after: ActionData
    #: The status comments it journals (typed since the row was last saved).
    comments: tuple[str, ...] = ()
    #: A comment journaled alone: the user's own, or the comments of a status undone unsaved.
    note: str | None = None


class WorkshopExportDialog(ExportDialog):
    """The export dialog, proposing the user's documents folder rather than the current one."""

    def __init__(self, session_id: int) -> None:
        kinds = {
            "atelier": f"Changements de l'atelier n°{session_id} (pour l'ARS)",
            "atelier-pdf": f"Compte rendu de l'atelier n°{session_id} (PDF, à imprimer et signer)",
        }
        super().__init__(kinds, kind="atelier")
        self.session_id = session_id

    def file_label(self) -> str:
        """The session's number in the file's name, whether workbook or minutes."""
        return f"atelier-{self.session_id}"

    def on_mount(self) -> None:
        path = default_path(self.kind, documents_folder(), label=self.file_label())
        self.query_one("#path", Input).value = str(path)


class ResumeDialog(ConfirmDialog):
    """Resume an unfinished session? Enter resumes (nothing is lost either way)."""

    def on_mount(self) -> None:
        self.call_after_refresh(self.query_one("#yes", Button).focus)


class WorkshopTable(RecordTable):
    """The workshop's rows: Enter validates a progress typed after `p` (rows are not opened here)."""

    BINDINGS = [
        Binding("enter", "screen.confirm_typing", "Valider", show=False, tooltip="Valider l'avancement")
    ]


class WorkshopScreen(BaseScreen):
    """Workshop mode: keyboard-only updates, shown at once, saved in order by one writer."""

    TITLE = "Atelier"
    CSS_PATH = "workshop.tcss"
    WRITE_ACTIONS = frozenset(
        {"digit", "progress", "type_progress", "weather", "next_weather", "comment", "save"}
    )
    #: Keys offered only while a session is open (the footer shows them then, not before).
    SESSION_ACTIONS = frozenset({"type_progress", "comment", "end"})
    BINDINGS = [
        Binding("n", "choose_scope", "Périmètre", tooltip="Choisir l'objectif, le défi ou le territoire"),
        *[
            Binding(
                digit,
                f"digit('{digit}')",
                STATUS_KEYS[digit].label if digit in STATUS_KEYS else "Après p : chiffre",
                show=False,
                tooltip=(
                    f"Statut : {STATUS_KEYS[digit].label} (après p : chiffre de l'avancement)"
                    if digit in STATUS_KEYS
                    else "Après p : chiffre de l'avancement"
                ),
            )
            for digit in "0123456789"
        ],
        Binding(
            "backspace",
            "erase_digit",
            "Après p : effacer",
            show=False,
            tooltip="Après p : effacer un chiffre",
        ),
        Binding(
            "escape", "cancel_typing", "Après p : annuler", show=False, tooltip="Après p : annuler la saisie"
        ),
        Binding("plus,equals_sign", "progress(1)", "+10 %", show=False, tooltip="Avancement +10 %"),
        Binding("minus", "progress(-1)", "−10 %", show=False, tooltip="Avancement −10 %"),
        Binding(
            "p",
            "type_progress",
            "Avancement",
            tooltip="Saisir l'avancement : p, les chiffres, Entrée (ex. p 7 5 Entrée)",
        ),
        *[
            Binding(
                key, f"weather('{weather.value}')", weather.label, show=False, tooltip=f"Météo : {weather}"
            )
            for key, weather in WEATHER_KEYS.items()
        ],
        Binding(
            "w", "next_weather", "Météo", show=False, tooltip="Météo suivante (vert, orange, rouge, aucune)"
        ),
        Binding("c", "comment", "Commenter", tooltip="Ajouter un commentaire"),
        Binding("x", "export", "Exporter", tooltip="Exporter les changements de la séance"),
        Binding(
            "ctrl+s",
            "save",
            "Enregistrer",
            show=False,
            tooltip="Réessayer d'enregistrer les changements affichés",
        ),
        Binding("q", "end", "Clore", tooltip="Clore la séance (tout est déjà enregistré)"),
    ]

    @dataclass
    class Started(Message):
        session: WorkshopInfo
        actions: dict[str, ActionData]
        lines: list[JournalLine]
        resumed: bool = False

    @dataclass
    class OpenFound(Message):
        """A session of the department not yet closed (here or in another copy of the app)."""

        session: WorkshopInfo

    @dataclass
    class Saved(Message):
        action: ActionData
        lines: list[JournalLine]

    @dataclass
    class Refused(Message):
        message: str
        code: str

    @dataclass
    class Conflict(Message):
        mine: ActionData
        base: ActionData
        theirs: ActionData

    @dataclass
    class ScopesLoaded(Message):
        options: list[tuple[str, str]]

    @dataclass
    class Ended(Message):
        session_id: int

    class AllSaved(Message):
        """The writer emptied its queue: every gesture shown is saved."""

    @dataclass
    class Exported(Message):
        summary: str
        path: Path

    def __init__(self) -> None:
        super().__init__()
        self.session: WorkshopInfo | None = None
        #: `p` was pressed: the action's code and the digits typed since.
        self.typing: tuple[str, str] | None = None
        #: The session closed last (its changes can still be exported).
        self.last_session: int | None = None
        #: What the rows show: the last saved version with the gestures not yet saved.
        self.actions: dict[str, ActionData] = {}
        #: The version each action was last saved (or read) in: the writer's `before`.
        self.saved: dict[str, ActionData] = {}
        self._lock = threading.Lock()
        self._queue: deque[Pending] = deque()
        self._writing = False
        #: Comments required by a status (Reportée, Abandonnée) not yet saved, per action.
        self._status_comments: dict[str, list[str]] = {}
        #: Actions waiting for the user's choice between two versions: not saved meanwhile.
        self._conflicts: set[str] = set()
        self._offered: set[int] = set()
        #: The session's journal lines, listed as net changes (again when the width changes).
        self._change_lines: list[JournalLine] = []
        #: A session is being opened (its start would otherwise be offered for resumption).
        self._starting = False
        #: Failed writes in a row (the store held, the disk full, the server cut): the gestures
        #: stay queued, shown as not saved, and are written again by themselves.
        self._failures = 0
        self._retry_timer: Timer | None = None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Without a session, its gestures are not offered (export: once one was closed)."""
        if action in self.SESSION_ACTIONS and self.session is None:
            return False
        if action == "export" and self.session is None and self.last_session is None:
            return False
        return super().check_action(action, parameters)

    def compose_body(self) -> ComposeResult:
        yield Static(
            "Aucune séance : n pour choisir un objectif, un défi ou un territoire.",
            id="workshop-title",
            classes="screen-title",
        )
        yield Static(
            "1 À lancer · 2 En cours · 3 Réalisée · 4 Reportée · 5 Abandonnée · +/− avancement · "
            "p 7 5 Entrée : avancement à 75 % · v vert, o orange, r rouge · c commentaire",
            id="workshop-keys",
        )
        yield Static("", id="workshop-typing", markup=False)
        yield Static("", id="workshop-unsaved", markup=False)
        with Horizontal(id="workshop"):
            yield WorkshopTable(COLUMNS, self._cell, key=lambda a: a.code, id="workshop-table")
            yield Static("", id="workshop-detail", classes="row-detail", markup=False)
            with Vertical(id="workshop-side"):
                yield Static("Changements de la séance", classes="section-title")
                yield DataTable(id="session-changes", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.query_one("#workshop-detail").display = False
        self._show_changes([])

    @on(events.Resize)
    def _rewrap_changes(self) -> None:
        self._show_changes(self._change_lines)

    def refresh_data(self) -> None:
        """The rows show this screen's own copy; without a session, look for one to resume."""
        if self.session is None and not self._starting:
            self.find_open_session()

    # --- resuming a session -----------------------------------------------------------------------

    @work(thread=True, exit_on_error=False, exclusive=True, group="open-session")
    def find_open_session(self) -> None:
        session = self.service.open_workshop()
        if session is not None:
            self.post_message(self.OpenFound(session))

    @on(OpenFound)
    def offer_resume(self, message: OpenFound) -> None:
        session = message.session
        if (
            self.session is not None
            or self._starting
            or session.id in self._offered
            or self.service.read_only
        ):
            return
        self._offered.add(session.id)

        def chosen(yes: bool | None) -> None:
            if yes:
                self._starting = True
                self.resume(session)
            else:
                self.notify(f"L'atelier n°{session.id} reste ouvert ; touche n pour un autre périmètre.")

        self.app.push_screen(
            ResumeDialog(
                f"L'atelier n°{session.id} — {scope_of(session)} — {describe_start(session)} "
                "n'est pas clos. Le reprendre ?",
                confirm="Reprendre",
                cancel="Plus tard",
                title="Atelier en cours",
            ),
            chosen,
        )

    @work(thread=True, exit_on_error=False, exclusive=True, group="workshop")
    def resume_by_id(self, session_id: int) -> None:
        """Resume one of the sessions still open (chosen with `n`); the current one stays open."""
        session = next((w for w in self.service.open_workshops() if w.id == session_id), None)
        if session is not None and self.session is not None:
            self.service.end_workshop(self.session.id)
        if session is None:
            self._starting = False
            self.app.call_from_thread(self.notify, f"L'atelier n°{session_id} a été clos entre-temps.")
            return
        self.resume(session)

    @work(thread=True, exit_on_error=False, exclusive=True, group="workshop")
    def resume(self, session: WorkshopInfo) -> None:
        actions = self._scope_actions(session.scope_kind, session.scope_code)
        self.post_message(self.Started(session, actions, self.service.workshop_lines(session.source), True))

    # --- choosing the scope ---------------------------------------------------------------------

    def action_choose_scope(self) -> None:
        self._finish_typing()
        if not self._busy():
            self.load_scopes()

    @work(thread=True, exit_on_error=False, group="scopes")
    def load_scopes(self) -> None:
        current = self.session.id if self.session else None
        options: list[tuple[str, str]] = [
            (f"Reprendre l'atelier n°{w.id} — {scope_of(w)} ({describe_start(w)})", f"reprendre|{w.id}|")
            for w in self.service.open_workshops()
            if w.id != current
        ]
        # labelled by their codes: "Objectif #1" is found in several défis; the value keeps the title
        for e in self.service.scheme():
            for c in e.challenges:
                options.append((describe_scope("defi", c.code, c.title), f"defi|{c.code}|{c.title}"))
                for o in c.objectives:
                    label = describe_scope("objectif", o.code, o.title)
                    options.append((label, f"objectif|{o.code}|{o.title}"))
        options += [
            (describe_scope("territoire", code, label), f"territoire|{code}|{label}")
            for label, code in self.service.filter_choices()["territories"]
        ]
        self.post_message(self.ScopesLoaded(options))

    @on(ScopesLoaded)
    def pick_scope(self, message: ScopesLoaded) -> None:
        def chosen(value: str | None) -> None:
            if not value:
                return
            kind, code, label = value.split("|", 2)
            if kind == "reprendre":
                self._starting = True
                self.resume_by_id(int(code))
                return

            def participants(names: str | None) -> None:
                if names is None:  # Échap: no session opened
                    return
                self._starting = True
                self.start(kind, code, label, names)

            self.app.push_screen(
                TextDialog(
                    "Participants",
                    "Qui participe ? Noms séparés par des virgules, pour le compte rendu (ou Entrée).",
                    required=False,
                ),
                participants,
            )

        self.app.push_screen(ChoiceDialog("Atelier : sur quoi travaille-t-on ?", message.options), chosen)

    def _scope_actions(self, kind: str, code: str) -> dict[str, ActionData]:
        rows = self.service.action_page(SCOPE_FILTERS[kind](code), 0, 10_000).rows
        actions = self.service.actions([r.code for r in rows])
        return {r.code: actions[r.code] for r in rows if r.code in actions}

    @work(thread=True, exit_on_error=False, exclusive=True, group="workshop")
    def start(self, kind: str, code: str, label: str, participants: str = "") -> None:
        if self.session is not None:
            self.service.end_workshop(self.session.id)
        actions = self._scope_actions(kind, code)
        session = self.service.start_workshop(kind, code, label, participants)
        self.post_message(self.Started(session, actions, []))

    @on(Started)
    def started(self, message: Started) -> None:
        with self._lock:
            self.session = message.session
            self.actions = dict(message.actions)
            self.saved = dict(message.actions)
            self._queue.clear()
            self._status_comments.clear()
            self._conflicts.clear()
        self._offered.add(message.session.id)
        self._starting = False
        self.query_one("#workshop-title", Static).update(
            f"Atelier n°{message.session.id}"
            + (" — séance reprise" if message.resumed else "")
            + f" — {len(self.actions)} action(s) — {scope_of(message.session)}"
        )
        self._fill_table()
        self._show_changes(message.lines)
        self.refresh_bindings()  # p, c, q, x: offered now (`check_action`)
        self.query_one("#workshop-table", DataTable).focus()
        if message.resumed:
            self.notify(f"Atelier n°{message.session.id} repris.")

    # --- the table ------------------------------------------------------------------------------

    def _fill_table(self) -> None:
        self.query_one("#workshop-table", RecordTable).records = list(self.actions.values())

    def _cell(self, a: ActionData, key: str) -> str | Text:
        if key == "title":
            return a.title
        if key == "status":
            return ActionStatus(a.status).label
        if key == "progress":
            return Text(ACTION["progress"].format(a.progress) or "—", justify="right")
        if key == "weather":
            colour = self.app.theme_variables.get(WEATHER_COLOURS.get(a.weather or "", ""), "")
            return Text(ACTION["weather"].format(a.weather) or "—", style=colour)
        if key == "due":
            return ACTION["due_date"].format(a.due_date)
        return a.code

    @on(RecordTable.Highlighted, "#workshop-table")
    def _show_detail(self, message: RecordTable.Highlighted) -> None:
        """The highlighted action in full under the table (its title may end in "…" there)."""
        a: ActionData | None = message.record
        parts = [] if a is None else [
            f"{a.code} — {a.title}",
            ActionStatus(a.status).label.lower(),
            ACTION["progress"].format(a.progress),
            f"météo {ACTION['weather'].format(a.weather).lower()}" if a.weather else "",
            f"échéance {ACTION['due_date'].format(a.due_date)}" if a.due_date else "",
        ]  # fmt: skip
        detail = self.query_one("#workshop-detail", Static)
        detail.display = a is not None  # no empty bar without a session
        detail.update(Text(" · ".join(p for p in parts if p)))

    def _show_row(self, action: ActionData) -> None:
        self.query_one("#workshop-table", RecordTable).update_record(action)

    # --- gestures ---------------------------------------------------------------------------------

    def _current(self) -> ActionData | None:
        if self.session is None:
            self.notify("Choisissez d'abord le périmètre de l'atelier (touche n).", severity="warning")
            return None
        if self.refuse_if_read_only():
            return None
        code = self.query_one("#workshop-table", RecordTable).highlighted_key
        if code is None:
            return None
        if code in self._conflicts:
            self.notify(f"{code} : choisissez d'abord entre les deux versions.", severity="warning")
            return None
        return self.actions.get(code)

    def _gesture(self, after: ActionData, *, status_comment: str | None = None) -> None:
        """Show the change at once, then queue it for the writer; say when it makes the action
        doubtful (progress on « À lancer »: allowed, but worth a word, once)."""
        with self._lock:
            before = self.actions.get(after.code)
            self.actions[after.code] = after
            if status_comment:  # kept with those of statuses not saved yet: none is lost
                self._status_comments.setdefault(after.code, []).append(status_comment)
        self._show_row(after)
        self._enqueue(after.code)
        doubtful = warnings(after, links=False)
        if doubtful and (before is None or not warnings(before, links=False)):
            self.notify(f"{after.code} : {doubtful[0]}", severity="warning")

    def action_status(self, status: str) -> None:
        action = self._current()
        if action is None or action.status == status:
            return
        if ActionStatus(status) not in STATUSES_NEEDING_COMMENT:
            self._gesture(with_status(action, status))
            return
        code, label = action.code, ActionStatus(status).label

        def commented(comment: str | None) -> None:
            current = self.actions.get(code)  # the row as it is now (the session may have ended)
            if comment and current is not None:
                self._gesture(with_status(current, status), status_comment=comment)
            elif not comment:
                self.notify(f"{code} : statut « {label} » non appliqué (un commentaire est requis).")

        self.app.push_screen(TextDialog(f"{code} : « {label} »", "Commentaire (obligatoire)"), commented)

    def action_progress(self, direction: int) -> None:
        self._finish_typing()
        action = self._current()
        if action is not None:
            self._set_progress(action, (action.progress or 0) + direction * PROGRESS_STEP)

    def _set_progress(self, action: ActionData, progress: int) -> None:
        progress = min(100, max(0, progress))
        if action.status == ActionStatus.DONE and progress < 100:
            self.notify(
                f"{action.code} est réalisée : son avancement reste à 100 % (changez d'abord le statut).",
                severity="warning",
            )
            return
        if progress != action.progress:
            self._gesture(replace(action, progress=progress))

    # --- typing a progress: p, digits, Enter -----------------------------------------------------
    #
    # No dialog: the digits are keys of this screen like the others, so that a burst such as
    # « p 4 5 Entrée 3 o » is read in order, whatever the speed (a dialog would open only after
    # the keys typed behind `p` had already reached the table).

    def action_type_progress(self) -> None:
        self._finish_typing()
        action = self._current()
        if action is not None:
            self.typing = (action.code, "")
            self._show_typing()

    def action_digit(self, digit: str) -> None:
        if self.typing is not None:
            code, digits = self.typing
            self.typing = (code, (digits + digit)[-3:])
            self._show_typing()
        elif digit in STATUS_KEYS:
            self.action_status(STATUS_KEYS[digit].value)

    def action_erase_digit(self) -> None:
        if self.typing is not None:
            self.typing = (self.typing[0], self.typing[1][:-1])
            self._show_typing()

    def action_cancel_typing(self) -> None:
        if self.typing is not None:
            self.typing = None
            self._show_typing()
            self.notify("Saisie de l'avancement annulée.")

    def action_confirm_typing(self) -> None:
        """Enter: the typed progress is applied (Enter does nothing else in the workshop)."""
        self._finish_typing()

    def _finish_typing(self) -> None:
        """Apply what was typed after `p` (before any other gesture); nothing if no digit."""
        if self.typing is None:
            return
        (code, digits), self.typing = self.typing, None
        self._show_typing()
        if not digits or code not in self.actions:
            return
        field = ACTION["progress"]
        try:
            value = field.read_typed(digits)
            problem = field.validate(value)
        except ValueError as error:
            value, problem = None, str(error)
        if problem or value is None:
            self.notify(problem or f"{field.label} : « {digits} » illisible.", severity="error")
            return
        self._set_progress(self.actions[code], int(value))

    def apply_typed(self) -> None:
        """Ctrl+Q after `p 5`: the progress typed is applied (and saved before the app quits), as
        any other key would apply it."""
        self._finish_typing()

    def _show_typing(self) -> None:
        line = self.query_one("#workshop-typing", Static)
        line.display = self.typing is not None
        if self.typing is not None:
            code, digits = self.typing
            line.update(
                f"{code} — avancement : {digits or '_'} %   (chiffres, Entrée pour valider, "
                "Échap pour annuler)"
            )

    def action_weather(self, weather: str) -> None:
        self._finish_typing()
        action = self._current()
        if action is not None and action.weather != weather:
            self._gesture(replace(action, weather=weather))

    def action_next_weather(self) -> None:
        self._finish_typing()
        action = self._current()
        if action is None:
            return
        index = WEATHER_CYCLE.index(action.weather) if action.weather in WEATHER_CYCLE else 0
        self._gesture(replace(action, weather=WEATHER_CYCLE[(index + 1) % len(WEATHER_CYCLE)]))

    def action_comment(self) -> None:
        self._finish_typing()
        action = self._current()
        if action is None:
            return
        code = action.code

        def typed(text: str | None) -> None:
            if text and self.session is not None and code in self.actions:
                self._enqueue(code, note=text)

        self.app.push_screen(TextDialog("Commentaire", f"{code} — {action.title}"), typed)

    # --- the writer -------------------------------------------------------------------------------

    def _enqueue(self, code: str, *, note: str | None = None) -> None:
        assert self.session is not None
        with self._lock:
            self._queue.append(Pending(code, self.session.source, note))
            idle, self._writing = not self._writing, True
        if idle:
            self.write_pending()

    def _next(self) -> Write | None:
        """The next write, None when done. Every status comment typed since the row was last
        saved goes with it; those of a status undone before it was saved are journaled alone
        (first, the row's other changes next): nothing typed is lost nor put on another change."""
        with self._lock:
            while self._queue:
                pending = self._queue.popleft()
                if pending.code in self._conflicts or pending.code not in self.saved:
                    continue
                before, after = self.saved[pending.code], self.actions[pending.code]
                if pending.note is not None:
                    return Write(pending, before, after, note=pending.note)
                comments = tuple(self._status_comments.get(pending.code, ()))
                if comments and before.status == after.status:
                    if before != after:
                        self._queue.appendleft(pending)
                    return Write(pending, before, after, comments, COMMENTS_JOINED.join(comments))
                if before == after:
                    continue  # already saved with an earlier gesture
                return Write(pending, before, after, comments)
            self._writing = False
            return None

    @work(thread=True, exit_on_error=False, group="save")
    def write_pending(self) -> None:
        """Drain the queue in order; the only code that writes actions from this screen. A
        gesture whose write fails goes back to the head of the queue: nothing typed is lost."""
        try:
            while (write := self._next()) is not None:
                try:
                    self._write(write)
                except BaseException:
                    with self._lock:
                        self._queue.appendleft(write.pending)
                    raise
        except BaseException:
            with self._lock:
                self._writing = False
            raise
        self.post_message(self.AllSaved())

    def unsaved(self) -> int:
        """Gestures shown and not saved yet (their write failed, or is waiting its turn)."""
        with self._lock:
            return len(self._queue)

    def is_dirty(self) -> bool:
        """Gestures whose write failed, not saved since (the ones merely queued are being
        written: Ctrl+Q waits for them)."""
        return self._failures > 0

    @property
    def where(self) -> str:
        return f"Atelier n°{self.session.id}" if self.session else "Atelier"

    def action_save(self) -> None:
        """Write the gestures left now (Ctrl+Q « Enregistrer puis quitter », Ctrl+S)."""
        if self._retry_timer is not None:
            self._retry_timer.stop()
            self._retry_timer = None
        with self._lock:
            idle, self._writing = not self._writing, True
        if idle:
            self.write_pending()

    @on(Worker.StateChanged)
    def write_failed(self, event: Worker.StateChanged) -> None:
        """The gestures stay on screen, counted as not saved, and are written again after
        2, 5, then every 10 s (or at the next gesture, or Ctrl+S). The error is said
        once; the automatic attempts that fail again are silent."""
        if event.state is not WorkerState.ERROR or event.worker.group != "save":
            return
        if self._failures:
            event.prevent_default()  # no error dialog at each attempt: the line says it
        self._failures += 1
        delays = self.suivi.retry_delays_s
        delay = min(delays[min(self._failures, len(delays)) - 1], WRITE_RETRY_MAX_S)
        if self._retry_timer is not None:
            self._retry_timer.stop()
        self._retry_timer = self.set_timer(delay, self.action_save)
        count = self.unsaved()
        self.query_one("#workshop-unsaved", Static).update(
            f"⚠ {count} changement(s) affiché(s) pas encore enregistré(s) : nouvel essai dans "
            f"{delay:g} s (Ctrl+S : maintenant)."
        )
        self.add_class("-unsaved")

    @on(AllSaved)
    def all_saved(self) -> None:
        if self._failures:
            self.notify("Changements de l'atelier enregistrés.")
        self._failures = 0
        if self._retry_timer is not None:
            self._retry_timer.stop()
            self._retry_timer = None
        self.remove_class("-unsaved")

    def _write(self, write: Write) -> None:
        pending, before, after = write.pending, write.before, write.after
        source = pending.source
        try:
            if write.note is not None:
                self.service.comment_action(before, write.note, source=source)
                stored = before
            else:
                comment = COMMENTS_JOINED.join(write.comments) or None
                stored, _changes = self.service.save_action(before, after, source=source, comment=comment)
        except VersionConflict as conflict:
            theirs = conflict.current if isinstance(conflict.current, ActionData) else None
            with self._lock:
                if theirs is None:
                    self.actions[before.code] = before
                else:
                    self._conflicts.add(before.code)
            if theirs is None:
                self.post_message(self.Refused(f"{before.code} a été supprimée entre-temps.", before.code))
            else:
                self.post_message(self.Conflict(self.actions[before.code], before, theirs))
            return
        except ValidationError as error:
            with self._lock:  # the row goes back to what is saved
                self.actions[before.code] = before
                self._status_comments.pop(before.code, None)
            self.post_message(self.Refused(str(error), before.code))
            return
        with self._lock:
            self.saved[stored.code] = stored
            if write.note is None and self.actions[stored.code] is after:  # (a comment saves no field)
                self.actions[stored.code] = stored
            left = self._status_comments.get(stored.code, [])
            del left[: len(write.comments)]  # those saved; any typed meanwhile wait for the next write
            if not left:
                self._status_comments.pop(stored.code, None)
        self.post_message(self.Saved(stored, self.service.workshop_lines(source)))

    @on(Saved)
    def changed(self, message: Saved) -> None:
        self._show_row(self.actions.get(message.action.code, message.action))
        self._show_changes(message.lines)

    def _show_changes(self, lines: list[JournalLine]) -> None:
        """One row per net change; the change wraps in the width left (a comment can be long)."""
        self._change_lines = lines
        shown = list(reversed(net_changes(lines)))
        changes = self.query_one("#session-changes", DataTable)
        changes.clear(columns=True)
        code_width = max([len("Action"), *(len(line.code) for line in shown)])
        room = (changes.content_region.width or self.size.width) - len("00:00") - code_width
        room -= 2 * 3 * changes.cell_padding + changes.styles.scrollbar_size_vertical  # when it scrolls
        changes.add_column("Heure", width=len("00:00"))
        changes.add_column("Action", width=code_width)
        changes.add_column("Changement", width=max(20, room))
        for line in shown:
            at = f"{line.at.astimezone():%H:%M}"
            changes.add_row(at, Text(line.code), Text(change_text(line)), height=None)

    @on(Refused)
    def refused(self, message: Refused) -> None:
        self.notify(message.message, severity="warning")
        if message.code in self.actions:
            self._show_row(self.actions[message.code])

    @on(Conflict)
    def conflict(self, message: Conflict) -> None:
        """Another copy saved this action meanwhile: fields only one side changed are merged;
        a field both changed is for the user to decide (mine or theirs)."""
        base, theirs = message.base, message.theirs
        merge = three_way(ACTION, base, message.mine, theirs)
        code = theirs.code

        def decided(choice: str | None) -> None:
            kept = merge.settled(choice == "mine")
            with self._lock:
                self._conflicts.discard(code)
                self.saved[code] = theirs
                self.actions[code] = kept
                if choice != "mine":
                    self._status_comments.pop(code, None)
            self._show_row(kept)
            if kept != theirs:
                self._enqueue(code)

        incoming = merge.incoming(base)
        if incoming:
            self.notify(f"{code} modifiée dans une autre copie ({incoming}) : vos changements s'y ajoutent.")
        if not merge.conflicts:
            decided("mine")
            return
        self.app.push_screen(ConflictDialog(f"Conflit sur l'action {code}", merge.rows()), decided)

    # --- end / export ---------------------------------------------------------------------------------

    def action_export(self) -> None:
        self._finish_typing()
        session_id = self.session.id if self.session is not None else self.last_session
        if session_id is None:
            self.notify("Aucune séance à exporter.", severity="warning")
            return

        def chosen(request: ExportRequest | None) -> None:
            if request is not None:
                self.notify(f"Export en cours vers {request.path}…")
                self.export(session_id, request.path, pdf=request.kind == "atelier-pdf")

        self.app.push_screen(WorkshopExportDialog(session_id), chosen)

    @work(thread=True, exit_on_error=False, group="export")
    def export(self, session_id: int, path: Path, *, pdf: bool = False) -> None:
        from exports import excel
        from exports import pdf as minutes

        write = minutes.export_workshop_pdf if pdf else excel.export_workshop
        result = write(
            self.service.store, self.service.department, session_id, path, author=self.service.author
        )
        self.post_message(self.Exported(result.summary, result.path))

    @on(Exported)
    def exported(self, message: Exported) -> None:
        self.notify(f"{message.summary}\n{message.path}", timeout=10)

    def _busy(self) -> bool:
        if self.is_dirty():
            self.notify(
                f"{max(self.unsaved(), 1)} changement(s) pas encore enregistré(s) : Ctrl+S pour réessayer.",
                severity="warning",
            )
        elif self._writing:
            self.notify("Enregistrement en cours : réessayez dans un instant.", severity="warning")
        return self._writing or self.is_dirty()

    def action_end(self) -> None:
        self._finish_typing()
        if self.session is None or self._busy():
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
        self.post_message(self.Ended(session_id))

    @on(Ended)
    def ended(self, message: Ended) -> None:
        self.last_session = message.session_id
        with self._lock:
            self.session = None
            self.actions = {}
            self.saved = {}
        self.query_one("#workshop-table", RecordTable).records = []
        self._show_changes([])
        self.refresh_bindings()  # p, c, q: no longer offered; x exports the session closed
        self.query_one("#workshop-title", Static).update(
            f"Atelier n°{message.session_id} clos (x : l'exporter). Touche n pour en ouvrir un autre."
        )
