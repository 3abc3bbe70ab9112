"""Importing Excel workbooks: the ARS exchange workbook, and foreign layouts with a mapping.

Public API (the CLI and the TUI's import screen use only this):

* ``preview_import(store, department, path, mapping=None, progress=None) -> ImportPreview``
  reads and checks the file and says what the import would do (nothing written);
* ``apply_import(store, department, preview, resolutions, author, progress=None) -> ImportResult``
  writes it in one transaction after a backup;
* ``UnreadableWorkbook`` (file refused before or while reading), ``ImportRefused`` (rejected
  rows, unresolved conflicts, store changed since the preview).

The Excel libraries (python-calamine, openpyxl) are imported only when a file is read.
See docs/excel.md.
"""

from __future__ import annotations

from importlib import import_module

from store.workbook_layout import META_SHEET as META_SHEET  # the hidden sheet: the reader sends it first

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (the reading child)
if TYPE_CHECKING:  # the names below are loaded on first use (the reading child imports none)
    from typing import Any

    from importers.excel.apply import apply_import
    from importers.excel.model import (
        CHANGED,
        KEEP_STORE,
        NEW,
        TAKE_WORKBOOK,
        UNCHANGED,
        Change,
        Conflict,
        ConflictKey,
        ImportPreview,
        ImportRefused,
        ImportResult,
        Location,
        Problem,
        Resolution,
        RowPlan,
    )
    from importers.excel.preview import preview_import
    from importers.excel.safety import Limits, UnreadableWorkbook

__all__ = [
    "CHANGED",
    "KEEP_STORE",
    "NEW",
    "TAKE_WORKBOOK",
    "UNCHANGED",
    "Change",
    "Conflict",
    "ConflictKey",
    "ImportPreview",
    "ImportRefused",
    "ImportResult",
    "Limits",
    "Location",
    "Problem",
    "Resolution",
    "RowPlan",
    "UnreadableWorkbook",
    "apply_import",
    "preview_import",
]

_HOMES = {
    "apply_import": "apply",
    "preview_import": "preview",
    "Limits": "safety",
    "UnreadableWorkbook": "safety",
}


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(name)
    return getattr(import_module(f"importers.excel.{_HOMES.get(name, 'model')}"), name)
