"""What a workshop's minutes show: who ran it, when, on what, who took part, the net change
per action (`store.journal.net_changes`, as the workshop screen lists them), the comments, and
a place to sign. Plain data for the Typst template `workshop.typ`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from exports.excel.workshop import COMMENT, WorkshopContent, scope_text
from exports.pdf.typography import NBSP, clock, french, long_date
from store.tables import DEPARTMENT


def build_minutes(conn: Connection, department: str, content: WorkshopContent) -> dict[str, Any]:
    """The minutes of `content` as plain data for `workshop.typ`."""
    info = content.info
    department_name = conn.execute(select(DEPARTMENT.c.name).where(DEPARTMENT.c.code == department)).scalar()
    started = info.started_at.astimezone()
    ended = info.ended_at.astimezone() if info.ended_at else None
    if ended is None:
        when = f"Le {long_date(started)}, à partir de {clock(started)} (séance non close)"
    elif ended.date() == started.date():
        when = f"Le {long_date(started)}, de {clock(started)} à {clock(ended)}"
    else:
        when = f"Du {long_date(started)} {clock(started)} au {long_date(ended)} {clock(ended)}"
    titles = {a.code: a.title for a in content.actions}
    by_action: dict[str, dict[str, Any]] = {}
    comments: list[dict[str, str]] = []
    for line in content.lines:
        entry = by_action.setdefault(
            line.code,
            {"code": line.code, "title": french(titles.get(line.code, line.title)), "changes": []},
        )
        if line.kind == COMMENT:
            comments.append(
                {
                    "code": line.code,
                    "at": clock(line.at.astimezone()),
                    "author": french(line.author),
                    "text": french(line.comment or ""),
                }
            )
            continue
        entry["changes"].append(
            {
                "what": french(line.what),
                "old": french(line.old_text) or "—",
                "new": french(line.new_text) or "—",
                "comment": french(line.comment or ""),
            }
        )
    participants = [french(p) for p in info.participants]
    changed = [a for a in by_action.values() if a["changes"]]
    return {
        "title": french(f"Compte rendu de l'atelier n°{NBSP}{info.id}"),
        "department": french(f"{department_name or department} ({department})"),
        "header_left": french(f"{department_name or department} ({department}) — atelier n°{NBSP}{info.id}"),
        "header_right": long_date(started),
        "scope": french(scope_text(info)),
        "when": when,
        "author": french(info.author),
        "participants": participants,
        "summary": content.summary(),
        "actions": changed,
        "comments": comments,
    }
