"""Publishing a delegation's local store to the regional server, and fetching it back.

One department at a time, in both directions with the same rules (`publish`: laptop → server,
`fetch`: server → laptop):

- actions and resources are matched by their identity (`uid`, born where the record is created),
  never by code; a laptop's record not yet on the server whose code the server gives to another
  is renumbered first (journaled, shown in the report);
- each record is merged field by field (`store.merge.three_way`) against the version both sides
  agreed on at the last exchange (`sync_state.base`): a field changed on one side only takes
  that side's value (on publish both sides end with the merge; on fetch the laptop does), a
  field changed on both sides is a conflict kept in `sync_conflict` for a person to settle
  (`suivi-sts sync conflicts` / `resolve`) while the record's other fields go through;
- the scheme and reference data (territories, organisations, engagements, défis, objectives,
  care offer, CTS, CNR, indicators) are compared by content (a digest of the reference document);
- comments of the journals are copied when missing, with their identity and original author
  and time; the sync state is keyed by the server's identity (`server_key`), not its address;
- nothing is ever deleted, and running the same exchange twice changes nothing the second time.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from dataclasses import fields as dataclass_fields
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Table, and_, insert, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from store import actions as action_rules
from store import fields as fields_registry
from store import indicators as indicator_rules
from store import journal, tables
from store import resources as resource_rules
from store.constraints import constraint_messages
from store.database import Store
from store.dates import PreciseDate
from store.engine import normalise_url
from store.errors import StoreError, ValidationError
from store.fields import Field, Record
from store.lookups import code_maps
from store.merge import shown, three_way
from store.models import Action, ActionEvent, Department, SyncConflict, SyncState, utcnow
from store.models.identities import new_uid
from store.reference import apply_reference, read_reference

STATE = SyncState.__table__  # type: ignore[attr-defined]
EVENTS = ActionEvent.__table__  # type: ignore[attr-defined]
ACTIONS = Action.__table__  # type: ignore[attr-defined]
DEPARTMENTS = Department.__table__  # type: ignore[attr-defined]
CONFLICTS = SyncConflict.__table__  # type: ignore[attr-defined]
REFERENCE = "referentiel"


@dataclass(frozen=True)
class Conflict:
    kind: str
    code: str
    message: str


@dataclass
class SyncReport:
    """What an exchange did, in the words shown to the user."""

    direction: str  # "publish" or "fetch"
    server: str
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    #: On publish: records the laptop took from the server (changes made there meanwhile).
    received: list[str] = field(default_factory=list)
    #: Laptop records renumbered because the server gives their code to another ("ACT-066 → ACT-067").
    renumbered: list[str] = field(default_factory=list)
    unchanged: int = 0
    newer_elsewhere: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    comments_copied: int = 0
    reference: str = "inchangé"

    @property
    def changed(self) -> bool:
        moved = self.created or self.updated or self.received or self.renumbered or self.comments_copied
        return bool(moved) or self.reference == "copié"

    def summary(self) -> str:
        verb = "Publication vers" if self.direction == "publish" else "Récupération depuis"
        other = "le serveur" if self.direction == "publish" else "la base locale"
        lines = [f"{verb} {self.server} :"]
        lines.append(f"  référentiel (schéma, territoires, organisations, indicateurs) : {self.reference}")
        lines.append(
            f"  {len(self.created)} créé(s), {len(self.updated)} mis à jour, {self.unchanged} inchangé(s)"
            + (f", {self.comments_copied} commentaire(s) copiés" if self.comments_copied else "")
        )
        for renumbered in self.renumbered:
            lines.append(f"  RENUMÉROTÉ {renumbered}")
        if self.received:
            lines.append(f"  {len(self.received)} reçu(s) du serveur : " + ", ".join(self.received))
        if self.newer_elsewhere:
            hint = "lancez « suivi-sts fetch »" if self.direction == "publish" else "publiez-les"
            lines.append(
                f"  {len(self.newer_elsewhere)} plus récent(s) sur {other} ({hint}) : "
                + ", ".join(self.newer_elsewhere)
            )
        for conflict in self.conflicts:
            lines.append(f"  CONFLIT {conflict.kind} {conflict.code} : {conflict.message}")
        if self.conflicts:
            lines.append("  Le reste est passé ; réglez les conflits avec « suivi-sts sync conflicts ».")
        for refused in self.refused:
            lines.append(f"  REFUSÉ {refused}")
        if not self.changed and not self.conflicts:
            lines.append("  Rien à faire : les deux côtés sont déjà identiques.")
        return "\n".join(lines)


def server_identity(url: str) -> str:
    """The server as recorded in `sync_state`: host, port, database and options, no credentials."""
    parsed = make_url(normalise_url(url))._replace(username=None, password=None)  # set() keeps None ones
    query = {k: v for k, v in parsed.query.items() if k.lower() not in {"password", "passfile", "user"}}
    return parsed.set(drivername="postgresql", query=query).render_as_string(hide_password=False)


@dataclass(frozen=True)
class _Side:
    """How to read and write one kind of record."""

    kind: str
    record: Record
    data_type: type
    table: Table
    events: Table
    owner: str
    load: Callable[[Connection, str], dict[str, Any]]
    create: Callable[[Connection, str, Any, str, str], Any]
    update: Callable[[Connection, str, Any, Any, str, str, str | None], Any]
    validate: Callable[[Any, Any], list[ValidationError]]


def _create_action(conn: Connection, dept: str, data: Any, author: str, source: str) -> Any:
    return action_rules.create_action(conn, dept, data, author=author, source=source)


def _update_action(
    conn: Connection, dept: str, before: Any, after: Any, author: str, source: str, comment: str | None
) -> Any:
    return action_rules.update_action(
        conn, dept, before, after, author=author, source=source, comment=comment
    )


def _create_resource(conn: Connection, dept: str, data: Any, author: str, source: str) -> Any:
    return resource_rules.create_resource(conn, dept, data, author=author, source=source)


def _update_resource(
    conn: Connection, dept: str, before: Any, after: Any, author: str, source: str, comment: str | None
) -> Any:
    return resource_rules.update_resource(
        conn, dept, before, after, author=author, source=source, comment=comment
    )


_KINDS = (
    _Side(
        "action",
        fields_registry.ACTION,
        action_rules.ActionData,
        tables.ACTION,
        tables.ACTION_EVENT,
        "action_id",
        action_rules.load_actions,
        _create_action,
        _update_action,
        action_rules.validate,
    ),
    _Side(
        "ressource",
        fields_registry.RESOURCE,
        resource_rules.ResourceData,
        tables.RESOURCE,
        tables.RESOURCE_EVENT,
        "resource_id",
        resource_rules.load_resources,
        _create_resource,
        _update_resource,
        resource_rules.validate,
    ),
)
SIDES = {side.kind: side for side in _KINDS}


def server_key(server: Store) -> str:
    """The server's identity: PostgreSQL's system identifier, the database, the schema and the
    store's own UUID (`store_identity`) — never the text of the URL (host alias, TLS options…).

    Falls back to the address without credentials when the server tells none of it."""
    parts: list[str] = []
    with server.engine.connect() as conn:
        if conn.dialect.name != "postgresql":
            return server_identity(server.url)
        for query in (
            "SELECT system_identifier::text FROM pg_catalog.pg_control_system()",
            "SELECT pg_catalog.current_database() || '/' || pg_catalog.current_schema()",
            "SELECT uid FROM store_identity ORDER BY id LIMIT 1",
        ):
            try:
                with conn.begin_nested():
                    parts.append(str(conn.execute(text(query)).scalar() or "?"))
            except DBAPIError:
                parts.append("?")
        conn.rollback()
    if parts[0] == "?" and parts[2] == "?":
        return server_identity(server.url)
    return "pg:" + "/".join(parts)


def _adopt_old_state(conn: Connection, key: str, url: str, dept: str) -> None:
    """State kept under the server's address by earlier versions now goes under its identity."""
    old = server_identity(url)
    if old == key:
        return
    has_new = conn.execute(
        select(STATE.c.id).where(STATE.c.server == key, STATE.c.department_code == dept).limit(1)
    ).first()
    if has_new is None:
        conn.execute(
            update(STATE).where(STATE.c.server == old, STATE.c.department_code == dept).values(server=key)
        )


