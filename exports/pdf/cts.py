"""What the CTS dossier shows, read from the store and written the French way.

Every figure comes from the store's one definition (`store.figures`, and the dashboard's read
model `store.views.dashboard` for the synthesis), so the dossier says what the app says.
The result is plain data (strings, numbers, colours) handed to the Typst template `cts.typ`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, func, select

from exports.excel.data import ExportData, load
from exports.palette import STATUS_COLOURS
from exports.pdf.typography import NBSP, NNBSP, clock, french, long_date, percent
from store import figures
from store.actions import ActionData
from store.formatting import format_date, format_number
from store.tables import ACTION as A
from store.tables import ACTION_EVENT as EV
from store.views.care_offer import care_offer_lines, shown
from store.views.coverage import coverage_matrix
from store.views.dashboard import DUE_SOON_DAYS, Dashboard, dashboard
from store.vocab import ActionStatus, ResourceStatus

#: Colours of an indicator's breakdown categories, in order.
SERIES_COLOURS = ("#2E75B6", "#C55A11", "#548235", "#7030A0", "#BF9000", "#00B0F0", "#7F7F7F")
LISTED = 8


#: Months as abbreviated in French (chart labels).
SHORT_MONTHS = (
    "janv.",
    "févr.",
    "mars",
    "avr.",
    "mai",
    "juin",
    "juil.",
    "août",
    "sept.",
    "oct.",
    "nov.",
    "déc.",
)


def period_label(period: str) -> str:
    """« mars 2024 », « T1 2024 », « S2 2024 » or « 2024 » for a stored period."""
    year, _, part = period.partition("-")
    if not part:
        return year
    if part[0] in "TS":
        return f"{part}{NBSP}{year}"
    try:
        return f"{SHORT_MONTHS[int(part) - 1]}{NBSP}{year}"
    except (ValueError, IndexError):
        return period


def axis_ticks(top: float) -> list[float]:
    """0 and 2 to 5 round steps (1, 2 or 5 × 10ⁿ) reaching at least `top`: a chart's scale."""
    if top <= 0:
        return [0.0, 1.0]
    power = 10.0 ** math.floor(math.log10(top))
    step = next(power * m for m in (0.1, 0.2, 0.5, 1, 2, 5, 10) if top / (power * m) <= 5)
    count = math.ceil(top / step - 1e-9)
    return [round(step * i, 10) for i in range(count + 1)]


def heat_colour(count: int, top: int) -> str:
    """White to green by count; a gap (0) in light red."""
    if count <= 0:
        return "#F4B6B6"
    share = count / max(top, 1)
    low, high = (0xE2, 0xF0, 0xD9), (0x63, 0xBE, 0x7B)
    mixed = (round(lo + (hi - lo) * share) for lo, hi in zip(low, high, strict=True))
    return "#" + "".join(f"{c:02X}" for c in mixed)


def _count(value: int) -> str:
    return format_number(value).replace(" ", NNBSP)


def _last_comments(conn: Connection, department: str) -> dict[str, str]:
    """The latest comment written on each action (journal), by action code."""
    latest = (
        select(EV.c.action_id, func.max(EV.c.id).label("id"))
        .where(EV.c.department_code == department, EV.c.comment.is_not(None))
        .group_by(EV.c.action_id)
        .subquery()
    )
    query = (
        select(A.c.code, EV.c.comment).join(latest, latest.c.id == EV.c.id).join(A, A.c.id == EV.c.action_id)
    )
    return {code: comment for code, comment in conn.execute(query)}


def _row(action: ActionData, today: date, names: dict[str, str], comments: dict[str, str]) -> dict[str, Any]:
    late = action.is_late(today)
    return {
        "code": action.code,
        "title": french(action.title),
        "status": ActionStatus(action.status).label + (" · en retard" if late else ""),
        "colour": STATUS_COLOURS[action.status],
        "late": late,
        "progress": "—" if action.progress is None else f"{action.progress}{NNBSP}%",
        "share": (action.progress or 0) / 100,
        "due": format_date(action.due_date) or "—",
        "lead": french(names.get(action.lead or "", action.lead or "")),
        "comment": french(comments.get(action.code, "")),
    }


def _group_stats(name: str, actions: list[ActionData]) -> dict[str, Any]:
    counts = [sum(1 for a in actions if a.status == s.value) for s in ActionStatus]
    rate = figures.done_rate((a.status, a.progress) for a in actions)
    return {
        "name": french(name),
        "counts": counts,
        "total": len(actions),
        "done": rate.done,
        "counted": rate.counted,
        "share": rate.share or 0.0,
        "share_text": percent(rate.share),
        "mean": (rate.mean_progress or 0.0) / 100,
        "mean_text": rate.mean_text(NNBSP),
    }


