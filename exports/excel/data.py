"""What the Excel exports read from the store, in bulk."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, func, select

from store import actions as action_rules
from store import indicators as indicator_rules
from store import resources as resource_rules
from store.actions import ActionData
from store.indicators import IndicatorData, ValueKey
from store.models import (
    Action,
    ActionObjective,
    Challenge,
    Department,
    Engagement,
    Indicator,
    IndicatorValue,
    Objective,
    Organisation,
    Territory,
)
from store.resources import ResourceData
from store.views.care_offer import CareOfferLine, care_offer_lines


@dataclass(frozen=True)
class ObjectiveRow:
    engagement_code: str
    engagement_title: str
    challenge_code: str
    challenge_title: str
    code: str
    number: int | None
    title: str


@dataclass
class ExportData:
    department: str
    department_name: str
    exported_at: datetime
    actions: list[ActionData] = field(default_factory=list)
    resources: list[ResourceData] = field(default_factory=list)
    indicators: list[IndicatorData] = field(default_factory=list)
    values: dict[ValueKey, float] = field(default_factory=dict)
    objectives: list[ObjectiveRow] = field(default_factory=list)
    organisations: list[tuple[str, str]] = field(default_factory=list)
    territories: list[tuple[str, str]] = field(default_factory=list)
    #: Territory code → kind ("departement" or "bassin"), for coverage (store.figures).
    territory_kinds: dict[str, str] = field(default_factory=dict)
    #: The care offer as the app's screen shows it (existing, target, gap).
    care_offer: list[CareOfferLine] = field(default_factory=list)
    #: Streamed exports (the exchange workbook): what is known without loading every record.
    action_codes: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    periods: dict[str, int] = field(default_factory=dict)
    objective_counts: dict[str, int] = field(default_factory=dict)
    value_count: int = 0
    #: Every action of the department (not a part of them, chosen by the user).
    every_action: bool = True


CHUNK = 1000


def iter_actions(conn: Connection, department: str, codes: list[str]) -> Iterator[ActionData]:
    """The actions of `codes`, in that order, read a chunk at a time (memory stays flat)."""
    for start in range(0, len(codes), CHUNK):
        chunk = codes[start : start + CHUNK]
        found = action_rules.load_actions(conn, department, chunk)
        yield from (found[code] for code in chunk if code in found)


def iter_values(
    conn: Connection, indicators: list[IndicatorData]
) -> Iterator[tuple[IndicatorData, dict[str, dict[str, float]]]]:
    """Each indicator with its values by period and category ("" = total), a chunk at a time."""
    val = IndicatorValue.__table__  # type: ignore[attr-defined]
    for start in range(0, len(indicators), CHUNK):
        chunk = indicators[start : start + CHUNK]
        by_id: dict[int, dict[str, dict[str, float]]] = {i.id or 0: {} for i in chunk}
        query = select(val.c.indicator_id, val.c.period, val.c.category, val.c.value).where(
            val.c.indicator_id.in_(list(by_id))
        )
        for indicator_id, period, category, value in conn.execute(query):
            by_id[indicator_id].setdefault(period, {})[category] = value
        for indicator in chunk:
            yield indicator, by_id[indicator.id or 0]


def load_outline(conn: Connection, department: str, *, codes: Collection[str] | None = None) -> ExportData:
    """Everything but the actions and indicator values, which the exchange workbook streams.

    `codes` restricts the actions to these (None: all of them).
    """
    data = load(conn, department, values=False, actions=False)
    data.every_action = codes is None
    if codes is not None:  # a part of the actions: their indicators and the objectives'
        chosen = set(codes)
        data.indicators = [i for i in data.indicators if i.action is None or i.action in chosen]
    a = Action.__table__  # type: ignore[attr-defined]
    ao = ActionObjective.__table__  # type: ignore[attr-defined]
    o = Objective.__table__  # type: ignore[attr-defined]
    val = IndicatorValue.__table__  # type: ignore[attr-defined]
    ind = Indicator.__table__  # type: ignore[attr-defined]
    wanted = set(codes or ())
    data.action_codes = sorted(
        code
        for code in conn.execute(select(a.c.code).where(a.c.department_code == department)).scalars()
        if codes is None or code in wanted
    )
    data.objective_counts = {
        code: int(count)
        for code, count in conn.execute(
            select(o.c.code, func.count())
            .join(ao, ao.c.objective_id == o.c.id)
            .where(o.c.department_code == department)
            .group_by(o.c.code)
        )
    }
    in_department = val.c.department_code == department
    if codes is not None and len(data.indicators) <= 30_000:  # (else: a few unused categories)
        in_department = in_department & val.c.indicator_id.in_([i.id for i in data.indicators])
    data.categories = sorted(
        c for c in conn.execute(select(val.c.category).where(in_department).distinct()).scalars() if c
    )
    data.periods = {
        code: int(count)
        for code, count in conn.execute(
            select(ind.c.code, func.count(func.distinct(val.c.period)))
            .join(ind, ind.c.id == val.c.indicator_id)
            .where(in_department)
            .group_by(ind.c.code)
        )
    }
    data.value_count = conn.execute(select(func.count()).select_from(val).where(in_department)).scalar_one()
    return data


def _t(model: type) -> object:
    return model.__table__  # type: ignore[attr-defined]


def load(
    conn: Connection,
    department: str,
    *,
    care_offer: bool = False,
    values: bool = True,
    actions: bool = True,
    codes: Collection[str] | None = None,
) -> ExportData:
    """What the workbooks show; `codes` restricts the actions to these (None: all of them)."""
    dept = Department.__table__  # type: ignore[attr-defined]
    name = conn.execute(select(dept.c.name).where(dept.c.code == department)).scalar() or department
    data = ExportData(department, name, datetime.now().astimezone())
    if actions:
        loaded = action_rules.load_actions(conn, department).values()
        wanted = None if codes is None else set(codes)
        chosen = [a for a in loaded if wanted is None or a.code in wanted]
        data.actions = sorted(chosen, key=lambda a: a.code)
    data.resources = sorted(resource_rules.load_resources(conn, department).values(), key=lambda r: r.code)
    data.indicators = sorted(indicator_rules.load_indicators(conn, department).values(), key=lambda i: i.code)
    if values:
        data.values = indicator_rules.load_values(conn, department)
    e = Engagement.__table__  # type: ignore[attr-defined]
    c = Challenge.__table__  # type: ignore[attr-defined]
    o = Objective.__table__  # type: ignore[attr-defined]
    query = (
        select(e.c.code, e.c.title, c.c.code, c.c.title, o.c.code, o.c.number, o.c.title)
        .join(c, c.c.id == o.c.challenge_id)
        .join(e, e.c.id == c.c.engagement_id)
        .where(o.c.department_code == department)
        .order_by(e.c.position, c.c.position, o.c.position)
    )
    data.objectives = [ObjectiveRow(*row) for row in conn.execute(query)]
    org = Organisation.__table__  # type: ignore[attr-defined]
    data.organisations = [
        (code, title)
        for code, title in conn.execute(
            select(org.c.code, org.c.name).where(org.c.department_code == department).order_by(org.c.code)
        )
    ]
    terr = Territory.__table__  # type: ignore[attr-defined]
    rows = conn.execute(
        select(terr.c.code, terr.c.name, terr.c.kind)
        .where(terr.c.department_code == department)
        .order_by(terr.c.position)
    ).all()
    data.territories = [(code, title) for code, title, _kind in rows]
    data.territory_kinds = {code: kind for code, _title, kind in rows}
    if care_offer:
        data.care_offer = care_offer_lines(conn, department)
    return data
