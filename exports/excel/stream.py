"""A worksheet that streams its usual cells faster, byte for byte as xlsxwriter writes them.

In constant-memory mode xlsxwriter writes each cell of a flushed row through `_write_cell`, which
escapes every attribute and every text (five regular expressions a text, an exception for the
style number): most of an export's time. `StreamSheet` writes a formatted text that needs none
of it (no character to escape, no space at either end, nothing that looks like an escape) and a
formatted number or date directly, and leaves every other cell to xlsxwriter; a flushed row is
written to the temporary file at once. The XML is the same (tests/test_excel_stream.py compares
it with xlsxwriter's own, on tricky values and on a whole export). It relies on xlsxwriter's
private cell tuples, `fh`, `_write_cell` and `_write_single_row`: pyproject.toml pins the
versions it was checked with, and that test fails if they change.
"""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

from xlsxwriter.utility import xl_rowcol_to_cell_fast
from xlsxwriter.worksheet import CellDatetimeTuple, CellNumberTuple, CellStringTuple, Worksheet

#: What xlsxwriter would change or mark in an in-line text (control characters and their
#: `_xHHHH_` escapes, XML's special characters, a rich text's tags, spaces to preserve at either
#: end): a text holding any of it goes the usual way.
_SPECIAL = re.compile(r"[\x00-\x1f&<>\ufffe\uffff]|_x[0-9a-fA-F]{4}_|^\s|\s$")


class StreamSheet(Worksheet):
    """An xlsxwriter worksheet (constant memory) writing plain formatted cells directly, a row
    at a time."""

    #: The file the rows go to (xlsxwriter's XML writer sets it).
    fh: Any

    def _write_single_row(self, current_row_num: int = 0) -> None:
        # xlsxwriter writes each tag of a flushed row to the temporary file, whose every write
        # also resets its decoder: the row is gathered, then written once.
        parts: list[str] = []
        fh = self.fh
        self.fh = SimpleNamespace(write=parts.append)
        try:
            super()._write_single_row(current_row_num)
        finally:
            self.fh = fh
        if parts:
            fh.write("".join(parts))

    def _write_cell(self, row: int, col: int, cell: Any) -> None:
        fmt = cell.format
        if fmt is not None and self.constant_memory:
            kind = cell.__class__
            if kind is CellStringTuple:
                text = cell.string
                if not _SPECIAL.search(text):
                    self.fh.write(
                        f'<c r="{xl_rowcol_to_cell_fast(row, col)}" s="{fmt._get_xf_index()}" '
                        f't="inlineStr"><is><t>{text}</t></is></c>'
                    )
                    return
            elif kind is CellNumberTuple or kind is CellDatetimeTuple:
                self.fh.write(
                    f'<c r="{xl_rowcol_to_cell_fast(row, col)}" s="{fmt._get_xf_index()}">'
                    f"<v>{cell.number:.16G}</v></c>"
                )
                return
        super()._write_cell(row, col, cell)
