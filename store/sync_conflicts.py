"""Conflicts of the team sync, listed and settled by a person (`suivi-sts sync conflicts` /
`resolve`, the « Conflits » screen).

A conflict is one field of one record changed on both sides since the last exchange
(`store.sync`): a field of an action, a resource, an indicator or a reference record
(organisation, territory, objective…), or an indicator value (changed or removed on one side,
changed on the other). Settling it changes the laptop only: keep mine (the server's value
becomes the base, so the next publish sends mine), take theirs (my value becomes theirs,
journaled), or a third value (read by the field registry, journaled, then published). The
server is never written here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, select, update

from store import fields as fields_registry
from store import indicators as indicator_rules
from store import sync_reference
from store.database import Store
from store.errors import StoreError, ValidationError
from store.fields import Field
from store.sync import (
    CONFLICTS,
    SIDES,
    STATE,
    VALUES,
    VALUES_STATE,
    dump_value,
    load_value,
    plain_value,
    unplain_value,
    value_key_of,
)

#: How a conflict is settled.
CHOICES = ("mine", "theirs", "value")
SOURCE = "Résolution de conflit de synchronisation"


def _who(author: str | None, at: datetime | None) -> str:
    when = at.astimezone().strftime("%d/%m/%Y %H:%M") if at else "date inconnue"
    return f"{author or 'auteur inconnu'}, {when}"


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

    @property
    def record(self) -> str:
        """Which record ("action ACT-003", "valeur IND-001 2024")."""
        return f"{self.kind} {self.code}"

    @property
    def heading(self) -> str:
        return f"{self.record} — {self.label}"

    @property
    def mine_by(self) -> str:
        return _who(self.mine_author, self.mine_at)

    @property
    def theirs_by(self) -> str:
        return _who(self.theirs_author, self.theirs_at)

    def describe(self) -> str:
        return (
            f"[{self.id}] {self.heading}\n"
            f"    ici          : {self.mine}  ({self.mine_by})\n"
            f"    sur serveur  : {self.theirs}  ({self.theirs_by})\n"
            f"    avant        : {self.base}"
        )


@dataclass(frozen=True)
class _Kind:
    """How to read, show and write one field of one kind of record."""

    #: The field of the registry (label, parser, formatter), by field name.
    field: Callable[[str], Field]
    #: The record's current value of the field, or raise StoreError if the record is gone.
    current: Callable[[Connection, str, str, str], Any]
    #: Write the wanted value (through the domain rules), journaled where the kind is.
    write: Callable[[Connection, str, str, str, Any, str, str | None], None]
    #: The stored JSON of a value back to the value (`load_value` by default).
    decode: Callable[[str | None], Any] = load_value


def _record_of(kind: str, conn: Connection, dept: str, uid: str) -> Any:
    found = next((d for d in SIDES[kind].load(conn, dept).values() if d.uid == uid), None)
    if found is None:
        raise StoreError(f"{kind} introuvable dans la base locale (identité {uid}).")
    return found


def _side_kind(kind: str) -> _Kind:
    side = SIDES[kind]

    def write(
        conn: Connection, dept: str, uid: str, name: str, wanted: Any, author: str, comment: str | None
    ) -> None:
        current = _record_of(kind, conn, dept, uid)
        side.update(conn, dept, current, replace(current, **{name: wanted}), author, SOURCE, comment)

    return _Kind(
        field=lambda name: side.record[name],
        current=lambda conn, dept, uid, name: getattr(_record_of(kind, conn, dept, uid), name),
        write=write,
    )


def _indicator(conn: Connection, dept: str, uid: str) -> indicator_rules.IndicatorData:
    indicators = indicator_rules.load_indicators(conn, dept).values()
    found = next((i for i in indicators if i.uid == uid), None)
    if found is None:
        raise StoreError(f"Cet indicateur n'existe plus dans la base locale (identité {uid}).")
    return found


def _write_indicator(
    conn: Connection, dept: str, uid: str, name: str, wanted: Any, _author: str, _comment: str | None
) -> None:
    current = _indicator(conn, dept, uid)
    indicator_rules.update_indicator(conn, dept, current, replace(current, **{name: wanted}))


def _write_value(
    conn: Connection, dept: str, uid: str, _name: str, wanted: Any, author: str, _comment: str | None
) -> None:
    key = value_key_of(uid)
    old = indicator_rules.load_values(conn, dept).get(key)
    change = indicator_rules.ValueChange(key, old, wanted)
    indicator_rules.write_values(conn, dept, [change], author=author, source=SOURCE)


def _reference_write(
    conn: Connection,
    dept: str,
    uid: str,
    name: str,
    wanted: Any,
    author: str,
    _comment: str | None,
    *,
    kind: str,
) -> None:
    sync_reference.set_field(conn, dept, kind, uid, name, wanted, author=author, source=SOURCE)


def _reference_kind(kind: str) -> _Kind:
    def write(
        conn: Connection, dept: str, uid: str, name: str, wanted: Any, author: str, comment: str | None
    ) -> None:
        _reference_write(conn, dept, uid, name, wanted, author, comment, kind=kind)

    return _Kind(
        field=lambda name: sync_reference.field_of(kind, name),
        current=lambda conn, dept, uid, name: sync_reference.current(conn, dept, kind, uid, name),
        write=write,
        decode=lambda encoded: None if encoded is None else json.loads(encoded),
    )


KINDS: dict[str, _Kind] = {
    **{kind: _side_kind(kind) for kind in SIDES},
    "indicateur": _Kind(
        field=lambda name: fields_registry.INDICATOR[name],
        current=lambda conn, dept, uid, name: getattr(_indicator(conn, dept, uid), name),
        write=_write_indicator,
    ),
    VALUES: _Kind(
        field=lambda _name: fields_registry.INDICATOR_VALUE["value"],
        current=lambda conn, dept, uid, _name: indicator_rules.load_values(conn, dept).get(value_key_of(uid)),
        write=_write_value,
    ),
    **{kind: _reference_kind(kind) for kind in sync_reference.KINDS},
}


def _shown(kind: str, f: Field, value: Any) -> str:
    if value is None and kind == VALUES:
        return "supprimée"
    if kind in sync_reference.KINDS:
        return sync_reference.shown(f, value)
    return f.format(value) or "—"


def ever_synced(conn: Connection, department: str) -> bool:
    """The department was published to, or fetched from, a regional server at least once."""
    found = conn.execute(select(STATE.c.id).where(STATE.c.department_code == department).limit(1))
    return found.first() is not None


def pending_conflicts(conn: Connection, department: str) -> list[PendingConflict]:
    """The department's conflicts waiting for a decision, by record code then field."""
    rows = conn.execute(
        select(CONFLICTS)
        .where(CONFLICTS.c.department_code == department)
        .order_by(CONFLICTS.c.code, CONFLICTS.c.field, CONFLICTS.c.id)
    ).mappings()
    result = []
    for r in rows:
        kind = KINDS[r["kind"]]
        f = kind.field(r["field"])

        def shown(encoded: str | None, f: Field = f, kind: _Kind = kind, name: str = r["kind"]) -> str:
            if encoded is None and name != VALUES:
                return "—"
            return _shown(name, f, kind.decode(encoded))

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
                base=shown(r["base"]) if r["base"] is not None else "—",
                mine_author=r["mine_author"],
                mine_at=r["mine_at"],
                theirs_author=r["theirs_author"],
                theirs_at=r["theirs_at"],
            )
        )
    return result


