"""Writing cells so that nothing a user typed ever becomes a formula.

xlsxwriter's generic `write()` (and openpyxl's cell assignment) turn a string starting
with "=" into a formula. Every cell of every workbook this application writes goes through
`SafeSheet.write`, which dispatches on the Python type and writes every `str` with
`write_string`: a text stays a text, unchanged. Texts that *look* like formulas (starting
with = + - @, a tab, a carriage return or a line feed, or their full-width forms) also get
Excel's "quote prefix" style, so that editing the cell in Excel keeps it a text.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from sys import getsizeof
from typing import Any

#: First characters that spreadsheet programs may read as the start of a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
#: Excel's limit on the characters of one cell.
MAX_CELL_CHARS = 32_767
#: Column widths are measured on the first rows only (measuring every cell costs time).
MEASURED_ROWS = 2_000

#: What a written row will hold in memory once read back by the import (python-calamine gives
#: a list per row, with a str, a float, a date or datetime, or a bool per cell, and one shared ""
#: for the empty ones): the import refuses a workbook whose cells pass its budget, counted by
#: `importers.excel.isolated.row_bytes` (a test checks that both counts agree on real exports).
READ_ROW_BYTES = 64
READ_SLOT_BYTES = 8
READ_NUMBER_BYTES = getsizeof(0.0)
READ_BOOL_BYTES = getsizeof(True)
#: A text read back is a new compact string: a header, then 1, 2 or 4 bytes per character
#: (and one more character's for the ending zero), after the widest of its characters.
_ASCII_BYTES, _LATIN1_BYTES, _UCS2_BYTES, _UCS4_BYTES = 49, 73, 74, 76


def read_text_bytes(text: str) -> int:
    """`getsizeof` of `text` read back. Not `getsizeof(text)`: a string already given to SQLite
    (or otherwise asked for its UTF-8 form) also counts that cached copy."""
    if text.isascii():
        return _ASCII_BYTES + len(text)
    widest = ord(max(text))
    if widest < 0x100:
        return _LATIN1_BYTES + len(text)
    if widest < 0x10000:
        return _UCS2_BYTES + 2 * len(text)
    return _UCS4_BYTES + 4 * len(text)


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_TRIGGERS)


class Formats:
    """xlsxwriter formats created once per set of properties, with their quote-prefixed twins."""

    def __init__(self, workbook: Any) -> None:
        self.workbook = workbook
        self._by_props: dict[tuple[tuple[str, Any], ...], Any] = {}
        self._props: dict[int, dict[str, Any]] = {}

    def get(self, **props: Any) -> Any:
        key = tuple(sorted(props.items()))
        if key not in self._by_props:
            fmt = self.workbook.add_format(props)
            self._by_props[key] = fmt
            self._props[id(fmt)] = props
        return self._by_props[key]

    def props(self, fmt: Any) -> dict[str, Any]:
        """The properties `fmt` was made with (empty for None or a format made elsewhere)."""
        return self._props.get(id(fmt), {}) if fmt is not None else {}

    def quoted(self, fmt: Any) -> Any:
        props = self._props.get(id(fmt), {}) if fmt is not None else {}
        return self.get(**{**props, "quote_prefix": True})


class SafeSheet:
    """An xlsxwriter worksheet wrapper: typed writes only, widths measured as rows are written."""

    def __init__(
        self,
        formats: Formats,
        worksheet: Any,
        *,
        max_width: int = 60,
        blank_formats: bool = False,
        fit_rows: bool = False,
    ) -> None:
        #: Write empty cells that have a format (borders in reports); data sheets rely on
        #: their columns' formats instead, which keeps big sheets small.
        self.blank_formats = blank_formats
        #: Keep the wrapped texts, to give the rows their height (`fit_rows`): reports only.
        self.track_rows = fit_rows
        self.formats = formats
        self.sheet = worksheet
        self.widths: dict[int, int] = {}
        self.max_width = max_width
        self.truncated = 0
        #: Wrapped (or large) texts by row, to fit the rows' heights (`fit_rows`): first column,
        #: last column, text, font size, bold, wrapped.
        self.wrapped: dict[int, list[tuple[int, int, str, float, bool, bool]]] = {}
        self.column_widths: dict[int, float] = {}
        #: What the cells written will hold in memory once read back (READ_NUMBER_BYTES…), and
        #: the last row and column written (the rows read back are the sheet's bounding box).
        self.cell_bytes = 0
        self.last_row = self.last_column = -1

    def _quote_format(self, fmt: Any) -> Any:
        return self.formats.quoted(fmt)

    def measure(self, row: int, column: int, text: str) -> None:
        """Track the column's widest text (on the first rows only: enough to size it)."""
        if row > MEASURED_ROWS:
            return
        # One line (no line break is printable): its length; else the longest line's.
        longest = (
            len(text) if text.isprintable() else max((len(line) for line in text.splitlines()), default=0)
        )
        if longest > self.widths.get(column, 0):
            self.widths[column] = min(longest, self.max_width)

    @property
    def read_bytes(self) -> int:
        """What the sheet will hold in memory once read back by the import: a list per row of
        its bounding box, a slot per cell, each written cell's object."""
        rows, width = self.last_row + 1, self.last_column + 1
        return rows * (READ_ROW_BYTES + READ_SLOT_BYTES * width) + self.cell_bytes

    def write(self, row: int, column: int, value: Any, fmt: Any = None) -> None:
        """Write `value` with the writer of its type; a str is always a string cell."""
        sheet = self.sheet
        if value is None or value == "":
            if fmt is not None and self.blank_formats:
                sheet.write_blank(row, column, None, fmt)
            return
        if row > self.last_row:
            self.last_row = row
        if column > self.last_column:
            self.last_column = column
        if isinstance(value, str):
            if len(value) > MAX_CELL_CHARS:
                value = value[:MAX_CELL_CHARS]
                self.truncated += 1
            self.cell_bytes += read_text_bytes(value)
            if self.track_rows:
                self.remember(row, column, column, value, fmt)
            if looks_like_formula(value):
                fmt = self._quote_format(fmt)
            sheet.write_string(row, column, value, fmt)
            self.measure(row, column, value)
        elif isinstance(value, bool):
            sheet.write_boolean(row, column, value, fmt)
            self.cell_bytes += READ_BOOL_BYTES
        elif isinstance(value, (int, float)):
            sheet.write_number(row, column, value, fmt)
            self.cell_bytes += READ_NUMBER_BYTES
            self.measure(row, column, f"{value:,.2f}" if isinstance(value, float) else str(value))
        elif isinstance(value, (date, datetime)):
            sheet.write_datetime(row, column, value, fmt)
            self.cell_bytes += getsizeof(value)  # read back as written: a date or a datetime
            self.measure(row, column, "00/00/0000")
        else:
            text = str(value)
            self.cell_bytes += read_text_bytes(text)
            sheet.write_string(
                row, column, text, self._quote_format(fmt) if looks_like_formula(text) else fmt
            )
            self.measure(row, column, text)

    def write_plain(self, row: int, column: int, text: str, fmt: Any = None) -> None:
        """Write a text made by the application, known to be no formula and within a cell's
        length (a fingerprint), counted as the others; nothing else is checked or measured."""
        self.sheet._write_string(row, column, text, fmt)
        self.cell_bytes += read_text_bytes(text)
        if row > self.last_row:
            self.last_row = row
        if column > self.last_column:
            self.last_column = column

    def write_row(self, row: int, values: list[Any], formats: list[Any] | None = None) -> None:
        if self.track_rows:
            for column, value in enumerate(values):
                self.write(row, column, value, formats[column] if formats else None)
            return
        # `write` inlined for the usual cells (a big sheet's time): a plain text, a number,
        # through xlsxwriter's undecorated writers (the public ones only convert "A1"
        # references), measured on the first rows; the others go through `write`.
        measured = row <= MEASURED_ROWS
        write_string = self.sheet._write_string
        write_number = self.sheet._write_number
        held = 0
        for column, value in enumerate(values):
            fmt = formats[column] if formats else None
            kind = value.__class__
            if (
                kind is str
                and value
                and len(value) <= MAX_CELL_CHARS
                and not value.startswith(FORMULA_TRIGGERS)
            ):
                write_string(row, column, value, fmt)
                held += _ASCII_BYTES + len(value) if value.isascii() else read_text_bytes(value)
                if measured:
                    self.measure(row, column, value)
            elif kind is float or kind is int:
                write_number(row, column, value, fmt)
                held += READ_NUMBER_BYTES
                if measured:
                    self.measure(row, column, f"{value:,.2f}" if kind is float else str(value))
            elif value is not None or self.blank_formats:
                self.write(row, column, value, fmt)
        if held:
            self.cell_bytes += held
            if row > self.last_row:
                self.last_row = row
            last = len(values) - 1
            while last > self.last_column and values[last] in (None, ""):
                last -= 1
            if last > self.last_column:
                self.last_column = last

    def remember(self, row: int, first: int, last: int, text: str, fmt: Any) -> None:
        """Keep a text whose format wraps (or is larger than the default), for `fit_rows`."""
        props = self.formats.props(fmt)
        size = float(props.get("font_size", REPORT_FONT_SIZE))
        wrap = bool(props.get("text_wrap"))
        if wrap or size > REPORT_FONT_SIZE:
            self.wrapped.setdefault(row, []).append((first, last, text, size, bool(props.get("bold")), wrap))

    def merge(self, row: int, first: int, last: int, value: str, fmt: Any) -> None:
        """A heading over columns `first` to `last` of `row` (a merged cell, wrapped on its width)."""
        self.sheet.merge_range(row, first, row, last, "", fmt)
        self.write(row, first, value, fmt)
        self.wrapped[row] = [(first, last, *item[2:]) for item in self.wrapped.get(row, [])]

    def set_widths(self, widths: dict[int, float] | tuple[float, ...]) -> None:
        """Set the columns' widths (in characters), as `fit_rows` will count them."""
        for column, width in dict(enumerate(widths) if isinstance(widths, tuple) else widths).items():
            self.sheet.set_column(column, column, width)
            self.column_widths[column] = width

    def fit_rows(self, default_width: float = 8.43) -> None:
        """Give every row holding wrapped text the height its longest cell needs, as printed."""
        for row, items in self.wrapped.items():
            height = row_height(1)
            for first, last, text, size, bold, wrap in items:
                width = sum(self.column_widths.get(c, default_width) for c in range(first, last + 1))
                lines = wrapped_lines(text, width, size, bold=bold) if wrap else 1
                height = max(height, row_height(lines, size))
            if height > row_height(1):
                self.sheet.set_row(row, height)

    def fit_columns(self, minimum: int = 6, formats: dict[int, Any] | None = None) -> None:
        """Set every measured column to its content's width (capped)."""
        for column, width in self.widths.items():
            fmt = (formats or {}).get(column)
            self.sheet.set_column(column, column, max(minimum, width + 2), fmt)