def publish(local: Store, server: Store, department: str, *, author: str) -> SyncReport:
    """Send the department's local data to the server (see the module's rules)."""
    if local.path is None:
        raise StoreError("La publication part d'une base locale (fichier SQLite).")
    key = server_key(server)
    report = SyncReport("publish", server_identity(server.url))
    source = f"Publication ({author})"
    with constraint_messages(), local.writer.begin() as loc, server.writer.begin() as srv:
        # the server commits first: if the laptop's commit failed, the next run merges again
        _adopt_old_state(loc, key, server.url, department)
        state = _read_state(loc, key, department)
        _renumber_local(loc, srv, department, report, author)
        new_state = _exchange(loc, srv, department, state, report, author, source, key, publishing=True)
        _write_state(loc, key, department, new_state)
    return report


def fetch(server: Store, local: Store, department: str, *, author: str) -> SyncReport:
    """Bring the department's data from the server into the local store (for offline work)."""
    if local.path is None:
        raise StoreError("La récupération se fait vers une base locale (fichier SQLite).")
    key = server_key(server)
    report = SyncReport("fetch", server_identity(server.url))
    source = f"Récupération du serveur ({author})"
    with server.engine.connect() as srv:
        if not _has_department(srv, department):
            raise StoreError(f"Le département {department} est introuvable sur le serveur (ou non autorisé).")
        with constraint_messages(), local.writer.begin() as loc:
            _adopt_old_state(loc, key, server.url, department)
            state = _read_state(loc, key, department)
            _renumber_local(loc, srv, department, report, author)
            new_state = _exchange(loc, srv, department, state, report, author, source, key, publishing=False)
            _write_state(loc, key, department, new_state)
    return report


