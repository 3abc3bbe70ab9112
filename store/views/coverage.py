"""Where the department has no respite offer, for whom: territory × public (or type)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, select

from store.resources import VERIFY_EVERY_DAYS
from store.tables import RESOURCE as R
from store.tables import RESOURCE_AUDIENCE as RA
from store.tables import RESOURCE_TERRITORY as RT
from store.tables import TERRITORY as TER
from store.vocab import AUDIENCES, RESOURCE_TYPES, ResourceStatus, TerritoryKind


@dataclass(frozen=True)
class CoverageMatrix:
    """`counts[(territory_code, column)]`: existing resources covering that bassin for that column."""

    territories: list[tuple[str, str]]  # (code, name) of the bassins
    columns: list[str]
    counts: dict[tuple[str, str], int]
    unverified: int

    def gaps(self) -> list[tuple[str, str]]:
        """(territory name, column) pairs with no existing resource."""
        return [
            (name, col)
            for code, name in self.territories
            for col in self.columns
            if not self.counts.get((code, col))
        ]


def coverage_matrix(conn: Connection, department: str, *, by: str = "public", today: date) -> CoverageMatrix:
    """Existing resources per bassin and public (`by="public"`) or type (`by="type"`).

    A resource covering the whole department covers every bassin.
    """
    territories = conn.execute(
        select(TER.c.id, TER.c.code, TER.c.name, TER.c.kind)
        .where(TER.c.department_code == department)
        .order_by(TER.c.position)
    ).all()
    basins = [(code, name) for _id, code, name, kind in territories if kind == TerritoryKind.BASIN.value]
    whole = {tid for tid, _c, _n, kind in territories if kind == TerritoryKind.DEPARTMENT.value}
    code_of = {tid: code for tid, code, _n, _k in territories}
    resources = conn.execute(
        select(R.c.id, R.c.kind, R.c.status, R.c.verified_on).where(R.c.department_code == department)
    ).all()
    existing = {rid: kind for rid, kind, status, _v in resources if status == ResourceStatus.EXISTING.value}
    unverified = sum(
        1
        for _rid, _k, status, verified in resources
        if status != ResourceStatus.CLOSED.value
        and (verified is None or (today - verified).days > VERIFY_EVERY_DAYS)
    )
    covered: dict[int, set[str]] = {}
    for rid, tid in conn.execute(select(RT.c.resource_id, RT.c.territory_id)):
        if rid in existing:
            covered.setdefault(rid, set()).update(
                {code for code, _n in basins} if tid in whole else {code_of.get(tid, "")}
            )
    if by == "type":
        columns = list(RESOURCE_TYPES)
        keys: dict[int, set[str]] = {rid: {kind} for rid, kind in existing.items()}
    else:
        columns = [a for a in AUDIENCES if a != "Tous publics"]
        keys = {}
        for rid, audience in conn.execute(select(RA.c.resource_id, RA.c.audience)):
            if rid in existing:
                keys.setdefault(rid, set()).update(columns if audience == "Tous publics" else {audience})
    counts: dict[tuple[str, str], int] = {}
    for rid, territories_covered in covered.items():
        for territory in territories_covered:
            for column in keys.get(rid, ()):
                counts[(territory, column)] = counts.get((territory, column), 0) + 1
    return CoverageMatrix(basins, columns, counts, unverified)
