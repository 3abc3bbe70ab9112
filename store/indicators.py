"""Domain rules of indicators and their periodic values: bulk reads, validation, bulk writes.

An indicator measures an action or an objective (exactly one of the two). Its values are
keyed by (period, category): the empty category is the total, others are a breakdown
("mineurs", "hommes"…). Values are read and written in bulk with SQLAlchemy core
(executemany), as imports carry tens of thousands of them.

Changes to the values of an action's indicator are also written to that action's journal
(field ``indicateur``), so an import's effect on an action can be traced like its other
changes. Indicators of an objective have no journal.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from store.bulk import execute_many
from store.errors import ValidationError
from store.fields import INDICATOR_VALUE, evolve
from store.link_rows import delete_rows
from store.lookups import CodeMaps, code_maps
from store.models import Action, ActionEvent, Indicator, IndicatorValue, utcnow
from store.models.identities import new_uid
from store.vocab import Periodicity

IND = Indicator.__table__  # type: ignore[attr-defined]
VAL = IndicatorValue.__table__  # type: ignore[attr-defined]
A = Action.__table__  # type: ignore[attr-defined]
EVENTS = ActionEvent.__table__  # type: ignore[attr-defined]

#: French label of each indicator field.
FIELD_LABELS: dict[str, str] = {
    "label": "Intitulé",
    "action": "Action",
    "objective": "Objectif",
    "unit": "Unité",
    "periodicity": "Périodicité",
    "baseline": "Valeur initiale",
    "target": "Cible",
}
#: The column of each field that is not its own name.
_COLUMN_OF = {"action": "action_id", "objective": "objective_id"}
#: The journal field of indicator value changes on the indicator's action.
JOURNAL_FIELD = "indicateur"

_PERIOD = {
    Periodicity.MONTHLY.value: re.compile(r"^\d{4}-(0[1-9]|1[0-2])$"),
    Periodicity.QUARTERLY.value: re.compile(r"^\d{4}-T[1-4]$"),
    Periodicity.HALF_YEARLY.value: re.compile(r"^\d{4}-S[12]$"),
    Periodicity.YEARLY.value: re.compile(r"^\d{4}$"),
}
_ANY_PERIOD = re.compile(r"^\d{4}(-(0[1-9]|1[0-2]|T[1-4]|S[12]))?$")
_CODE = re.compile(r"^IND-(\d+)$")
#: Codes per IN (...) list (SQLite's default limit of bound parameters is far above).
_CHUNK = 900


@dataclass(frozen=True)
class IndicatorData:
    """A plain, comparable snapshot of an indicator (codes instead of ids)."""

    code: str
    label: str
    action: str | None = None
    objective: str | None = None
    unit: str | None = None
    periodicity: str = Periodicity.YEARLY.value
    baseline: float | None = None
    target: float | None = None
    id: int | None = field(default=None, compare=False)
    #: The indicator's identity (kept by copies; the code may be renumbered by sync).
    uid: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ValueKey:
    """Which value: an indicator's code, a period and a category ("" for the total)."""

    indicator: str
    period: str
    category: str = ""


@dataclass(frozen=True)
class ValueChange:
    """Set (`new` not None) or remove (`new` None) one value; `old` is what the store had."""

    key: ValueKey
    old: float | None
    new: float | None


def period_error(period: str, periodicity: str | None = None) -> str | None:
    """Why `period` is not a valid period (for `periodicity` when given), or None."""
    if not _ANY_PERIOD.match(period):
        return f"Période invalide : « {period} » (2024, 2024-T1, 2024-S1 ou 2024-03)."
    if periodicity in _PERIOD and not _PERIOD[periodicity].match(period):
        examples = {"mensuelle": "2024-03", "trimestrielle": "2024-T1", "semestrielle": "2024-S1"}
        example = examples.get(periodicity, "2024")
        return f"La période « {period} » ne convient pas à un indicateur {periodicity} (ex. {example})."
    return None


