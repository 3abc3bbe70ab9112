"""The indicators of one action as grids: one row per period, one column per breakdown."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, select

from store.indicators import VAL, IndicatorData, load_indicators


@dataclass(frozen=True)
class IndicatorGrid:
    indicator: IndicatorData
    values: dict[tuple[str, str], float] = field(default_factory=dict)

    @property
    def periods(self) -> list[str]:
        return sorted({period for period, _category in self.values})

    @property
    def categories(self) -> list[str]:
        """ "" (the total) first, then the breakdown categories in alphabetical order."""
        return ["", *sorted({c for _p, c in self.values if c})]

    @property
    def latest(self) -> float | None:
        totals = [(p, v) for (p, c), v in self.values.items() if not c]
        return max(totals)[1] if totals else None


def action_indicator_grids(conn: Connection, department: str, action_code: str) -> list[IndicatorGrid]:
    """The indicators attached to an action, with their values (one query for the values)."""
    indicators = [i for i in load_indicators(conn, department).values() if i.action == action_code]
    if not indicators:
        return []
    ids = {i.id: i.code for i in indicators}
    values: dict[str, dict[tuple[str, str], float]] = {code: {} for code in ids.values()}
    for indicator_id, period, category, value in conn.execute(
        select(VAL.c.indicator_id, VAL.c.period, VAL.c.category, VAL.c.value).where(
            VAL.c.indicator_id.in_(list(ids))
        )
    ):
        values[ids[indicator_id]][(period, category)] = value
    return [IndicatorGrid(i, values[i.code]) for i in indicators]
