"""Frame shared by the main screens: header, read-only banner, footer, data access."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual import on
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Header, Static
from textual.worker import Worker, WorkerState

from tui.widgets.app_footer import AppFooter
from tui.widgets.connection_banner import ConnectionBanner

if TYPE_CHECKING:
    from tui.app import SuiviStsApp
    from tui.services import StoreService


class BaseScreen(Screen[None]):
    """A main screen: subclasses yield their body from `compose_body`."""

    @property
    def suivi(self) -> SuiviStsApp:
        return cast("SuiviStsApp", self.app)

    @property
    def service(self) -> StoreService:
        return self.suivi.service

    def compose(self) -> ComposeResult:
        yield Header()
        notices = " ".join(self.service.store.notices)
        if self.service.read_only:
            yield Static(
                f"LECTURE SEULE — {notices or 'modifications impossibles.'}", classes="read-only-banner"
            )
        elif notices:  # e.g. a store on a network share: stays visible, not a passing notification
            yield Static(f"Attention — {notices}", classes="notice-banner")
        yield ConnectionBanner()
        yield from self.compose_body()
        yield AppFooter()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def refresh_data(self) -> None:
        """Reload what the screen shows (called when data changed elsewhere)."""

    def on_screen_resume(self) -> None:
        self.refresh_data()

    @on(Worker.StateChanged)
    def worker_failed(self, event: Worker.StateChanged) -> None:
        """A failed worker of this screen: the app's error dialog says why (the app keeps running)."""
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            self.suivi.show_error(event.worker.error, group=event.worker.group)

    def refuse_if_read_only(self) -> bool:
        if self.service.read_only:
            self.notify("La base est en lecture seule : modification impossible.", severity="warning")
            return True
        return False
