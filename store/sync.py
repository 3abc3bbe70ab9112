"""Publishing a delegation's local store to the regional server, and fetching it back.

One department at a time, in both directions with the same rules (`publish`: laptop → server,
`fetch`: server → laptop):

- actions and resources are matched by code and compared by content; each side's `version`
  at the last exchange is kept in the local `sync_state` table. A record changed on one side
  only since then is copied to the other (through `update_action` / `update_resource`, so the
  change is journaled and version-checked); a record changed on both sides is reported as a
  conflict and left alone on both; one changed only on the destination is left alone too;
- the scheme and reference data (territories, organisations, engagements, défis, objectives,
  care offer, CTS, CNR, indicators) are compared by content (a digest of the reference document);
- comments of the actions' journals are copied when missing;
- nothing is ever deleted, and running the same exchange twice changes nothing the second time.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, and_, insert, select, update
from sqlalchemy.engine import make_url

from store import actions as action_rules
from store import resources as resource_rules
from store.constraints import constraint_messages
from store.database import Store
from store.engine import normalise_url
from store.errors import StoreError, ValidationError
from store.lookups import code_maps
from store.models import Action, ActionEvent, Department, SyncState, utcnow
from store.reference import apply_reference, read_reference

STATE = SyncState.__table__  # type: ignore[attr-defined]
EVENTS = ActionEvent.__table__  # type: ignore[attr-defined]
ACTIONS = Action.__table__  # type: ignore[attr-defined]
DEPARTMENTS = Department.__table__  # type: ignore[attr-defined]
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
    unchanged: int = 0
    newer_elsewhere: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    comments_copied: int = 0
    reference: str = "inchangé"

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.comments_copied) or self.reference == "copié"

    def summary(self) -> str:
        verb = "Publication vers" if self.direction == "publish" else "Récupération depuis"
        other = "le serveur" if self.direction == "publish" else "la base locale"
        lines = [f"{verb} {self.server} :"]
        lines.append(f"  référentiel (schéma, territoires, organisations, indicateurs) : {self.reference}")
        lines.append(
            f"  {len(self.created)} créé(s), {len(self.updated)} mis à jour, {self.unchanged} inchangé(s)"
            + (f", {self.comments_copied} commentaire(s) copiés" if self.comments_copied else "")
        )
        if self.newer_elsewhere:
            hint = "lancez « suivi-sts fetch »" if self.direction == "publish" else "publiez-les"
            lines.append(
                f"  {len(self.newer_elsewhere)} plus récent(s) sur {other} ({hint}) : "
                + ", ".join(self.newer_elsewhere)
            )
        for conflict in self.conflicts:
            lines.append(f"  CONFLIT {conflict.kind} {conflict.code} : {conflict.message}")
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
    _Side("action", action_rules.load_actions, _create_action, _update_action, action_rules.validate),
    _Side(
        "ressource",
        resource_rules.load_resources,
        _create_resource,
        _update_resource,
        resource_rules.validate,
    ),
)


def publish(local: Store, server: Store, department: str, *, author: str) -> SyncReport:
    """Send the department's local data to the server (see the module's rules)."""
    if local.path is None:
        raise StoreError("La publication part d'une base locale (fichier SQLite).")
    server_id = server_identity(server.url)
    report = SyncReport("publish", server_id)
    source = f"Publication ({author})"
    with local.engine.connect() as src, local.engine.connect() as state_conn:
        state = _read_state(state_conn, server_id, department)
        with constraint_messages(), server.writer.begin() as dst:
            new_state = _exchange(src, dst, department, state, report, author, source, local_is_source=True)
    with constraint_messages(), local.writer.begin() as conn:
        _write_state(conn, server_id, department, new_state)
    return report


def fetch(server: Store, local: Store, department: str, *, author: str) -> SyncReport:
    """Bring the department's data from the server into the local store (for offline work)."""
    if local.path is None:
        raise StoreError("La récupération se fait vers une base locale (fichier SQLite).")
    server_id = server_identity(server.url)
    report = SyncReport("fetch", server_id)
    source = f"Récupération du serveur ({author})"
    with server.engine.connect() as src:
        if not _has_department(src, department):
            raise StoreError(f"Le département {department} est introuvable sur le serveur (ou non autorisé).")
        with constraint_messages(), local.writer.begin() as dst:
            state = _read_state(dst, server_id, department)
            new_state = _exchange(src, dst, department, state, report, author, source, local_is_source=False)
            _write_state(dst, server_id, department, new_state)
    return report