def _synthesis(board: Dashboard, gaps: int) -> dict[str, Any]:
    rate = figures.DoneRate(board.by_status.get(ActionStatus.DONE.value, 0), board.total)
    counted = sum(n for s, n in board.by_status.items() if figures.counts_in_rate(s))
    rate = figures.DoneRate(board.by_status.get(ActionStatus.DONE.value, 0), counted)

    def listed(rows: list[Any], total: int) -> dict[str, Any]:
        return {
            "rows": [
                {
                    "code": r.code,
                    "title": french(r.title),
                    "due": format_date(r.due_date) or "—",
                    "lead": french(r.lead or ""),
                    "status": r.status_label,
                }
                for r in rows
            ],
            "more": total - len(rows),
        }

    return {
        "figures": [
            {"value": _count(board.total), "label": "actions suivies"},
            {"value": percent(rate.share), "label": f"réalisées ({rate.done} sur {rate.counted})"},
            {"value": _count(board.late_count), "label": "en retard"},
            {"value": _count(board.due_soon_count), "label": f"à échéance sous {DUE_SOON_DAYS} jours"},
            {"value": _count(gaps), "label": french("manques d'offre de répit (bassin × public)")},
        ],
        "statuses": [
            {"label": ActionStatus(s).label, "count": n, "colour": STATUS_COLOURS[s]}
            for s, n in board.by_status.items()
        ],
        "engagements": [
            {
                "name": french(f"{e.number or ''} {e.title}".strip()),
                "mean": (e.mean_progress or 0) / 100,
                "mean_text": e.rate.mean_text(NNBSP),
                "share": e.done_share,
                "done_text": f"{e.done}/{e.actions}",
            }
            for e in board.engagements
        ],
        "partial_means": any(e.rate.partly_known for e in board.engagements),
        "late": listed(board.late, board.late_count),
        "soon": listed(board.due_soon, board.due_soon_count),
        "total": board.total,
    }


def _indicators(data: ExportData) -> list[dict[str, Any]]:
    titles = {a.code: a.title for a in data.actions} | {o.code: o.title for o in data.objectives}
    by_indicator: dict[str, dict[tuple[str, str], float]] = defaultdict(dict)
    for key, value in data.values.items():
        by_indicator[key.indicator][(key.period, key.category)] = value
    charts = []
    for indicator in data.indicators:
        values = by_indicator.get(indicator.code)
        if not values:
            continue
        periods = sorted({p for p, _c in values})
        categories = sorted({c for _p, c in values if c})
        series: list[dict[str, Any]] = [
            {
                "name": french(c),
                "colour": SERIES_COLOURS[i % len(SERIES_COLOURS)],
                "values": [values.get((p, c), 0.0) for p in periods],
            }
            for i, c in enumerate(categories)
        ]
        totals = [values.get((p, ""), sum(values.get((p, c), 0.0) for c in categories)) for p in periods]
        if not series:
            series = [{"name": french(indicator.label), "colour": SERIES_COLOURS[0], "values": totals}]
        stacked = [sum(s["values"][i] for s in series) for i in range(len(periods))]
        ticks = axis_ticks(max([*totals, *stacked, 0.0]))
        if indicator.action:
            owner = f"action « {titles.get(indicator.action, indicator.action)} » ({indicator.action})"
        else:
            owner = f"objectif « {titles.get(indicator.objective or '', indicator.objective)} »"
        charts.append(
            {
                "title": french(indicator.label),
                "owner": french(owner),
                "unit": french(indicator.unit or ""),
                "target": format_number(indicator.target) if indicator.target is not None else "",
                "periods": [period_label(p) for p in periods],
                "series": series,
                "totals": [format_number(t) for t in totals],
                "ticks": [{"value": t, "label": format_number(t)} for t in ticks],
                "max": ticks[-1],
            }
        )
    return charts


