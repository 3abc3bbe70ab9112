"""Which departments a store holds."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select

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
    departments = list_departments(engine)
    if wanted is not None:
        return next((d for d in departments if d.code == wanted), None)
    return departments[0] if len(departments) == 1 else None
