"""The actions list's plain values — criteria, rows, a window — and the rows read in SQL text
(`store.views.reader`): the dashboard's first figures read them before SQLAlchemy is loaded."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from store import figures
from store.dates import PreciseDate
from store.formatting import format_date
from store.views.reader import Reader, as_date, int_list
from store.vocab import ActionStatus

#: Sortable columns: key → label.
SORT_COLUMNS: dict[str, str] = {
    "code": "Code",
    "title": "Intitulé",
    "objective": "Objectif",
    "lead": "Pilote",
    "status": "Statut",
    "weather": "Météo",
    "progress": "Avancement",
    "due_date": "Échéance",
}


@dataclass(frozen=True)
class ActionFilter:
    """What the user asked the list to show. Empty tuples mean "no restriction"."""

    search: str = ""
    statuses: tuple[str, ...] = ()
    leads: tuple[str, ...] = ()
    territories: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    pathways: tuple[str, ...] = ()
    engagements: tuple[str, ...] = ()
    challenges: tuple[str, ...] = ()
    objectives: tuple[str, ...] = ()
    late_only: bool = False
    due_within_days: int | None = None
    sort: str = "code"
    descending: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.__dict__.items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ActionFilter:
        known: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v
            for k, v in data.items()
            if k in cls.__dataclass_fields__
        }
        return cls(**known)

    def describe(self) -> str:
        """A short French description of the active criteria."""
        parts = []
        if self.search:
            parts.append(f"« {self.search} »")
        if self.statuses:
            parts.append("statut " + ", ".join(ActionStatus(s).label for s in self.statuses))
        for label, values in (
            ("pilote", self.leads),
            ("territoire", self.territories),
            ("thème", self.themes),
            ("parcours", self.pathways),
            ("engagement", self.engagements),
            ("défi", self.challenges),
            ("objectif", self.objectives),
        ):
            if values:
                parts.append(f"{label} {', '.join(values)}")
        if self.late_only:
            parts.append("en retard")
        if self.due_within_days is not None:
            parts.append(f"échéance sous {self.due_within_days} jours")
        return " ; ".join(parts) or "toutes les actions"


@dataclass(frozen=True)
class ActionRow:
    """One line of the actions table (plain values, ready to display)."""

    id: int
    code: str
    title: str
    objective: str | None
    lead: str | None
    status: str
    weather: str | None
    progress: int | None
    due_date: date | None
    territories: str
    late: bool

    @property
    def status_label(self) -> str:
        return ActionStatus(self.status).label

    @property
    def progress_label(self) -> str:
        """« 40 % », or « — » when the progress is not known."""
        return "—" if self.progress is None else f"{self.progress} %"

    @property
    def due_label(self) -> str:
        """The due date as written: « 15/03/2025 », « décembre 2022 », « 2023 »."""
        return format_date(self.due_date)

    @property
    def due_cell(self) -> str:
        """The due date in a table cell, at most 10 wide: « 15/03/2025 », « 12/2022 », « 2023 »."""
        return format_date(self.due_date, short=True)


@dataclass(frozen=True)
class ActionPage:
    rows: list[ActionRow]
    total: int
    offset: int


@lru_cache(maxsize=4096)
def _due(end: date | None, precision: str) -> date | None:
    """The due date with its precision (the column holds the end of the period; the same few
    dates recur from row to row, each made once)."""
    return None if end is None else PreciseDate.of(end, precision)


def action_rows(read: Reader, ids: Sequence[int], today: date) -> list[ActionRow]:
    """The table rows of these actions, in this order (three queries, whatever their number)."""
    if not ids:
        return []
    among = int_list(ids)
    base = {
        row[0]: row
        for row in read(
            "SELECT a.id, a.code, a.title, a.status, a.weather, a.progress, a.due_date,"
            " a.due_date_precision, o.name FROM action a LEFT JOIN organisation o ON o.id = a.lead_id"
            f" WHERE a.id IN {among}",
            {},
        )
    }
    objectives: dict[int, str] = {}  # the main objective: the first by position
    for action_id, code in read(
        "SELECT x.action_id, o.code FROM action_objective x JOIN objective o ON o.id = x.objective_id"
        f" WHERE x.action_id IN {among} ORDER BY x.action_id, x.position DESC",
        {},
    ):
        objectives[action_id] = code
    territories: dict[int, list[str]] = {}
    for action_id, name in read(
        "SELECT x.action_id, t.name FROM action_territory x JOIN territory t ON t.id = x.territory_id"
        f" WHERE x.action_id IN {among} ORDER BY t.position",
        {},
    ):
        territories.setdefault(action_id, []).append(name)
    rows = []
    for i in ids:
        if i not in base:
            continue
        _id, code, title, status, weather, progress, due, precision, lead = base[i]
        end = as_date(due)
        rows.append(
            ActionRow(
                id=i,
                code=code,
                title=title,
                objective=objectives.get(i),
                lead=lead,
                status=status,
                weather=weather,
                progress=progress,
                due_date=_due(end, precision),
                territories=", ".join(territories.get(i, [])),
                late=figures.is_late(status, end, today),
            )
        )
    return rows