# --- row heights that fit wrapped text ----------------------------------------------------------

#: Advance widths of Arial (= Helvetica, Liberation Sans), per mille of the font size, for the
#: printable ASCII characters " " to "~"; regular then bold.
_ARIAL = (
    "278 278 355 556 556 889 667 191 333 333 389 584 278 333 278 278 556 556 556 556 556 556 556 556 "
    "556 556 278 278 584 584 584 556 1015 667 667 722 722 667 611 778 722 278 500 667 556 833 722 778 "
    "667 778 722 667 611 722 667 944 667 667 611 278 278 278 469 556 333 556 556 500 556 556 278 556 "
    "556 222 222 500 222 833 556 556 556 556 333 500 278 556 500 722 500 500 500 334 260 334 584"
)
_ARIAL_BOLD = (
    "278 333 474 556 556 889 722 238 333 333 389 584 278 333 278 278 556 556 556 556 556 556 556 556 "
    "556 556 333 333 584 584 584 611 975 722 722 722 722 667 611 778 722 278 556 722 611 833 722 778 "
    "667 778 722 667 611 722 667 944 667 667 611 333 278 333 584 556 333 556 611 556 611 556 333 611 "
    "611 278 278 556 278 889 611 611 611 611 389 556 333 611 556 778 556 556 500 389 280 389 584"
)
_WIDTHS = {
    bold: {chr(32 + i): int(w) for i, w in enumerate(table.split())}
    for bold, table in ((False, _ARIAL), (True, _ARIAL_BOLD))
}
#: Characters outside ASCII: their width, or the width of their letter without its accent.
_OTHER = {"—": 1000, "…": 1000, "œ": 944, "Œ": 1000, "’": 250, "«": 556, "»": 556, "€": 556, "–": 556}
#: The report's font (Arial: Liberation Sans in LibreOffice, the same widths) and its line height.
REPORT_FONT_SIZE = 10
REPORT_FONT: dict[str, Any] = {"font_name": "Arial", "font_size": REPORT_FONT_SIZE}
LINE_HEIGHT = 12.0
#: Points above and below the lines of a row.
ROW_PADDING = 2.5
#: The default row's height in pixels (one line of the report's font).
ROW_PIXELS = 17
#: Points of a column width unit as LibreOffice lays it out with Arial 10 (the width of a digit,
#: 7.41 pixels at 96 dpi; Excel rounds it to 7: `wrapped_lines` keeps a margin for it), and what
#: a cell keeps for its margins.
POINTS_PER_UNIT = 5.56
CELL_MARGIN = 6.0


