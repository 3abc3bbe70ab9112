"""The exchange workbook's faster worksheet writes the same file as xlsxwriter's own.

`exports.excel.stream.StreamSheet` replaces xlsxwriter's private `_write_cell` for the usual
cells: these tests fail if a new xlsxwriter writes any cell differently (then its pin in
pyproject.toml must not move before `StreamSheet` is checked again).
"""

from __future__ import annotations

import re
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

import exports.excel.ars as ars
from exports.excel import export_ars
from exports.excel.stream import StreamSheet
from store.database import Store

TRICKY: list[Any] = [
    "Plain text",
    "Accents : été, Œuvre, « guillemets » — tiret",
    "Emoji 🎉 and CJK 漢字",
    "Tom & Jerry <b>bold</b> \"quoted\" 'single'",
    "<r><t>looks rich</t></r>",
    " leading space",
    "trailing space ",
    "\ttab first",
    "line\nbreak",
    "last line break\n",
    "control \x01 char",
    "bell\x07 and \x1f",
    "escape look-alike _x0041_ and _x00zz_",
    "non-characters \ufffe \uffff",
    "non-breaking space\xa0",
    "\u2003em space first",
    "=1+1",
    "x" * 5000,
    0,
    -3,
    55.5,
    1e20,
    1 / 3,
    12345678901234567890,
    date(2025, 3, 31),
    datetime(2024, 2, 29, 13, 45, 10),  # noqa: DTZ001 - a cell holds a naive date and time
]


def write_sheet(path: Path, sheet_class: type[Worksheet], with_format: bool) -> dict[str, bytes]:
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    fmt = book.add_format({"locked": False, "valign": "top"}) if with_format else None
    date_fmt = book.add_format({"num_format": "dd/mm/yyyy"})
    column_fmt = book.add_format({"bg_color": "#F2F2F2"})
    row_fmt = book.add_format({"bold": True})
    sheet = book.add_worksheet("Feuille", worksheet_class=sheet_class)
    sheet.set_column(3, 3, 12, column_fmt)
    sheet.set_row(4, 20, row_fmt)
    for row, value in enumerate(TRICKY):
        for column in range(4):
            if isinstance(value, str):
                sheet._write_string(row, column, value, fmt)
            elif isinstance(value, (date, datetime)):
                sheet._write_datetime(row, column, value, fmt or date_fmt)
            else:
                sheet._write_number(row, column, value, fmt)
    book.close()
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist() if name != "docProps/core.xml"}


@pytest.mark.parametrize("with_format", [True, False])
def test_tricky_cells_are_written_as_xlsxwriter_writes_them(tmp_path: Path, with_format: bool) -> None:
    ours = write_sheet(tmp_path / "ours.xlsx", StreamSheet, with_format)
    theirs = write_sheet(tmp_path / "theirs.xlsx", Worksheet, with_format)
    assert ours.keys() == theirs.keys()
    for name in theirs:
        assert ours[name] == theirs[name], name


def _sheets(path: Path) -> dict[str, str]:
    """The workbook's parts, the export's date and time taken out."""
    stamp = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d|\d\d/\d\d/\d{4}( à \d\d:\d\d)?")
    with zipfile.ZipFile(path) as archive:
        return {
            name: stamp.sub("", archive.read(name).decode())
            for name in archive.namelist()
            if name != "docProps/core.xml"
        }


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_the_exchange_workbook_is_the_one_xlsxwriter_would_write(
    loaded_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export_ars(loaded_store, "09", tmp_path / "ours.xlsx", author="testeur")
    monkeypatch.setattr(ars, "StreamSheet", Worksheet)
    export_ars(loaded_store, "09", tmp_path / "theirs.xlsx", author="testeur")
    ours, theirs = _sheets(tmp_path / "ours.xlsx"), _sheets(tmp_path / "theirs.xlsx")
    assert ours.keys() == theirs.keys()
    for name in theirs:
        assert ours[name] == theirs[name], name
    assert '<c r="A2" s="' in ours["xl/worksheets/sheet2.xml"]  # a written, formatted code
