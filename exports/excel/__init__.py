"""Excel exports: the ARS exchange workbook, the CTS report, a workshop's changes.

Public API (the CLI and the TUI's export screen use only this):

* ``export_ars(store, department, path, *, author=None, progress=None) -> ExportResult``
* ``export_cts(store, department, path, *, with_contacts=False, author=None, progress=None)``
* ``export_workshop(store, department, session_id, path, *, author=None, progress=None)``

Every workbook is written to a temporary file beside `path` and moved into place (a killed
export leaves no half file), every text cell is written as text (never a formula), and the
export is logged in the store's exchange log. xlsxwriter is imported only when an export
starts. See docs/excel.md.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from exports.atomic import atomic_path
from store.activity import record_exchange
from store.collector import collector_paused
from store.database import Store
from store.errors import ReadOnlyStore
from store.formatting import counted
from store.identity import current_user

Progress = Callable[[int, int], None]


@dataclass
class ExportResult:
    """What an export wrote."""

    path: Path
    kind: str
    summary: str
    rows: int = 0
    truncated_cells: int = 0
    logged: bool = True


def _author(author: str | None) -> str:
    return author or current_user()


def _workbook(path: Path, *, constant_memory: bool) -> Any:
    """An xlsxwriter workbook in Arial, whose widths the row heights of wrapped texts are computed
    with (`exports.excel.safe.wrapped_lines`): the same in Excel and in LibreOffice."""
    import xlsxwriter

    from exports.excel.safe import REPORT_FONT, ROW_PIXELS

    return xlsxwriter.Workbook(
        str(path),
        {
            "default_format_properties": dict(REPORT_FONT),
            "default_row_height": ROW_PIXELS,
            "constant_memory": constant_memory,
            # Belt and braces: the writers below never call write(), but if they did,
            # no string would be turned into a formula, a number or a link.
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
            "default_date_format": "dd/mm/yyyy",
            "tmpdir": str(path.parent),
        },
    )


def _log(store: Store, department: str, kind: str, path: Path, author: str, summary: str) -> bool:
    """Record the export; a read-only store cannot log it (the file is written all the same)."""
    try:
        with store.writer.begin() as conn:
            record_exchange(
                conn,
                department,
                direction="export",
                kind=kind,
                file_name=path.name,
                author=author,
                summary=summary,
            )
    except ReadOnlyStore:
        return False
    return True


@collector_paused()
def export_ars(
    store: Store,
    department: str,
    path: Path,
    *,
    author: str | None = None,
    progress: Progress | None = None,
    codes: Collection[str] | None = None,
) -> ExportResult:
    """Write the exchange workbook of `department` to `path` (see exports/excel/ars.py).

    `codes`: only these actions (a filtered list); None exports them all.
    """
    from exports.excel import data as export_data
    from exports.excel.ars import ExchangeWriter
    from store.schema import head_revision

    path = Path(path)
    who = _author(author)
    # One read transaction for the whole export (a consistent snapshot); actions and values are
    # streamed from it, so memory does not grow with the size of the store.
    with store.engine.connect() as conn, atomic_path(path) as tmp:
        content = export_data.load_outline(conn, department, codes=codes)
        book = _workbook(tmp, constant_memory=True)
        writer = ExchangeWriter(book, content, who, head_revision(), progress, conn)
        writer.write()
        book.close()
    summary = (
        f"{counted(len(content.action_codes), 'action')}, {counted(len(content.indicators), 'indicateur')} "
        f"({counted(content.value_count, 'valeur')}), {counted(len(content.resources), 'ressource')}"
    )
    logged = _log(store, department, "ars", path, who, summary)
    return ExportResult(path, "ars", summary, writer.total, writer.truncated, logged)


@collector_paused()
def export_cts(
    store: Store,
    department: str,
    path: Path,
    *,
    with_contacts: bool = False,
    author: str | None = None,
    progress: Progress | None = None,
    codes: Collection[str] | None = None,
) -> ExportResult:
    """Write the CTS report (to read, project and print) of `department` to `path`.

    `codes`: only these actions (a filtered list); None reports them all.
    """
    from exports.excel import data as export_data
    from exports.excel.cts import ReportWriter

    path = Path(path)
    who = _author(author)
    with store.engine.connect() as conn:
        content = export_data.load(conn, department, care_offer=True, codes=codes)
    with atomic_path(path) as tmp:
        book = _workbook(tmp, constant_memory=False)
        writer = ReportWriter(book, content, with_contacts=with_contacts, progress=progress)
        writer.write()
        book.close()
    summary = f"rapport CTS : {counted(len(content.actions), 'action')}" + (
        " (avec contacts)" if with_contacts else ""
    )
    logged = _log(store, department, "cts", path, who, summary)
    return ExportResult(path, "cts", summary, len(content.actions), writer.truncated, logged)


def export_workshop(
    store: Store,
    department: str,
    session_id: int | None,
    path: Path,
    *,
    author: str | None = None,
    progress: Progress | None = None,
) -> ExportResult:
    """Write the changes of a workshop session (the latest when `session_id` is None)."""
    from exports.excel.workshop import WorkshopWriter, required_workshop

    path = Path(path)
    who = _author(author)
    with store.engine.connect() as conn:
        content = required_workshop(conn, department, session_id)
    with atomic_path(path) as tmp:
        book = _workbook(tmp, constant_memory=False)
        writer = WorkshopWriter(book, content, progress=progress)
        writer.write()
        book.close()
    summary = f"{content.info.source} : {content.summary()}"
    logged = _log(store, department, "atelier", path, who, summary)
    return ExportResult(path, "atelier", summary, len(content.lines), writer.truncated, logged)


__all__ = ["ExportResult", "export_ars", "export_cts", "export_workshop"]
