"""Workshop sessions, saved filters and the log of imports and exports."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from store.link_rows import delete_rows
from store.models import utcnow, workshop_source
from store.tables import EXCHANGE as EX
from store.tables import SAVED_FILTER as SF
from store.tables import WORKSHOP_SESSION as WS
from store.views.exchanges import ExchangeRow as ExchangeRow
from store.views.exchanges import last_exchanges as last_exchanges


def record_exchange(
    conn: Connection, department: str, *, direction: str, kind: str, file_name: str, author: str, summary: str
) -> None:
    """Log an import or an export (in the caller's transaction)."""
    conn.execute(
        insert(EX).values(
            department_code=department,
            at=utcnow(),
            direction=direction,
            kind=kind,
            file_name=file_name,
            author=author,
            summary=summary,
        )
    )


@dataclass(frozen=True)
class WorkshopInfo:
    id: int
    started_at: datetime
    ended_at: datetime | None
    scope_kind: str
    scope_code: str
    scope_label: str
    author: str
    #: Who took part, as typed when the session opened (empty: not recorded).
    participants: tuple[str, ...] = ()

    @property
    def source(self) -> str:
        return workshop_source(self.id)


def start_workshop(
    conn: Connection,
    department: str,
    *,
    scope_kind: str,
    scope_code: str,
    scope_label: str,
    author: str,
    participants: Sequence[str] = (),
) -> WorkshopInfo:
    """Open a workshop session; its changes are journaled with its source label."""
    now = utcnow()
    who = clean_participants(participants)
    session_id = conn.execute(
        insert(WS)
        .values(
            department_code=department,
            started_at=now,
            scope_kind=scope_kind,
            scope_code=scope_code,
            scope_label=scope_label,
            author=author,
            participants=list(who) or None,
        )
        .returning(WS.c.id)
    ).scalar_one()
    return WorkshopInfo(session_id, now, None, scope_kind, scope_code, scope_label, author, who)


def clean_participants(names: Iterable[str] | str) -> tuple[str, ...]:
    """The participants' names, trimmed, without blanks nor repeats; a text is split on commas,
    semicolons and new lines (« Anne Roux, Dr Paul Dupuy ; CPTS »)."""
    if isinstance(names, str):
        names = re.split(r"[,;\n]", names)
    return tuple(dict.fromkeys(n.strip() for n in names if n and n.strip()))


def set_participants(conn: Connection, session_id: int, participants: Iterable[str] | str) -> tuple[str, ...]:
    """Record who takes part in a session (replacing what was recorded)."""
    who = clean_participants(participants)
    conn.execute(update(WS).where(WS.c.id == session_id).values(participants=list(who) or None))
    return who


def end_workshop(conn: Connection, session_id: int) -> None:
    conn.execute(update(WS).where(WS.c.id == session_id).values(ended_at=utcnow()))


def get_workshop(conn: Connection, department: str, session_id: int | None = None) -> WorkshopInfo | None:
    """A workshop session (the latest one when `session_id` is None)."""
    query = select(WS).where(WS.c.department_code == department)
    query = query.where(WS.c.id == session_id) if session_id else query.order_by(WS.c.id.desc()).limit(1)
    row = conn.execute(query).mappings().first()
    if row is None:
        return None
    return WorkshopInfo(
        row["id"],
        row["started_at"],
        row["ended_at"],
        row["scope_kind"],
        row["scope_code"],
        row["scope_label"],
        row["author"],
        tuple(row["participants"] or ()),
    )


def save_filter(conn: Connection, department: str, name: str, criteria: dict[str, Any]) -> None:
    """Save (or replace) a named filter of the actions list."""
    delete_rows(conn, SF, [{"department_code": department, "name": name}])
    conn.execute(insert(SF).values(department_code=department, name=name, criteria=criteria))


def saved_filters(conn: Connection, department: str) -> dict[str, dict[str, Any]]:
    query = select(SF.c.name, SF.c.criteria).where(SF.c.department_code == department).order_by(SF.c.name)
    return {name: criteria for name, criteria in conn.execute(query)}


def delete_filter(conn: Connection, department: str, name: str) -> None:
    delete_rows(conn, SF, [{"department_code": department, "name": name}])


def open_workshops(conn: Connection, department: str) -> list[WorkshopInfo]:
    """The department's workshop sessions not yet closed, the latest first (to resume one)."""
    query = (
        select(WS.c.id)
        .where(WS.c.department_code == department, WS.c.ended_at.is_(None))
        .order_by(WS.c.id.desc())
    )
    found = (get_workshop(conn, department, i) for i in conn.execute(query).scalars())
    return [w for w in found if w is not None]


def open_workshop(conn: Connection, department: str) -> WorkshopInfo | None:
    """The department's latest workshop session not yet closed (to resume it), if any."""
    sessions = open_workshops(conn, department)
    return sessions[0] if sessions else None
