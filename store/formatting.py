"""Writing values the way people read them: "31/12/2026", "12 500,50 €", "60 %", names.

The counterpart of :mod:`store.parsing`: what these functions write, the parsers read back
to the same value.
"""

from __future__ import annotations

from datetime import date

from store.dates import Precision, precision_of

#: Month names as written in a date ("décembre 2022").
MONTH_NAMES = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
#: Thousands separator (a plain space: every terminal shows it one cell wide).
THOUSANDS = " "


def format_date(value: date | None, *, short: bool = False) -> str:
    """A date as written: "15/03/2025", "décembre 2022" (a month) or "2023" (a year).

    `short` for a table cell, never wider than a full date: a month reads "12/2022".
    """
    if not value:
        return ""
    precision = precision_of(value)
    if precision is Precision.YEAR:
        return f"{value.year}"
    if precision is Precision.MONTH:
        return f"{value:%m/%Y}" if short else f"{MONTH_NAMES[value.month - 1]} {value.year}"
    return f"{value:%d/%m/%Y}"


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """« 0 action », « 1 action », « 2 actions »: in French, zero and one take the singular."""
    return f"{count} {singular if count < 2 else plural or singular + 's'}"


def format_number(value: float | int | None) -> str:
    """French writing of a number: 1 234,5 (no trailing zeros)."""
    if value is None:
        return ""
    sign = "-" if value < 0 else ""
    value = abs(value)
    if float(value).is_integer():
        return sign + f"{int(value):,}".replace(",", THOUSANDS)
    whole, _, decimals = f"{value:.6f}".rstrip("0").partition(".")
    return sign + f"{int(whole):,}".replace(",", THOUSANDS) + ("," + decimals if decimals else "")


def format_amount(cents: int | None) -> str:
    """Euros without the sign, for a form field: 12 500,50 (12 500 when whole)."""
    if cents is None:
        return ""
    euros, rest = divmod(cents, 100)
    text = f"{euros:,}".replace(",", THOUSANDS)
    return f"{text},{rest:02d}" if rest else text


def format_euros(cents: int | None) -> str:
    """Euros as read in a report or the journal: 12 500,50 €."""
    return f"{format_amount(cents)} €" if cents is not None else ""


def format_percent(value: int | None) -> str:
    return f"{value} %" if value is not None else ""


def format_yes_no(value: bool | None) -> str:
    return "" if value is None else ("Oui" if value else "Non")
