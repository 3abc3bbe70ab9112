"""Where the department has no respite offer, for whom: territory × public (or type)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from store import figures
from store.views.reader import Reader, as_date, as_reader
from store.vocab import ResourceStatus, TerritoryKind

if TYPE_CHECKING:
    from sqlalchemy import Connection


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


def coverage_matrix(
    conn: Connection | Reader, department: str, *, by: str = "public", today: date
) -> CoverageMatrix:
    """Existing resources per bassin and public (`by="public"`) or type (`by="type"`).

    Counted as `store.figures` says: existing resources only, a department-wide one in every bassin.
    """
    read = as_reader(conn)
    dept = {"dept": department}
    territories = read(
        "SELECT id, code, name, kind FROM territory WHERE department_code = :dept ORDER BY position", dept
    )
    basins = [(code, name) for _id, code, name, kind in territories if kind == TerritoryKind.BASIN.value]
    whole = {code for _id, code, _n, kind in territories if kind == TerritoryKind.DEPARTMENT.value}
    code_of = {tid: code for tid, code, _n, _k in territories}
    resources = [
        (rid, kind, status, as_date(verified))
        for rid, kind, status, verified in read(
            "SELECT id, kind, status, verified_on FROM resource WHERE department_code = :dept", dept
        )
    ]
    unverified = sum(
        1
        for _rid, _k, status, verified in resources
        if status != ResourceStatus.CLOSED.value
        and (verified is None or (today - verified).days > figures.VERIFY_EVERY_DAYS)
    )
    existing = {rid for rid, _k, status, _v in resources if figures.counts_in_coverage(status)}
    audiences: dict[int, set[str]] = {}
    for rid, audience in read("SELECT resource_id, audience FROM resource_audience", {}):
        if rid in existing:
            audiences.setdefault(rid, set()).add(audience)
    places: dict[int, set[str]] = {}
    for rid, tid in read("SELECT resource_id, territory_id FROM resource_territory", {}):
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
