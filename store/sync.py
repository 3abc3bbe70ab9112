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
- a record made on one side only comes to the other (on publish too: the laptop gets what
  other laptops published);
- the scheme and reference data (territories, organisations, engagements, défis, objectives,
  the department's texts, care offer, CTS, CNR, vocabularies) are merged record by record and
  field by field (`store.sync_reference`), indicators field by field and each of their values
  on its own; a reference record or a value deleted on one side is deleted on the other unless
  the other changed it (a conflict); actions and resources are never deleted;
- comments of the journals are copied when missing, with their identity and original author
  and time; the sync state is keyed by the server's identity (`server_key`), not its address;
- running the same exchange twice changes nothing the second time.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from dataclasses import fields as dataclass_fields
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Table, and_, delete, insert, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from store import actions as action_rules
from store import fields as fields_registry
from store import indicators as indicator_rules
from store import journal, sync_reference, tables
from store import resources as resource_rules
from store.constraints import constraint_messages
from store.database import Store
from store.dates import PreciseDate
from store.engine import normalise_url
from store.errors import StoreError, ValidationError
from store.fields import Field, Record
from store.lookups import code_maps
from store.merge import merge_mappings, shown, three_way
from store.models import Action, ActionEvent, Department, SyncConflict, SyncState, utcnow
from store.models.identities import new_uid, reference_uid
from store.reference import read_reference

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
        return bool(moved) or self.reference != "inchangé"

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
        _one_publish_at_a_time(srv, department)
        _adopt_old_state(loc, key, server.url, department)
        state = _read_state(loc, key, department)
        _renumber_local(loc, srv, department, report, author)
        new_state = _exchange(loc, srv, department, state, report, author, source, key, publishing=True)
        _write_state(loc, key, department, new_state)
    return report


def _one_publish_at_a_time(srv: Connection, department: str) -> None:
    """Wait for another laptop's publish of the department to end (bounded by the server's
    `lock_timeout`), so as to read what it wrote: else both could create the same code at once.

    The lock is the department's row (FOR NO KEY UPDATE: the rows added meanwhile, which only
    reference it, are not held up); a department's role can lock its own row only, never
    another's (unlike an advisory lock, which any role may take under any number)."""
    if srv.dialect.name == "postgresql":
        dept = tables.DEPARTMENT
        srv.execute(select(dept.c.code).where(dept.c.code == department).with_for_update(key_share=True))


def fetch(server: Store, local: Store, department: str, *, author: str) -> SyncReport:
    """Bring the department's data from the server into the local store (for offline work)."""
    if local.path is None:
        raise StoreError("La récupération se fait vers une base locale (fichier SQLite).")
    key = server_key(server)
    report = SyncReport("fetch", server_identity(server.url))
    source = f"Récupération du serveur ({author})"
    with server.engine.connect() as srv:
        if srv.dialect.name == "postgresql":
            # one snapshot for every read: a publish committed meanwhile is seen whole or not at
            # all (else its new records could meet codes renumbered without them)
            srv.execution_options(isolation_level="REPEATABLE READ")
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


#: Why a laptop's record changes code: the server gives its code to another record, or the
#: server already has it under another code (a publish cut after the server's commit kept the
#: server's renumbering and lost the laptop's).
_CODE_TAKEN = "{old} est déjà pris sur le serveur régional"
_CODE_ON_SERVER = "{new} est son code sur le serveur régional"


def _renumbering(local: Mapping[str, Any], remote: Mapping[str, Any]) -> list[tuple[Any, str, str, str]]:
    """(record, old code, new code, why) for each local record whose code must change (records
    carry `code` and `uid`): one the server has under another code takes that code back; one
    not yet on the server whose code the server gives to another record takes the next free
    code."""
    remote_owner = {d.code: d.uid for d in remote.values()}
    remote_code = {d.uid: d.code for d in remote.values()}
    taken = set(local) | set(remote_owner)
    moves: list[tuple[Any, str, str, str]] = []
    for code, data in sorted(local.items()):
        on_server = remote_code.get(data.uid)
        if on_server is not None:
            if on_server != code:
                moves.append((data, code, on_server, _CODE_ON_SERVER))
            continue
        if code not in remote_owner:
            continue
        new = _free_code(code, taken)
        taken.add(new)
        moves.append((data, code, new, _CODE_TAKEN))
    return moves


def _move_codes(loc: Connection, table: Table, moves: list[tuple[Any, str, str, str]], **values: Any) -> None:
    """Give each record its new code. A new code may still be held by another record that moves
    too (only those hold one): every record is first moved aside, to a code no other has."""
    for data, old, new, _why in moves:
        loc.execute(update(table).where(table.c.id == data.id).values(code=f"{old} → {new}"))
    for data, _old, new, _why in moves:
        loc.execute(update(table).where(table.c.id == data.id).values(code=new, **values))


def _renumber_local(loc: Connection, srv: Connection, dept: str, report: SyncReport, author: str) -> None:
    """A laptop's record not yet on the server whose code the server gives to another record
    gets the next free code, and one the server has under another code takes it; the renaming
    is journaled on the record and shown in the report. An indicator's renaming is journaled
    on its action (an objective's indicator has no journal)."""

    def journaled(events: Table, owner: tuple[str, int], comment: str) -> None:
        journal.write_event(
            loc,
            events,
            owner,
            dept,
            kind="commentaire",
            author=author,
            source="Synchronisation",
            comment=comment,
        )

    for side in _KINDS:
        moves = _renumbering(side.load(loc, dept), side.load(srv, dept))
        _move_codes(loc, side.table, moves, version=side.table.c.version + 1, updated_at=utcnow())
        for data, code, new, why in moves:
            journaled(
                side.events,
                (side.owner, data.id),
                f"Code renuméroté : {code} → {new} ({why.format(old=code, new=new)}).",
            )
            report.renumbered.append(f"{side.kind} {code} → {new}")
    local = indicator_rules.load_indicators(loc, dept)
    actions = indicator_rules.action_ids(loc, dept)
    moves = _renumbering(local, indicator_rules.load_indicators(srv, dept))
    _move_codes(loc, tables.INDICATOR, moves)
    for data, code, new, why in moves:
        if data.action is not None and data.action in actions:
            comment = f"Indicateur renuméroté : {code} → {new} ({why.format(old=code, new=new)})."
            journaled(tables.ACTION_EVENT, ("action_id", actions[data.action]), comment)
        report.renumbered.append(f"indicateur {code} → {new}")


# --- the exchange itself ----------------------------------------------------------------------

#: (kind, uid) → (local version, remote version, digest, base as JSON)
State = dict[tuple[str, str], tuple[int | None, int | None, str | None, str | None]]

#: Kind of an indicator value's conflict, and the `sync_state` row keeping every agreed value.
VALUES = "valeur"
VALUES_STATE = "valeurs"


@dataclass
class _Exchange:
    """One exchange under way: both connections, the state before and after, the report."""

    loc: Connection
    srv: Connection
    dept: str
    state: State
    report: SyncReport
    author: str
    source: str
    key: str
    publishing: bool
    new_state: State = field(default_factory=dict)
    #: Conflicts found again by this exchange, (kind, uid, field): the others of these kinds are gone.
    seen: set[tuple[str, str, str]] = field(default_factory=set)

    @property
    def src(self) -> Connection:
        return self.loc if self.publishing else self.srv

    @property
    def dst(self) -> Connection:
        return self.srv if self.publishing else self.loc

    def base(self, kind: str, uid: str) -> str | None:
        found = self.state.get((kind, uid))
        return found[3] if found else None

    def agree(self, kind: str, uid: str, base: str | None) -> None:
        self.new_state[(kind, uid)] = (None, None, None, base)

    def conflict(
        self,
        kind: str,
        uid: str,
        code: str,
        name: str,
        values: tuple[Any, Any, Any],
        mine_by: tuple[Any, Any] = (None, None),
        theirs_by: tuple[Any, Any] = (None, None),
        *,
        message: str | None,
    ) -> None:
        """A field changed on both sides: kept for a person to settle, and reported (unless
        `message` is None: the caller reports it)."""
        base, mine, theirs = values
        self.seen.add((kind, uid, name))
        if message is not None:
            self.report.conflicts.append(Conflict(kind, code, message))
        stored = {
            "code": code,
            "base": None if base is None and kind != VALUES else dump_value(base),
            "mine": dump_value(mine),
            "theirs": dump_value(theirs),
            "mine_author": mine_by[0],
            "mine_at": mine_by[1],
            "theirs_author": theirs_by[0],
            "theirs_at": theirs_by[1],
            "found_at": utcnow(),
        }
        where = and_(
            CONFLICTS.c.server == self.key,
            CONFLICTS.c.department_code == self.dept,
            CONFLICTS.c.kind == kind,
            CONFLICTS.c.uid == uid,
            CONFLICTS.c.field == name,
        )
        if self.loc.execute(select(CONFLICTS.c.id).where(where)).first() is None:
            self.loc.execute(
                insert(CONFLICTS).values(
                    server=self.key, department_code=self.dept, kind=kind, uid=uid, field=name, **stored
                )
            )
        else:
            self.loc.execute(update(CONFLICTS).where(where).values(**stored))

    def forget_settled(self, kinds: set[str]) -> None:
        """Conflicts of these kinds not found again (both sides now agree) are gone."""
        rows = self.loc.execute(
            select(CONFLICTS.c.id, CONFLICTS.c.kind, CONFLICTS.c.uid, CONFLICTS.c.field).where(
                CONFLICTS.c.server == self.key,
                CONFLICTS.c.department_code == self.dept,
                CONFLICTS.c.kind.in_(sorted(kinds)),
            )
        ).all()
        gone = [r.id for r in rows if (r.kind, r.uid, r.field) not in self.seen]
        if gone:
            self.loc.execute(delete(CONFLICTS).where(CONFLICTS.c.id.in_(gone)))


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
    ctx = _Exchange(loc, srv, dept, state, report, author, source, key, publishing, dict(state))
    _exchange_reference(ctx)
    for side in _KINDS:
        _exchange_records(side, ctx)
    _exchange_indicators(ctx)
    _exchange_values(ctx)
    ctx.forget_settled({"indicateur", VALUES, *sync_reference.KINDS})
    for side in _KINDS:
        report.comments_copied += _copy_comments(side, ctx.src, ctx.dst, dept)
        if publishing:  # and the server's comments come to the laptop, as its records do
            report.comments_copied += _copy_comments(side, srv, loc, dept)
    return ctx.new_state


# --- reference records, one by one ---------------------------------------------------------


def _legacy_bases(ctx: _Exchange, loc_recs: sync_reference.Records, srv_recs: sync_reference.Records) -> Any:
    """Before records had their own state, the whole reference was one digest per side: the side
    unchanged since then gives every record's base."""
    if any(kind in sync_reference.KINDS for kind, _code in ctx.state):
        return None
    last = ctx.state.get((REFERENCE, ""))
    if last is None or not last[2]:
        return None
    local_d, remote_d = (last[2].split(" ") + [""])[:2]
    if _digest(_reference_part(ctx.srv, ctx.dept)) == remote_d:
        return srv_recs
    if _digest(_reference_part(ctx.loc, ctx.dept)) == local_d:
        return loc_recs
    return None


def _exchange_reference(ctx: _Exchange) -> None:
    """Territories, organisations, the scheme and the reference lists, record by record and field
    by field; a record deleted on one side is deleted on the other unless it was changed there."""
    report, dept = ctx.report, ctx.dept
    for has, gets in ((ctx.loc, ctx.srv), (ctx.srv, ctx.loc)):
        if _has_department(gets, dept) or (gets is ctx.srv and not ctx.publishing):
            continue
        # a new server (publish) or a new laptop (fetch): it gets the whole department
        whole = sync_reference.read_records(has, dept)
        sync_reference.write_records(gets, dept, whole, [], author=ctx.author, source=ctx.source)
        for k, fields in whole.items():
            ctx.agree(*k, dump_value(fields))
        report.reference = "copié"
        return
    loc_recs = sync_reference.read_records(ctx.loc, dept)
    srv_recs = sync_reference.read_records(ctx.srv, dept)
    legacy = _legacy_bases(ctx, loc_recs, srv_recs)
    loc_after, srv_after = dict(loc_recs), dict(srv_recs)
    loc_gone: list[sync_reference.Key] = []
    srv_gone: list[sync_reference.Key] = []
    moved: list[str] = []

    def put(after: sync_reference.Records, gone: list[Any], k: Any, value: dict[str, Any] | None) -> None:
        if value is not None:
            after[k] = value
        elif after.pop(k, None) is not None:
            gone.append(k)

    for k in list(dict.fromkeys([*srv_recs, *loc_recs])):
        mine, theirs = loc_recs.get(k), srv_recs.get(k)
        encoded = ctx.base(*k)
        base = json.loads(encoded) if encoded else (legacy.get(k) if legacy is not None else None)
        if mine == theirs:
            ctx.agree(*k, dump_value(theirs) if theirs is not None else None)
            continue
        conflicts: list[str] = []
        if mine is None or theirs is None:
            present: dict[str, Any] = mine if mine is not None else theirs  # type: ignore[assignment]
            if base is not None and present != base:  # deleted on one side, changed on the other
                message = (
                    "modifié ici, supprimé sur le serveur."
                    if mine is not None
                    else "supprimé ici, modifié sur le serveur."
                )
                ctx.conflict(
                    *k,
                    k[1],
                    sync_reference.WHOLE,
                    (base, mine, theirs),
                    sync_reference.last_edit(ctx.loc, dept, k, sync_reference.WHOLE),
                    sync_reference.last_edit(ctx.srv, dept, k, sync_reference.WHOLE),
                    message=message,
                )
                continue  # each side keeps what it has, the base too
            # deleted on one side and unchanged on the other: deleted; else born on one side
            new_mine = new_theirs = None if base is not None else present
        else:
            if base is None:  # never exchanged: the fields that differ are for a person
                conflicts = [n for n in sorted(set(mine) | set(theirs)) if mine.get(n) != theirs.get(n)]
                merged = dict(theirs)
            else:
                merged, conflicts = merge_mappings(base, mine, theirs)
            new_mine = merged | {n: mine.get(n) for n in conflicts}
            new_theirs = merged | {n: theirs.get(n) for n in conflicts}
            for name in conflicts:
                f = sync_reference.field_of(k[0], name)
                ctx.conflict(
                    *k,
                    k[1],
                    name,
                    (base.get(name) if base else None, mine.get(name), theirs.get(name)),
                    sync_reference.last_edit(ctx.loc, dept, k, name),
                    sync_reference.last_edit(ctx.srv, dept, k, name),
                    message=f"« {f.label} » modifié des deux côtés : "
                    f"ici {sync_reference.shown(f, mine.get(name))}, "
                    f"sur le serveur {sync_reference.shown(f, theirs.get(name))}.",
                )
        if not ctx.publishing:
            new_theirs = theirs  # a fetch writes the laptop only
        put(loc_after, loc_gone, k, new_mine)
        put(srv_after, srv_gone, k, new_theirs)
        if new_mine != mine or (ctx.publishing and new_theirs != theirs):
            moved.append(("suppression " if new_mine is None and new_theirs is None else "") + " ".join(k))
        if new_theirs is None:
            ctx.agree(*k, None)
        else:  # what the server holds, but the fields still to settle keep their base
            agreed = dict(new_theirs) | {n: (base or {}).get(n) for n in conflicts}
            ctx.agree(*k, dump_value(agreed))
    server_changed = srv_after != srv_recs
    local_changed = loc_after != loc_recs
    if ctx.publishing and server_changed:  # each change keeps who made it on the other side
        report.refused += sync_reference.write_records(
            ctx.srv,
            dept,
            srv_after,
            srv_gone,
            author=ctx.author,
            source=ctx.source,
            origin=lambda k, name: sync_reference.last_edit(ctx.loc, dept, k, name),
            before=srv_recs,
        )
    if local_changed:
        report.refused += sync_reference.write_records(
            ctx.loc,
            dept,
            loc_after,
            loc_gone,
            author=ctx.author,
            source=ctx.source,
            origin=lambda k, name: sync_reference.last_edit(ctx.srv, dept, k, name),
            before=loc_recs,
        )
    if (ctx.publishing and server_changed) or local_changed:
        report.reference = "fusionné fiche par fiche : " + ", ".join(moved)
    ctx.new_state.pop((REFERENCE, ""), None)


# --- indicators and their values --------------------------------------------------------------


def _exchange_indicators(ctx: _Exchange) -> None:
    """Indicators matched by identity and merged field by field; one made on one side only comes
    to the other (with its identity: codes were made unique by `_renumber_local`)."""
    loc, srv, dept, report, publishing = ctx.loc, ctx.srv, ctx.dept, ctx.report, ctx.publishing
    local = _by_uid(indicator_rules.load_indicators(loc, dept).values(), dept)
    remote = _by_uid(indicator_rules.load_indicators(srv, dept).values(), dept)
    for uid, wanted in sorted(local.items(), key=lambda item: item[1].code):
        if uid not in remote and publishing:
            indicator_rules.create_indicator(srv, dept, wanted)
            ctx.agree("indicateur", uid, dump_value(_compared(wanted)))
            report.created.append(f"indicateur {wanted.code}")
    for uid, wanted in sorted(remote.items(), key=lambda item: item[1].code):
        if uid not in local:
            indicator_rules.create_indicator(loc, dept, wanted)
            ctx.agree("indicateur", uid, dump_value(_compared(wanted)))
            (report.received if publishing else report.created).append(f"indicateur {wanted.code}")
    record = fields_registry.INDICATOR
    for uid in sorted(set(local) & set(remote), key=lambda u: remote[u].code):
        mine, theirs = local[uid], remote[uid]
        code = theirs.code
        encoded = ctx.base("indicateur", uid)
        base = replace(theirs, **json_fields(encoded)) if encoded else None
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
            ctx.conflict(
                "indicateur",
                uid,
                code,
                f.name,
                (getattr(base, f.name) if base else None, getattr(mine, f.name), getattr(theirs, f.name)),
                message=f"« {f.label} » modifié des deux côtés : ici {shown(f, mine)}, "
                f"sur le serveur {shown(f, theirs)}.",
            )
        if publishing and server_after != theirs:
            indicator_rules.update_indicator(srv, dept, theirs, server_after)
            report.updated.append(f"indicateur {code}")
        if local_after != replace(mine, code=local_after.code):
            indicator_rules.update_indicator(loc, dept, mine, local_after)
            (report.received if publishing else report.updated).append(f"indicateur {code}")
        agreed = replace(server_after, **({n: getattr(base, n) for n in names} if base else {}))
        ctx.agree("indicateur", uid, dump_value(_compared(agreed)))


def _by_uid(records: Iterable[indicator_rules.IndicatorData], dept: str) -> dict[str, Any]:
    """Indicators by identity (one written by an older version has the identity of its code)."""
    return {r.uid or reference_uid(dept, "indicateur", r.code): r for r in records}


def _compared(record: Any) -> dict[str, Any]:
    return {f.name: getattr(record, f.name) for f in dataclass_fields(record) if f.compare}


def json_fields(encoded: str) -> dict[str, Any]:
    """A record's fields as `dump_value` kept them."""
    return {k: unplain_value(v) for k, v in json.loads(encoded).items()}


def _value_key(key: indicator_rules.ValueKey) -> str:
    return json.dumps([key.indicator, key.period, key.category], ensure_ascii=False)


def value_key_of(uid: str) -> indicator_rules.ValueKey:
    """The value a conflict's `uid` names (the inverse of `_value_key`)."""
    indicator, period, category = json.loads(uid)
    return indicator_rules.ValueKey(indicator, period, category)


def _value_code(key: indicator_rules.ValueKey) -> str:
    return f"{key.indicator} {key.period}" + (f" ({key.category})" if key.category else "")


def _value_edit(conn: Connection, key: indicator_rules.ValueKey) -> journal.Edit:
    """Who changed this value last on this side, and when (its action's journal)."""
    prefix = _value_code(key) + " :"
    return journal.who_and_when(
        conn,
        EVENTS,
        EVENTS.c.field == indicator_rules.JOURNAL_FIELD,
        EVENTS.c.new_value.startswith(prefix, autoescape=True)
        | EVENTS.c.old_value.startswith(prefix, autoescape=True),
    )


def _value_text(key: indicator_rules.ValueKey, value: Any) -> str:
    return "supprimée" if value is None else (indicator_rules.describe_value(key, value) or "—")


def _exchange_values(ctx: _Exchange) -> None:
    """Each indicator value on its own: one changed or removed on one side goes to the other; one
    changed on both sides (or removed on one, changed on the other) is a conflict kept for a person."""
    loc, srv, dept, report, publishing = ctx.loc, ctx.srv, ctx.dept, ctx.report, ctx.publishing
    local, remote = indicator_rules.load_values(loc, dept), indicator_rules.load_values(srv, dept)
    encoded = ctx.base(VALUES_STATE, "")
    known = encoded is not None
    base: dict[str, Any] = json.loads(encoded) if encoded else {}
    to_server: list[indicator_rules.ValueChange] = []
    to_local: list[indicator_rules.ValueChange] = []
    agreed: dict[str, Any] = {}
    for key in sorted(set(local) | set(remote), key=_value_key):
        name = _value_key(key)
        mine, theirs, before = local.get(key), remote.get(key), base.get(name)
        if mine == theirs:
            final = theirs
        elif (mine == before and known) or (not known and mine is None):
            to_local.append(indicator_rules.ValueChange(key, mine, theirs))
            final = theirs
        elif (theirs == before and known) or (not known and theirs is None):
            if publishing:
                to_server.append(indicator_rules.ValueChange(key, theirs, mine))
                final = mine
            else:
                final = theirs
        else:
            final = before

            ctx.conflict(
                VALUES,
                name,
                _value_code(key),
                "value",
                (before, mine, theirs),
                _value_edit(loc, key),
                _value_edit(srv, key),
                message=f"modifiée des deux côtés : ici {_value_text(key, mine)}, "
                f"sur le serveur {_value_text(key, theirs)}.",
            )
        if final is not None:
            agreed[name] = final
    if to_server:
        indicator_rules.write_values(srv, dept, to_server, author=ctx.author, source=ctx.source)
        report.updated.append(f"{len(to_server)} valeur(s) d'indicateur")
    if to_local:
        indicator_rules.write_values(loc, dept, to_local, author=ctx.author, source=ctx.source)
        where = report.received if publishing else report.updated
        where.append(f"{len(to_local)} valeur(s) d'indicateur")
    ctx.agree(VALUES_STATE, "", json.dumps(agreed, ensure_ascii=False, sort_keys=True))


# --- actions and resources --------------------------------------------------------------------


def _exchange_records(side: _Side, ctx: _Exchange) -> None:
    """Every record of one kind, matched by identity and merged field by field; a record made on
    one side only comes to the other (on publish too: the laptop gets the server's new ones)."""
    local = {d.uid: d for d in side.load(ctx.loc, ctx.dept).values()}
    remote = {d.uid: d for d in side.load(ctx.srv, ctx.dept).values()}
    open_fields = _open_conflicts(ctx.loc, ctx.key, ctx.dept, side.kind)
    ways = [(ctx.srv, ctx.loc, remote, local)]
    if ctx.publishing:
        ways.insert(0, (ctx.loc, ctx.srv, local, remote))
    for src, dst, src_records, dst_records in ways:
        maps = code_maps(dst, ctx.dept)
        for uid, wanted in sorted(src_records.items(), key=lambda item: item[1].code):
            label = f"{side.kind} {wanted.code}"
            if uid in dst_records:
                continue
            errors = side.validate(wanted, maps)
            if errors:
                ctx.report.refused.append(f"{label} : {errors[0]}")
                continue
            born = _creation(src, side, wanted.id)
            with constraint_messages(code=wanted.code), journal.origins({"": born} if born[0] else {}):
                side.create(dst, ctx.dept, wanted, ctx.author, ctx.source)
            ctx.agree(side.kind, uid, _encode_record(wanted))
            received = ctx.publishing and dst is ctx.loc
            (ctx.report.received if received else ctx.report.created).append(label)
    for uid in sorted(set(local) & set(remote), key=lambda u: local[u].code):
        encoded = ctx.base(side.kind, uid)
        base = _decode_record(side, encoded) if encoded else None
        _merge_one(side, ctx, local[uid], remote[uid], base, open_fields.get(uid, set()))


def _merge_one(side: _Side, ctx: _Exchange, mine: Any, theirs: Any, base: Any, blocked: set[str]) -> None:
    label = f"{side.kind} {mine.code}"
    report = ctx.report
    if mine == theirs and not blocked:
        ctx.agree(side.kind, mine.uid, _encode_record(theirs))
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
    if not ctx.publishing:
        server_after = theirs
    new_base = replace(server_after, **({n: getattr(base, n) for n in conflict_names} if base else {}))
    for f in conflicts:
        if f.name not in blocked:
            _record_conflict(ctx, side, mine, theirs, base, f)
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
    if ctx.publishing and server_after != theirs:
        maps_checked = _write(side, ctx, ctx.srv, theirs, server_after, ctx.loc, mine, label)
        if maps_checked:
            report.updated.append(label)
    if local_after != mine and _write(side, ctx, ctx.loc, mine, local_after, ctx.srv, theirs, label):
        (report.received if ctx.publishing else report.updated).append(label)
    if maps_checked:
        ctx.agree(side.kind, mine.uid, _encode_record(new_base))


def _write(
    side: _Side,
    ctx: _Exchange,
    conn: Connection,
    before: Any,
    after: Any,
    other: Connection,
    other_record: Any,
    label: str,
) -> bool:
    errors = side.validate(after, code_maps(conn, ctx.dept))
    if errors:
        ctx.report.refused.append(f"{label} : {errors[0]}")
        return False
    comment = None
    if side.kind == "action" and before.status != after.status:
        comment = _status_comment(other, other_record)
    changed = [f.name for f in side.record.journaled if getattr(before, f.name) != getattr(after, f.name)]
    kept = {name: _last_edit(other, side, other_record.id, name) for name in changed}
    with constraint_messages(code=before.code), journal.origins({k: v for k, v in kept.items() if v[0]}):
        side.update(conn, ctx.dept, before, after, ctx.author, ctx.source, comment)
    return True


def _shown(side: _Side, name: str, record: Any) -> str:
    return shown(side.record[name], record)


def _last_edit(conn: Connection, side: _Side, record_id: int | None, field: str) -> journal.Edit:
    """Who changed `field` last on this side, and when (the original author and time)."""
    events = side.events
    return journal.who_and_when(conn, events, events.c[side.owner] == record_id, events.c.field == field)


def _creation(conn: Connection, side: _Side, record_id: int | None) -> journal.Edit:
    """Who created the record, and when (the original author and time)."""
    events = side.events
    return journal.who_and_when(
        conn, events, events.c[side.owner] == record_id, events.c.kind == "creation", first=True
    )


def _record_conflict(ctx: _Exchange, side: _Side, mine: Any, theirs: Any, base: Any, f: Field) -> None:
    ctx.conflict(
        side.kind,
        mine.uid,
        mine.code,
        f.name,
        (getattr(base, f.name) if base is not None else None, getattr(mine, f.name), getattr(theirs, f.name)),
        _last_edit(ctx.loc, side, mine.id, f.name),
        _last_edit(ctx.srv, side, theirs.id, f.name),
        message=None,  # reported with the record's blocked fields (`_merge_one`)
    )


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
