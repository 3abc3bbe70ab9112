"""Conflicts of the team sync, listed and settled by a person (`suivi-sts sync conflicts` /
`resolve`, the « Conflits » screen).

A conflict is one field of one record changed on both sides since the last exchange
(`store.sync`). Settling it changes the laptop only: keep mine (the server's value becomes the
base, so the next publish sends mine), take theirs (my value becomes theirs, journaled), or a
third value (journaled, then published). The server is never written here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, select, update

from store.database import Store
from store.errors import StoreError
from store.sync import CONFLICTS, SIDES, STATE, dump_value, load_value, plain_value, unplain_value

#: How a conflict is settled.
CHOICES = ("mine", "theirs", "value")


@dataclass(frozen=True)
class PendingConflict:
    """One field changed on both sides, as people read it."""

    id: int
    kind: str
    code: str
    uid: str
    field: str
    label: str
    mine: str
    theirs: str
    base: str
    mine_author: str | None
    mine_at: datetime | None
    theirs_author: str | None
    theirs_at: datetime | None

    def describe(self) -> str:
        def who(author: str | None, at: datetime | None) -> str:
            when = at.strftime("%d/%m/%Y %H:%M") if at else "date inconnue"
            return f"{author or 'auteur inconnu'}, {when}"

        return (
            f"[{self.id}] {self.kind} {self.code} — {self.label}\n"
            f"    ici          : {self.mine}  ({who(self.mine_author, self.mine_at)})\n"
            f"    sur serveur  : {self.theirs}  ({who(self.theirs_author, self.theirs_at)})\n"
            f"    avant        : {self.base}"
        )


def pending_conflicts(conn: Connection, department: str) -> list[PendingConflict]:
    """The department's conflicts waiting for a decision, by record code then field."""
    rows = conn.execute(
        select(CONFLICTS)
        .where(CONFLICTS.c.department_code == department)
        .order_by(CONFLICTS.c.code, CONFLICTS.c.field, CONFLICTS.c.id)
    ).mappings()
    result = []
    for r in rows:
        side = SIDES[r["kind"]]
        f = side.record[r["field"]]

        def shown(encoded: str | None, f: Any = f) -> str:
            return "—" if encoded is None else f.format(load_value(encoded)) or "—"

        result.append(
            PendingConflict(
                id=r["id"],
                kind=r["kind"],
                code=r["code"],
                uid=r["uid"],
                field=r["field"],
                label=f.label,
                mine=shown(r["mine"]),
                theirs=shown(r["theirs"]),
                base=shown(r["base"]),
                mine_author=r["mine_author"],
                mine_at=r["mine_at"],
                theirs_author=r["theirs_author"],
                theirs_at=r["theirs_at"],
            )
        )
    return result


def resolve_conflict(
    local: Store,
    department: str,
    conflict_id: int,
    choice: str,
    *,
    author: str,
    value: str | None = None,
    comment: str | None = None,
) -> str:
    """Settle one conflict on the laptop (see the module); the sentence to show."""
    if choice not in CHOICES:
        raise StoreError(f"Choix inconnu « {choice} » (mine, theirs ou value).")
    with local.writer.begin() as conn:
        row = (
            conn.execute(
                select(CONFLICTS).where(
                    CONFLICTS.c.id == conflict_id, CONFLICTS.c.department_code == department
                )
            )
            .mappings()
            .first()
        )
        if row is None:
            raise StoreError(f"Aucun conflit n° {conflict_id} pour le département {department}.")
        side = SIDES[row["kind"]]
        f = side.record[row["field"]]
        current = next((d for d in side.load(conn, department).values() if d.uid == row["uid"]), None)
        if current is None:
            raise StoreError(f"{row['kind']} {row['code']} n'existe plus dans la base locale.")
        theirs = load_value(row["theirs"])
        if choice == "mine":
            wanted = getattr(current, f.name)
        elif choice == "theirs":
            wanted = theirs
        else:
            try:
                wanted = f.read_typed(value or "")
            except ValueError as exc:
                raise StoreError(str(exc)) from None
        if wanted != getattr(current, f.name):
            after = replace(current, **{f.name: wanted})
            side.update(
                conn, department, current, after, author, "Résolution de conflit de synchronisation", comment
            )
        _set_base(conn, row, f.name, theirs)
        conn.execute(delete(CONFLICTS).where(CONFLICTS.c.id == conflict_id))
    verdict = {
        "mine": "valeur locale gardée",
        "theirs": "valeur du serveur prise",
        "value": "nouvelle valeur",
    }
    return (
        f"{row['kind']} {row['code']} — {f.label} : {verdict[choice]} "
        f"({f.format(wanted) or '—'}) ; publiez pour l'envoyer au serveur."
    )


def _set_base(conn: Connection, row: Any, name: str, theirs: Any) -> None:
    """The server's value becomes the agreed one: only my side now differs from the base."""
    where = and_(
        STATE.c.server == row["server"],
        STATE.c.department_code == row["department_code"],
        STATE.c.kind == row["kind"],
        STATE.c.code == row["uid"],
    )
    found = conn.execute(select(STATE.c.base).where(where)).scalar()
    if found is None:
        return
    base = json.loads(found)
    base[name] = plain_value(theirs)
    conn.execute(
        update(STATE).where(where).values(base=dump_value({k: unplain_value(v) for k, v in base.items()}))
    )


__all__ = ["CHOICES", "PendingConflict", "pending_conflicts", "resolve_conflict"]