def row_height(lines: int, size: float = REPORT_FONT_SIZE) -> float:
    """The height in points of a row of `lines` lines of text of `size` points."""
    return round(lines * LINE_HEIGHT * size / REPORT_FONT_SIZE + ROW_PADDING, 2)


def text_width(text: str, size: float = 10, *, bold: bool = False) -> float:
    """The printed width of `text` in points, in Arial of `size` points."""
    table = _WIDTHS[bold]
    total = 0
    for char in text:
        width = table.get(char) or _OTHER.get(char)
        if width is None:
            base = unicodedata.normalize("NFKD", char)[:1]
            width = table.get(base, 611 if bold else 556)
        total += width
    return total * size / 1000


def wrapped_lines(text: str, width_units: float, size: float = 10, *, bold: bool = False) -> int:
    """The lines `text` takes in a wrapping cell `width_units` wide (words go whole to the next
    line, as a spreadsheet breaks them; a word wider than the cell is cut)."""
    room = max(width_units * POINTS_PER_UNIT - CELL_MARGIN, 10.0) * 0.96  # a margin for rounding
    space = text_width(" ", size, bold=bold)
    lines = 0
    for paragraph in text.split("\n"):
        lines += 1
        used = 0.0
        for word in paragraph.split():
            width = text_width(word, size, bold=bold)
            if used and used + space + width > room:
                lines += 1
                used = 0.0
            if width > room:  # cut inside the word
                extra, width = divmod(width, room)
                lines += int(extra)
            used += (space if used else 0.0) + width
    return lines
