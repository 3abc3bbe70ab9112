"""Hooks from the screens to the Excel exports (issue « Excel exchange »).

The exports are headless (exports/excel); here we only pick the file name and run them
in a worker. Until that package exists, the hooks say so instead of failing.
"""

from __future__ import annotations

import importlib
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from store.views.action_list import ActionFilter
    from tui.screens.base import BaseScreen


def _exports() -> Any | None:
    try:
        return importlib.import_module("exports.excel")
    except ModuleNotFoundError:
        return None


def default_export_path(stem: str) -> Path:
    stamp = datetime.now().astimezone().strftime("%Y-%m-%d_%Hh%M")
    return Path.cwd() / f"{stem}_{stamp}.xlsx"


def export_actions_view(screen: BaseScreen, criteria: ActionFilter) -> None:
    """Export the actions the list currently shows."""
    module = _exports()
    function = getattr(module, "export_actions_view", None) if module else None
    if function is None:
        screen.notify("Export Excel de la vue : indisponible dans cette version.", severity="warning")
        return
    _run(screen, function, default_export_path("actions"), criteria=criteria)


def export_workshop(screen: BaseScreen, session_id: int) -> None:
    """Export the changes of a workshop session."""
    module = _exports()
    function = getattr(module, "export_workshop", None) if module else None
    if function is None:
        screen.notify("Export de la séance : pas encore disponible dans cette version.", severity="warning")
        return
    _run(screen, function, default_export_path(f"atelier_{session_id}"), session_id=session_id)


def _run(screen: BaseScreen, function: Any, path: Path, **options: Any) -> None:
    service = screen.service

    def job() -> None:
        function(service.store, service.department, path, **options)
        screen.app.call_from_thread(screen.notify, f"Export écrit : {path}")

    screen.run_worker(job, thread=True, exit_on_error=False, group="export", name=f"export {path.name}")
