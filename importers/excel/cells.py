"""Parsers of what people type in spreadsheet cells.

Each parser takes the raw value python-calamine returns (str, float, int, bool, date,
datetime, timedelta, or "" for an empty cell) and returns a domain value, or raises
:class:`CellError` whose message says in French what is wrong (the caller adds the sheet,
row, column and value). calamine returns whole numbers as floats and dates as `date` or
`datetime`: both are converted and checked here.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time, timedelta
from typing import Any

from store.vocab import ActionStatus, ResourceStatus, Weather, fold

#: Excel's day zero (1900 date system, after its 1900 leap-year bug).
EXCEL_EPOCH = date(1899, 12, 30)
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']+")
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_SEPARATORS = re.compile(r"\s*[,;\n]\s*")


class CellError(ValueError):
    """A cell value that cannot be accepted; the message is French."""


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def raw_text(value: Any) -> str:
    """How a raw cell value is quoted in messages."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M") if value.time() != time() else value.strftime("%d/%m/%Y")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def text(value: Any) -> str | None:
    """A text: surrounding spaces removed, empty → None; numbers as typed (12, not 12.0)."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    if isinstance(value, (int, float, date, datetime)):
        return raw_text(value)
    result = str(value).strip()
    return result or None


def texts(value: Any) -> tuple[str, ...]:
    """A list typed in one cell, separated by commas, semicolons or line breaks."""
    content = text(value)
    if content is None:
        return ()
    return tuple(part for part in (p.strip() for p in _SEPARATORS.split(content)) if part)


def number(value: Any) -> float | None:
    """A number typed as a number or as text ("1 234,5", "12 500 €", "1.234,50")."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise CellError("un nombre est attendu")
    if isinstance(value, (int, float)):
        if math.isnan(value) or math.isinf(value):
            raise CellError("nombre invalide")
        return float(value)
    if isinstance(value, (date, datetime, timedelta)):
        raise CellError("un nombre est attendu, pas une date")
    cleaned = _SPACES.sub("", str(value)).replace("€", "").replace("%", "")
    cleaned = re.sub(r"(?i)eur(os?)?$", "", cleaned)
    if "," in cleaned and "." in cleaned:
        decimal = "," if cleaned.rfind(",") > cleaned.rfind(".") else "."
        thousands = "." if decimal == "," else ","
        cleaned = cleaned.replace(thousands, "").replace(decimal, ".")
    elif "," in cleaned:
        if cleaned.count(",") > 1:
            raise CellError("nombre illisible")
        cleaned = cleaned.replace(",", ".")
    elif cleaned.count(".") > 1:
        cleaned = cleaned.replace(".", "")
    try:
        result = float(cleaned)
    except ValueError:
        raise CellError("un nombre est attendu") from None
    if math.isnan(result) or math.isinf(result):
        raise CellError("nombre invalide")
    return result


def integer(value: Any) -> int | None:
    """A whole number (calamine's 12.0 → 12); refuses 12.5."""
    result = number(value)
    if result is None:
        return None
    if not float(result).is_integer():
        raise CellError("un nombre entier est attendu")
    return int(result)


def money_cents(value: Any) -> int | None:
    """An amount in euros (number, "12 500,50 €"…) → cents."""
    result = number(value)
    if result is None:
        return None
    if result < 0:
        raise CellError("un montant positif est attendu")
    return round(result * 100)


def percent(value: Any) -> int | None:
    """A progress: 0.5 (a fraction), 50, "50 %", "50%", "0,5" → 50. Must be within 0-100.

    A number strictly between 0 and 1 is a fraction (what Excel stores for "50 %");
    0 and 1 are read as 0 % and 1 %.
    """
    if is_blank(value):
        return None
    had_sign = isinstance(value, str) and "%" in value
    result = number(value)
    if result is None:
        return None
    if not had_sign and 0 < result < 1:
        result *= 100
    if result < 0 or result > 100:
        raise CellError("l'avancement doit être compris entre 0 et 100 %")
    return round(result)


