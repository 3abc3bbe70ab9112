"""The changes of a workshop session, for sending to the ARS (`export atelier`).

One line per action and field (`net_changes`: first old value → last new value), as the
workshop screen lists them; the journal keeps every step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from exports.excel.safe import Formats, SafeSheet
from store import actions as action_rules
from store.actions import ActionData
from store.activity import WorkshopInfo, get_workshop
from store.fields import ACTION
from store.journal import JournalLine, journal_lines, net_changes
from store.vocab import ActionStatus, Weather

Progress = Callable[[int, int], None]
SCOPES = {"objectif": "Objectif", "defi": "Défi", "territoire": "Territoire"}
#: The kind of a journal line that is a comment, not a change of a field.
COMMENT = "commentaire"


@dataclass
class WorkshopContent:
    info: WorkshopInfo
    lines: list[JournalLine] = field(default_factory=list)
    actions: list[ActionData] = field(default_factory=list)

    def summary(self) -> str:
        """« 4 changement(s) sur 2 action(s), 1 commentaire(s) », said the same way by the
        minutes (PDF) and the workbook: a comment is not a change."""
        changes = [line for line in self.lines if line.kind != COMMENT]
        actions = len({line.code for line in changes})
        comments = len(self.lines) - len(changes)
        return f"{len(changes)} changement(s) sur {actions} action(s), {comments} commentaire(s)"


def required_workshop(conn: Connection, department: str, session_id: int | None) -> WorkshopContent:
    """The session to export (the latest when `session_id` is None); StoreError in French if none."""
    from store.errors import StoreError

    content = load_workshop(conn, department, session_id)
    if content is None:
        which = f"n°{session_id}" if session_id else "récent"
        raise StoreError(f"Aucun atelier {which} dans la base pour le département {department}.")
    return content


def scope_text(info: WorkshopInfo) -> str:
    """« Objectif E1-D3-O7 — Renforcer… »: the kind and code once, whether or not the stored
    label already starts with them (the workshop screen stores « Objectif E1-D3-O7 — … »)."""
    prefix = f"{SCOPES.get(info.scope_kind, info.scope_kind)} {info.scope_code}"
    if info.scope_label.startswith(prefix):
        return info.scope_label
    return f"{prefix} — {info.scope_label}"


def load_workshop(conn: Connection, department: str, session_id: int | None) -> WorkshopContent | None:
    info = get_workshop(conn, department, session_id)
    if info is None:
        return None
    lines = net_changes(journal_lines(conn, department, source=info.source))
    codes = list(dict.fromkeys(line.code for line in lines))
    actions = action_rules.load_actions(conn, department, codes)
    return WorkshopContent(info, lines, [actions[c] for c in codes if c in actions])


class WorkshopWriter:
    def __init__(self, workbook: Any, content: WorkshopContent, *, progress: Progress | None = None) -> None:
        self.book = workbook
        self.content = content
        self.progress = progress
        self.formats = Formats(workbook)
        f = self.formats
        self.header = f.get(
            bold=True, font_color="#FFFFFF", bg_color="#1F4E78", text_wrap=True, valign="top", border=1
        )
        self.title = f.get(bold=True, font_size=14, font_color="#1F4E78")
        self.cell = f.get(text_wrap=True, valign="top", border=1)
        self.when = f.get(num_format="dd/mm/yyyy hh:mm", valign="top", border=1)
        self.date = f.get(num_format="dd/mm/yyyy", valign="top", border=1)
        self.percent = f.get(num_format='0" %"', valign="top", border=1)
        self.truncated = 0

    def write(self) -> None:
        info = self.content.info
        sheet = self.book.add_worksheet("Atelier")
        safe = SafeSheet(self.formats, sheet, max_width=80, blank_formats=True)
        started = info.started_at.astimezone()
        ended = info.ended_at.astimezone() if info.ended_at else None
        rows: list[tuple[str, Any]] = [
            (f"{info.source} — {SCOPES.get(info.scope_kind, info.scope_kind)} {info.scope_code}", self.title),
            (info.scope_label, None),
            (
                f"Du {started:%d/%m/%Y %H:%M}"
                + (f" au {ended:%d/%m/%Y %H:%M}" if ended else " (en cours)")
                + f", animé par {info.author}",
                None,
            ),
            (f"{self.content.summary()}.", None),
        ]
        for row, (text, fmt) in enumerate(rows):
            safe.write(row, 0, text, fmt)
        top = len(rows) + 1
        headers = ["Action", "Intitulé", "Quand", "Par", "Changement", "Avant", "Après", "Commentaire"]
        safe.write_row(top, headers, [self.header] * len(headers))
        total = len(self.content.lines)
        for index, line in enumerate(self.content.lines, 1):
            safe.write_row(
                top + index,
                [
                    line.code,
                    line.title,
                    line.at.astimezone().replace(tzinfo=None),
                    line.author,
                    line.what,
                    line.old_text,
                    line.new_text,
                    line.comment,
                ],
                [self.cell, self.cell, self.when, self.cell, self.cell, self.cell, self.cell, self.cell],
            )
            if self.progress is not None and (index % 500 == 0 or index == total):
                self.progress(index, total)
        for index, width in enumerate((10, 45, 16, 14, 16, 24, 24, 40)):
            sheet.set_column(index, index, width)
        sheet.freeze_panes(top + 1, 0)
        sheet.autofilter(top, 0, top + max(total, 1), len(headers) - 1)
        sheet.set_landscape()
        sheet.fit_to_pages(1, 0)
        sheet.repeat_rows(top, top)
        self._actions()
        self.truncated += safe.truncated

    def _actions(self) -> None:
        sheet = self.book.add_worksheet("Actions modifiées")
        safe = SafeSheet(self.formats, sheet, blank_formats=True)
        headers = [
            "Code",
            "Intitulé",
            "Objectif",
            "Pilote",
            "Statut",
            "Météo",
            "Avancement (%)",
            "Début",
            "Échéance",
        ]
        safe.write_row(0, headers, [self.header] * len(headers))
        for row, a in enumerate(self.content.actions, 1):
            safe.write_row(
                row,
                [
                    a.code,
                    a.title,
                    ", ".join(a.objectives) or None,
                    a.lead,
                    ActionStatus(a.status).label,
                    Weather(a.weather).label if a.weather else None,
                    a.progress,
                    ACTION["start_date"].cell_value(a.start_date),
                    ACTION["due_date"].cell_value(a.due_date),
                ],
                [self.cell] * 6 + [self.percent, self.date, self.date],
            )
        for index, width in enumerate((10, 50, 16, 12, 12, 9, 12, 11, 11)):
            sheet.set_column(index, index, width)
        sheet.freeze_panes(1, 0)
        sheet.set_landscape()
        sheet.fit_to_pages(1, 0)
        self.truncated += safe.truncated
