"""Tableau de bord: where the department's plan stands."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, case, func, select

from store import figures
from store.activity import ExchangeRow, last_exchanges
from store.tables import ACTION as A
from store.tables import ACTION_OBJECTIVE as AO
from store.tables import CHALLENGE as CH
from store.tables import DEPARTMENT as DEPT
from store.tables import ENGAGEMENT as ENG
from store.tables import OBJECTIVE as OBJ
from store.views.action_list import ActionFilter, ActionList, ActionRow
from store.views.coverage import coverage_matrix
from store.vocab import ActionStatus

DUE_SOON_DAYS = 30


@dataclass(frozen=True)
class EngagementProgress:
    code: str
    number: int | None
    title: str
    actions: int  # the actions that count: neither abandoned nor of unknown status (store.figures)
    done: int
    #: over the counted actions whose progress is known; None when none is
    mean_progress: float | None

    @property
    def done_share(self) -> float:
        """`store.figures.DoneRate.share`: done over the actions not abandoned (0 when none)."""
        return figures.DoneRate(self.done, self.actions).share or 0.0


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


def dashboard(conn: Connection, department: str, today: date, *, listed: int = 8) -> Dashboard:
    """Everything the dashboard shows, in a handful of queries."""
    name = (
        conn.execute(select(DEPT.c.name).where(DEPT.c.code == department)).scalar_one_or_none() or department
    )
    counts: dict[str, int] = dict(
        conn.execute(
            select(A.c.status, func.count()).where(A.c.department_code == department).group_by(A.c.status)
        ).all()
    )
    by_status = {s.value: int(counts.get(s.value, 0)) for s in ActionStatus}
    actions = ActionList(department)
    # the first few of each list and their counts, in SQL ("late": `store.figures.late_clause`)
    late = actions.first_rows(conn, ActionFilter(late_only=True, sort="due_date"), limit=listed, today=today)
    soon = actions.first_rows(
        conn, ActionFilter(due_within_days=DUE_SOON_DAYS, sort="due_date"), limit=listed, today=today
    )
    matrix = coverage_matrix(conn, department, today=today)
    return Dashboard(
        department_code=department,
        department_name=name,
        by_status=by_status,
        total=sum(by_status.values()),
        late_count=late.total,
        due_soon_count=soon.total,
        engagements=_engagement_progress(conn, department),
        late=late.rows,
        due_soon=soon.rows,
        coverage_gaps=matrix.gaps(),
        unverified_resources=matrix.unverified,
        exchanges=last_exchanges(conn, department, 3),
    )


def _engagement_progress(conn: Connection, department: str) -> list[EngagementProgress]:
    # An action counts once, under its first (main) objective's engagement; the done rate and the
    # mean progress leave the abandoned actions out (store.figures).
    main = (
        select(AO.c.action_id, func.min(AO.c.position).label("position")).group_by(AO.c.action_id).subquery()
    )
    per_action = (
        select(ENG.c.id.label("engagement_id"), A.c.id, A.c.status, A.c.progress)
        .select_from(A)
        .join(main, main.c.action_id == A.c.id)
        .join(AO, (AO.c.action_id == A.c.id) & (AO.c.position == main.c.position))
        .join(OBJ, OBJ.c.id == AO.c.objective_id)
        .join(CH, CH.c.id == OBJ.c.challenge_id)
        .join(ENG, ENG.c.id == CH.c.engagement_id)
        .where(A.c.department_code == department, figures.rate_clause(A.c.status))
        .subquery()
    )
    stats = {
        row.engagement_id: row
        for row in conn.execute(
            select(
                per_action.c.engagement_id,
                func.count().label("actions"),
                func.sum(case((per_action.c.status == ActionStatus.DONE.value, 1), else_=0)).label("done"),
                func.avg(per_action.c.progress).label("mean"),
            ).group_by(per_action.c.engagement_id)
        )
    }
    result = []
    for eid, code, number, title in conn.execute(
        select(ENG.c.id, ENG.c.code, ENG.c.number, ENG.c.title)
        .where(ENG.c.department_code == department)
        .order_by(ENG.c.position)
    ):
        row = stats.get(eid)
        result.append(
            EngagementProgress(
                code=code,
                number=number,
                title=title,
                actions=int(row.actions) if row else 0,
                done=int(row.done or 0) if row else 0,
                mean_progress=float(row.mean) if row and row.mean is not None else None,
            )
        )
    return result
