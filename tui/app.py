"""The Suivi STS Textual application."""

from __future__ import annotations

import os

from textual.app import App

from store.database import Store, open_store
from store.departments import single_department


class SuiviStsApp(App[int]):
    """Suivi STS: browse the scheme, follow the actions, manage aidant/répit resources."""

    TITLE = "Suivi STS"
    CSS_PATH = "app.tcss"

    def __init__(self, store: Store, department: str) -> None:
        super().__init__()
        self.store = store
        self.department = department

    def on_mount(self) -> None:
        from tui.screens.dashboard import DashboardScreen

        info = single_department(self.store.engine, self.department)
        self.sub_title = f"{info.code} {info.name}" if info else self.department
        self.push_screen(DashboardScreen())
        for notice in self.store.notices:
            self.notify(notice, severity="warning", timeout=15)


def make_app(db: str | os.PathLike[str], *, department: str | None = None) -> SuiviStsApp:
    """Build the app on a store (tests pass a temporary file; nothing touches user data)."""
    store = open_store(db)
    info = single_department(store.engine, department)
    return SuiviStsApp(store, info.code if info else (department or "09"))
