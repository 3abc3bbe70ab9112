"""The Suivi STS Textual application (the App only; screens live in tui/screens/)."""

from __future__ import annotations

import os
from datetime import date
from typing import TYPE_CHECKING

from textual import on
from textual.app import App
from textual.binding import Binding
from textual.worker import Worker, WorkerState

from store.database import Store, open_store
from store.departments import single_department
from store.errors import StoreError
from store.identity import current_user
from tui.commands import SuiviCommands
from tui.services import StoreService
from tui.widgets.error_dialog import ErrorDialog

if TYPE_CHECKING:
    from store.views.action_list import ActionFilter

#: Main screens: mode name → (French name, module, class).
SCREENS_BY_MODE: dict[str, tuple[str, str, str]] = {
    "dashboard": ("Tableau de bord", "tui.screens.dashboard", "DashboardScreen"),
    "scheme": ("Schéma", "tui.screens.scheme", "SchemeScreen"),
    "actions": ("Actions", "tui.screens.actions", "ActionsScreen"),
    "workshop": ("Atelier", "tui.screens.workshop", "WorkshopScreen"),
    "resources": ("Ressources aidants et répit", "tui.screens.resources", "ResourcesScreen"),
    "care_offer": ("Offre de soins", "tui.screens.care_offer", "CareOfferScreen"),
}


def _factory(module: str, name: str):  # type: ignore[no-untyped-def]
    def build():  # type: ignore[no-untyped-def]
        import importlib

        return getattr(importlib.import_module(module), name)()

    return build


class SuiviStsApp(App[int]):
    """Suivi STS: browse the scheme, follow the actions, manage aidant/répit resources."""

    TITLE = "Suivi STS"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {SuiviCommands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    MODES = {mode: _factory(module, cls) for mode, (_label, module, cls) in SCREENS_BY_MODE.items()}
    BINDINGS = [
        Binding("f1", "help", "Aide", tooltip="Les touches de l'écran courant"),
        Binding("f2", "go('dashboard')", "Tableau de bord", tooltip="Où en est le plan"),
        Binding("f3", "go('scheme')", "Schéma", tooltip="Engagements, défis et objectifs"),
        Binding("f4", "go('actions')", "Actions", tooltip="La liste des actions, filtrable"),
        Binding("f5", "go('workshop')", "Atelier", tooltip="Mettre à jour les actions en séance"),
        Binding("f6", "go('resources')", "Ressources", tooltip="Aidants et répit, couverture"),
        Binding("f7", "go('care_offer')", "Offre", tooltip="Objectifs quantitatifs de l'offre de soins"),
        Binding(
            "ctrl+o", "import_workbook", "Importer", tooltip="Importer un classeur Excel (aperçu d'abord)"
        ),
        Binding(
            "ctrl+e", "export_workbook", "Exporter", tooltip="Exporter le classeur ARS ou le rapport CTS"
        ),
        Binding(
            "ctrl+t", "toggle_theme", "Clair/sombre", show=False, tooltip="Basculer thème clair / sombre"
        ),
        Binding("ctrl+q", "quit", "Quitter", tooltip="Quitter (tout est déjà enregistré)"),
    ]

    def __init__(
        self, store: Store, department: str, *, author: str | None = None, today: date | None = None
    ) -> None:
        super().__init__()
        self.store = store
        self.service = StoreService(store, department, author or current_user(), today=today)

    def on_mount(self) -> None:
        info = single_department(self.store.engine, self.service.department)
        name = f"{info.name} ({info.code})" if info else self.service.department
        self.sub_title = name + (" — lecture seule" if self.store.read_only else "")
        self.switch_mode("dashboard")

    def on_unmount(self) -> None:
        self.store.dispose()

    # --- navigation ---------------------------------------------------------------------

    def action_go(self, mode: str) -> None:
        self.switch_mode(mode)

    def action_help(self) -> None:
        from tui.widgets.help_dialog import HelpDialog

        self.push_screen(HelpDialog(self.screen))

    def action_import_workbook(self) -> None:
        from tui.screens.import_screen import ImportScreen

        if not isinstance(self.screen, ImportScreen):
            self.push_screen(ImportScreen())

    def action_export_workbook(self) -> None:
        from tui.exchange import ask_and_export
        from tui.screens.base import BaseScreen

        if isinstance(self.screen, BaseScreen):
            ask_and_export(self.screen)

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"

    def show_actions(self, criteria: ActionFilter) -> None:
        """Open the actions list with these filters."""
        self.switch_mode("actions")
        from tui.screens.actions import ActionsScreen

        screen = self.screen
        if isinstance(screen, ActionsScreen):
            screen.apply_filter(criteria)

    def open_action(self, code: str | None, *, objective: str | None = None) -> None:
        """Open an action (or a new one attached to `objective`)."""
        from tui.screens.action_detail import ActionDetailScreen

        self.push_screen(ActionDetailScreen(code, objective=objective))

    # --- errors -------------------------------------------------------------------------

    @on(Worker.StateChanged)
    def worker_failed(self, event: Worker.StateChanged) -> None:
        """Errors of the app's own workers (screens forward theirs to `show_error`)."""
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            self.show_error(event.worker.error)

    def show_error(self, error: BaseException) -> None:
        """Every error raised in a worker ends up here, in one dialog; the app keeps running."""
        message = str(error) if isinstance(error, StoreError) else f"{type(error).__name__} : {error}"
        self.push_screen(ErrorDialog(message))


def make_app(
    db: str | os.PathLike[str],
    *,
    department: str | None = None,
    author: str | None = None,
    today: date | None = None,
) -> SuiviStsApp:
    """Build the app on a store (tests pass a temporary file, so nothing touches user data)."""
    store = open_store(db)
    info = single_department(store.engine, department)
    if info is None:
        store.dispose()
        raise StoreError(
            "Aucun département dans cette base : lancez « suivi-sts init »."
            if department is None
            else f"Département « {department} » absent de la base."
        )
    return SuiviStsApp(store, info.code, author=author, today=today)
