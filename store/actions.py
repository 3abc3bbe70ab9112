"""Domain rules of actions: validation, creation, journaled changes with version checks.

Every path that changes an action (screen, workshop, Excel import, reference file) goes
through `create_action` / `update_action`, so every change is journaled the same way.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import Connection, func, select, update

from store import figures, journal
from store.bulk import insert_many
from store.dates import PreciseDate, Precision, period_end, precision_of
from store.errors import ValidationError, VersionConflict
from store.fields import ACTION, evolve
from store.journal import Change
from store.link_rows import delete_rows
from store.lookups import CodeMaps, code_maps
from store.models import utcnow
from store.models.identities import new_uids
from store.tables import ACTION as A
from store.tables import ACTION_EVENT as EVENTS
from store.tables import ACTION_OBJECTIVE as A_OBJ
from store.tables import ACTION_PARTNER as A_PART
from store.tables import ACTION_TERRITORY as A_TERR
from store.vocab import STATUSES_NEEDING_COMMENT, ActionStatus

_T = TypeVar("_T")

#: French label of each journaled field (from the field registry).
FIELD_LABELS: dict[str, str] = {f.name: f.label for f in ACTION.journaled}

#: Columns of the action table that hold a field's value as is (not a code, not a list).
_SCALAR_COLUMNS = tuple(f.name for f in ACTION if f.ref is None and not f.many and f.name != "code")
#: Date fields kept with their precision: the column holds the first day of a start period and
#: the last day of a due period (so SQL judges "late" and sorts by the end of the due period).
_DATE_COLUMNS = {"start_date": False, "due_date": True}
_PRECISION_COLUMNS = {column: f"{column}_precision" for column in _DATE_COLUMNS}
#: The text kept for each precision (read once, not through the enumeration for each row).
_PRECISIONS = {precision: precision.value for precision in Precision}


@dataclass(frozen=True)
class ActionData:
    """A plain, comparable snapshot of an action (codes instead of ids)."""

    code: str
    title: str
    description: str | None = None
    objectives: tuple[str, ...] = ()
    lead: str | None = None
    partners: tuple[str, ...] = ()
    territories: tuple[str, ...] = ()
    start_date: date | None = None
    due_date: date | None = None
    status: str = ActionStatus.TODO.value
    #: None: not known (the reference document gives no percentage).
    progress: int | None = 0
    weather: str | None = None
    budget_cents: int | None = None
    funding: str | None = None
    source: str | None = None
    id: int | None = field(default=None, compare=False)
    version: int = field(default=0, compare=False)
    #: The action's identity (store.models.identities), given at creation when None.
    uid: str | None = field(default=None, compare=False)

    def is_late(self, today: date) -> bool:
        """Late: still open and its due date has passed (derived, never stored)."""
        return figures.is_late(self.status, self.due_date, today)


FieldChange = Change


def diff(before: ActionData, after: ActionData) -> list[FieldChange]:
    """The journaled fields that differ between two snapshots."""
    return journal.diff(ACTION, before, after)


def format_value(name: str, value: Any) -> str | None:
    """How a field's value is kept in the journal (read back by the registry's parser)."""
    return ACTION[name].dump(value)


#: Verdicts a `validate` memo keeps at most.
_MEMO = 4096


def validate(
    data: ActionData,
    maps: CodeMaps | None = None,
    *,
    fields_checked: bool = False,
    memo: dict[tuple[str, Any], str | None] | None = None,
) -> list[ValidationError]:
    """Every rule the action breaks, one French message per problem, naming the field.

    `fields_checked`: the fields' own rules passed already (an import's preview checked them);
    only the code and the codes the action refers to (`maps`) are checked. `memo`: each field's
    verdict on a value, kept across the calls given the same dictionary (a field's rule is a
    function of its value alone: an import's thousands of rows share a few statuses).
    """
    errors: list[ValidationError] = []
    if not data.code.strip():
        errors.append(ValidationError("Le code de l'action est obligatoire.", "code"))
    if not fields_checked:
        for f in ACTION.ruled:
            value = getattr(data, f.name)
            if memo is None:
                problem = f.validate(value)
            else:
                try:
                    problem = memo[f.name, value]
                except KeyError:
                    problem = f.validate(value)
                    if len(memo) < _MEMO:  # each title is new: the memo stays small
                        memo[f.name, value] = problem
                except TypeError:  # a value that cannot be a key (a list): checked as is
                    problem = f.validate(value)
            if problem:
                errors.append(ValidationError(problem, f.name))
        if data.start_date and data.due_date and period_end(data.due_date) < data.start_date:
            due, start = (
                ACTION["due_date"].format(data.due_date),
                ACTION["start_date"].format(data.start_date),
            )
            errors.append(ValidationError(f"L'échéance ({due}) précède le début ({start}).", "due_date"))
    if maps is not None:
        errors.extend(_unknown_codes(data, maps))
    return errors


def warnings(data: ActionData, *, links: bool = True) -> list[str]:
    """What looks wrong but is allowed (saved anyway): one French sentence each, for the form and
    the import preview to show. `links=False` leaves out the missing objective or territory
    (the form asks about those before saving)."""
    found: list[str] = []
    if data.status == ActionStatus.TODO.value and (data.progress or 0) > 0:
        found.append(
            f"Avancement de {data.progress} % sur une action « {ActionStatus.TODO.label} » : "
            f"est-elle plutôt « {ActionStatus.IN_PROGRESS.label} » ?"
        )
    if not links:
        return found
    if not data.objectives:
        found.append("L'action n'est rattachée à aucun objectif du schéma.")
    if not data.territories:
        found.append("L'action n'a aucun territoire.")
    return found


def completed(data: ActionData) -> ActionData:
    """Réalisée means 100 %: the action with its progress brought to 100 when it is Réalisée.

    `create_action` and `update_action` apply it, so every path (form, workshop, Excel import,
    sync) saves the same thing, and the progress change is journaled like any other.
    """
    if data.status == ActionStatus.DONE.value and (data.progress is None or data.progress < 100):
        return replace(data, progress=100)
    return data


def _unknown_codes(data: ActionData, maps: CodeMaps) -> list[ValidationError]:
    errors = []
    for code in data.objectives:
        if code not in maps.objectives:
            errors.append(ValidationError(f"Objectif inconnu : « {code} ».", "objectives"))
    for name, codes in (("lead", (data.lead,) if data.lead else ()), ("partners", data.partners)):
        for code in codes:
            if code not in maps.organisations:
                errors.append(ValidationError(f"Organisation inconnue : « {code} ».", name))
    for code in data.territories:
        if code not in maps.territories:
            errors.append(ValidationError(f"Territoire inconnu : « {code} ».", "territories"))
    return errors


def _raise_first(errors: list[ValidationError]) -> None:
    if errors:
        raise errors[0]


def load_actions(
    conn: Connection,
    department: str,
    codes: Iterable[str] | None = None,
    *,
    maps: CodeMaps | None = None,
) -> dict[str, ActionData]:
    """Snapshots of the department's actions (or of `codes`), read in bulk. `maps`: the
    department's code maps, read when not given."""
    query = select(A).where(A.c.department_code == department)
    if codes is not None:
        wanted = list(codes)
        if not wanted:
            return {}
        query = query.where(A.c.code.in_(wanted))
    maps = maps or code_maps(conn, department)
    rows = conn.execute(query).mappings().all()
    ids = [r["id"] for r in rows]
    objectives = _links(conn, A_OBJ, "objective_id", ids, maps.objective_codes(), ordered=True)
    partners = _links(conn, A_PART, "organisation_id", ids, maps.organisation_codes(), ordered=True)
    territories = _links(conn, A_TERR, "territory_id", ids, maps.territory_codes(), ordered=False)
    org_codes = maps.organisation_codes()
    result = {}
    for r in rows:
        result[r["code"]] = ActionData(
            code=r["code"],
            objectives=objectives.get(r["id"], ()),
            lead=org_codes.get(r["lead_id"]) if r["lead_id"] else None,
            partners=partners.get(r["id"], ()),
            territories=territories.get(r["id"], ()),
            id=r["id"],
            version=r["version"],
            uid=r["uid"],
            **{c: _read_column(r, c) for c in _SCALAR_COLUMNS},
        )
    return result


def _read_column(row: Any, column: str) -> Any:
    """A column's value in the snapshot (dates with their precision)."""
    value = row[column]
    if column in _DATE_COLUMNS and value is not None:
        return PreciseDate.of(value, row[f"{column}_precision"])
    return value


def _links(
    conn: Connection, table: Any, column: str, ids: list[int], codes: dict[int, str], *, ordered: bool
) -> dict[int, tuple[str, ...]]:
    if not ids:
        return {}
    order = [table.c.action_id, table.c.position] if ordered else [table.c.action_id]
    found: dict[int, list[str]] = defaultdict(list)
    for chunk in _chunks(ids, 900):
        query = (
            select(table.c.action_id, table.c[column]).where(table.c.action_id.in_(chunk)).order_by(*order)
        )
        for action_id, target in conn.execute(query).all():
            found[action_id].append(codes[target])
    if not ordered:
        return {k: tuple(sorted(v)) for k, v in found.items()}
    return {k: tuple(v) for k, v in found.items()}


def _chunks(items: list[_T], size: int) -> Iterable[list[_T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _columns(data: ActionData, maps: CodeMaps) -> dict[str, Any]:
    values = {c: getattr(data, c) for c in _SCALAR_COLUMNS}
    for column, at_end in _DATE_COLUMNS.items():
        value = values[column]
        values[_PRECISION_COLUMNS[column]] = _PRECISIONS[precision_of(value)]
        if value is not None:
            values[column] = period_end(value) if at_end else date(value.year, value.month, value.day)
    values["lead_id"] = maps.organisations[data.lead] if data.lead else None
    return values


def create_action(
    conn: Connection,
    department: str,
    data: ActionData,
    *,
    author: str,
    source: str,
    maps: CodeMaps | None = None,
) -> ActionData:
    """Insert a new action and journal its creation. Returns it with its id and version."""
    return create_actions(conn, department, [data], author=author, source=source, maps=maps)[0]


def create_actions(
    conn: Connection,
    department: str,
    items: Sequence[ActionData],
    *,
    author: str,
    source: str,
    maps: CodeMaps | None = None,
    comments: Sequence[str | None] = (),
    validated: bool = False,
) -> list[ActionData]:
    """Insert new actions and journal their creation (and `comments`, one per action or None).

    Each action is checked by the domain rules (`completed`, `validate`, codes distinct) before
    anything is written; a ValidationError names the first refused one (`index`). `validated`:
    the caller already ran `validate` on each item (an import's preview), so only their codes
    and the codes they refer to are checked again (the store may have changed since). Then every
    table is written with one bulk statement, whatever the number of actions (a code already
    taken in the store is refused by the database: `store.constraints` explains it).
    """
    if not items:
        return []
    maps = maps or code_maps(conn, department)
    ready = [completed(d) for d in items]
    fresh = iter(new_uids(sum(not d.uid for d in ready)))
    uids = [d.uid or next(fresh) for d in ready]
    seen: dict[str, int] = {}
    for index, data in enumerate(ready):
        errors = validate(data, maps, fields_checked=validated)
        if data.code in seen:
            errors.append(
                ValidationError(f"Le code « {data.code} » est déjà utilisé par une autre action.", "code")
            )
        seen.setdefault(data.code, index)
        if errors:
            raise ValidationError(str(errors[0]), errors[0].field, index=index)
    now = utcnow()
    rows = [
        {
            "department_code": department,
            "code": d.code,
            "created_at": now,
            "updated_at": now,
            "version": 1,
            "uid": uid,
            **_columns(d, maps),
        }
        for d, uid in zip(ready, uids, strict=True)
    ]
    ids = _insert_returning_ids(conn, department, rows)
    created = [evolve(d, id=ids[d.code], version=1, uid=uid) for d, uid in zip(ready, uids, strict=True)]
    _insert_links(conn, created, maps)
    events = [
        journal.event_row(
            ("action_id", d.id or 0),
            department,
            kind="creation",
            author=author,
            source=source,
            new_value=d.title,
            at=now,
        )
        for d in created
    ]
    events += [
        journal.event_row(
            ("action_id", d.id or 0),
            department,
            kind="commentaire",
            author=author,
            source=source,
            comment=comment,
            at=now,
        )
        for d, comment in zip(created, comments, strict=False)
        if comment and comment.strip()
    ]
    for event, uid in zip(events, new_uids(len(events)), strict=True):
        event["uid"] = uid
    insert_many(conn, EVENTS, events)
    return created


def _insert_returning_ids(conn: Connection, department: str, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert action rows (plain executemany); their ids by code (unique in the department).

    New ids are above every id there was (SQLite's next rowid, PostgreSQL's sequence), so they
    are read in one statement: the department's rows above the highest id before the insert (a
    row another copy committed meanwhile is ignored: its code is not one of these). Should one
    be missing, the codes are read by lists of 900.
    """
    before = conn.execute(select(func.max(A.c.id))).scalar() or 0
    insert_many(conn, A, rows)
    codes = {r["code"] for r in rows}
    query = select(A.c.code, A.c.id).where(A.c.department_code == department)
    ids = {code: id_ for code, id_ in conn.execute(query.where(A.c.id > before)).all() if code in codes}
    if len(ids) < len(codes):
        for chunk in _chunks(sorted(codes), 900):
            ids.update({code: id_ for code, id_ in conn.execute(query.where(A.c.code.in_(chunk)))})
    return ids


def _write_links(conn: Connection, action_id: int, data: ActionData, maps: CodeMaps) -> None:
    for table in (A_OBJ, A_PART, A_TERR):
        delete_rows(conn, table, [{"action_id": action_id}])
    _insert_links(conn, [replace(data, id=action_id)], maps)


def _insert_links(conn: Connection, items: Sequence[ActionData], maps: CodeMaps) -> None:
    """The objectives, partners and territories of `items` (with their ids), in bulk."""
    objectives = [
        {"action_id": d.id, "objective_id": maps.objectives[c], "position": i}
        for d in items
        for i, c in enumerate(d.objectives)
    ]
    partners = [
        {"action_id": d.id, "organisation_id": maps.organisations[c], "position": i}
        for d in items
        for i, c in enumerate(d.partners)
    ]
    territories = [
        {"action_id": d.id, "territory_id": maps.territories[c]} for d in items for c in d.territories
    ]
    for table, rows in ((A_OBJ, objectives), (A_PART, partners), (A_TERR, territories)):
        insert_many(conn, table, rows)


def update_action(
    conn: Connection,
    department: str,
    before: ActionData,
    after: ActionData,
    *,
    author: str,
    source: str,
    comment: str | None = None,
    maps: CodeMaps | None = None,
) -> list[FieldChange]:
    """Apply the differences between `before` and `after`, journal each changed field.

    Refuses (VersionConflict) when the action changed in the store since `before` was read.
    A status moving to Reportée or Abandonnée needs a comment. A Réalisée action's progress
    becomes 100 % (`completed`).
    """
    maps = maps or code_maps(conn, department)
    after = completed(replace(after, code=before.code))
    _raise_first(validate(after, maps))
    changes = diff(before, after)
    if not changes:
        if comment:
            add_comment(conn, department, before, comment, author=author, source=source)
        return []
    if (
        any(c.field == "status" for c in changes)
        and ActionStatus(after.status) in STATUSES_NEEDING_COMMENT
        and not (comment and comment.strip())
    ):
        label = ActionStatus(after.status).label
        raise ValidationError(
            f"Un commentaire est obligatoire pour passer l'action en « {label} ».", "comment"
        )
    now = utcnow()
    result = conn.execute(
        update(A)
        .where(A.c.id == before.id, A.c.version == before.version)
        .values(updated_at=now, version=before.version + 1, **_columns(after, maps))
    )
    if result.rowcount != 1:
        current = load_actions(conn, department, [before.code]).get(before.code)
        raise VersionConflict(
            f"L'action {before.code} a été modifiée par ailleurs depuis son ouverture.", current=current
        )
    if any(c.field in ("objectives", "partners", "territories") for c in changes):
        _write_links(conn, before.id or 0, after, maps)
    journal.write_changes(
        conn,
        EVENTS,
        ("action_id", before.id or 0),
        department,
        ACTION,
        changes,
        author=author,
        source=source,
        comment=comment,
        comment_on="status",
    )
    if comment and not any(c.field == "status" for c in changes):
        add_comment(conn, department, before, comment, author=author, source=source)
    return changes


def add_comment(
    conn: Connection, department: str, action: ActionData, comment: str, *, author: str, source: str
) -> None:
    """Add a free comment to an action's journal."""
    journal.write_comment(
        conn, EVENTS, ("action_id", action.id or 0), department, comment, author=author, source=source
    )


#: Names of ActionData's comparable fields (what an action holds; not its id, version, uid).
DATA_FIELDS = frozenset(f.name for f in fields(ActionData) if f.compare)


def data_fields() -> list[str]:
    """Names of ActionData's comparable fields."""
    return [f.name for f in fields(ActionData) if f.compare]


_ACTION_CODE = re.compile(r"^ACT-(\d+)$")


def next_action_code(conn: Connection, department: str) -> str:
    """A new action code after the highest "ACT-nnn" in use (three digits at least)."""
    query = select(A.c.code).where(A.c.department_code == department, A.c.code.like("ACT-%"))
    numbers = [m.group(1) for c in conn.execute(query).scalars() if (m := _ACTION_CODE.match(c))]
    width = max([3, *(len(n) for n in numbers)])
    return f"ACT-{max((int(n) for n in numbers), default=0) + 1:0{width}d}"


def following_codes(first: str) -> Iterator[str]:
    """`first` ("ACT-066"), then the codes after it ("ACT-067"…), the width kept (at least):
    the codes of one import are allocated once, not by re-reading every code per new row."""
    found = re.match(r"^(.*?)(\d+)$", first)
    if found is None:
        raise ValueError(first)
    prefix, digits = found.groups()
    number, width = int(digits), len(digits)
    while True:
        yield prefix + str(number).zfill(width)
        number += 1
