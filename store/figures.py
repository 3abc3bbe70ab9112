"""The one definition of each derived figure: late, done rate, mean progress, respite coverage.

The dashboard, the coverage matrix, the CTS report and the exchange workbook all count with
these functions (in Python, or in SQL with the `*_clause` twins), so their figures agree.

- **late**: an open action (À lancer, En cours, Reportée) whose due date has passed — the end of
  the period for a due date written as a year or a month ("2023" is late from 01/01/2024); an
  action whose status is « Non renseigné » is never late (nothing says it is still open);
- **past due, status unknown**: « Non renseigné » whose due period has passed — not late, but
  counted beside the late ones on the dashboard, so that someone asks;
- **due soon**: an open action whose due period ends today or within the next days (30 on the
  dashboard);
- **done rate**: Réalisée actions over the actions that count, i.e. all but the abandoned ones
  and those whose status is « Non renseigné »; the **mean progress** is taken over the same
  actions, those whose progress is known;
- **coverage**: existing resources only (status « existant »); a resource of a department-wide
  territory (kind « departement ») covers every bassin; « Tous publics » covers every public.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from store.dates import period_end
from store.views.reader import text_list
from store.vocab import AUDIENCES, RESOURCE_TYPES, ActionStatus, ResourceStatus

#: Statuses of the actions that can still be late.
OPEN_STATUSES: tuple[str, ...] = tuple(s.value for s in ActionStatus if s.is_open)
#: Statuses left out of the done rate and the mean progress.
NOT_COUNTED: tuple[str, ...] = (ActionStatus.ABANDONED.value, ActionStatus.UNKNOWN.value)
ALL_AUDIENCES = "Tous publics"
#: A resource not verified for longer than this is to be verified again.
VERIFY_EVERY_DAYS = 365
_OPEN_SQL = text_list(OPEN_STATUSES)


# --- late ------------------------------------------------------------------------------------


def is_late(status: str, due_date: date | None, today: date) -> bool:
    """Still open and the end of its due period has passed (derived, never stored)."""
    return due_date is not None and period_end(due_date) < today and status in OPEN_STATUSES


def late_sql(status: str = "status", due_date: str = "due_date") -> str:
    """`is_late` in SQL, on the given status and due date columns, with the day as `:today`
    (the store keeps the end of the due period in `action.due_date`, see `store.actions`)."""
    return f"({due_date} IS NOT NULL AND {due_date} < :today AND {status} IN {_OPEN_SQL})"


def is_past_due_unknown(status: str, due_date: date | None, today: date) -> bool:
    """Its due period has passed and its status is « Non renseigné »: not late (nothing says it
    is still open), but worth asking about (the dashboard counts them beside the late ones)."""
    return due_date is not None and period_end(due_date) < today and status == ActionStatus.UNKNOWN.value


def past_due_unknown_sql(status: str = "status", due_date: str = "due_date") -> str:
    """`is_past_due_unknown` in SQL, with the day as `:today`."""
    return f"({due_date} IS NOT NULL AND {due_date} < :today AND {status} = '{ActionStatus.UNKNOWN.value}')"


def is_due_soon(status: str, due_date: date | None, today: date, days: int) -> bool:
    """Still open and its due period ends between today and `days` days from now."""
    if due_date is None or status not in OPEN_STATUSES:
        return False
    return today <= period_end(due_date) <= today + timedelta(days=days)


def due_soon_sql(status: str = "status", due_date: str = "due_date") -> str:
    """`is_due_soon` in SQL, between `:today` and `:soon` (`soon_until`; the store keeps the end
    of the due period in `action.due_date`)."""
    return f"({due_date} >= :today AND {due_date} <= :soon AND {status} IN {_OPEN_SQL})"


def soon_until(today: date, days: int) -> date:
    """The last day `due_soon_sql` takes as due soon (its `:soon`)."""
    return today + timedelta(days=days)


# --- done rate and mean progress -------------------------------------------------------------


def counts_in_rate(status: str) -> bool:
    """Whether an action counts in the done rate (and the mean progress): neither abandoned nor
    of unknown status."""
    return status not in NOT_COUNTED


def rate_sql(status: str = "status") -> str:
    """`counts_in_rate` in SQL."""
    return f"{status} NOT IN {text_list(NOT_COUNTED)}"


@dataclass(frozen=True)
class DoneRate:
    """Réalisée actions over the actions that count (abandoned and unknown ones left out)."""

    done: int = 0
    counted: int = 0
    progress_total: int = 0
    #: counted actions whose progress is known (the mean progress is theirs).
    progress_known: int = 0

    @property
    def share(self) -> float | None:
        """Done over counted (0-1), None when nothing counts."""
        return self.done / self.counted if self.counted else None

    @property
    def mean_progress(self) -> float | None:
        """Mean progress of the counted actions whose progress is known (0-100), or None."""
        return self.progress_total / self.progress_known if self.progress_known else None

    @property
    def partly_known(self) -> bool:
        """Some of the counted actions give their progress, not all: the mean is theirs only."""
        return 0 < self.progress_known < self.counted

    def mean_text(self, space: str = " ") -> str:
        """The mean progress as shown: « — » when no progress is known, and over how many of
        the counted actions when only some are known (« 100 % (1 sur 14) »: one action's)."""
        mean = self.mean_progress
        if mean is None:
            return "—"
        shown = f"{mean:.0f}{space}%"
        if self.partly_known:
            shown += f" ({self.progress_known} sur {self.counted})"
        return shown

    def __str__(self) -> str:
        return f"{self.done}/{self.counted}"


def done_rate(actions: Iterable[tuple[str, int | None]]) -> DoneRate:
    """The done rate of (status, progress) pairs (a progress None is unknown)."""
    done = counted = total = known = 0
    for status, progress in actions:
        if not counts_in_rate(status):
            continue
        counted += 1
        if progress is not None:
            total += progress
            known += 1
        done += status == ActionStatus.DONE.value
    return DoneRate(done, counted, total, known)


# --- coverage --------------------------------------------------------------------------------


def counts_in_coverage(status: str) -> bool:
    """Only existing resources cover a bassin (planned or closed ones do not)."""
    return status == ResourceStatus.EXISTING.value


@dataclass(frozen=True)
class CoverageItem:
    """What coverage needs of a resource: status, type, publics and territory codes."""

    status: str
    kind: str
    audiences: Collection[str]
    territories: Collection[str]


def covered_basins(territories: Iterable[str], basins: Sequence[str], whole: Collection[str]) -> set[str]:
    """The bassins a resource covers: its own, or all of them for a department-wide territory."""
    covered: set[str] = set()
    for code in territories:
        if code in whole:
            covered.update(basins)
        elif code in basins:
            covered.add(code)
    return covered


def coverage_keys(item: CoverageItem, columns: Sequence[str], by: str) -> set[str]:
    """The columns a resource counts in: its type (`by="type"`) or its publics."""
    if by == "type":
        return {item.kind} & set(columns)
    if ALL_AUDIENCES in item.audiences:
        return set(columns)
    return set(item.audiences) & set(columns)


def coverage_counts(
    items: Iterable[CoverageItem],
    basins: Sequence[str],
    whole: Collection[str],
    columns: Sequence[str],
    *,
    by: str = "public",
) -> dict[tuple[str, str], int]:
    """`counts[(bassin code, column)]`: existing resources covering that bassin for that column."""
    counts: dict[tuple[str, str], int] = {}
    for item in items:
        if not counts_in_coverage(item.status):
            continue
        keys = coverage_keys(item, columns, by)
        for basin in covered_basins(item.territories, basins, whole):
            for column in keys:
                counts[(basin, column)] = counts.get((basin, column), 0) + 1
    return counts


def covering(items: Iterable[CoverageItem], basin: str, basins: Sequence[str], whole: Collection[str]) -> int:
    """How many existing resources cover `basin`, whatever their public."""
    return sum(
        1
        for item in items
        if counts_in_coverage(item.status) and basin in covered_basins(item.territories, basins, whole)
    )


def coverage_columns(by: str = "public") -> list[str]:
    """The columns of the coverage matrix: resource types, or publics (« Tous publics » spread)."""
    if by == "type":
        return list(RESOURCE_TYPES)
    return [a for a in AUDIENCES if a != ALL_AUDIENCES]
