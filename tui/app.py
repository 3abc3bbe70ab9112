"""The Suivi STS Textual application (the App only; screens live in tui/screens/).

The first screen is drawn before the store is opened; then the dashboard, from figures read on
a plain sqlite3 connection (`store.glance`); then, in a worker, the store layer (SQLAlchemy,
SQLModel) is imported and the store opened. What needs the store meanwhile waits for it
(`when_open`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from textual import events, on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widget import AwaitMount
from textual.worker import Worker, WorkerState

from store.errors import StoreError
from tui.commands import SuiviCommands
from tui.screens.startup import StartupScreen
from tui.widgets.connection_banner import ConnectionTrouble
from tui.widgets.french import FrenchCommandPalette, key_display, use_french_bindings, use_readable_toggles

if TYPE_CHECKING:
    from collections.abc import Callable

    from textual.screen import Screen

    from store.database import Store
    from store.glance import Glance
    from store.views.action_list import ActionFilter
    from store.views.dashboard import Dashboard
    from tui.first_figures import EarlyFigures
    from tui.screens.base import BaseScreen
    from tui.services import StoreService

#: Exit code when the app is ended by SIGTERM (as the command line does: README, "Exit codes").
INTERRUPTED = 130
#: Ctrl+Q waits at most this long for the saves under way (then quits anyway).
QUIT_WAIT_S = 5.0
#: After SIGHUP or SIGTERM, once the saves are done, the process ends even if the terminal,
#: gone, holds Textual's shutdown (its output thread dead on EIO, its queue full).
LAST_RESORT_S = QUIT_WAIT_S + 5.0
#: Seconds between two attempts to reach a lost server: growing, then every 30 s.
RETRY_DELAYS_S: tuple[float, ...] = (2, 5, 10, 30)
#: Keys kept at most while a screen asked for waits for the store (`SuiviStsApp.on_event`).
TYPED_AHEAD_MAX = 64
#: Worker groups that write: a failure there means the change was not saved.
WRITE_GROUPS = frozenset({"save", "workshop"})
#: Said when a write failed because the server is out of reach.
NOT_SAVED = (
    "Le serveur est injoignable : rien n'a été écrit. Ce que vous avez saisi reste à l'écran ; "
    "enregistrez de nouveau une fois la connexion revenue."
)

#: Main screens: mode name → (French name, module, class).
SCREENS_BY_MODE: dict[str, tuple[str, str, str]] = {
    "dashboard": ("Tableau de bord", "tui.screens.dashboard", "DashboardScreen"),
    "scheme": ("Schéma", "tui.screens.scheme", "SchemeScreen"),
    "actions": ("Actions", "tui.screens.actions", "ActionsScreen"),
    "workshop": ("Atelier", "tui.screens.workshop", "WorkshopScreen"),
    "resources": ("Ressources aidants et répit", "tui.screens.resources", "ResourcesScreen"),
    "care_offer": ("Offre de soins", "tui.screens.care_offer", "CareOfferScreen"),
    "conflicts": ("Conflits", "tui.screens.conflicts", "ConflictsScreen"),
}


def _styles_current(screen: Screen[Any]) -> Screen[Any]:
    """Mark a screen built just now as styled with the app's current CSS and width.

    Textual (8.x) parses the whole stylesheet again, twice, for the first screen of each mode,
    because a new screen does not count as up to date (cProfile: 0.5 s of 6.4 s to the
    dashboard). The stylesheet is current (a theme change re-reads it at once), and a new screen
    gets its styles when it is mounted, so nothing needs re-reading. Without that counter
    (another Textual), nothing is done.

    The screen also starts with the class of the window's width (`HORIZONTAL_BREAKPOINTS`):
    Textual gives it on the first resize, and a class that changes styles every widget of the
    screen a second time (a sixth of the dashboard's first drawing).
    """
    from textual._context import active_app

    app = active_app.get()
    if hasattr(screen, "_css_update_count"):
        screen._css_update_count = getattr(app, "_css_update_count", -1)
    width = app.size.width
    for breakpoint, name in sorted(app.HORIZONTAL_BREAKPOINTS or [], reverse=True):
        if width >= breakpoint:
            screen.set_class(True, name, update=False)
            break
    return screen


def _factory(module: str, name: str) -> Callable[[], Screen[Any]]:
    def build() -> Screen[Any]:
        import importlib

        return _styles_current(getattr(importlib.import_module(module), name)())

    return build


class SuiviStsApp(App[int]):
    """Suivi STS: browse the scheme, follow the actions, manage aidant/répit resources."""

    TITLE = "Suivi STS"
    #: The dashboard's styles too: read with the app's, not when the dashboard first comes
    #: (a screen's new style file makes Textual parse every style again).
    CSS_PATH = ["app.tcss", "screens/dashboard.tcss"]
    COMMANDS = App.COMMANDS | {SuiviCommands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    MODES = {mode: _factory(module, cls) for mode, (_label, module, cls) in SCREENS_BY_MODE.items()}
    BINDINGS = [
        Binding("f1", "help", "Aide", tooltip="Les touches de l'écran courant"),
        Binding("f2", "go('dashboard')", "Tableau de bord", tooltip="Où en est le plan", priority=True),
        Binding("f3", "go('scheme')", "Schéma", tooltip="Engagements, défis et objectifs", priority=True),
        Binding("f4", "go('actions')", "Actions", tooltip="La liste des actions, filtrable", priority=True),
        Binding(
            "f5", "go('workshop')", "Atelier", tooltip="Mettre à jour les actions en séance", priority=True
        ),
        Binding("f6", "go('resources')", "Ressources", tooltip="Aidants et répit, couverture", priority=True),
        Binding(
            "f7",
            "go('care_offer')",
            "Offre",
            tooltip="Objectifs quantitatifs de l'offre de soins",
            priority=True,
        ),
        Binding(
            "ctrl+k",
            "go('conflicts')",
            "Conflits",
            show=False,
            tooltip="Régler les conflits de synchronisation avec le serveur régional",
        ),
        Binding(
            "ctrl+o", "import_workbook", "Importer", tooltip="Importer un classeur Excel (aperçu d'abord)"
        ),
        Binding(
            "ctrl+e", "export_workbook", "Exporter", tooltip="Exporter le classeur ARS ou le rapport CTS"
        ),
        Binding(
            "ctrl+r",
            "reconnect",
            "Reconnecter",
            tooltip="Se reconnecter tout de suite au serveur injoignable",
        ),
        Binding(
            "ctrl+t", "toggle_theme", "Clair/sombre", show=False, tooltip="Basculer thème clair / sombre"
        ),
        Binding(
            "ctrl+p",
            "command_palette",
            "Palette",
            show=False,
            priority=True,
            tooltip="Ouvrir la palette de commandes (écrans et actions par leur nom)",
        ),
        Binding(
            "ctrl+q",
            "quit",
            "Quitter",
            tooltip="Quitter (demande d'abord si une fiche a des modifications non enregistrées)",
            priority=True,  # heard over a dialog too, to say what to do (`action_quit`)
        ),
    ]

    @dataclass
    class StoreOpened(Message):
        service: StoreService
        title: str

    @dataclass
    class FiguresRead(Message):
        """The dashboard's first figures, read before the store is open (None: none could be)."""

        glance: Glance | None

    @dataclass
    class StoreDamagedFound(Message):
        error: StoreError
        path: Path | None
        backups: list[Path]

    @dataclass
    class ServerBack(Message):
        """The lost server answers again."""

    @dataclass
    class ServerStillUnreachable(Message):
        error: StoreError

    #: The server is out of reach (None: all is well); every screen's banner follows it.
    connection_trouble: reactive[ConnectionTrouble | None] = reactive(None, bindings=True)
    #: Delays between attempts (tests shorten them).
    retry_delays_s: tuple[float, ...] = RETRY_DELAYS_S

    def __init__(
        self,
        opener: StoreOpener,
        *,
        author: str | None = None,
        today: date | None = None,
        unreachable: StoreError | None = None,
        early_figures: EarlyFigures | None = None,
    ) -> None:
        use_french_bindings()
        use_readable_toggles()
        super().__init__()
        self.opener = opener
        self.author = author
        self.today = today
        self._service: StoreService | None = None
        #: The screen asked for (F2…F7) before the store was open: shown once it is.
        self._wanted_mode: str | None = None
        #: The keys typed after it, meant for that screen: given to it once it is shown.
        self._typed_ahead: list[events.Key] = []
        #: A screen asked for (F2…F7) is being shown: the keys typed meanwhile wait for it.
        self._switching = False
        self._retry_timer: Timer | None = None
        self._attempts = 0
        #: The server found out of reach just before (command line): the banner at once.
        self._unreachable = unreachable
        #: What waits for the store to be open (a click on the first figures).
        self._pending: list[Callable[[], None]] = []
        self._opening = False
        #: The dashboard read before the store was open (`store.glance`), for its first drawing.
        self.first_figures: Dashboard | None = None
        #: The same figures, being read since the command line started (None: read here).
        self._early_figures = early_figures

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Notifications carry the store's texts, file names and error messages: brackets in them
        are text, never markup (« [/b] » in a title would stop the app with a MarkupError)."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    @property
    def service(self) -> StoreService:
        """The open store, seen from the screens (set once the opening worker is done)."""
        if self._service is None:
            raise StoreError("La base n'est pas encore ouverte.")
        return self._service

    @property
    def is_open(self) -> bool:
        """The store is open (the first figures may be shown before)."""
        return self._service is not None

    @property
    def store(self) -> Store:
        return self.service.store

    def get_default_screen(self) -> Screen[Any]:
        """« Ouverture de la base… »: in the very first frame (no second screen to draw)."""
        return StartupScreen(self.opener.label)

    def on_mount(self) -> None:
        if hasattr(signal, "SIGHUP") and not self.is_headless:
            loop = asyncio.get_running_loop()
            # the terminal window is closed; the session is ended (logout, shutdown, `kill`)
            # SIGHUP in the main thread at once (not at the loop's next turn): before the terminal
            # vanishes under Textual's output thread, and before the SIGCONT that follows a hang-up
            signal.signal(signal.SIGHUP, lambda *_: self.hung_up(loop))
            loop.add_signal_handler(signal.SIGTERM, self.terminal_closed, INTERRUPTED)
        if self._unreachable is not None:  # no second wait for the same silence: retry later
            self._retry_later(self._unreachable)
            return
        # once the first frame is out (importing the store layer in a thread would slow it down)
        self.call_after_refresh(self.read_first_figures)

    @work(thread=True, exit_on_error=False, group="open")
    def read_first_figures(self) -> None:
        """The dashboard's figures read on a plain sqlite3 connection (`store.glance`), before
        SQLAlchemy and the models are imported; None for a server or a file to upgrade."""
        from store.glance import glance
        from store.location import plain_file

        import_module(SCREENS_BY_MODE["dashboard"][1])  # here rather than in the UI thread
        path = plain_file(os.fspath(self.opener.db))
        today = self.today or datetime.now().astimezone().date()
        early, self._early_figures = self._early_figures, None
        if path is None:
            read = None
        elif early is not None and early.serves(path, self.opener.department, today):
            read = early.result()
        else:
            read = glance(path, self.opener.department, today)
        self.post_message(self.FiguresRead(read))

    @on(FiguresRead)
    def figures_read(self, message: FiguresRead) -> None:
        """The dashboard at once with these figures; the store opens once it is drawn."""
        glance = message.glance
        if glance is None or self._service is not None or self._wanted_mode is not None:
            self.start_opening()
            return
        self.sub_title = glance.title
        self.first_figures = glance.dashboard  # the dashboard shows them, then calls `start_opening`
        self.switch_mode("dashboard")

    def start_opening(self) -> None:
        """Open the store (once): SQLAlchemy, the models, health check, backup, schema."""
        if not self._opening:
            self._opening = True
            self.open_store()

    def when_open(self, do: Callable[[], None]) -> None:
        """Do it now, or once the store is open (a click on the first figures)."""
        if self._service is not None:
            do()
        else:
            self._pending.append(do)
            self.start_opening()

    @work(thread=True, exit_on_error=False, group="open")
    def open_store(self) -> None:
        """Import the store layer and open the store, off the UI thread."""
        from store.health import StoreDamaged
        from store.identity import current_user
        from tui.services import StoreService

        try:
            store, department, title = self.opener.open()
        except StoreDamaged as damaged:
            self.post_message(self.StoreDamagedFound(damaged, self.opener.path, list(damaged.backups)))
            return
        service = StoreService(store, department, self.author or current_user(), today=self.today)
        self.post_message(self.StoreOpened(service, title))

    @on(StoreOpened)
    def store_opened(self, message: StoreOpened) -> None:
        if self._exit or self._closing or not self.screen_stack:  # closing (after the first figures)
            message.service.close()
            return
        self._service = message.service
        if self.connection_trouble is not None:
            self._connection_back("Connexion au serveur établie.")
        self.sub_title = message.title + (" — lecture seule" if message.service.read_only else "")
        from tui.screens.base import BaseScreen

        for stack in self._screen_stacks.values():
            for screen in stack:
                if isinstance(screen, BaseScreen):
                    screen.store_opened()
        shown = self.switch_mode(self._wanted_mode or "dashboard")
        if self._typed_ahead:
            self._switching = True
            self.call_later(self._give_typed_ahead, shown)
        pending, self._pending = self._pending, []
        for do in pending:
            do()
        self.count_conflicts()

    @dataclass
    class ConflictsPending(Message):
        count: int

    @work(thread=True, exit_on_error=False, group="conflicts")
    def count_conflicts(self) -> None:
        """Conflicts left by the last exchange with the server are said as soon as the store is open."""
        count = len(self.service.conflicts())
        if count:
            self.post_message(self.ConflictsPending(count))

    @on(ConflictsPending)
    def conflicts_pending(self, message: ConflictsPending) -> None:
        n = message.count
        self.notify(
            f"{n} conflit{'s' if n > 1 else ''} de synchronisation à régler : Ctrl+K (écran Conflits).",
            title="Synchronisation",
            severity="warning",
            timeout=15,
        )

    @on(StoreDamagedFound)
    def store_damaged(self, message: StoreDamagedFound) -> None:
        """Say so, never overwrite the file; offer the latest good backup."""
        self._typed_ahead.clear()  # meant for a screen that will not come
        from tui.widgets.confirm_dialog import ConfirmDialog
        from tui.widgets.error_dialog import ErrorDialog

        if not message.backups or message.path is None:
            self.push_screen(
                ErrorDialog(str(message.error), "Base illisible"), lambda _: self.exit(return_code=2)
            )
            return
        path, backup = message.path, message.backups[0]

        def answered(restore: bool | None) -> None:
            if restore:
                self.restore_then_open(path, backup)
            else:
                self.exit(return_code=2)

        self.push_screen(
            ConfirmDialog(
                f"{message.error}\n\nRestaurer la sauvegarde la plus récente ({backup.name}) ? "
                "L'état actuel du fichier est conservé à part.",
                confirm="Restaurer",
                cancel="Quitter",
                title="Base illisible",
            ),
            answered,
        )

    @work(thread=True, exit_on_error=False, group="open")
    def restore_then_open(self, path: Path, backup: Path) -> None:
        from store.backup import restore

        restore(path, backup)
        self.call_from_thread(self.notify, f"Sauvegarde {backup.name} restaurée.", timeout=10)
        self.call_from_thread(self.open_store)

    def on_unmount(self) -> None:
        if self._service is not None:
            self._service.close()

    # --- navigation ---------------------------------------------------------------------

    def action_go(self, mode: str) -> None:
        """F2…F7: that screen; pressed while the store is still opening, it comes once it is open."""
        if self._service is not None:
            if mode != self.current_mode:
                self._switching = True
                self.call_later(self._give_typed_ahead, self.switch_mode(mode))
        else:
            self._wanted_mode = mode
            if self.current_mode != self.DEFAULT_MODE:  # the first figures are shown: open now
                self.start_opening()

    def action_help(self) -> None:
        from tui.widgets.help_dialog import HelpDialog

        self.push_screen(HelpDialog(self.screen))

    def action_import_workbook(self) -> None:
        from tui.screens.import_screen import ImportScreen

        if not self.is_open:
            self.when_open(self.action_import_workbook)
        elif not isinstance(self.screen, ImportScreen):
            self.push_screen(ImportScreen())

    def action_export_workbook(self) -> None:
        from tui.exchange import ask_and_export
        from tui.screens.base import BaseScreen

        if not self.is_open:
            self.when_open(self.action_export_workbook)
        elif isinstance(self.screen, BaseScreen):
            ask_and_export(self.screen)

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"

    def show_actions(self, criteria: ActionFilter) -> None:
        """Open the actions list with these filters (once the store is open)."""
        if not self.is_open:
            self.when_open(lambda: self.show_actions(criteria))
            return
        self.switch_mode("actions")
        from tui.screens.actions import ActionsScreen

        screen = self.screen
        if isinstance(screen, ActionsScreen):
            screen.apply_filter(criteria)

    def open_action(self, code: str | None, *, objective: str | None = None) -> None:
        """Open an action (or a new one attached to `objective`), once the store is open."""
        if not self.is_open:
            self.when_open(lambda: self.open_action(code, objective=objective))
            return
        from tui.screens.action_detail import ActionDetailScreen

        self.push_screen(ActionDetailScreen(code, objective=objective))

    # --- quitting without losing typed work ---------------------------------------------------

    def _main_screens(self) -> list[BaseScreen]:
        """The app's own screens, in every mode (not the dialogs)."""
        from tui.screens.base import BaseScreen

        return [
            screen
            for stack in self._screen_stacks.values()
            for screen in stack
            if isinstance(screen, BaseScreen)
        ]

    def unsaved_screens(self) -> list[BaseScreen]:
        """The screens showing work not saved yet: edit screens with changes, the Atelier with
        gestures whose write failed."""
        return [screen for screen in self._main_screens() if screen.is_dirty()]

    async def action_quit(self) -> None:
        """Ctrl+Q and the palette's "Quitter": asks first when a form has unsaved changes."""
        from tui.screens.form_base import UnsavedChoice, UnsavedDialog

        if isinstance(self.screen, ModalScreen):  # what is typed in it would be lost unasked
            self.notify(
                "Une fenêtre attend votre réponse : répondez-y, ou Échap pour la fermer, puis Ctrl+Q.",
                title="Quitter ?",
            )
            return
        for screen in self._main_screens():
            screen.apply_typed()  # its save, if any, is under way: `exit_when_saved` waits
        forms = self.unsaved_screens()
        if not forms:
            self.exit_when_saved()
            return

        def answered(choice: UnsavedChoice | None) -> None:
            if choice == "discard":
                self.exit_when_saved()
            elif choice == "save":
                self.save_then_quit(forms)

        self.push_screen(UnsavedDialog(", ".join(form.where for form in forms)), answered)

    @work(group="quit-wait", exclusive=True)
    async def exit_when_saved(self, return_code: int = 0) -> None:
        """Quit once the writes already under way are done (quick workshop keys just before Ctrl+Q)."""
        saving = [w for w in self.workers if w.group == "save" and not w.is_finished]
        if saving:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.workers.wait_for_complete(saving), QUIT_WAIT_S)
        self.exit(return_code=return_code)

    @work(group="quit")
    async def save_then_quit(self, forms: list[BaseScreen]) -> None:
        """Save each form, quit once nothing is left unsaved; or, once the saves are over (no
        save running, no question of theirs open) with work still unsaved, stay and say why at
        once: the quit is then forgotten (a later Ctrl+S does not quit; Ctrl+Q asks again)."""
        for form in forms:
            form.action_save()
        settled = 0
        while settled < 2:  # twice in a row: a save just done has had its answer shown
            await asyncio.sleep(0.1)
            if not self.unsaved_screens():
                self.exit_when_saved()
                return
            saving = any(w.group == "save" and not w.is_finished for w in self.workers)
            settled = 0 if saving or isinstance(self.screen, ModalScreen) else settled + 1
        self.notify(
            "Tout n'a pas pu être enregistré : corrigez la fiche, Ctrl+S, puis Ctrl+Q.",
            severity="warning",
            timeout=10,
        )

    def hung_up(self, loop: asyncio.AbstractEventLoop) -> None:
        """SIGHUP: the terminal is gone. What would have been drawn goes to /dev/null (a write to
        the dead terminal kills Textual's output thread and its next writes wait forever), Textual
        does not take the terminal back on the SIGCONT of the hang-up; then `terminal_closed`."""
        signal.signal(signal.SIGHUP, signal.SIG_IGN)  # the second one, when the pty closes
        signal.signal(signal.SIGCONT, lambda *_: None)
        with contextlib.suppress(OSError):
            nowhere = os.open(os.devnull, os.O_WRONLY)
            for fd in (1, 2):
                os.dup2(nowhere, fd)
            os.close(nowhere)
        loop.call_soon_threadsafe(self.terminal_closed, 1)

    def terminal_closed(self, return_code: int = 1) -> None:
        """SIGHUP or SIGTERM: no one is there to answer; keep each unsaved form as a draft, let
        the saves under way finish, then leave (at the latest after LAST_RESORT_S)."""
        for form in self.unsaved_screens():
            with contextlib.suppress(OSError):  # nowhere to write: nothing more can be done
                form.keep_draft()
        if not self.is_headless:  # never in the tests' own process
            last_resort = threading.Timer(LAST_RESORT_S, os._exit, (return_code,))
            last_resort.daemon = True
            last_resort.start()
        self.exit_when_saved(return_code)

    def _fatal_error(self) -> None:
        """An unexpected error (a bug): unsaved forms are kept as drafts, and the message is in
        French with the traceback but without the values of variables, which Textual shows by
        default and which can hold a server's address with its password."""
        import rich
        from rich.console import Group
        from rich.segment import Segments
        from rich.text import Text
        from rich.traceback import Traceback

        with contextlib.suppress(Exception):  # the error may be in the forms themselves
            for form in self.unsaved_screens():
                with contextlib.suppress(Exception):
                    form.keep_draft()
        self.bell()
        message = Text(
            "Erreur inattendue de Suivi STS : l'application s'arrête. Les fiches non enregistrées "
            "sont gardées en brouillon (proposées à la prochaine ouverture). Transmettez le détail "
            "ci-dessous à l'équipe qui maintient l'application.",
            style="bold",
        )
        details = Traceback(show_locals=False, width=None, suppress=[rich])
        self._exit_renderables.append(
            Segments(self.console.render(Group(message, details), self.console.options))
        )
        self._close_messages_no_wait()

    async def on_event(self, event: events.Event) -> None:
        """F4 then Enter (or a search) typed at once, or while the store still opens: the keys
        after F4 are meant for the Actions screen, not for the screen still shown; they are kept
        and given to it once it is shown (`_give_typed_ahead`). F2…F7 are priority keys, so that
        the screen is asked for before the next key of a burst is read. The app's own keys
        (Ctrl+Q, F1…F7, Ctrl+O, Ctrl+E…) act at once."""
        waiting = self._switching or (
            self._service is None and self._wanted_mode is not None and self.connection_trouble is None
        )
        if (
            waiting
            and isinstance(event, events.Key)
            and not event.is_forwarded
            and not isinstance(self.screen, ModalScreen)  # a dialog (damaged store) takes its keys
            and len(self._typed_ahead) < TYPED_AHEAD_MAX
        ):
            active = self.screen.active_bindings.get(event.key)
            if active is None or active.node is not self:
                self._typed_ahead.append(events.Key(event.key, event.character))
                return
        await super().on_event(event)

    async def _give_typed_ahead(self, shown: AwaitMount) -> None:
        try:
            await shown
        finally:  # whatever happens, the keys stop waiting
            self.call_after_refresh(self._replay_typed_ahead)  # once the screen has given its focus

    def _replay_typed_ahead(self) -> None:
        self._switching = False
        keys, self._typed_ahead = self._typed_ahead, []
        for key in keys:
            self.post_message(key)

    def on_key(self, event: events.Key) -> None:
        """A letter that no key binding took reaches the app while a text box is open: it was
        typed at once after the key that opened the box (« c » then the comment, « 4 » then the
        reason: a terminal delivers the burst, and the box opened half-way through it). It goes
        into the box instead of being lost (the box's own field keeps what is typed in it)."""
        from tui.widgets.text_dialog import TextDialog

        if isinstance(self.screen, TextDialog) and event.is_printable and event.character:
            self.screen.type_ahead(event.character)

    def action_help_quit(self) -> None:
        """Ctrl+C (Textual's reflex key) does not quit: say which key does."""
        self.notify("Ctrl+C ne quitte pas : Ctrl+Q pour quitter.", title="Quitter ?")

    # --- the command palette, in French -------------------------------------------------------

    def get_key_display(self, binding: Binding) -> str:
        """Keys in the footer as in the help (F1): "Échap", "Ctrl+S", not "esc", "^s"."""
        return key_display(binding)

    def action_command_palette(self) -> None:
        if self.use_command_palette and not FrenchCommandPalette.is_open(cast("App[object]", self)):
            self.push_screen(
                FrenchCommandPalette(
                    placeholder="Rechercher une commande ou un écran…", id="--command-palette"
                )
            )

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Textual's own commands, in French (the keys are shown by the app's help, F1); no theme
        picker (English theme names): the palette's "Thème clair / sombre" and Ctrl+T instead."""
        yield SystemCommand("Touches", "Les touches de l'écran courant (F1)", self.action_help)
        if screen.maximized is not None:
            yield SystemCommand("Réduire", "Rendre sa taille à la zone agrandie", screen.action_minimize)
        elif screen.focused is not None and screen.focused.allow_maximize:
            yield SystemCommand("Agrandir", "Agrandir la zone active à tout l'écran", screen.action_maximize)
        yield SystemCommand(
            "Capture d'écran",
            "Enregistrer l'écran en image SVG",
            lambda: self.set_timer(0.1, self.take_screenshot),
        )
        yield SystemCommand(
            "Quitter", "Quitter (demande si une fiche n'est pas enregistrée)", self.action_quit
        )

    def take_screenshot(self) -> None:
        """An SVG of the screen in the user's documents folder (else the home folder)."""
        from datetime import datetime

        from tui.widgets.export_dialog import default_folder

        name = f"capture-suivi-sts-{datetime.now().astimezone():%Y-%m-%d-%H%M%S}.svg"
        try:
            path = self.save_screenshot(name, str(default_folder()))
        except OSError as error:
            self.notify(f"Capture d'écran impossible : {error}", severity="error")
            return
        self.notify(
            f"Capture d'écran enregistrée dans {Path(path).parent} : {Path(path).name}",
            title="Capture d'écran",
        )

    # --- the regional server out of reach ---------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Ctrl+R (try the server again) only while it is out of reach; F2…F7 not over a dialog."""
        if action == "reconnect":
            return self.connection_trouble is not None
        if action == "go":  # priority keys (F2…F7): not while a dialog waits for its answer
            return not isinstance(self.screen, ModalScreen)
        return True

    def connection_lost(self, error: StoreError) -> None:
        """A worker could not reach the server: the banner says why, and the app tries again by
        itself (the countdown under way is kept; only its reason is brought up to date)."""
        if self.connection_trouble is None:
            self._attempts = 0
            self._retry_later(error)
        else:
            self.connection_trouble = replace(self.connection_trouble, reason=str(error))

    def _retry_later(self, error: StoreError) -> None:
        self._typed_ahead.clear()  # the screen asked for will not come soon
        delay = self.retry_delays_s[min(self._attempts, len(self.retry_delays_s) - 1)]
        self._attempts += 1
        self._retry_timer = self.set_timer(delay, self.action_reconnect)
        self.connection_trouble = ConnectionTrouble(str(error), time.monotonic() + delay)

    def action_reconnect(self) -> None:
        """Ctrl+R, and the timer: try the server now (once; an attempt under way is not doubled)."""
        trouble = self.connection_trouble
        if trouble is None or trouble.retry_at is None:
            return
        if self._retry_timer is not None:
            self._retry_timer.stop()
            self._retry_timer = None
        self.connection_trouble = replace(trouble, retry_at=None)
        if self._service is None:
            self.open_store()  # never opened: StoreOpened, or the open worker fails again
        else:
            self.reconnect(self._service)

    @work(thread=True, exit_on_error=False, group="reconnect", exclusive=True)
    def reconnect(self, service: StoreService) -> None:
        """One attempt to reach the server, off the UI thread (bounded by SUIVI_STS_PG_TIMEOUT)."""
        try:
            service.ping()
        except StoreError as error:
            self.post_message(self.ServerStillUnreachable(error))
        else:
            self.post_message(self.ServerBack())

    @on(ServerStillUnreachable)
    def still_unreachable(self, message: ServerStillUnreachable) -> None:
        self._retry_later(message.error)

    @on(ServerBack)
    def server_back(self) -> None:
        """The banner goes, the screen shown reloads (forms keep what was typed)."""
        from tui.screens.base import BaseScreen

        unsaved = len(self.unsaved_screens())
        self._connection_back(
            "Connexion au serveur rétablie : données rechargées."
            + (f" {unsaved} fiche(s) à enregistrer encore (Ctrl+S)." if unsaved else "")
        )
        if isinstance(self.screen, BaseScreen):
            self.screen.refresh_data()

    def _connection_back(self, said: str) -> None:
        if self._retry_timer is not None:
            self._retry_timer.stop()
            self._retry_timer = None
        self._attempts = 0
        self.connection_trouble = None
        self.notify(said, title="Serveur", timeout=8)

    # --- errors -------------------------------------------------------------------------

    @on(Worker.StateChanged)
    def worker_failed(self, event: Worker.StateChanged) -> None:
        """Errors of the app's own workers (screens forward theirs to `show_error`)."""
        if event.state is not WorkerState.ERROR or event.worker.error is None:
            return
        if event.worker.group == "open" and _unreachable(event.worker.error):
            self._retry_later(cast("StoreError", event.worker.error))  # the start-up screen's banner
            return
        if event.worker.group == "reconnect":  # unexpected: said in the dialog, and tried again later
            trouble = self.connection_trouble
            self._retry_later(StoreError(trouble.reason if trouble else "Serveur injoignable."))
        if event.worker.group == "open":  # no store: nothing to show but why, then leave
            self._typed_ahead.clear()
            from tui.widgets.error_dialog import ErrorDialog

            self.push_screen(
                ErrorDialog(error_text(event.worker.error), "Impossible d'ouvrir la base"),
                lambda _: self.exit(return_code=2),
            )
            return
        self.show_error(event.worker.error, group=event.worker.group)

    def show_error(self, error: BaseException, *, group: str | None = None) -> None:
        """Every error raised in a worker ends up here, in one dialog; the app keeps running.
        A server out of reach is not a dialog but the banner (and, for a write, a notification
        that nothing was written)."""
        if _unreachable(error):
            self.connection_lost(cast("StoreError", error))
            if group in WRITE_GROUPS:
                self.notify(NOT_SAVED, title="Non enregistré", severity="error", timeout=15)
            return
        from tui.widgets.error_dialog import ErrorDialog

        self.push_screen(ErrorDialog(error_text(error)))


