"""Which departments a store holds."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select

from store.glance import pick_department
from store.models import Department


@dataclass(frozen=True)
class DepartmentInfo:
    code: str
    name: str


def list_departments(engine: Engine) -> list[DepartmentInfo]:
    t = Department.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        return [DepartmentInfo(c, n) for c, n in conn.execute(select(t.c.code, t.c.name).order_by(t.c.code))]


def single_department(engine: Engine, wanted: str | None = None) -> DepartmentInfo | None:
    """The department to work on: `wanted`, or the only one the store holds."""
    found = pick_department([(d.code, d.name) for d in list_departments(engine)], wanted)
    return None if found is None else DepartmentInfo(*found)
