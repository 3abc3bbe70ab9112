"""Running the headless Excel exports from the screens, in workers, with progress.

The dialogs only collect options; `exports.excel` does the work (imported when an export
starts, so that opening the app does not pay for the Excel libraries).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.widgets.export_dialog import ExportDialog, ExportRequest

if TYPE_CHECKING:
    from collections.abc import Callable

    from tui.screens.base import BaseScreen


def ask_and_export(screen: BaseScreen, *, kind: str = "ars") -> None:
    """Ask which workbook and where, then export it in a worker."""

    def chosen(request: ExportRequest | None) -> None:
        if request is not None:
            run_export(screen, request)

    screen.app.push_screen(ExportDialog(kind=kind), chosen)


def run_export(screen: BaseScreen, request: ExportRequest) -> None:
    service = screen.service

    def job() -> None:
        from exports import excel

        progress = _progress(screen)
        if request.kind == "cts":
            result = excel.export_cts(
                service.store,
                service.department,
                request.path,
                with_contacts=request.with_contacts,
                author=service.author,
                progress=progress,
            )
        else:
            result = excel.export_ars(
                service.store, service.department, request.path, author=service.author, progress=progress
            )
        screen.app.call_from_thread(screen.notify, f"{result.summary}\n{result.path}", timeout=10)

    screen.notify(f"Export en cours vers {request.path}…")
    screen.run_worker(
        job, thread=True, exit_on_error=False, group="export", name=f"export {request.path.name}"
    )


def export_workshop(screen: BaseScreen, session_id: int) -> None:
    """Ask where, then export the changes of a workshop session (for sending to the ARS)."""
    service = screen.service

    def chosen(request: ExportRequest | None) -> None:
        if request is None:
            return

        def job() -> None:
            from exports import excel

            result = excel.export_workshop(
                service.store,
                service.department,
                session_id,
                request.path,
                author=service.author,
                progress=_progress(screen),
            )
            screen.app.call_from_thread(screen.notify, f"{result.summary}\n{result.path}", timeout=10)

        screen.run_worker(
            job, thread=True, exit_on_error=False, group="export", name=f"export {request.path.name}"
        )

    kinds = {"atelier": f"Changements de l'atelier n°{session_id} (pour l'ARS)"}
    screen.app.push_screen(ExportDialog(kinds, kind="atelier"), chosen)


def _progress(screen: BaseScreen) -> Callable[[int, int], None]:
    last = [-1]

    def report(done: int, total: int) -> None:
        percent = int(100 * done / total) if total else 100
        if percent >= last[0] + 25:
            last[0] = percent
            screen.app.call_from_thread(screen.notify, f"Export : {percent} %", timeout=2)

    return report
