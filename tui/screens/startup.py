"""The screen shown while the store opens (drawn before the store layer is even imported)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, Static

from tui.widgets.app_footer import AppFooter
from tui.widgets.connection_banner import ConnectionBanner


class StartupScreen(Screen[None]):
    """« Ouverture de la base… » (static: an animation would compete with the opening for the CPU)."""

    BINDINGS = [Binding("ctrl+q", "app.quit", "Quitter", tooltip="Quitter Suivi STS")]

    def __init__(self, location: str) -> None:
        super().__init__()
        self.location = location

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"Ouverture de la base « {self.location} »…", classes="screen-title", markup=False)
        yield ConnectionBanner()
        yield AppFooter()