def validate(
    data: IndicatorData, maps: CodeMaps | None = None, action_codes: Container[str] | None = None
) -> list[ValidationError]:
    """Every rule the indicator breaks, one French message per problem, naming the field."""
    errors: list[ValidationError] = []
    if not data.code.strip():
        errors.append(ValidationError("Le code de l'indicateur est obligatoire.", "code"))
    if not data.label.strip():
        errors.append(ValidationError("L'intitulé de l'indicateur est obligatoire.", "label"))
    if (data.action is None) == (data.objective is None):
        errors.append(
            ValidationError("Un indicateur mesure une action ou un objectif (l'un des deux).", "action")
        )
    if data.periodicity not in _PERIOD:
        errors.append(ValidationError(f"Périodicité inconnue : « {data.periodicity} ».", "periodicity"))
    if maps is not None and data.objective is not None and data.objective not in maps.objectives:
        errors.append(ValidationError(f"Objectif inconnu : « {data.objective} ».", "objective"))
    if action_codes is not None and data.action is not None and data.action not in action_codes:
        errors.append(ValidationError(f"Action inconnue : « {data.action} ».", "action"))
    return errors


def action_ids(
    conn: Connection, department: str, codes: Iterable[str | None] | None = None
) -> dict[str, int]:
    """Action ids by code: of the department, or of those of `codes` that exist."""
    query = select(A.c.code, A.c.id).where(A.c.department_code == department)
    if codes is None:
        return {code: id_ for code, id_ in conn.execute(query)}
    wanted = sorted({c for c in codes if c})
    found: dict[str, int] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        found.update({code: id_ for code, id_ in conn.execute(query.where(A.c.code.in_(chunk))).all()})
    return found


def existing_codes(conn: Connection, department: str, codes: Iterable[str]) -> set[str]:
    """Those of `codes` that are the department's indicators."""
    wanted = sorted(set(codes))
    query = select(IND.c.code).where(IND.c.department_code == department)
    return {
        code
        for start in range(0, len(wanted), _CHUNK)
        for code in conn.execute(query.where(IND.c.code.in_(wanted[start : start + _CHUNK]))).scalars()
    }


def load_indicators(
    conn: Connection,
    department: str,
    codes: Iterable[str] | None = None,
    *,
    maps: CodeMaps | None = None,
) -> dict[str, IndicatorData]:
    """The department's indicators (or those of `codes`) by code, read in bulk. `maps`: the
    department's code maps, read when not given."""
    wanted = None if codes is None else sorted(set(codes))
    if wanted == []:
        return {}
    objectives = (maps or code_maps(conn, department)).objective_codes()
    query = (
        select(IND, A.c.code.label("action_code"))
        .select_from(IND.outerjoin(A, A.c.id == IND.c.action_id))
        .where(IND.c.department_code == department)
        .order_by(IND.c.id)
    )
    queries = [query]
    if wanted is not None:
        queries = [query.where(IND.c.code.in_(wanted[i : i + _CHUNK])) for i in range(0, len(wanted), _CHUNK)]
    return {
        r["code"]: IndicatorData(
            code=r["code"],
            label=r["label"],
            action=r["action_code"] if r["action_id"] else None,
            objective=objectives.get(r["objective_id"]) if r["objective_id"] else None,
            unit=r["unit"],
            periodicity=r["periodicity"],
            baseline=r["baseline"],
            target=r["target"],
            id=r["id"],
            uid=r["uid"],
        )
        for q in queries
        for r in conn.execute(q).mappings()
    }


