"""Writing cells so that nothing a user typed ever becomes a formula.

xlsxwriter's generic `write()` (and openpyxl's cell assignment) turn a string starting
with "=" into a formula. Every cell of every workbook this application writes goes through
`SafeSheet.write`, which dispatches on the Python type and writes every `str` with
`write_string`: a text stays a text, unchanged. Texts that *look* like formulas (starting
with = + - @, a tab, a carriage return or a line feed, or their full-width forms) also get
Excel's "quote prefix" style, so that editing the cell in Excel keeps it a text.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

#: First characters that spreadsheet programs may read as the start of a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
#: Excel's limit on the characters of one cell.
MAX_CELL_CHARS = 32_767
#: Column widths are measured on the first rows only (measuring every cell costs time).
MEASURED_ROWS = 2_000


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

    def quoted(self, fmt: Any) -> Any:
        props = self._props.get(id(fmt), {}) if fmt is not None else {}
        return self.get(**{**props, "quote_prefix": True})


class SafeSheet:
    """An xlsxwriter worksheet wrapper: typed writes only, widths measured as rows are written."""

    def __init__(
        self, formats: Formats, worksheet: Any, *, max_width: int = 60, blank_formats: bool = False
    ) -> None:
        #: Write empty cells that have a format (borders in reports); data sheets rely on
        #: their columns' formats instead, which keeps big sheets small.
        self.blank_formats = blank_formats
        self.formats = formats
        self.sheet = worksheet
        self.widths: dict[int, int] = {}
        self.max_width = max_width
        self.truncated = 0

    def _quote_format(self, fmt: Any) -> Any:
        return self.formats.quoted(fmt)

    def measure(self, row: int, column: int, text: str) -> None:
        """Track the column's widest text (on the first rows only: enough to size it)."""
        if row > MEASURED_ROWS:
            return
        longest = max((len(line) for line in text.splitlines()), default=0)
        if longest > self.widths.get(column, 0):
            self.widths[column] = min(longest, self.max_width)

    def write(self, row: int, column: int, value: Any, fmt: Any = None) -> None:
        """Write `value` with the writer of its type; a str is always a string cell."""
        sheet = self.sheet
        if value is None or value == "":
            if fmt is not None and self.blank_formats:
                sheet.write_blank(row, column, None, fmt)
            return
        if isinstance(value, str):
            if len(value) > MAX_CELL_CHARS:
                value = value[:MAX_CELL_CHARS]
                self.truncated += 1
            if looks_like_formula(value):
                fmt = self._quote_format(fmt)
            sheet.write_string(row, column, value, fmt)
            self.measure(row, column, value)
        elif isinstance(value, bool):
            sheet.write_boolean(row, column, value, fmt)
        elif isinstance(value, (int, float)):
            sheet.write_number(row, column, value, fmt)
            self.measure(row, column, f"{value:,.2f}" if isinstance(value, float) else str(value))
        elif isinstance(value, (date, datetime)):
            sheet.write_datetime(row, column, value, fmt)
            self.measure(row, column, "00/00/0000")
        else:
            text = str(value)
            sheet.write_string(
                row, column, text, self._quote_format(fmt) if looks_like_formula(text) else fmt
            )
            self.measure(row, column, text)

    def write_row(self, row: int, values: list[Any], formats: list[Any] | None = None) -> None:
        for column, value in enumerate(values):
            self.write(row, column, value, formats[column] if formats else None)

    def fit_columns(self, minimum: int = 6, formats: dict[int, Any] | None = None) -> None:
        """Set every measured column to its content's width (capped)."""
        for column, width in self.widths.items():
            fmt = (formats or {}).get(column)
            self.sheet.set_column(column, column, max(minimum, width + 2), fmt)