# --- codes that cannot collide ----------------------------------------------------------------

_NUMBERED = re.compile(r"^(.*?)(\d+)$")


def _free_code(code: str, taken: set[str]) -> str:
    """The next code of the same series ("ACT-066" → after the highest "ACT-nnn" taken)."""
    found = _NUMBERED.match(code)
    if found is None:
        n = 2
        while f"{code}-{n}" in taken:
            n += 1
        return f"{code}-{n}"
    prefix, digits = found.groups()
    numbers = [int(m.group(2)) for c in taken if (m := _NUMBERED.match(c)) and m.group(1) == prefix]
    return f"{prefix}{max(numbers, default=0) + 1:0{len(digits)}d}"


def _renumber_local(loc: Connection, srv: Connection, dept: str, report: SyncReport, author: str) -> None:
    """A laptop's record not yet on the server whose code the server gives to another record
    gets the next free code; the renaming is journaled on the record and shown in the report."""
    for side in _KINDS:
        local, remote = side.load(loc, dept), side.load(srv, dept)
        remote_owner = {d.code: d.uid for d in remote.values()}
        remote_uids = set(remote_owner.values())
        taken = set(local) | set(remote_owner)
        for code, data in sorted(local.items()):
            owner = remote_owner.get(code)
            if data.uid in remote_uids or owner is None or owner == data.uid:
                continue
            new = _free_code(code, taken)
            taken.add(new)
            loc.execute(
                update(side.table)
                .where(side.table.c.id == data.id)
                .values(code=new, version=side.table.c.version + 1, updated_at=utcnow())
            )
            journal.write_event(
                loc,
                side.events,
                (side.owner, data.id),
                dept,
                kind="commentaire",
                author=author,
                source="Synchronisation",
                comment=f"Code renuméroté : {code} → {new} ({code} est déjà pris sur le serveur régional).",
            )
            report.renumbered.append(f"{side.kind} {code} → {new}")


# --- the exchange itself ----------------------------------------------------------------------

#: (kind, uid) → (local version, remote version, digest, base as JSON)
State = dict[tuple[str, str], tuple[int | None, int | None, str | None, str | None]]


def _exchange(
    loc: Connection,
    srv: Connection,
    dept: str,
    state: State,
    report: SyncReport,
    author: str,
    source: str,
    key: str,
    *,
    publishing: bool,
) -> State:
    src, dst = (loc, srv) if publishing else (srv, loc)
    new_state: State = dict(state)
    last = state.get((REFERENCE, ""))
    src_doc = _reference_part(src, dept)
    dst_doc = _reference_part(dst, dept) if _has_department(dst, dept) else None
    digests = None
    if last is not None and last[2]:
        local_d, remote_d = (last[2].split(" ") + [""])[:2]
        digests = (local_d, remote_d) if publishing else (remote_d, local_d)
    apply_ref = _decide_reference(src_doc, dst_doc, digests, report)
    if apply_ref:
        apply_reference(dst, src_doc, author=author, source=source)
    for side in _KINDS:
        _exchange_records(side, loc, srv, dept, state, new_state, report, author, source, key, publishing)
    _exchange_indicators(loc, srv, dept, state, new_state, report, author, source, publishing)
    after_src, after_dst = _digest(_reference_part(src, dept)), _digest(_reference_part(dst, dept))
    if after_src == after_dst or apply_ref:
        pair = f"{after_src} {after_dst}" if publishing else f"{after_dst} {after_src}"
        new_state[(REFERENCE, "")] = (None, None, pair, None)
    for side in _KINDS:
        report.comments_copied += _copy_comments(side, src, dst, dept)
    return new_state


