"""Finding the header row of a sheet and which column holds which field.

People put title rows (often merged cells) above the headers, reorder columns, change the
case or drop accents, add their own columns: the header row is the one, among the first
rows, that names the most known fields; unknown columns are reported, not fatal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from importers.excel import cells
from importers.excel.fields import READ_ONLY_HEADERS, FieldSpec, breakdown_category, header_key

#: How many rows from the top may hold titles before the header row.
MAX_TITLE_ROWS = 30


@dataclass
class HeaderMap:
    """Where the headers are (0-based row) and which field each column holds."""

    row: int
    columns: dict[int, str]
    headers: dict[int, str]
    ignored: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    #: The header row's cells as read.
    cells: Sequence[Any] = field(default_factory=list, repr=False)

    def column_of(self, name: str) -> int | None:
        return next((c for c, f in self.columns.items() if f == name), None)


def alias_table(fields: Sequence[FieldSpec]) -> dict[str, str]:
    """Header key → field name, for the field's own header and its aliases."""
    table: dict[str, str] = {}
    for spec in fields:
        for alias in (spec.header, spec.name, *spec.aliases):
            table.setdefault(header_key(alias), spec.name)
    return table


@lru_cache(maxsize=1024)
def column_letter(index: int) -> str:
    """0 → "A", 27 → "AB" (xlsxwriter's helper, loaded only when a cell must be named)."""
    from xlsxwriter.utility import xl_col_to_name

    return xl_col_to_name(index)


def locate_header(
    rows: Sequence[Sequence[Any]],
    aliases: dict[str, str],
    *,
    breakdown: bool = False,
    min_matches: int = 2,
) -> HeaderMap | None:
    """The header row among the first rows: the one naming the most known fields."""
    best: tuple[int, int] | None = None
    for index, row in enumerate(rows[:MAX_TITLE_ROWS]):
        matches = len({aliases[k] for k in map(header_key, row) if k in aliases})
        if breakdown:
            matches += sum(1 for value in row if breakdown_category(value))
        if matches >= min_matches and (best is None or matches > best[1]):
            best = (index, matches)
    if best is None:
        return None
    index = best[0]
    result = HeaderMap(row=index, columns={}, headers={}, cells=rows[index])
    for column, value in enumerate(rows[index]):
        written = cells.text(value)
        if written is None:
            continue
        key = header_key(written)
        category = breakdown_category(written) if breakdown else None
        name = f"cat:{category}" if category else aliases.get(key)
        if name is None:
            if key not in READ_ONLY_HEADERS:
                result.ignored.append(written)
            continue
        if name in result.columns.values():
            result.duplicates.append(written)
            continue
        result.columns[column] = name
        result.headers[column] = written
    return result