# --- the exchange itself ----------------------------------------------------------------------

#: (kind, code) → (local version, remote version, digest)
State = dict[tuple[str, str], tuple[int | None, int | None, str | None]]


def _exchange(
    src: Connection,
    dst: Connection,
    dept: str,
    state: State,
    report: SyncReport,
    author: str,
    source: str,
    *,
    local_is_source: bool,
) -> State:
    def versions(key: tuple[str, str]) -> tuple[int | None, int | None, str | None] | None:
        """(source version, destination version, digest) at the last exchange."""
        found = state.get(key)
        if found is None:
            return None
        local_v, remote_v, digest = found
        return (local_v, remote_v, digest) if local_is_source else (remote_v, local_v, digest)

    new_state: State = dict(state)

    def record(key: tuple[str, str], src_v: int | None, dst_v: int | None, digest: str | None = None) -> None:
        new_state[key] = (src_v, dst_v, digest) if local_is_source else (dst_v, src_v, digest)

    src_doc = _reference_part(src, dept)
    dst_doc = _reference_part(dst, dept) if _has_department(dst, dept) else None
    apply_ref = _decide_reference(
        src_doc, dst_doc, versions((REFERENCE, "")), report, record, local_is_source
    )
    if apply_ref:
        without_indicators = {**src_doc, "indicateurs": []}
        apply_reference(dst, without_indicators, author=author, source=source)
    for side in _KINDS:
        _exchange_records(side, src, dst, dept, versions, record, report, author, source)
    if apply_ref:
        apply_reference(dst, src_doc, author=author, source=source)
        after = _digest(_reference_part(dst, dept))
        record((REFERENCE, ""), None, None, _digests(_digest(src_doc), after, local_is_source))
    report.comments_copied = _copy_comments(src, dst, dept)
    return new_state


def _digests(src_digest: str, dst_digest: str, local_is_source: bool) -> str:
    return f"{src_digest} {dst_digest}" if local_is_source else f"{dst_digest} {src_digest}"


def _decide_reference(
    src_doc: dict[str, Any],
    dst_doc: dict[str, Any] | None,
    last: tuple[int | None, int | None, str | None] | None,
    report: SyncReport,
    record: Callable[..., None],
    local_is_source: bool,
) -> bool:
    src_digest = _digest(src_doc)
    if dst_doc is None:
        report.reference = "copié"
        return True
    dst_digest = _digest(dst_doc)
    if src_digest == dst_digest:
        record((REFERENCE, ""), None, None, _digests(src_digest, dst_digest, local_is_source))
        return False
    if last is None or last[2] is None:
        report.reference = "différent des deux côtés, jamais synchronisé : non copié"
        report.conflicts.append(
            Conflict(REFERENCE, "-", "le référentiel diffère et n'a jamais été synchronisé avec ce serveur.")
        )
        return False
    local_d, remote_d = (last[2].split(" ") + [""])[:2]
    before_src, before_dst = (local_d, remote_d) if local_is_source else (remote_d, local_d)
    src_changed, dst_changed = src_digest != before_src, dst_digest != before_dst
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
    src: Connection,
    dst: Connection,
    dept: str,
    versions: Callable[[tuple[str, str]], tuple[int | None, int | None, str | None] | None],
    record: Callable[..., None],
    report: SyncReport,
    author: str,
    source: str,
) -> None:
    ours, theirs = side.load(src, dept), side.load(dst, dept)
    maps = code_maps(dst, dept)
    for code, wanted in sorted(ours.items()):
        key = (side.kind, code)
        label = f"{side.kind} {code}"
        current = theirs.get(code)
        if current is not None and current == wanted:
            record(key, wanted.version, current.version)
            report.unchanged += 1
            continue
        errors = side.validate(wanted, maps)
        if errors:
            report.refused.append(f"{label} : {errors[0]}")
            continue
        if current is None:
            with constraint_messages(code=code):
                created = side.create(dst, dept, wanted, author, source)
            record(key, wanted.version, created.version)
            report.created.append(label)
            continue
        last = versions(key)
        if last is None:
            report.conflicts.append(
                Conflict(
                    side.kind,
                    code,
                    "existe des deux côtés avec des contenus différents (jamais synchronisé).",
                )
            )
            continue
        src_changed, dst_changed = wanted.version != last[0], current.version != last[1]
        if src_changed and not dst_changed:
            status_moves = side.kind == "action" and current.status != wanted.status
            comment = _status_comment(src, wanted) if status_moves else None
            with constraint_messages(code=code):
                side.update(dst, dept, current, wanted, author, source, comment)
            record(key, wanted.version, current.version + 1)
            report.updated.append(label)
        elif dst_changed and not src_changed:
            report.newer_elsewhere.append(label)
        else:
            report.conflicts.append(
                Conflict(
                    side.kind, code, "modifié des deux côtés depuis le dernier échange : rien n'a été écrasé."
                )
            )


