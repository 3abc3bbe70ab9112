"""A journal (of an action or a resource) in a table, newest line first.

Columns have fixed widths (long values end with "…"), so that at 120 columns the source and
the comment are on screen without scrolling sideways; the comment takes what is left.
"""

from __future__ import annotations

from textual.widgets import DataTable

from store.journal import JournalLine

#: Each column: its title and its width (None: as wide as its longest text, the last one).
JOURNAL_LAYOUT: tuple[tuple[str, int | None], ...] = (
    ("Quand", 16),
    ("Qui", 14),
    ("Quoi", 16),
    ("Avant", 14),
    ("Après", 14),
    ("Source", 14),
    ("Commentaire", None),
)
JOURNAL_COLUMNS = tuple(title for title, _width in JOURNAL_LAYOUT)


def add_journal_columns(table: DataTable[str]) -> None:
    """The journal's columns, at their widths."""
    for title, width in JOURNAL_LAYOUT:
        table.add_column(title, width=width)


def clip(text: str, width: int | None) -> str:
    """`text` cut to `width` characters, "…" showing that it goes on."""
    if width is None or len(text) <= width:
        return text
    return text[: width - 1] + "…"


def show_journal(table: DataTable[str], lines: list[JournalLine]) -> None:
    """Fill `table` (with JOURNAL_COLUMNS) with `lines`, newest first, values as people read them."""
    table.clear()
    widths = [width for _title, width in JOURNAL_LAYOUT]
    for line in reversed(lines):
        cells = (
            f"{line.at.astimezone():%d/%m/%Y %H:%M}",
            line.author,
            line.what,
            line.old_text,
            line.new_text,
            line.source,
            line.comment or "",
        )
        table.add_row(*(clip(cell, width) for cell, width in zip(cells, widths, strict=True)))