def read_value(kind: str, field: str, text: str) -> Any:
    """A third value typed by a person, read by the field's parser; StoreError if refused."""
    f = KINDS[kind].field(field)
    if kind in sync_reference.KINDS:
        return sync_reference.read(f, text)
    if kind == VALUES and not text.strip():
        return None  # an empty value removes it
    return sync_reference.typed(f, text)


def value_problem(conflict: PendingConflict, text: str) -> str | None:
    """Why a third value typed for this conflict is refused, or None."""
    try:
        read_value(conflict.kind, conflict.field, text)
    except StoreError as exc:
        return str(exc)
    return None


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
        kind = KINDS[row["kind"]]
        f = kind.field(row["field"])
        current = kind.current(conn, department, row["uid"], row["field"])
        theirs = kind.decode(row["theirs"])
        if choice == "mine":
            wanted = current
        elif choice == "theirs":
            wanted = theirs
        else:
            wanted = read_value(row["kind"], row["field"], value or "")
        if wanted != current:
            try:
                kind.write(conn, department, row["uid"], row["field"], wanted, author, comment)
            except ValidationError as exc:
                raise StoreError(f"{row['kind']} {row['code']} — {f.label} : {exc}") from None
        _set_base(conn, row, row["field"], theirs)
        conn.execute(delete(CONFLICTS).where(CONFLICTS.c.id == conflict_id))
    verdict = {
        "mine": "valeur locale gardée",
        "theirs": "valeur du serveur prise",
        "value": "nouvelle valeur",
    }
    return (
        f"{row['kind']} {row['code']} — {f.label} : {verdict[choice]} "
        f"({_shown(row['kind'], f, wanted)}) ; publiez pour l'envoyer au serveur."
    )


def _set_base(conn: Connection, row: Any, name: str, theirs: Any) -> None:
    """The server's value becomes the agreed one: only my side now differs from the base."""
    values = row["kind"] == VALUES
    where = and_(
        STATE.c.server == row["server"],
        STATE.c.department_code == row["department_code"],
        STATE.c.kind == (VALUES_STATE if values else row["kind"]),
        STATE.c.code == ("" if values else row["uid"]),
    )
    found = conn.execute(select(STATE.c.base).where(where)).scalar()
    if found is None:
        return
    if name == sync_reference.WHOLE:  # a deletion against an edit: their record is the base
        encoded = None if theirs is None else dump_value(theirs)
        conn.execute(update(STATE).where(where).values(base=encoded))
        return
    base = json.loads(found)
    key = row["uid"] if values else name
    if values and theirs is None:
        base.pop(key, None)
    else:
        base[key] = plain_value(theirs)
    encoded = (
        json.dumps(base, ensure_ascii=False, sort_keys=True)
        if values or row["kind"] in sync_reference.KINDS
        else dump_value({k: unplain_value(v) for k, v in base.items()})
    )
    conn.execute(update(STATE).where(where).values(base=encoded))


__all__ = [
    "CHOICES",
    "KINDS",
    "PendingConflict",
    "pending_conflicts",
    "read_value",
    "resolve_conflict",
    "value_problem",
]
