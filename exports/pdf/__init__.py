"""PDF exports: the CTS dossier and a workshop's minutes, ready to print.

Public API (the CLI and the app's export dialog use only this):

* ``export_cts_pdf(store, department, path, *, with_contacts=False, author=None, today=None)``
* ``export_workshop_pdf(store, department, session_id, path, *, author=None)``

Typeset by Typst (the `typst` package embeds the compiler and its fonts: nothing is fetched),
written through a temporary file moved into place, and logged in the exchange log like the
workbooks. Typst is imported only when an export starts. See docs/excel.md, « Le dossier PDF ».
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from exports.atomic import atomic_path
from exports.excel import ExportResult, Progress, _author, _log
from store.database import Store
from store.formatting import counted


def export_cts_pdf(
    store: Store,
    department: str,
    path: Path,
    *,
    with_contacts: bool = False,
    author: str | None = None,
    today: date | None = None,
    printed_at: datetime | None = None,
    progress: Progress | None = None,
) -> ExportResult:
    """Write the CTS dossier of `department` to `path` (PDF): the situation on `today` (the
    day, by default), printed at `printed_at` (now)."""
    from exports.pdf.cts import build_cts
    from exports.pdf.render import render

    path = Path(path)
    who = _author(author)
    day = today or datetime.now().astimezone().date()
    with store.engine.connect() as conn:
        data = build_cts(conn, department, today=day, with_contacts=with_contacts, printed_at=printed_at)
    if progress is not None:
        progress(1, 2)
    with atomic_path(path) as tmp:
        pages = render("cts.typ", data, tmp, timestamp=printed_at)
    if progress is not None:
        progress(2, 2)
    actions = data["synthesis"]["total"]
    summary = f"dossier CTS (PDF, {counted(pages, 'page')}) : {counted(actions, 'action')}" + (
        " (avec contacts)" if with_contacts else ""
    )
    logged = _log(store, department, "cts", path, who, summary)
    return ExportResult(path, "cts", summary, actions, 0, logged)


def export_workshop_pdf(
    store: Store,
    department: str,
    session_id: int | None,
    path: Path,
    *,
    author: str | None = None,
    progress: Progress | None = None,
) -> ExportResult:
    """Write the minutes of a workshop session (the latest when `session_id` is None), PDF."""
    from exports.excel.workshop import required_workshop
    from exports.pdf.render import render
    from exports.pdf.workshop import build_minutes

    path = Path(path)
    who = _author(author)
    with store.engine.connect() as conn:
        content = required_workshop(conn, department, session_id)
        data = build_minutes(conn, department, content)
    with atomic_path(path) as tmp:
        pages = render("workshop.typ", data, tmp)
    if progress is not None:
        progress(1, 1)
    source = content.info.source.lower()
    summary = f"compte rendu de l'{source} (PDF, {counted(pages, 'page')}) : {data['summary']}"
    logged = _log(store, department, "atelier", path, who, summary)
    return ExportResult(path, "atelier", summary, len(content.lines), 0, logged)


__all__ = ["export_cts_pdf", "export_workshop_pdf"]
