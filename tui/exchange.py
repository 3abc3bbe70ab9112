"""Running the headless Excel exports from the screens, in workers, with progress.

The dialogs only collect options; `exports.excel` does the work (imported when an export
starts, so that opening the app does not pay for the Excel libraries).

An export abandoned on the way (the app quits, or its worker is cancelled) stops at the next
progress report (`ExportCancelled`): `exports.atomic` removes its temporary folder, the target
keeps its old content, and the quitting app waits for that cleanup (thread workers run in the
event loop's executor, which is joined on exit).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tui.widgets.export_dialog import ExportDialog, ExportRequest

if TYPE_CHECKING:
    from collections.abc import Callable, Collection

    from tui.screens.base import BaseScreen


def ask_and_export(screen: BaseScreen, *, kind: str = "ars", codes: Collection[str] | None = None) -> None:
    """Ask which workbook and where, then export it in a worker (`codes`: only these actions)."""

    def chosen(request: ExportRequest | None) -> None:
        if request is not None:
            run_export(screen, request, codes=codes)

    screen.app.push_screen(ExportDialog(kind=kind, department=screen.service.department), chosen)


def exported(result: Any) -> str:
    """The notification of a finished export, in the words of the command line's."""
    return f"Exporté : {result.summary}.\n{result.path}"


def run_export(screen: BaseScreen, request: ExportRequest, *, codes: Collection[str] | None = None) -> None:
    service = screen.service

    def job() -> None:
        from exports import excel
        from exports.atomic import ExportCancelled

        progress = _progress(screen)
        try:
            result = export(excel, progress)
        except ExportCancelled:
            return
        screen.app.call_from_thread(screen.notify, exported(result), timeout=10)

    def export(excel: Any, progress: Callable[[int, int], None]) -> Any:
        if request.kind == "cts-pdf":
            from exports.pdf import export_cts_pdf

            return export_cts_pdf(
                service.store,
                service.department,
                request.path,
                with_contacts=request.with_contacts,
                author=service.author,
                progress=progress,
            )
        if request.kind == "cts":
            return excel.export_cts(
                service.store,
                service.department,
                request.path,
                with_contacts=request.with_contacts,
                author=service.author,
                progress=progress,
                codes=codes,
            )
        return excel.export_ars(
            service.store,
            service.department,
            request.path,
            author=service.author,
            progress=progress,
            codes=codes,
        )

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
            from exports.atomic import ExportCancelled

            try:
                write = excel.export_workshop
                if request.kind == "atelier-pdf":
                    from exports.pdf import export_workshop_pdf as write
                result = write(
                    service.store,
                    service.department,
                    session_id,
                    request.path,
                    author=service.author,
                    progress=_progress(screen),
                )
            except ExportCancelled:
                return
            screen.app.call_from_thread(screen.notify, exported(result), timeout=10)

        screen.run_worker(
            job, thread=True, exit_on_error=False, group="export", name=f"export {request.path.name}"
        )

    kinds = {
        "atelier": f"Changements de l'atelier n°{session_id} (pour l'ARS)",
        "atelier-pdf": f"Compte rendu de l'atelier n°{session_id} (PDF, à imprimer et signer)",
    }
    screen.app.push_screen(ExportDialog(kinds, kind="atelier", department=service.department), chosen)


def _progress(screen: BaseScreen) -> Callable[[int, int], None]:
    """Progress notifications; raises ExportCancelled once the worker is cancelled (app quitting)."""
    from textual.worker import get_current_worker

    from exports.atomic import ExportCancelled

    worker = get_current_worker()
    last = [-1]

    def report(done: int, total: int) -> None:
        if worker.is_cancelled:
            raise ExportCancelled
        percent = int(100 * done / total) if total else 100
        if percent >= last[0] + 25:
            last[0] = percent
            screen.app.call_from_thread(screen.notify, f"Export : {percent} %", timeout=2)

    return report