def _exchange_indicators(
    loc: Connection,
    srv: Connection,
    dept: str,
    state: State,
    new_state: State,
    report: SyncReport,
    author: str,
    source: str,
    publishing: bool,
) -> None:
    """Indicators merged field by field, and each of their values on its own (a value removed
    on one side is removed on the other, unless the other side changed it: a conflict)."""
    local, remote = indicator_rules.load_indicators(loc, dept), indicator_rules.load_indicators(srv, dept)
    src_records, dst = (local, srv) if publishing else (remote, loc)
    for code, wanted in src_records.items():
        if code not in (remote if publishing else local):
            indicator_rules.create_indicator(dst, dept, wanted)
            new_state[("indicateur", code)] = (None, None, None, dump_value(_compared(wanted)))
            report.created.append(f"indicateur {code}")
    record = fields_registry.INDICATOR
    for code in sorted(set(local) & set(remote)):
        mine, theirs = local[code], remote[code]
        found = state.get(("indicateur", code))
        base = replace(theirs, **json_fields(found[3])) if found and found[3] else None
        if base is None:
            conflicts = [f for f in record.journaled if getattr(mine, f.name) != getattr(theirs, f.name)]
            merged = theirs
        else:
            merge = three_way(record, base, mine, theirs)
            conflicts, merged = list(merge.conflicts), merge.merged
        names = {f.name for f in conflicts}
        local_after = replace(merged, **{n: getattr(mine, n) for n in names}, id=mine.id)
        server_after = replace(merged, **{n: getattr(theirs, n) for n in names}, id=theirs.id)
        if not publishing:
            server_after = theirs
        for f in conflicts:
            report.conflicts.append(
                Conflict(
                    "indicateur",
                    code,
                    f"« {f.label} » modifié des deux côtés : ici {shown(f, mine)}, "
                    f"sur le serveur {shown(f, theirs)}.",
                )
            )
        if publishing and server_after != theirs:
            indicator_rules.update_indicator(srv, dept, theirs, server_after)
            report.updated.append(f"indicateur {code}")
        if local_after != mine:
            indicator_rules.update_indicator(loc, dept, mine, local_after)
            (report.received if publishing else report.updated).append(f"indicateur {code}")
        agreed = replace(server_after, **({n: getattr(base, n) for n in names} if base else {}))
        new_state[("indicateur", code)] = (None, None, None, dump_value(_compared(agreed)))
    _exchange_values(loc, srv, dept, state, new_state, report, author, source, publishing)


def _compared(record: Any) -> dict[str, Any]:
    return {f.name: getattr(record, f.name) for f in dataclass_fields(record) if f.compare}


def json_fields(encoded: str) -> dict[str, Any]:
    """A record's fields as `dump_value` kept them."""
    return {k: unplain_value(v) for k, v in json.loads(encoded).items()}


def _value_key(key: indicator_rules.ValueKey) -> str:
    return json.dumps([key.indicator, key.period, key.category], ensure_ascii=False)


