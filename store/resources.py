"""Domain rules of aidant / répit resources: validation, creation, versioned updates."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import Connection, insert, select, update

from store import journal
from store.errors import ValidationError, VersionConflict
from store.fields import RESOURCE
from store.figures import VERIFY_EVERY_DAYS as VERIFY_EVERY_DAYS
from store.link_rows import delete_rows
from store.lookups import CodeMaps, code_maps
from store.models import utcnow
from store.models.identities import new_uid
from store.tables import RESOURCE as R
from store.tables import RESOURCE_AUDIENCE as R_AUD
from store.tables import RESOURCE_EVENT as EVENTS
from store.tables import RESOURCE_TERRITORY as R_TERR
from store.tables import insert_versioned
from store.vocab import ResourceStatus

#: French label of each journaled field (from the field registry).
FIELD_LABELS: dict[str, str] = {f.name: f.label for f in RESOURCE.journaled}

#: Columns of the resource table that hold a field's value as is (not a code, not a list).
_SCALARS = tuple(f.name for f in RESOURCE if f.ref is None and not f.many and f.name != "code")
#: The journal source of changes typed on a screen.
SOURCE_SCREEN = "Saisie à l'écran"


@dataclass(frozen=True)
class ResourceData:
    """A plain, comparable snapshot of a resource (codes instead of ids)."""

    code: str
    name: str
    kind: str
    audiences: tuple[str, ...] = ()
    carrier: str | None = None
    territories: tuple[str, ...] = ()
    capacity: int | None = None
    address: str | None = None
    commune: str | None = None
    insee_code: str | None = None
    phone: str | None = None
    email: str | None = None
    contact_name: str | None = None
    finess: str | None = None
    discipline_code: str | None = None
    status: str = ResourceStatus.EXISTING.value
    verified_on: date | None = None
    notes: str | None = None
    #: Where the reference document names it (section and lines), for a resource it ships.
    source: str | None = None
    id: int | None = field(default=None, compare=False)
    version: int = field(default=0, compare=False)
    #: The resource's identity (store.models.identities), given at creation when None.
    uid: str | None = field(default=None, compare=False)

    def needs_verification(self, today: date) -> bool:
        """Not verified for over a year (or never)."""
        if self.status == ResourceStatus.CLOSED.value:
            return False
        return self.verified_on is None or (today - self.verified_on).days > VERIFY_EVERY_DAYS


def validate(data: ResourceData, maps: CodeMaps | None = None) -> list[ValidationError]:
    """Every rule the resource breaks, one French message per problem, naming the field."""
    errors: list[ValidationError] = []
    for f in RESOURCE:
        problem = f.validate(getattr(data, f.name))
        if problem:
            errors.append(ValidationError(problem, f.name))
    if maps is not None:
        if data.carrier and data.carrier not in maps.organisations:
            errors.append(ValidationError(f"Organisation inconnue : « {data.carrier} ».", "carrier"))
        errors += [
            ValidationError(f"Territoire inconnu : « {t} ».", "territories")
            for t in data.territories
            if t not in maps.territories
        ]
    return errors


def load_resources(
    conn: Connection, department: str, codes: Iterable[str] | None = None
) -> dict[str, ResourceData]:
    """Snapshots of the department's resources (or of `codes`), read in bulk."""
    maps = code_maps(conn, department)
    query = select(R).where(R.c.department_code == department)
    if codes is not None:
        query = query.where(R.c.code.in_(list(codes)))
    rows = conn.execute(query).mappings().all()
    audiences: dict[int, list[str]] = defaultdict(list)
    territories: dict[int, list[str]] = defaultdict(list)
    terr_codes, org_codes = maps.territory_codes(), maps.organisation_codes()
    ids = [r["id"] for r in rows]
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        for rid, audience in conn.execute(
            select(R_AUD.c.resource_id, R_AUD.c.audience)
            .where(R_AUD.c.resource_id.in_(chunk))
            .order_by(R_AUD.c.resource_id, R_AUD.c.position, R_AUD.c.audience)
        ):
            audiences[rid].append(audience)
        for rid, tid in conn.execute(
            select(R_TERR.c.resource_id, R_TERR.c.territory_id).where(R_TERR.c.resource_id.in_(chunk))
        ):
            territories[rid].append(terr_codes[tid])
    return {
        r["code"]: ResourceData(
            code=r["code"],
            audiences=tuple(audiences.get(r["id"], [])),
            carrier=org_codes.get(r["carrier_id"]) if r["carrier_id"] else None,
            territories=tuple(sorted(territories.get(r["id"], []))),
            id=r["id"],
            version=r["version"],
            uid=r["uid"],
            **{c: r[c] for c in _SCALARS},
        )
        for r in rows
    }