def load_values(
    conn: Connection, department: str, codes: Iterable[str] | None = None
) -> dict[ValueKey, float]:
    """Every value of the department's indicators (or of those of `codes`), read in bulk."""
    columns = (IND.c.code, VAL.c.period, VAL.c.category, VAL.c.value)
    order = (IND.c.id, VAL.c.period, VAL.c.category)
    query = (
        select(*columns)
        .join(IND, IND.c.id == VAL.c.indicator_id)
        .where(VAL.c.department_code == department)
        .order_by(*order)
    )
    queries = [query]
    if codes is not None:
        # Reached from the indicators named (their values by indicator id), not by a scan of
        # every value of the department for each list of codes: as many rows read as asked.
        named = select(*columns).select_from(IND.join(VAL, IND.c.id == VAL.c.indicator_id)).order_by(*order)
        wanted = sorted(set(codes))
        queries = [
            named.where(IND.c.department_code == department, IND.c.code.in_(wanted[i : i + _CHUNK]))
            for i in range(0, len(wanted), _CHUNK)
        ]
    return {
        ValueKey(code, period, category): value
        for q in queries
        for code, period, category, value in conn.execute(q)
    }


def next_code(conn: Connection, department: str) -> str:
    """A new code "IND-0001"-style, after the highest one in use (`store.actions.following_codes`
    gives the next ones, for an import that creates many)."""
    query = select(IND.c.code).where(IND.c.department_code == department, IND.c.code.like("IND-%"))
    codes = conn.execute(query).scalars()
    numbers = [int(m.group(1)) for c in codes if (m := _CODE.match(c))]
    return f"IND-{max(numbers, default=0) + 1:04d}"


def _columns(data: IndicatorData, maps: CodeMaps, actions: Mapping[str, int]) -> dict[str, Any]:
    return {
        "label": data.label,
        "action_id": actions[data.action] if data.action else None,
        "objective_id": maps.objectives[data.objective] if data.objective else None,
        "unit": data.unit,
        "periodicity": data.periodicity,
        "baseline": data.baseline,
        "target": data.target,
    }


def create_indicator(
    conn: Connection,
    department: str,
    data: IndicatorData,
    *,
    maps: CodeMaps | None = None,
    actions: Mapping[str, int] | None = None,
) -> IndicatorData:
    """Insert an indicator (a new code is given when `data.code` is empty). `maps` and `actions`
    (action ids by code, at least the indicator's) are read when not given."""
    maps = maps or code_maps(conn, department)
    actions = actions if actions is not None else action_ids(conn, department, [data.action])
    if not data.code:
        data = replace(data, code=next_code(conn, department))
    errors = validate(data, maps, actions)
    if errors:
        raise errors[0]
    uid = data.uid or new_uid()
    new_id = conn.execute(
        insert(IND)
        .values(department_code=department, code=data.code, uid=uid, **_columns(data, maps, actions))
        .returning(IND.c.id)
    ).scalar_one()
    return replace(data, id=new_id, uid=uid)


def changed_fields(before: IndicatorData, after: IndicatorData) -> list[str]:
    return [f for f in FIELD_LABELS if getattr(before, f) != getattr(after, f)]


def update_indicator(
    conn: Connection,
    department: str,
    before: IndicatorData,
    after: IndicatorData,
    *,
    maps: CodeMaps | None = None,
    actions: Mapping[str, int] | None = None,
) -> list[str]:
    """Apply the changed fields of an indicator; returns their names. `maps` and `actions`
    (action ids by code, at least the indicator's) are read when not given."""
    return update_indicators(conn, department, [(before, after)], maps=maps, actions=actions)[0]


