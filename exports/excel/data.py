"""What the Excel exports read from the store, in bulk."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, select

from store import actions as action_rules
from store import indicators as indicator_rules
from store import resources as resource_rules
from store.actions import ActionData
from store.indicators import IndicatorData, ValueKey
from store.models import Challenge, Department, Engagement, Objective, Organisation, Territory
from store.reference import read_care_offer
from store.resources import ResourceData


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
    care_offer: list[dict[str, object]] = field(default_factory=list)


def _t(model: type) -> object:
    return model.__table__  # type: ignore[attr-defined]


def load(conn: Connection, department: str, *, care_offer: bool = False) -> ExportData:
    dept = Department.__table__  # type: ignore[attr-defined]
    name = conn.execute(select(dept.c.name).where(dept.c.code == department)).scalar() or department
    data = ExportData(department, name, datetime.now().astimezone())
    data.actions = sorted(action_rules.load_actions(conn, department).values(), key=lambda a: a.code)
    data.resources = sorted(resource_rules.load_resources(conn, department).values(), key=lambda r: r.code)
    data.indicators = sorted(indicator_rules.load_indicators(conn, department).values(), key=lambda i: i.code)
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
    data.territories = [
        (code, title)
        for code, title in conn.execute(
            select(terr.c.code, terr.c.name)
            .where(terr.c.department_code == department)
            .order_by(terr.c.position)
        )
    ]
    if care_offer:
        data.care_offer = read_care_offer(conn, department)
    return data