def _columns(data: ResourceData, maps: CodeMaps) -> dict[str, Any]:
    values = {c: getattr(data, c) for c in _SCALARS}
    values["carrier_id"] = maps.organisations[data.carrier] if data.carrier else None
    return values


def _write_links(conn: Connection, resource_id: int, data: ResourceData, maps: CodeMaps) -> None:
    delete_rows(conn, R_AUD, [{"resource_id": resource_id}])
    delete_rows(conn, R_TERR, [{"resource_id": resource_id}])
    if data.audiences:
        conn.execute(
            insert(R_AUD),
            [
                {"resource_id": resource_id, "audience": a, "position": i}
                for i, a in enumerate(dict.fromkeys(data.audiences))
            ],
        )
    if data.territories:
        conn.execute(
            insert(R_TERR),
            [
                {"resource_id": resource_id, "territory_id": maps.territories[t]}
                for t in set(data.territories)
            ],
        )


def next_code(conn: Connection, department: str, prefix: str = "RES") -> str:
    """A new code "RES-0001"-style, after the highest one in use."""
    codes = conn.execute(select(R.c.code).where(R.c.department_code == department)).scalars()
    numbers = [int(m.group(1)) for c in codes if (m := re.fullmatch(rf"{prefix}-(\d+)", c))]
    return f"{prefix}-{max(numbers, default=0) + 1:04d}"


def create_resource(
    conn: Connection,
    department: str,
    data: ResourceData,
    *,
    author: str,
    source: str,
    maps: CodeMaps | None = None,
) -> ResourceData:
    """Insert a resource (a new code is given when `data.code` is empty) and journal its creation."""
    maps = maps or code_maps(conn, department)
    if not data.code:
        data = replace(data, code=next_code(conn, department))
    errors = validate(data, maps)
    if errors:
        raise errors[0]
    uid = data.uid or new_uid()
    rid = insert_versioned(conn, R, department, data.code, {**_columns(data, maps), "uid": uid})
    _write_links(conn, rid, data, maps)
    journal.write_event(
        conn,
        EVENTS,
        ("resource_id", rid),
        department,
        kind="creation",
        author=author,
        source=source,
        new_value=data.name,
    )
    return replace(data, id=rid, version=1, uid=uid)


def changed_fields(before: ResourceData, after: ResourceData) -> list[str]:
    return [c.field for c in journal.diff(RESOURCE, before, after)]


def update_resource(
    conn: Connection,
    department: str,
    before: ResourceData,
    after: ResourceData,
    *,
    author: str,
    source: str,
    comment: str | None = None,
    maps: CodeMaps | None = None,
) -> list[str]:
    """Apply the changes and journal each changed field (with `comment`, if any, on the first).

    VersionConflict when someone changed the resource since `before` was read.
    """
    maps = maps or code_maps(conn, department)
    after = replace(after, code=before.code)
    errors = validate(after, maps)
    if errors:
        raise errors[0]
    changes = journal.diff(RESOURCE, before, after)
    if not changes:
        if comment:
            add_comment(conn, department, before, comment, author=author, source=source)
        return []
    result = conn.execute(
        update(R)
        .where(R.c.id == before.id, R.c.version == before.version)
        .values(updated_at=utcnow(), version=before.version + 1, **_columns(after, maps))
    )
    if result.rowcount != 1:
        current = load_resources(conn, department, [before.code]).get(before.code)
        raise VersionConflict(f"La ressource {before.code} a été modifiée par ailleurs.", current=current)
    names = [c.field for c in changes]
    if {"audiences", "territories"} & set(names):
        _write_links(conn, before.id or 0, after, maps)
    journal.write_changes(
        conn,
        EVENTS,
        ("resource_id", before.id or 0),
        department,
        RESOURCE,
        changes,
        author=author,
        source=source,
        comment=comment,
        comment_on=names[0],
    )
    return names


def add_comment(
    conn: Connection,
    department: str,
    resource: ResourceData,
    comment: str,
    *,
    author: str,
    source: str,
) -> None:
    """Add a free comment to a resource's journal."""
    journal.write_comment(
        conn,
        EVENTS,
        ("resource_id", resource.id or 0),
        department,
        comment,
        author=author,
        source=source,
    )