def build_cts(
    conn: Connection,
    department: str,
    *,
    today: date,
    with_contacts: bool = False,
    printed_at: datetime | None = None,
) -> dict[str, Any]:
    """The dossier's content as plain data for `cts.typ` (`printed_at`: now, by default)."""
    data = load(conn, department, care_offer=False)
    board = dashboard(conn, department, today, listed=LISTED)
    matrix = coverage_matrix(conn, department, today=today)
    names = dict(data.organisations)
    territory_names = dict(data.territories)
    comments = _last_comments(conn, department)
    now = (printed_at or datetime.now().astimezone()).astimezone()

    # Actions by objective, grouped under their engagement and défi (an action under each of its
    # objectives); the charts count an action once, under its first (main) objective.
    by_objective: dict[str, list[ActionData]] = defaultdict(list)
    by_challenge: dict[str, list[ActionData]] = defaultdict(list)
    without: list[ActionData] = []
    objective_challenge = {o.code: o.challenge_code for o in data.objectives}
    for action in data.actions:
        for code in action.objectives:
            by_objective[code].append(action)
        if action.objectives and action.objectives[0] in objective_challenge:
            by_challenge[objective_challenge[action.objectives[0]]].append(action)
        else:
            without.append(action)
    engagements: list[dict[str, Any]] = []
    charts: list[dict[str, Any]] = []
    members: dict[int, list[ActionData]] = {}  # chart index of an engagement → its actions
    for o in data.objectives:
        if not engagements or engagements[-1]["code"] != o.engagement_code:
            engagements.append(
                {"code": o.engagement_code, "title": french(o.engagement_title), "challenges": []}
            )
            members[len(charts)] = []
            charts.append({"name": o.engagement_title, "level": 0})
            engagement_index = len(charts) - 1
        challenges = engagements[-1]["challenges"]
        if not challenges or challenges[-1]["code"] != o.challenge_code:
            challenges.append(
                {"code": o.challenge_code, "title": french(o.challenge_title), "objectives": []}
            )
            members[engagement_index].extend(by_challenge.get(o.challenge_code, []))
            charts.append(
                {**_group_stats(o.challenge_title, by_challenge.get(o.challenge_code, [])), "level": 1}
            )
        challenges[-1]["objectives"].append(
            {
                "code": o.code,
                "title": french(o.title),
                "actions": [_row(a, today, names, comments) for a in by_objective.get(o.code, [])],
            }
        )
    for index, actions in members.items():
        charts[index] = {**_group_stats(charts[index]["name"], actions), "level": 0}
    if without:
        charts.append({**_group_stats("Actions sans objectif du schéma", without), "level": 0})
    chart_top = max([c["total"] for c in charts] + [1])

    basins = matrix.territories
    top = max(list(matrix.counts.values()) + [1])
    heat = {
        "columns": [french(c) for c in matrix.columns],
        "rows": [
            {
                "name": french(name),
                "cells": [
                    {
                        "count": matrix.counts.get((code, c), 0),
                        "colour": heat_colour(matrix.counts.get((code, c), 0), top),
                    }
                    for c in matrix.columns
                ],
            }
            for code, name in basins
        ],
    }
    resources = []
    for r in data.resources:
        row: dict[str, Any] = {
            "name": french(r.name),
            "kind": french(r.kind),
            "audiences": french(", ".join(r.audiences)),
            "territories": french(", ".join(territory_names.get(t, t) for t in r.territories)),
            "commune": french(r.commune or ""),
            "capacity": format_number(r.capacity) if r.capacity is not None else "",
            "status": ResourceStatus(r.status).label,
        }
        if with_contacts:
            # One line each; a phone number never broken between its digit pairs.
            phone = (r.phone or "").replace(" ", NBSP)
            row["contact"] = [x for x in (french(r.contact_name), phone, r.email or "") if x]
        resources.append(row)
    care: list[dict[str, Any]] = []
    for line in care_offer_lines(conn, department):
        gap = line.gap
        if not care or care[-1]["activity"] != french(line.activity):
            care.append({"activity": french(line.activity), "tables": []})
        tables = care[-1]["tables"]
        if not tables or tables[-1]["title"] != french(line.table):
            tables.append({"title": french(line.table), "lines": []})
        tables[-1]["lines"].append(
            {
                "modality": french(line.modality or ""),
                "mention": french(line.mention or ""),
                "existing": shown(line.existing),
                "target": shown(line.target),
                "gap": "" if gap is None else ("—" if gap == 0 else f"−{gap}"),
                "missing": bool(gap),
                "above": line.above_target,
            }
        )
    department_line = f"{data.department_name} ({department})"
    return {
        "department": french(department_line),
        "title": "Rapport au Conseil territorial de santé",
        "subtitle": "Suivi du schéma territorial de santé",
        "period": f"Situation au {long_date(today)}",
        "printed": f"Édité le {long_date(now)} à {clock(now)}",
        "header_left": french(f"{department_line} — rapport au CTS"),
        "header_right": long_date(today),
        "synthesis": _synthesis(board, len(matrix.gaps())),
        "status_legend": [{"label": ActionStatus(s).label, "colour": c} for s, c in STATUS_COLOURS.items()],
        "charts": charts,
        "chart_top": chart_top,
        "indicators": _indicators(data),
        "engagements": engagements,
        "without": [_row(a, today, names, comments) for a in without],
        "heat": heat,
        "gaps": [french(f"{territory} : rien pour « {public} »") for territory, public in matrix.gaps()],
        "unverified": matrix.unverified,
        "resources": resources,
        "with_contacts": with_contacts,
        "care": care,
    }