def update_indicators(
    conn: Connection,
    department: str,
    pairs: Sequence[tuple[IndicatorData, IndicatorData]],
    *,
    maps: CodeMaps | None = None,
    actions: Mapping[str, int] | None = None,
) -> list[list[str]]:
    """Apply the changed fields of each (before, after) pair; the names changed, per pair.

    Each indicator is checked by the domain rules first (a ValidationError names the first
    refused one, `index`); then all are written by one bulk UPDATE, whatever their number.
    """
    wanted = [evolve(after, code=before.code, id=before.id) for before, after in pairs]
    changed = [changed_fields(before, after) for (before, _), after in zip(pairs, wanted, strict=True)]
    if not any(changed):
        return changed
    maps = maps or code_maps(conn, department)
    actions = actions if actions is not None else action_ids(conn, department, [a.action for a in wanted])
    # Only the changed columns are set (an unchanged action or objective is neither re-indexed
    # nor checked again by its foreign key): one bulk UPDATE per set of changed fields.
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for index, (after, names) in enumerate(zip(wanted, changed, strict=True)):
        if not names:
            continue
        errors = validate(after, maps, actions)
        if errors:
            raise ValidationError(str(errors[0]), errors[0].field, index=index)
        columns = _columns(after, maps, actions)
        changed_columns = tuple(_COLUMN_OF.get(n, n) for n in names)
        row = {f"v_{c}": columns[c] for c in changed_columns}
        row["v_id"] = after.id
        groups.setdefault(changed_columns, []).append(row)
    for changed_columns, rows in groups.items():
        statement = (
            update(IND)
            .where(IND.c.id == bindparam("v_id"))
            .values({c: bindparam(f"v_{c}") for c in changed_columns})
        )
        execute_many(conn, statement, rows)
    return changed


def describe_value(key: ValueKey, value: float | None) -> str | None:
    """How a value appears in the journal: "IND-001 2024-01 (mineurs) : 1 234,5", the value written
    as the grid shows it (the registry's)."""
    if value is None:
        return None
    category = f" ({key.category})" if key.category else ""
    return f"{key.indicator} {key.period}{category} : {INDICATOR_VALUE['value'].format(value)}"


def write_values(
    conn: Connection,
    department: str,
    changes: Iterable[ValueChange],
    *,
    author: str,
    source: str,
) -> int:
    """Insert, update and remove values in bulk; journal those of actions' indicators.

    Returns the number of values changed. Periods are checked against each indicator's
    periodicity; a ValidationError names the first wrong one and nothing is written.
    """
    changes = [c for c in changes if c.old != c.new]
    if not changes:
        return 0
    query = select(IND.c.code, IND.c.id, IND.c.action_id, IND.c.periodicity).where(
        IND.c.department_code == department
    )
    wanted = sorted({c.key.indicator for c in changes})
    indicators = {
        code: (id_, action_id, periodicity)
        for start in range(0, len(wanted), _CHUNK)
        for code, id_, action_id, periodicity in conn.execute(
            query.where(IND.c.code.in_(wanted[start : start + _CHUNK]))
        )
    }
    inserts, updates, removals, events = [], [], [], []
    now = utcnow()
    for change in changes:
        found = indicators.get(change.key.indicator)
        if found is None:
            raise ValidationError(f"Indicateur inconnu : « {change.key.indicator} ».", "indicator")
        indicator_id, action_id, periodicity = found
        problem = period_error(change.key.period, periodicity)
        if problem:
            raise ValidationError(problem, "period")
        params = {"i": indicator_id, "p": change.key.period, "c": change.key.category}
        if change.new is None:
            removals.append(params)
        elif change.old is None:
            inserts.append(
                {
                    "department_code": department,
                    "indicator_id": indicator_id,
                    "period": change.key.period,
                    "category": change.key.category,
                    "value": float(change.new),
                }
            )
        else:
            updates.append({**params, "v": float(change.new)})
        if action_id is not None:
            events.append(
                {
                    "department_code": department,
                    "action_id": action_id,
                    "at": now,
                    "author": author,
                    "kind": "modification",
                    "field": JOURNAL_FIELD,
                    "old_value": describe_value(change.key, change.old),
                    "new_value": describe_value(change.key, change.new),
                    "source": source,
                    "comment": None,
                }
            )
    match = (
        (VAL.c.indicator_id == bindparam("i"))
        & (VAL.c.period == bindparam("p"))
        & (VAL.c.category == bindparam("c"))
    )
    if removals:
        delete_rows(
            conn, VAL, [{"indicator_id": r["i"], "period": r["p"], "category": r["c"]} for r in removals]
        )
    if updates:
        conn.execute(update(VAL).where(match).values(value=bindparam("v")), updates)
    if inserts:
        conn.execute(insert(VAL), inserts)
    if events:
        conn.execute(insert(EVENTS), events)
    return len(changes)
