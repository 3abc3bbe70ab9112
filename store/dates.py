"""A date as precise as it was written: a year ("2023"), a month ("décembre 2022") or a day.

`PreciseDate` is a `date` (its first day) that remembers its precision, so code that only needs
a date keeps working, while formatting shows it as written and "late" is judged against the end
of the period (`store.figures.period_end`). Two values differ when their precision differs:
« 2023 » is not « 01/01/2023 ».
"""

from __future__ import annotations

import calendar
from datetime import date
from enum import StrEnum
from typing import Any


class Precision(StrEnum):
    YEAR = "year"
    MONTH = "month"
    DAY = "day"


class PreciseDate(date):
    """The first day of a year, a month or a day, with that precision."""

    precision: Precision

    def __new__(cls, year: int, month: int = 1, day: int = 1, precision: str = Precision.DAY) -> PreciseDate:
        kept = Precision(precision)
        if kept is not Precision.DAY:
            day = 1
            month = 1 if kept is Precision.YEAR else month
        made = super().__new__(cls, year, month, day)
        made.precision = kept
        return made

    @classmethod
    def of(cls, value: date, precision: str = Precision.DAY) -> PreciseDate:
        """`value`'s year, month or day (a day inside the period is enough)."""
        return cls(value.year, value.month, value.day, precision)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, self.day)

    @property
    def last_day(self) -> date:
        """The end of the period: 31/12 of a year, the month's last day, or the day itself."""
        if self.precision is Precision.YEAR:
            return date(self.year, 12, 31)
        if self.precision is Precision.MONTH:
            return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])
        return self.first_day

    def __eq__(self, other: object) -> bool:
        if isinstance(other, date):
            return self.first_day == _plain(other) and self.precision == precision_of(other)
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:  # equal to a plain date when precise to the day: same hash
        day = self.first_day
        return hash(day) if self.precision is Precision.DAY else hash((day, self.precision))

    def __reduce__(self) -> tuple[Any, ...]:
        return (PreciseDate, (self.year, self.month, self.day, self.precision.value))

    def __repr__(self) -> str:
        return f"PreciseDate({self.year}, {self.month}, {self.day}, {self.precision.value!r})"


def _plain(value: date) -> date:
    return date(value.year, value.month, value.day)


def precision_of(value: date | None) -> Precision:
    """A plain date is precise to the day."""
    return value.precision if isinstance(value, PreciseDate) else Precision.DAY


def period_end(value: date) -> date:
    """The last day of the period `value` stands for (the day itself for a plain date)."""
    return value.last_day if isinstance(value, PreciseDate) else value
