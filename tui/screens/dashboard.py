"""Tableau de bord: where the plan stands."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, Static


class DashboardScreen(Screen[None]):
    """The first screen: the department and the state of its plan."""

    BINDINGS = [("q", "app.quit", "Quitter")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Tableau de bord", id="dashboard-title")
        yield Footer()