def error_text(error: BaseException) -> str:
    """An error as the error dialog says it: the store's own sentence, the system's in French,
    or, for a bug, that it is one, with the detail to pass on."""
    if isinstance(error, StoreError):
        return str(error)
    from store.errors import system_error_text

    if isinstance(error, OSError):
        return f"Erreur du système : {system_error_text(error)}."
    return (
        "Erreur inattendue de Suivi STS : l'opération n'a pas abouti. Transmettez ce détail à "
        f"l'équipe qui maintient l'application : {type(error).__name__} : {error}"
    )


def _unreachable(error: BaseException) -> bool:
    """The regional server could not be reached (refused, silent, connection cut)."""
    if not isinstance(error, StoreError):
        return False
    from store.server import ServerUnreachable

    return isinstance(error, ServerUnreachable)


@dataclass(frozen=True)
class StoreOpener:
    """How the app opens its store (in a worker): the location and the department wanted."""

    db: str | os.PathLike[str]
    department: str | None = None

    @property
    def path(self) -> Path | None:
        from store.engine import normalise_url, sqlite_path

        return sqlite_path(normalise_url(self.db))

    @property
    def label(self) -> str:
        text = os.fspath(self.db)
        return text if "://" not in text else text.split("@")[-1]

    def open(self) -> tuple[Store, str, str]:
        """The open store, its department code and the title to show."""
        from store.database import open_store
        from store.departments import single_department

        store = open_store(self.db)
        try:
            info = single_department(store.engine, self.department)
        except StoreError:
            store.dispose()
            raise
        return store, info.code, f"{info.name} ({info.code})"


def make_app(
    db: str | os.PathLike[str],
    *,
    department: str | None = None,
    author: str | None = None,
    today: date | None = None,
    unreachable: StoreError | None = None,
    early_figures: EarlyFigures | None = None,
) -> SuiviStsApp:
    """Build the app on a store (tests pass a temporary file, so nothing touches user data);
    `unreachable`: the server was just found out of reach (the app starts with the banner);
    `early_figures`: the dashboard's figures, being read since the command line started."""
    from tui.control_codes import strip_every_control_code

    strip_every_control_code()
    return SuiviStsApp(
        StoreOpener(db, department),
        author=author,
        today=today,
        unreachable=unreachable,
        early_figures=early_figures,
    )