def _exchange_values(
    loc: Connection,
    srv: Connection,
    dept: str,
    state: State,
    new_state: State,
    report: SyncReport,
    author: str,
    source: str,
    publishing: bool,
) -> None:
    local, remote = indicator_rules.load_values(loc, dept), indicator_rules.load_values(srv, dept)
    found = state.get(("valeurs", ""))
    known = found is not None and found[3] is not None
    base: dict[str, Any] = json.loads(found[3]) if found and found[3] else {}
    to_server: list[indicator_rules.ValueChange] = []
    to_local: list[indicator_rules.ValueChange] = []
    agreed: dict[str, Any] = {}
    for key in sorted(set(local) | set(remote), key=_value_key):
        name = _value_key(key)
        mine, theirs, before = local.get(key), remote.get(key), base.get(name)
        if mine == theirs:
            final = theirs
        elif not known and mine is not None and theirs is not None:
            final = before
            _value_conflict(report, key, mine, theirs)
        elif mine == before or (not known and mine is None):
            to_local.append(indicator_rules.ValueChange(key, mine, theirs))
            final = theirs
        elif theirs == before or (not known and theirs is None):
            if publishing:
                to_server.append(indicator_rules.ValueChange(key, theirs, mine))
                final = mine
            else:
                final = theirs
        else:
            final = before
            _value_conflict(report, key, mine, theirs)
        if final is not None:
            agreed[name] = final
    if to_server:
        indicator_rules.write_values(srv, dept, to_server, author=author, source=source)
        report.updated.append(f"{len(to_server)} valeur(s) d'indicateur")
    if to_local:
        indicator_rules.write_values(loc, dept, to_local, author=author, source=source)
        where = report.received if publishing else report.updated
        where.append(f"{len(to_local)} valeur(s) d'indicateur")
    new_state[("valeurs", "")] = (None, None, None, json.dumps(agreed, ensure_ascii=False, sort_keys=True))


def _value_conflict(report: SyncReport, key: indicator_rules.ValueKey, mine: Any, theirs: Any) -> None:
    def text(value: Any) -> str:
        return "supprimée" if value is None else (indicator_rules.describe_value(key, value) or "—")

    category = f" ({key.category})" if key.category else ""
    report.conflicts.append(
        Conflict(
            "valeur",
            f"{key.indicator} {key.period}{category}",
            f"modifiée des deux côtés : ici {text(mine)}, sur le serveur {text(theirs)}.",
        )
    )


def _decide_reference(
    src_doc: dict[str, Any],
    dst_doc: dict[str, Any] | None,
    last: tuple[str, str] | None,
    report: SyncReport,
) -> bool:
    src_digest = _digest(src_doc)
    if dst_doc is None:
        report.reference = "copié"
        return True
    dst_digest = _digest(dst_doc)
    if src_digest == dst_digest:
        return False
    if last is None:
        report.reference = "différent des deux côtés, jamais synchronisé : non copié"
        report.conflicts.append(
            Conflict(REFERENCE, "-", "le référentiel diffère et n'a jamais été synchronisé avec ce serveur.")
        )
        return False
    src_changed, dst_changed = src_digest != last[0], dst_digest != last[1]
    if src_changed and not dst_changed:
        report.reference = "copié"
        return True
    if dst_changed and not src_changed:
        report.reference = "plus récent de l'autre côté : non copié"
        return False
    report.reference = "modifié des deux côtés : non copié"
    report.conflicts.append(Conflict(REFERENCE, "-", "le référentiel a été modifié des deux côtés."))
    return False


def _exchange_records(
    side: _Side,
    loc: Connection,
    srv: Connection,
    dept: str,
    state: State,
    new_state: State,
    report: SyncReport,
    author: str,
    source: str,
    key: str,
    publishing: bool,
) -> None:
    """Every record of one kind, matched by identity and merged field by field."""
    local = {d.uid: d for d in side.load(loc, dept).values()}
    remote = {d.uid: d for d in side.load(srv, dept).values()}
    open_fields = _open_conflicts(loc, key, dept, side.kind)
    src_records, dst_records = (local, remote) if publishing else (remote, local)
    src, dst = (loc, srv) if publishing else (srv, loc)
    maps = code_maps(dst, dept)
    for uid, wanted in sorted(src_records.items(), key=lambda item: item[1].code):
        label = f"{side.kind} {wanted.code}"
        if uid in dst_records:
            continue
        errors = side.validate(wanted, maps)
        if errors:
            report.refused.append(f"{label} : {errors[0]}")
            continue
        born = _creation(src, side, wanted.id)
        with constraint_messages(code=wanted.code), journal.origins({"": born} if born[0] else {}):
            side.create(dst, dept, wanted, author, source)
        new_state[(side.kind, uid)] = (None, None, None, _encode_record(wanted))
        report.created.append(label)
    for uid in sorted(set(local) & set(remote), key=lambda u: local[u].code):
        mine, theirs = local[uid], remote[uid]
        found = state.get((side.kind, uid))
        base = _decode_record(side, found[3]) if found and found[3] else None
        blocked = open_fields.get(uid, set())
        _merge_one(
            side,
            loc,
            srv,
            dept,
            mine,
            theirs,
            base,
            blocked,
            new_state,
            report,
            author,
            source,
            key,
            publishing,
        )


