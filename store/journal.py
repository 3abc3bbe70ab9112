"""The journals of actions and resources: writing field changes, reading them as people read them.

Values are kept as the field registry's stable text (`Field.dump`: ISO dates, amounts in euros
with a dot, codes) and shown through the registry's formatter with the department's names
("31/12/2026", "12 500,50 €", "Conseil départemental de l'Ariège" rather than "CD-09").
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, insert, select

from store.errors import ValidationError
from store.fields import (
    ACTION,
    REF_ACTION,
    REF_OBJECTIVE,
    REF_ORGANISATION,
    REF_TERRITORY,
    RESOURCE,
    Names,
    Record,
)
from store.models import utcnow
from store.tables import ACTION as A
from store.tables import ACTION_EVENT, OBJECTIVE, ORGANISATION, RESOURCE_EVENT, TERRITORY
from store.tables import RESOURCE as R

#: The journal field of indicator value changes on the indicator's action.
INDICATOR_FIELD = "indicateur"
KIND_LABELS = {"creation": "Création", "modification": "Modification", "commentaire": "Commentaire"}


@dataclass(frozen=True)
class JournalLine:
    """One line of a journal, with its values as kept and as people read them."""

    code: str
    title: str
    at: datetime
    author: str
    kind: str
    field_name: str | None
    old_value: str | None
    new_value: str | None
    source: str
    comment: str | None
    #: "Statut", "Échéance"… or "Création", "Commentaire" for lines without a field.
    what: str = ""
    old_text: str = ""
    new_text: str = ""


@dataclass(frozen=True)
class Change:
    """One field that changed on a record."""

    field: str
    old: Any
    new: Any
    label: str


def diff(rec: Record, before: Any, after: Any) -> list[Change]:
    """The journaled fields of `rec` that differ between two snapshots."""
    return [
        Change(f.name, getattr(before, f.name), getattr(after, f.name), f.label)
        for f in rec.journaled
        if getattr(before, f.name) != getattr(after, f.name)
    ]


#: While a copy from another store is written (team sync): the original author and time of each
#: changed field's last line there ("" for the creation line), kept as provenance.
_ORIGINS: ContextVar[Mapping[str, tuple[Any, Any]] | None] = ContextVar("journal_origins", default=None)


@contextmanager
def origins(by_field: Mapping[str, tuple[Any, Any]]) -> Iterator[None]:
    """Journal lines written meanwhile keep these original authors and times (`origin_*`)."""
    token = _ORIGINS.set(by_field)
    try:
        yield
    finally:
        _ORIGINS.reset(token)


def _origin(name: str) -> dict[str, Any]:
    found = (_ORIGINS.get() or {}).get(name)
    return {"origin_author": found[0], "origin_at": found[1]} if found else {}


def write_changes(
    conn: Connection,
    table: Table,
    owner: tuple[str, int],
    department: str,
    rec: Record,
    changes: Iterable[Change],
    *,
    author: str,
    source: str,
    comment: str | None = None,
    comment_on: str | None = None,
) -> None:
    """One journal line per changed field; `comment` goes on the line of field `comment_on`."""
    now = utcnow()
    rows = [
        {
            "department_code": department,
            owner[0]: owner[1],
            "at": now,
            "author": author,
            "kind": "modification",
            "field": c.field,
            "old_value": rec[c.field].dump(c.old),
            "new_value": rec[c.field].dump(c.new),
            "source": source,
            "comment": comment if comment and c.field == comment_on else None,
            "origin_author": None,
            "origin_at": None,
            **_origin(c.field),
        }
        for c in changes
    ]
    if rows:
        conn.execute(insert(table), rows)


def write_event(
    conn: Connection,
    table: Table,
    owner: tuple[str, int],
    department: str,
    *,
    kind: str,
    author: str,
    source: str,
    new_value: str | None = None,
    comment: str | None = None,
) -> None:
    """A creation or a comment line."""
    conn.execute(
        insert(table).values(
            event_row(
                owner,
                department,
                kind=kind,
                author=author,
                source=source,
                new_value=new_value,
                comment=comment,
            )
        )
    )


def event_row(
    owner: tuple[str, int],
    department: str,
    *,
    kind: str,
    author: str,
    source: str,
    new_value: str | None = None,
    comment: str | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """The values of a creation or comment line (`write_event` writes one; bulk writers many)."""
    return {
        "department_code": department,
        owner[0]: owner[1],
        "at": at or utcnow(),
        "author": author,
        "kind": kind,
        "source": source,
        "new_value": new_value,
        "comment": comment,
        "origin_author": None,
        "origin_at": None,
        **(_origin("") if kind == "creation" else {}),
    }


def write_comment(
    conn: Connection,
    table: Table,
    owner: tuple[str, int],
    department: str,
    comment: str,
    *,
    author: str,
    source: str,
) -> None:
    """A free comment; an empty one is refused."""
    if not comment.strip():
        raise ValidationError("Le commentaire est vide.", "comment")
    write_event(
        conn,
        table,
        owner,
        department,
        kind="commentaire",
        author=author,
        source=source,
        comment=comment.strip(),
    )


#: Who made a change, and when: (author, time), or (None, None) when no line says.
Edit = tuple[str | None, datetime | None]


def who_and_when(conn: Connection, events: Table, *conditions: Any, first: bool = False) -> Edit:
    """The original author and time of the last (or `first`) line of journal `events` that meets
    `conditions` (a copied line keeps them in `origin_author` / `origin_at`)."""
    row = conn.execute(
        select(events.c.author, events.c.at, events.c.origin_author, events.c.origin_at)
        .where(*conditions)
        .order_by(events.c.id if first else events.c.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None, None
    return row.origin_author or row.author, row.origin_at or row.at


def display_names(conn: Connection, department: str) -> Names:
    """The names of the department's organisations, territories, objectives and actions."""

    def names(table: Table, column: str) -> dict[str, str]:
        query = select(table.c.code, table.c[column]).where(table.c.department_code == department)
        return {code: name for code, name in conn.execute(query)}

    return {
        REF_ORGANISATION: names(ORGANISATION, "name"),
        REF_TERRITORY: names(TERRITORY, "name"),
        REF_OBJECTIVE: {code: f"{code} {title}" for code, title in names(OBJECTIVE, "title").items()},
        REF_ACTION: {},
    }


