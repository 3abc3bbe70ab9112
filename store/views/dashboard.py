"""Tableau de bord: where the department's plan stands.

Read in SQL text (`store.views.reader`): the app reads the first figures on a plain `sqlite3`
connection while SQLAlchemy loads, and the same function on SQLAlchemy afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from store import figures
from store.views.action_rows import ActionRow, action_rows
from store.views.coverage import coverage_matrix
from store.views.exchanges import ExchangeRow, last_exchanges
from store.views.reader import Reader, as_reader
from store.vocab import ActionStatus

if TYPE_CHECKING:
    from sqlalchemy import Connection

DUE_SOON_DAYS = 30


@dataclass(frozen=True)
class EngagementProgress:
    code: str
    number: int | None
    title: str
    #: its actions that count (neither abandoned nor of unknown status), done, and their progress
    rate: figures.DoneRate

    @property
    def actions(self) -> int:
        return self.rate.counted

    @property
    def done(self) -> int:
        return self.rate.done

    @property
    def mean_progress(self) -> float | None:
        """Over the counted actions whose progress is known; None when none is."""
        return self.rate.mean_progress

    @property
    def done_share(self) -> float:
        """`store.figures.DoneRate.share`: done over the actions not abandoned (0 when none)."""
        return self.rate.share or 0.0


@dataclass(frozen=True)
class Dashboard:
    department_code: str
    department_name: str
    by_status: dict[str, int]
    total: int
    late_count: int
    due_soon_count: int
    engagements: list[EngagementProgress]
    late: list[ActionRow]
    due_soon: list[ActionRow]
    coverage_gaps: list[tuple[str, str]]
    unverified_resources: int
    exchanges: list[ExchangeRow]
    #: due period passed, status « Non renseigné » (`store.figures.is_past_due_unknown`)
    past_due_unknown: int = 0


def dashboard(conn: Connection | Reader, department: str, today: date, *, listed: int = 8) -> Dashboard:
    """Everything the dashboard shows, in a handful of queries."""
    read = as_reader(conn)
    params = {"dept": department, "today": today, "soon": figures.soon_until(today, DUE_SOON_DAYS)}
    names = read("SELECT name FROM department WHERE code = :dept", params)
    rows = read(_COUNTS, params)
    counts = {status: (int(n), int(late or 0), int(soon or 0)) for status, n, late, soon, _u in rows}
    by_status = {s.value: counts.get(s.value, (0, 0, 0))[0] for s in ActionStatus}
    matrix = coverage_matrix(read, department, today=today)
    return Dashboard(
        department_code=department,
        department_name=names[0][0] if names else department,
        by_status=by_status,
        total=sum(by_status.values()),
        late_count=sum(late for _n, late, _s in counts.values()),
        due_soon_count=sum(soon for _n, _l, soon in counts.values()),
        engagements=_engagement_progress(read, department),
        late=_first_rows(read, figures.late_sql(), params, today, listed),
        due_soon=_first_rows(read, figures.due_soon_sql(), params, today, listed),
        coverage_gaps=matrix.gaps(),
        unverified_resources=matrix.unverified,
        exchanges=last_exchanges(read, department, 3),
        past_due_unknown=sum(int(unknown or 0) for *_counts, unknown in rows),
    )


#: Per status: the actions, the late ones, those due soon, those past due of unknown status —
#: one pass over the table.
_COUNTS = (
    f"SELECT status, count(*), sum(CASE WHEN {figures.late_sql()} THEN 1 ELSE 0 END),"
    f" sum(CASE WHEN {figures.due_soon_sql()} THEN 1 ELSE 0 END),"
    f" sum(CASE WHEN {figures.past_due_unknown_sql()} THEN 1 ELSE 0 END)"
    " FROM action WHERE department_code = :dept GROUP BY status"
)


def _first_rows(
    read: Reader, condition: str, params: dict[str, object], today: date, limit: int
) -> list[ActionRow]:
    """The first of a list, in the order of the actions list sorted by due date
    (`store.views.action_list`)."""
    ids = read(
        f"SELECT id FROM action WHERE department_code = :dept AND {condition}"
        f" ORDER BY due_date, code LIMIT {int(limit)}",
        params,
    )
    return action_rows(read, [row[0] for row in ids], today)


#: Each action's main objective (its first: the lowest position), in one pass over the links:
#: the smallest `position * 2^40 + objective_id` of an action, whose rest modulo 2^40 is that
#: objective's id (ids stay far below 2^40). Joining the links back on the lowest position read
#: every link twice (0.2 s of SQLite's work at 100,000 actions, 0.14 s this way).
_MAIN_OBJECTIVES = (
    "SELECT action_id, min(position * 1099511627776 + objective_id) % 1099511627776 AS objective_id"
    " FROM action_objective GROUP BY action_id"
)


def _engagement_progress(read: Reader, department: str) -> list[EngagementProgress]:
    # An action counts once, under its first (main) objective's engagement; the done rate and the
    # mean progress leave the abandoned actions out (store.figures). Summed per objective first.
    dept = {"dept": department, "done": ActionStatus.DONE.value}
    engagement_of: dict[int, int] = {
        objective: engagement
        for objective, engagement in read(
            "SELECT o.id, c.engagement_id FROM objective o JOIN challenge c ON c.id = o.challenge_id"
            " WHERE o.department_code = :dept",
            dept,
        )
    }
    totals: dict[int, list[int]] = {}  # engagement id → [actions, done, progress sum, progress known]
    for objective_id, *sums in read(
        "SELECT m.objective_id, count(*), sum(CASE WHEN a.status = :done THEN 1 ELSE 0 END),"
        " sum(a.progress), count(a.progress)"
        f" FROM ({_MAIN_OBJECTIVES}) m JOIN action a ON a.id = m.action_id"
        f" WHERE a.department_code = :dept AND {figures.rate_sql('a.status')}"
        " GROUP BY m.objective_id",
        dept,
    ):
        total = totals.setdefault(engagement_of.get(objective_id, 0), [0, 0, 0, 0])
        for i, value in enumerate(sums):
            total[i] += int(value or 0)
    result = []
    for eid, code, number, title in read(
        "SELECT id, code, number, title FROM engagement WHERE department_code = :dept ORDER BY position", dept
    ):
        actions, done, progress, known = totals.get(eid, [0, 0, 0, 0])
        result.append(
            EngagementProgress(
                code=code, number=number, title=title, rate=figures.DoneRate(done, actions, progress, known)
            )
        )
    return result
