"""Code ↔ id maps of a department, read in bulk with SQLAlchemy core."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select

from store.models import Objective, Organisation, Territory


@dataclass(frozen=True)
class CodeMaps:
    """Ids by code (and codes by id) of the department's objectives, organisations, territories."""

    objectives: dict[str, int]
    organisations: dict[str, int]
    territories: dict[str, int]

    def objective_codes(self) -> dict[int, str]:
        return {v: k for k, v in self.objectives.items()}

    def organisation_codes(self) -> dict[int, str]:
        return {v: k for k, v in self.organisations.items()}

    def territory_codes(self) -> dict[int, str]:
        return {v: k for k, v in self.territories.items()}


def code_maps(conn: Connection, department: str) -> CodeMaps:
    def load(table: type) -> dict[str, int]:
        t = table.__table__  # type: ignore[attr-defined]
        rows = conn.execute(select(t.c.code, t.c.id).where(t.c.department_code == department))
        return {code: id_ for code, id_ in rows}

    return CodeMaps(load(Objective), load(Organisation), load(Territory))


def department_territory(conn: Connection, department: str) -> str | None:
    """The code of the territory that stands for the whole department (e.g. "09")."""
    t = Territory.__table__  # type: ignore[attr-defined]
    return conn.execute(
        select(t.c.code).where(t.c.department_code == department, t.c.kind == "departement")
    ).scalar_one_or_none()