def _readable(rec: Record, row: dict[str, Any], names: Names) -> JournalLine:
    field = rec.get(row["field_name"] or "")
    if field is not None:
        what, old, new = (
            field.label,
            field.journal_text(row["old_value"], names),
            field.journal_text(row["new_value"], names),
        )
    else:
        label = "Indicateur" if row["field_name"] == INDICATOR_FIELD else row["field_name"]
        what = label or KIND_LABELS.get(row["kind"], row["kind"])
        old, new = row["old_value"] or "", row["new_value"] or ""
    return JournalLine(**row, what=what, old_text=old, new_text=new)


def _read(
    conn: Connection,
    rec: Record,
    events: Table,
    owners: Table,
    owner_column: str,
    title_column: str,
    department: str,
    *,
    source: str | None,
    owner_id: int | None,
) -> list[JournalLine]:
    query = (
        select(
            owners.c.code.label("code"),
            owners.c[title_column].label("title"),
            events.c.at,
            events.c.author,
            events.c.kind,
            events.c.field.label("field_name"),
            events.c.old_value,
            events.c.new_value,
            events.c.source,
            events.c.comment,
        )
        .join(owners, owners.c.id == events.c[owner_column])
        .where(events.c.department_code == department)
        .order_by(events.c.at, events.c.id)
    )
    if source is not None:
        query = query.where(events.c.source == source)
    if owner_id is not None:
        query = query.where(events.c[owner_column] == owner_id)
    names = display_names(conn, department)
    return [_readable(rec, dict(row), names) for row in conn.execute(query).mappings()]


def journal_lines(
    conn: Connection, department: str, *, source: str | None = None, action_id: int | None = None
) -> list[JournalLine]:
    """Action journal lines of the department, of one source (a workshop, a file) or one action."""
    return _read(
        conn, ACTION, ACTION_EVENT, A, "action_id", "title", department, source=source, owner_id=action_id
    )


def resource_journal_lines(
    conn: Connection, department: str, *, source: str | None = None, resource_id: int | None = None
) -> list[JournalLine]:
    """Resource journal lines of the department, of one source or one resource."""
    return _read(
        conn,
        RESOURCE,
        RESOURCE_EVENT,
        R,
        "resource_id",
        "name",
        department,
        source=source,
        owner_id=resource_id,
    )


def net_changes(lines: Iterable[JournalLine]) -> list[JournalLine]:
    """One line per record and field: the first old value → the last new value.

    What a workshop or a file changed, as its minutes show it: « Avancement 0 % → 30 % » rather
    than three steps of 10 %. A field brought back to its first value disappears; the comments
    of the merged lines are kept, in order. Lines without a field (creation, free comment) and
    indicator values stay as they are. Lines come out in the order of each field's last change.
    """
    from dataclasses import replace

    net: dict[tuple[str, str] | int, JournalLine] = {}
    for index, line in enumerate(lines):
        if line.kind != "modification" or not line.field_name or line.field_name == INDICATOR_FIELD:
            net[index] = line
            continue
        key = (line.code, line.field_name)
        first = net.pop(key, None)
        if first is not None:
            comments = [c for c in (first.comment, line.comment) if c]
            line = replace(
                line, old_value=first.old_value, old_text=first.old_text, comment=" · ".join(comments) or None
            )
        net[key] = line
    return [line for key, line in net.items() if isinstance(key, int) or line.old_value != line.new_value]
