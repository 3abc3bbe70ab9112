"""A journal (of an action or a resource): newest line first, the highlighted line in full below.

The columns are fitted to the width (tui/widgets/record_table.py): at 120 columns the source and
the comment are on screen without scrolling sideways; narrower, the author, then the source and
the comment give way, and the line under the table says the whole of the highlighted line.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widgets import Static

from store.journal import JournalLine
from tui.widgets.columns import Column
from tui.widgets.record_table import RecordTable

#: One journal line in the table: its position (the row's key) and the line.
Entry = tuple[str, JournalLine]

JOURNAL_COLUMNS = [
    Column("at", "Quand", 16),
    Column("author", "Qui", 14, flex=True, min_width=8, priority=3),
    Column("what", "Quoi", 16, flex=True, min_width=12),
    Column("old", "Avant", 14, flex=True, min_width=8),
    Column("new", "Après", 14, flex=True, min_width=8),
    Column("source", "Source", 14, flex=True, min_width=10, priority=2),
    Column("comment", "Commentaire", 30, flex=True, min_width=12, priority=1),
]


def when(line: JournalLine) -> str:
    return f"{line.at.astimezone():%d/%m/%Y %H:%M}"


def _cell(entry: Entry, key: str) -> str | Text:
    line = entry[1]
    values = {
        "at": when(line),
        "author": line.author,
        "what": line.what,
        "old": line.old_text,
        "new": line.new_text,
        "source": line.source,
        "comment": line.comment or "",
    }
    return values[key] or ""


def change_text(line: JournalLine) -> str:
    """What a journal line changed, in words: "Météo : Vert → Orange (point CTS)", "Commentaire : …"
    (capitalised as the fields' labels, beside which it is listed)."""
    if line.kind == "commentaire":
        return f"Commentaire : {line.comment}"
    if line.field_name:
        what = f"{line.what} : {line.old_text or '—'} → {line.new_text or '—'}"
        return f"{what} ({line.comment})" if line.comment else what
    return line.what or line.kind


def describe(line: JournalLine) -> str:
    """The whole journal line in one sentence, as the detail line shows it."""
    where = f"source : {line.source}" if line.source else ""
    return " · ".join(p for p in (f"{when(line)}, {line.author}", change_text(line), where) if p)


class JournalView(Vertical):
    """The journal's table and, under it, the highlighted line in full."""

    DEFAULT_CSS = """
    JournalView { height: 1fr; }
    JournalView RecordTable { height: 1fr; }
    """

    lines: reactive[list[JournalLine]] = reactive(list, always_update=True, init=False)

    def __init__(self, *, table_id: str, id: str | None = None) -> None:
        super().__init__(id=id)
        self.table_id = table_id

    def compose(self) -> ComposeResult:
        yield RecordTable(JOURNAL_COLUMNS, _cell, key=lambda entry: entry[0], id=self.table_id)
        yield Static("", classes="row-detail journal-detail", markup=False)

    def watch_lines(self, lines: list[JournalLine]) -> None:
        self.query_one(RecordTable).records = [(str(i), line) for i, line in enumerate(reversed(lines))]

    @on(RecordTable.Highlighted)
    def _show_line(self, message: RecordTable.Highlighted) -> None:
        entry: Entry | None = message.record
        self.query_one(".journal-detail", Static).update(Text(describe(entry[1])) if entry else "")
