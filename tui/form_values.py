"""Reading what people type in the forms: French dates, whole numbers, euros."""

from __future__ import annotations

import re
from datetime import date


class FormError(ValueError):
    """A value that cannot be read; the message is French and names what is expected."""


_DATE = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})\s*$")
_ISO = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*$")


def parse_date(text: str) -> date | None:
    """ "31/12/2024", "31.12.24" or "2024-12-31"; empty gives None."""
    if not text.strip():
        return None
    if iso := _ISO.match(text):
        year, month, day = (int(g) for g in iso.groups())
    elif found := _DATE.match(text):
        day, month, year = (int(g) for g in found.groups())
        year += 2000 if year < 100 else 0
    else:
        raise FormError(f"Date illisible « {text.strip()} » : attendu JJ/MM/AAAA.")
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise FormError(f"Date impossible « {text.strip()} » (ce jour n'existe pas).") from exc


def format_date(value: date | None) -> str:
    return f"{value:%d/%m/%Y}" if value else ""


def parse_percent(text: str) -> int:
    """A progress 0-100 ("50", "50 %")."""
    cleaned = text.replace("%", "").strip() or "0"
    if not re.fullmatch(r"\d{1,3}", cleaned):
        raise FormError(f"Avancement illisible « {text.strip()} » : un nombre entier de 0 à 100.")
    value = int(cleaned)
    if value > 100:
        raise FormError(f"L'avancement doit être entre 0 et 100 % ({value}).")
    return value


def parse_euros(text: str) -> int | None:
    """Euros ("12 500", "12500,50 €") as cents; empty gives None."""
    cleaned = text.replace("€", "").replace("\u202f", "").replace("\xa0", "").replace(" ", "").strip()
    if not cleaned:
        return None
    cleaned = cleaned.replace(",", ".")
    if not re.fullmatch(r"\d+(\.\d{1,2})?", cleaned):
        raise FormError(f"Montant illisible « {text.strip()} » : par exemple 12 500,50.")
    return round(float(cleaned) * 100)


def format_euros(cents: int | None) -> str:
    if cents is None:
        return ""
    euros, rest = divmod(cents, 100)
    text = f"{euros:,}".replace(",", " ")
    return f"{text},{rest:02d}" if rest else text


def parse_optional_int(text: str, label: str) -> int | None:
    cleaned = text.strip()
    if not cleaned:
        return None
    if not cleaned.isdigit():
        raise FormError(f"{label} : un nombre entier est attendu (« {cleaned} »).")
    return int(cleaned)