def _status_comment(conn: Connection, action: Any) -> str:
    """The comment of the action's last status change (Reportée / Abandonnée require one)."""
    found = conn.execute(
        select(EVENTS.c.comment)
        .where(EVENTS.c.action_id == action.id, EVENTS.c.field == "status", EVENTS.c.comment.is_not(None))
        .order_by(EVENTS.c.at.desc(), EVENTS.c.id.desc())
        .limit(1)
    ).scalar()
    return found or "Synchronisé avec le serveur régional."


def _copy_comments(src: Connection, dst: Connection, dept: str) -> int:
    """Journal comments of the source missing at the destination (same action, time, author, text).

    A comment is known by its original author and time: on the server those of a delegation's
    rows are the server's own, and what the laptop said is kept in `origin_author` / `origin_at`.
    """

    def comments(conn: Connection) -> dict[tuple[Any, ...], dict[str, Any]]:
        rows = conn.execute(
            select(
                ACTIONS.c.code,
                EVENTS.c.at,
                EVENTS.c.author,
                EVENTS.c.comment,
                EVENTS.c.source,
                EVENTS.c.origin_author,
                EVENTS.c.origin_at,
            )
            .join(ACTIONS, ACTIONS.c.id == EVENTS.c.action_id)
            .where(EVENTS.c.department_code == dept, EVENTS.c.kind == "commentaire")
        ).mappings()
        return {
            (r["code"], r["origin_at"] or r["at"], r["origin_author"] or r["author"], r["comment"]): dict(r)
            for r in rows
        }

    present = comments(dst)
    missing = [row for key, row in comments(src).items() if key not in present]
    if not missing:
        return 0
    ids: dict[str, int] = dict(
        dst.execute(
            select(ACTIONS.c.code, ACTIONS.c.id).where(
                and_(ACTIONS.c.department_code == dept, ACTIONS.c.code.in_({r["code"] for r in missing}))
            )
        ).all()
    )
    rows = [
        {
            "department_code": dept,
            "action_id": ids[r["code"]],
            "at": r["at"],
            "author": r["author"],
            "kind": "commentaire",
            "source": r["source"],
            "comment": r["comment"],
            "origin_author": r["origin_author"],
            "origin_at": r["origin_at"],
        }
        for r in missing
        if r["code"] in ids
    ]
    if rows:
        dst.execute(insert(EVENTS), rows)
    return len(rows)


# --- reference data compared by content -------------------------------------------------------


def _has_department(conn: Connection, dept: str) -> bool:
    return conn.execute(select(DEPARTMENTS.c.code).where(DEPARTMENTS.c.code == dept)).first() is not None


def _reference_part(conn: Connection, dept: str) -> dict[str, Any]:
    """The department's reference document without its actions and resources (synced by version)."""
    doc = read_reference(conn, dept)
    doc["actions"] = []
    doc["ressources"] = []
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
            STATE.c.kind, STATE.c.code, STATE.c.local_version, STATE.c.remote_version, STATE.c.digest
        ).where(STATE.c.server == server, STATE.c.department_code == dept)
    )
    return {(k, c): (lv, rv, d) for k, c, lv, rv, d in rows}


def _write_state(conn: Connection, server: str, dept: str, wanted: State) -> None:
    if not _has_department(conn, dept):
        return
    current = _read_state(conn, server, dept)
    now = utcnow()
    for (kind, code), (local_v, remote_v, digest) in wanted.items():
        found = current.get((kind, code))
        if found == (local_v, remote_v, digest):
            continue
        values = {"local_version": local_v, "remote_version": remote_v, "digest": digest, "synced_at": now}
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


__all__ = ["Conflict", "SyncReport", "fetch", "open_server", "publish", "server_identity"]