def _merge_one(
    side: _Side,
    loc: Connection,
    srv: Connection,
    dept: str,
    mine: Any,
    theirs: Any,
    base: Any,
    blocked: set[str],
    new_state: State,
    report: SyncReport,
    author: str,
    source: str,
    key: str,
    publishing: bool,
) -> None:
    label = f"{side.kind} {mine.code}"
    if mine == theirs and not blocked:
        new_state[(side.kind, mine.uid)] = (None, None, None, _encode_record(theirs))
        report.unchanged += 1
        return
    if base is None:
        # never exchanged: the fields that differ are for a person to decide, the others agree
        conflicts = [f for f in side.record.journaled if getattr(mine, f.name) != getattr(theirs, f.name)]
        merged = theirs
    else:
        merge = three_way(side.record, base, mine, theirs)
        conflicts, merged = list(merge.conflicts), merge.merged
    conflict_names = {f.name for f in conflicts} | blocked
    keep_mine = {n: getattr(mine, n) for n in conflict_names}
    keep_theirs = {n: getattr(theirs, n) for n in conflict_names}
    local_after = replace(merged, **keep_mine, uid=mine.uid, id=mine.id, version=mine.version)
    server_after = replace(merged, **keep_theirs, uid=theirs.uid, id=theirs.id, version=theirs.version)
    if not publishing:
        server_after = theirs
    new_base = replace(server_after, **({n: getattr(base, n) for n in conflict_names} if base else {}))
    for f in conflicts:
        if f.name not in blocked:
            _record_conflict(loc, srv, side, dept, key, mine, theirs, base, f)
    for name in sorted(conflict_names):
        report.conflicts.append(
            Conflict(
                side.kind,
                mine.code,
                f"« {side.record[name].label} » modifié des deux côtés : "
                f"ici {_shown(side, name, mine)}, sur le serveur {_shown(side, name, theirs)}.",
            )
        )
    maps_checked = True
    if publishing and server_after != theirs:
        maps_checked = _write(side, srv, dept, theirs, server_after, loc, mine, report, label, author, source)
        if maps_checked:
            report.updated.append(label)
    if local_after != mine and _write(
        side, loc, dept, mine, local_after, srv, theirs, report, label, author, source
    ):
        (report.received if publishing else report.updated).append(label)
    if maps_checked:
        new_state[(side.kind, mine.uid)] = (None, None, None, _encode_record(new_base))


def _write(
    side: _Side,
    conn: Connection,
    dept: str,
    before: Any,
    after: Any,
    other: Connection,
    other_record: Any,
    report: SyncReport,
    label: str,
    author: str,
    source: str,
) -> bool:
    errors = side.validate(after, code_maps(conn, dept))
    if errors:
        report.refused.append(f"{label} : {errors[0]}")
        return False
    comment = None
    if side.kind == "action" and before.status != after.status:
        comment = _status_comment(other, other_record)
    changed = [f.name for f in side.record.journaled if getattr(before, f.name) != getattr(after, f.name)]
    kept = {name: _last_edit(other, side, other_record.id, name) for name in changed}
    with constraint_messages(code=before.code), journal.origins({k: v for k, v in kept.items() if v[0]}):
        side.update(conn, dept, before, after, author, source, comment)
    return True


def _shown(side: _Side, name: str, record: Any) -> str:
    return shown(side.record[name], record)


