"""Frame shared by the main screens: header, read-only banner, footer, data access."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from textual import events, on
from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Header, Input, Static
from textual.worker import Worker, WorkerState

from tui.widgets.app_footer import AppFooter
from tui.widgets.connection_banner import ConnectionBanner

if TYPE_CHECKING:
    from pathlib import Path

    from tui.app import SuiviStsApp
    from tui.services import StoreService


class BaseScreen(Screen[None]):
    """A main screen: subclasses yield their body from `compose_body`."""

    #: The search box a letter typed on the list goes to (type to search), when the screen has one:
    #: « lavelanet » typed on the list searches instead of firing « n » (new) half-way.
    SEARCH_BOX: ClassVar[str | None] = None
    #: The screen has been shown (resumed) once.
    _resumed_once = False
    #: The screen's actions that write to the store: on a read-only store their keys are shown
    #: greyed in the footer and do nothing (the banner says why).
    WRITE_ACTIONS: ClassVar[frozenset[str]] = frozenset()

    @property
    def suivi(self) -> SuiviStsApp:
        return cast("SuiviStsApp", self.app)

    @property
    def service(self) -> StoreService:
        return self.suivi.service

    def compose(self) -> ComposeResult:
        yield Header()
        yield from self._store_banners()
        yield ConnectionBanner()
        yield from self.compose_body()
        yield AppFooter()

    def _store_banners(self) -> list[Static]:
        """Read-only, or a notice about the store (none while it opens: `store_opened` adds them)."""
        if not self.suivi.is_open:
            return []
        notices = " ".join(self.service.store.notices)
        if self.service.read_only:
            return [
                Static(
                    f"LECTURE SEULE — {notices or 'modifications impossibles.'}",
                    classes="read-only-banner",
                    markup=False,
                )
            ]
        if notices:  # e.g. a store on a network share: stays visible, not a passing notification
            return [Static(f"Attention — {notices}", classes="notice-banner", markup=False)]
        return []

    def store_opened(self) -> None:
        """The store is now open: its banners, if this screen was composed before (first figures)."""
        if self.is_mounted and not self.query(".read-only-banner, .notice-banner"):
            banners = self._store_banners()
            if banners:
                self.mount_all(banners, before=self.query_one(ConnectionBanner))

    def compose_body(self) -> ComposeResult:
        yield from ()

    def on_key(self, event: events.Key) -> None:
        """A printable key that is no key of the screen starts a search with that character.

        The rest of a word typed in one burst (« lavelanet » delivered at once by the terminal)
        was already on its way to the list when the box took the focus: a printable key that
        reaches the screen while the box has the focus is one of those (the box itself takes the
        keys typed in it), and goes into the box, even a letter that is a key of the screen."""
        if event.key == "escape" and self.SEARCH_BOX is not None:
            self._escape_search(event)
            return
        character = event.character or ""
        if self.SEARCH_BOX is None or not event.is_printable or not character.strip():
            return  # (a space is no search)
        box = self.query_one(self.SEARCH_BOX, Input)
        if self.focused is box and box.is_on_screen:
            event.stop()
            event.prevent_default()
            box.insert_text_at_cursor(character)
            return
        bound = self.active_bindings.get(event.key)
        if isinstance(self.focused, Input) or (bound is not None and bound.enabled):
            return  # (a key greyed on a read-only store, « n », searches)
        if not box.is_on_screen:  # another tab is shown (the coverage matrix)
            return
        event.stop()
        event.prevent_default()
        box.select_on_focus = False  # else the next letter would replace this one
        self.set_focus(box)  # now, not after the keys already queued (`focus()` waits its turn)
        box.value = character  # a new search, as in any list
        box.cursor_position = len(box.value)

    def _escape_search(self, event: events.Key) -> None:
        """Échap in the search box: the search is cleared (every row again); on an empty box,
        back to the list (the screen's `action_results`). Elsewhere Échap is left alone."""
        box = self.query_one(self.SEARCH_BOX or "", Input)
        if self.focused is not box:
            return
        event.stop()
        event.prevent_default()
        if box.value:
            box.value = ""
        elif callable(to_results := getattr(self, "action_results", None)):
            to_results()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """A key that writes is greyed (None) on a read-only store."""
        if action in self.WRITE_ACTIONS and self.suivi.is_open and self.service.read_only:
            return None
        return True

    def refresh_data(self) -> None:
        """Reload what the screen shows (called when data changed elsewhere)."""

    def apply_typed(self) -> None:
        """Before quitting: apply what is typed and would be applied by the next key (nothing
        here; the Atelier's progress typed after `p`)."""

    # --- work shown and not saved (asked about before quitting) -----------------------------

    def is_dirty(self) -> bool:
        """The screen shows work not saved yet (a form's typing, the Atelier's failed writes)."""
        return False

    @property
    def where(self) -> str:
        """The screen's work, as the user names it (« Action ACT-002 », « Atelier n°3 »)."""
        return self.TITLE or type(self).__name__

    def action_save(self) -> None:
        """Save what `is_dirty` says is not saved (« Enregistrer puis quitter »)."""

    def keep_draft(self) -> Path | None:
        """Keep the unsaved work where the next start offers it back, when the screen can."""
        return None

    def on_screen_resume(self) -> None:
        self._resumed_once = True
        self.refresh_data()

    def post_message(self, message: Message) -> bool:
        """The first showing restyles nothing: Textual (8.x) sends a new mode's screen two
        « resume » events, each asking to style every widget again, though they were styled
        when mounted, with the app's current stylesheet (`tui.app._styles_current`); that took
        a fifth of the dashboard's first drawing (cProfile)."""
        if isinstance(message, events.ScreenResume) and message.refresh_styles and not self._resumed_once:
            message = events.ScreenResume(refresh_styles=False)
        return super().post_message(message)

    @on(Worker.StateChanged)
    def worker_failed(self, event: Worker.StateChanged) -> None:
        """A failed worker of this screen: the app's error dialog says why (the app keeps running)."""
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            self.suivi.show_error(event.worker.error, group=event.worker.group)

    def loading_in(self, group: str) -> bool:
        """A worker of this screen in `group` is still at work (pending or running)."""
        return any(w.node is self and w.group == group and not w.is_finished for w in self.app.workers)

    def refuse_if_read_only(self) -> bool:
        if self.service.read_only:
            self.notify("La base est en lecture seule : modification impossible.", severity="warning")
            return True
        return False
