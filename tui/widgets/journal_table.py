"""A journal (of an action or a resource) in a table, newest line first."""

from __future__ import annotations

from textual.widgets import DataTable

from store.journal import JournalLine

JOURNAL_COLUMNS = ("Quand", "Qui", "Quoi", "Avant", "Après", "Source", "Commentaire")


def show_journal(table: DataTable[str], lines: list[JournalLine]) -> None:
    """Fill `table` (with JOURNAL_COLUMNS) with `lines`, newest first, values as people read them."""
    table.clear()
    for line in reversed(lines):
        table.add_row(
            f"{line.at.astimezone():%d/%m/%Y %H:%M}",
            line.author,
            line.what,
            line.old_text,
            line.new_text,
            line.source,
            line.comment or "",
        )