def _last_edit(conn: Connection, side: _Side, record_id: int | None, field: str) -> tuple[Any, Any]:
    """Who changed `field` last on this side, and when (the original author and time)."""
    events = side.events
    row = conn.execute(
        select(events.c.author, events.c.at, events.c.origin_author, events.c.origin_at)
        .where(events.c[side.owner] == record_id, events.c.field == field)
        .order_by(events.c.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None, None
    return row.origin_author or row.author, row.origin_at or row.at


def _creation(conn: Connection, side: _Side, record_id: int | None) -> tuple[Any, Any]:
    """Who created the record, and when (the original author and time)."""
    events = side.events
    row = conn.execute(
        select(events.c.author, events.c.at, events.c.origin_author, events.c.origin_at)
        .where(events.c[side.owner] == record_id, events.c.kind == "creation")
        .order_by(events.c.id)
        .limit(1)
    ).first()
    if row is None:
        return None, None
    return row.origin_author or row.author, row.origin_at or row.at


def _record_conflict(
    loc: Connection,
    srv: Connection,
    side: _Side,
    dept: str,
    key: str,
    mine: Any,
    theirs: Any,
    base: Any,
    f: Field,
) -> None:
    mine_author, mine_at = _last_edit(loc, side, mine.id, f.name)
    theirs_author, theirs_at = _last_edit(srv, side, theirs.id, f.name)
    values = {
        "code": mine.code,
        "base": dump_value(getattr(base, f.name)) if base is not None else None,
        "mine": dump_value(getattr(mine, f.name)),
        "theirs": dump_value(getattr(theirs, f.name)),
        "mine_author": mine_author,
        "mine_at": mine_at,
        "theirs_author": theirs_author,
        "theirs_at": theirs_at,
        "found_at": utcnow(),
    }
    where = and_(
        CONFLICTS.c.server == key,
        CONFLICTS.c.department_code == dept,
        CONFLICTS.c.kind == side.kind,
        CONFLICTS.c.uid == mine.uid,
        CONFLICTS.c.field == f.name,
    )
    if loc.execute(select(CONFLICTS.c.id).where(where)).first() is None:
        loc.execute(
            insert(CONFLICTS).values(
                server=key, department_code=dept, kind=side.kind, uid=mine.uid, field=f.name, **values
            )
        )
    else:
        loc.execute(update(CONFLICTS).where(where).values(**values))


def _open_conflicts(conn: Connection, key: str, dept: str, kind: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for uid, name in conn.execute(
        select(CONFLICTS.c.uid, CONFLICTS.c.field).where(
            CONFLICTS.c.server == key, CONFLICTS.c.department_code == dept, CONFLICTS.c.kind == kind
        )
    ):
        found.setdefault(uid, set()).add(name)
    return found


# --- values kept as JSON (base of the merge, conflicts) --------------------------------------


def plain_value(value: Any) -> Any:
    if isinstance(value, PreciseDate):
        return {"$date": value.first_day.isoformat(), "precision": value.precision.value}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, (tuple, list)):
        return [plain_value(v) for v in value]
    if isinstance(value, dict):
        return {k: plain_value(v) for k, v in value.items()}
    return value


def unplain_value(value: Any) -> Any:
    if isinstance(value, dict) and "$date" in value:
        day = date.fromisoformat(value["$date"])
        return PreciseDate.of(day, value["precision"]) if "precision" in value else day
    if isinstance(value, list):
        return tuple(unplain_value(v) for v in value)
    return value


def dump_value(value: Any) -> str:
    return json.dumps(plain_value(value), ensure_ascii=False, sort_keys=True)


def load_value(text_value: str | None) -> Any:
    return None if text_value is None else unplain_value(json.loads(text_value))


def _encode_record(record: Any) -> str:
    return dump_value({f.name: getattr(record, f.name) for f in dataclass_fields(record) if f.compare})


def _decode_record(side: _Side, encoded: str) -> Any:
    values = json.loads(encoded)
    return side.data_type(**{name: unplain_value(v) for name, v in values.items()})


def _status_comment(conn: Connection, record: Any) -> str:
    """The comment of the action's last status change (Reportée / Abandonnée require one)."""
    found = conn.execute(
        select(EVENTS.c.comment)
        .where(EVENTS.c.action_id == record.id, EVENTS.c.field == "status", EVENTS.c.comment.is_not(None))
        .order_by(EVENTS.c.at.desc(), EVENTS.c.id.desc())
        .limit(1)
    ).scalar()
    return found or "Synchronisé avec le serveur régional."


def _copy_comments(side: _Side, src: Connection, dst: Connection, dept: str) -> int:
    """Journal comments of the source missing at the destination, on the record of the same
    identity, with their own identity and their original author and time (provenance).

    Lines written before identities existed are known by record, original time, author and text.
    """
    events, table = side.events, side.table

    def comments(conn: Connection) -> list[dict[str, Any]]:
        rows = conn.execute(
            select(
                table.c.uid.label("owner"),
                events.c.uid,
                events.c.at,
                events.c.author,
                events.c.comment,
                events.c.source,
                events.c.origin_author,
                events.c.origin_at,
            )
            .join(table, table.c.id == events.c[side.owner])
            .where(events.c.department_code == dept, events.c.kind == "commentaire")
        ).mappings()
        return [dict(r) for r in rows]

    def legacy(r: dict[str, Any]) -> tuple[Any, ...]:
        at = r["origin_at"] or r["at"]
        return (r["owner"], _utc(at), r["origin_author"] or r["author"], r["comment"])

    present = comments(dst)
    uids = {r["uid"] for r in present if r["uid"]}
    keys = {legacy(r) for r in present}
    missing = [r for r in comments(src) if r["uid"] not in uids and legacy(r) not in keys]
    if not missing:
        return 0
    ids = dict(dst.execute(select(table.c.uid, table.c.id).where(table.c.department_code == dept)).all())
    rows = [
        {
            "department_code": dept,
            side.owner: ids[r["owner"]],
            "uid": r["uid"] or new_uid(),
            "at": r["at"],
            "author": r["author"],
            "kind": "commentaire",
            "source": r["source"],
            "comment": r["comment"],
            "origin_author": r["origin_author"] or r["author"],
            "origin_at": r["origin_at"] or r["at"],
        }
        for r in missing
        if r["owner"] in ids
    ]
    if rows:
        dst.execute(insert(events), rows)
    return len(rows)


def _utc(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(microsecond=value.microsecond)
    return value


# --- reference data compared by content -------------------------------------------------------


def _has_department(conn: Connection, dept: str) -> bool:
    return conn.execute(select(DEPARTMENTS.c.code).where(DEPARTMENTS.c.code == dept)).first() is not None


def _reference_part(conn: Connection, dept: str) -> dict[str, Any]:
    """The department's reference document without its actions, resources and indicators."""
    doc = read_reference(conn, dept)
    doc["actions"] = []
    doc["ressources"] = []
    doc["indicateurs"] = []  # merged one by one, values too (`_exchange_indicators`)
    return doc


def _digest(doc: dict[str, Any]) -> str:
    canonical = dict(doc)
    canonical["organisations"] = sorted(doc.get("organisations") or [], key=lambda o: o["code"])
    canonical["indicateurs"] = sorted(doc.get("indicateurs") or [], key=lambda i: i["code"])
    text = json.dumps(canonical, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


# --- sync_state --------------------------------------------------------------------------------


def _read_state(conn: Connection, server: str, dept: str) -> State:
    rows = conn.execute(
        select(
            STATE.c.kind,
            STATE.c.code,
            STATE.c.local_version,
            STATE.c.remote_version,
            STATE.c.digest,
            STATE.c.base,
        ).where(STATE.c.server == server, STATE.c.department_code == dept)
    )
    return {(k, c): (lv, rv, d, b) for k, c, lv, rv, d, b in rows}


def _write_state(conn: Connection, server: str, dept: str, wanted: State) -> None:
    if not _has_department(conn, dept):
        return
    current = _read_state(conn, server, dept)
    now = utcnow()
    for (kind, code), (local_v, remote_v, digest, base) in wanted.items():
        found = current.get((kind, code))
        if found == (local_v, remote_v, digest, base):
            continue
        values = {
            "local_version": local_v,
            "remote_version": remote_v,
            "digest": digest,
            "base": base,
            "synced_at": now,
        }
        if found is None:
            conn.execute(
                insert(STATE).values(server=server, department_code=dept, kind=kind, code=code, **values)
            )
        else:
            conn.execute(
                update(STATE)
                .where(
                    STATE.c.server == server,
                    STATE.c.department_code == dept,
                    STATE.c.kind == kind,
                    STATE.c.code == code,
                )
                .values(**values)
            )


def open_server(url: str) -> Store:
    """The regional server as a store (schema upgraded if this account may, else as it is)."""
    from store.database import open_store

    if not normalise_url(url).startswith("postgresql"):
        raise StoreError(f"« {url} » n'est pas l'adresse d'un serveur PostgreSQL (postgresql://…).")
    return open_store(url)


__all__ = ["Conflict", "SyncReport", "fetch", "open_server", "publish", "server_identity", "server_key"]
