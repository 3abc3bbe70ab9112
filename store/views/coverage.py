"""Where the department has no respite offer, for whom: territory × public (or type)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, select

from store import figures
from store.resources import VERIFY_EVERY_DAYS
from store.tables import RESOURCE as R
from store.tables import RESOURCE_AUDIENCE as RA
from store.tables import RESOURCE_TERRITORY as RT
from store.tables import TERRITORY as TER
from store.vocab import ResourceStatus, TerritoryKind


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

    Counted as `store.figures` says: existing resources only, a department-wide one in every bassin.
    """
    territories = conn.execute(
        select(TER.c.id, TER.c.code, TER.c.name, TER.c.kind)
        .where(TER.c.department_code == department)
        .order_by(TER.c.position)
    ).all()
    basins = [(code, name) for _id, code, name, kind in territories if kind == TerritoryKind.BASIN.value]
    whole = {code for _id, code, _n, kind in territories if kind == TerritoryKind.DEPARTMENT.value}
    code_of = {tid: code for tid, code, _n, _k in territories}
    resources = conn.execute(
        select(R.c.id, R.c.kind, R.c.status, R.c.verified_on).where(R.c.department_code == department)
    ).all()
    unverified = sum(
        1
        for _rid, _k, status, verified in resources
        if status != ResourceStatus.CLOSED.value
        and (verified is None or (today - verified).days > VERIFY_EVERY_DAYS)
    )
    existing = {rid for rid, _k, status, _v in resources if figures.counts_in_coverage(status)}
    audiences: dict[int, set[str]] = {}
    for rid, audience in conn.execute(select(RA.c.resource_id, RA.c.audience)):
        if rid in existing:
            audiences.setdefault(rid, set()).add(audience)
    places: dict[int, set[str]] = {}
    for rid, tid in conn.execute(select(RT.c.resource_id, RT.c.territory_id)):
        if rid in existing:
            places.setdefault(rid, set()).add(code_of.get(tid, ""))
    items = [
        figures.CoverageItem(status, kind, audiences.get(rid, set()), places.get(rid, set()))
        for rid, kind, status, _v in resources
        if rid in existing
    ]
    columns = figures.coverage_columns(by)
    counts = figures.coverage_counts(items, [code for code, _n in basins], whole, columns, by=by)
    return CoverageMatrix(basins, columns, counts, unverified)