def a_date(value: Any) -> date | None:
    """A date: an Excel date, "dd/mm/yyyy" (also with - or .), ISO "yyyy-mm-dd", or a serial."""
    if is_blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (bool, timedelta)):
        raise CellError("une date est attendue (jj/mm/aaaa)")
    if isinstance(value, (int, float)):
        if not 1 <= value < 2958466:
            raise CellError("une date est attendue (jj/mm/aaaa)")
        return EXCEL_EPOCH + timedelta(days=int(value))
    content = str(value).strip()
    found = _DMY.match(content)
    if found:
        day, month, year = (int(g) for g in found.groups())
        if len(found.group(3)) == 2:
            year += 2000
    else:
        found = _ISO.match(content)
        if not found:
            raise CellError("une date est attendue (jj/mm/aaaa)")
        year, month, day = (int(g) for g in found.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise CellError("cette date n'existe pas") from None


def yes_no(value: Any) -> bool | None:
    """Oui / Non, X, 1 / 0, vrai / faux."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    folded = fold(str(value))
    if folded in {"oui", "o", "x", "vrai", "yes", "y", "true", "1"}:
        return True
    if folded in {"non", "n", "faux", "no", "false", "0", "-"}:
        return False
    raise CellError("Oui ou Non est attendu")


_PERIOD_FORMS = (
    (re.compile(r"^(\d{4})$"), "{0}"),
    (re.compile(r"^(\d{4})[-/ ]?(?:t|q)([1-4])$"), "{0}-T{1}"),
    (re.compile(r"^(?:t|q)([1-4])[-/ ]?(\d{4})$"), "{1}-T{0}"),
    (re.compile(r"^(\d{4})[-/ ]?s([12])$"), "{0}-S{1}"),
    (re.compile(r"^s([12])[-/ ]?(\d{4})$"), "{1}-S{0}"),
    (re.compile(r"^(\d{4})[-/](\d{1,2})$"), "{0}-{1:0>2}"),
    (re.compile(r"^(\d{1,2})[-/](\d{4})$"), "{1}-{0:0>2}"),
)


def period(value: Any, periodicity: str | None = None) -> str | None:
    """A period: "2024", "2024-T1", "2024-S2", "2024-03" (also "T1 2024", "03/2024", a date)."""
    if is_blank(value):
        return None
    if isinstance(value, (date, datetime)):
        day = value.date() if isinstance(value, datetime) else value
        if periodicity == "annuelle":
            return str(day.year)
        if periodicity == "trimestrielle":
            return f"{day.year}-T{(day.month - 1) // 3 + 1}"
        if periodicity == "semestrielle":
            return f"{day.year}-S{1 if day.month <= 6 else 2}"
        return f"{day.year}-{day.month:02d}"
    content = fold(text(value) or "").replace(" ", "")
    for pattern, form in _PERIOD_FORMS:
        found = pattern.match(content)
        if found:
            result = form.format(*found.groups())
            if re.fullmatch(r"\d{4}-\d{2}", result) and not 1 <= int(result[5:]) <= 12:
                raise CellError("mois invalide")
            return result
    raise CellError("une période est attendue (2024, 2024-T1, 2024-S1 ou 2024-03)")


_CODED_FIELDS: dict[str, dict[str, str]] = {
    "status": {
        **{s.value: s.label for s in ActionStatus},
        **{s.value: s.label for s in ResourceStatus},
    },
    "weather": {w.value: w.label for w in Weather},
}


def format_value(value: Any, field: str | None = None) -> str:
    """A domain value as shown in previews (labels for coded fields, dates dd/mm/yyyy, lists joined)."""
    if value is None or value == ():
        return "(vide)"
    if field in _CODED_FIELDS and isinstance(value, str):
        return _CODED_FIELDS[field].get(value, value)
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
