"""Reading what people type: the one place that turns typed text (or a spreadsheet cell, or a
YAML scalar) into a value, or refuses it with a French reason.

Every entry point uses these functions — the forms, the workshop, the Excel import, the
reference YAML loader and the command line — so the same input gives the same value or the same
message everywhere (``tests/test_parsing_table.py`` runs one table of cases against each).

A parser takes a *raw* value: a ``str`` typed in a form, or what a workbook reader returns
(``str``, ``float``, ``int``, ``bool``, ``date``, ``datetime``, ``timedelta``), or ``None``.
It returns the domain value (``None`` for an empty input) or raises :class:`ParseError`, whose
message is a French reason starting in lower case (the caller adds where: the field, or the
file, sheet, row and column).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from store.dates import PreciseDate, Precision
from store.vocab import (
    ACTION_STATUS_LABELS,
    AUDIENCES,
    ORGANISATION_KINDS,
    RESOURCE_STATUS_LABELS,
    RESOURCE_TYPES,
    ActionStatus,
    Periodicity,
    ResourceStatus,
    TerritoryKind,
    Weather,
    fold,
)


class ParseError(ValueError):
    """A value that cannot be read. The message is a French reason in lower case."""

    def sentence(self) -> str:
        """The reason as a sentence: capital letter, final full stop."""
        reason = str(self)
        return reason[:1].upper() + reason[1:] + ("" if reason.endswith((".", "?", "!")) else ".")


#: Excel's day zero (1900 date system, after its 1900 leap-year bug).
EXCEL_EPOCH = date(1899, 12, 30)
_LAST_SERIAL = 2958466  # 31/12/9999
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']+")
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_WORDS_DATE = re.compile(r"^(\d{1,2})(?:er)?\s+([a-z]+)\.?\s+(\d{4})$")
_SEPARATORS = re.compile(r"\s*[,;\n]\s*")
_FRENCH_THOUSANDS = re.compile(r"^-?[1-9]\d{0,2}(\.\d{3})+$")
MONTHS: dict[str, int] = {
    "janvier": 1,
    "janv": 1,
    "fevrier": 2,
    "fevr": 2,
    "fev": 2,
    "mars": 3,
    "avril": 4,
    "avr": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "juil": 7,
    "aout": 8,
    "septembre": 9,
    "sept": 9,
    "octobre": 10,
    "oct": 10,
    "novembre": 11,
    "nov": 11,
    "decembre": 12,
    "dec": 12,
}
DATE_EXPECTED = "une date est attendue (JJ/MM/AAAA, par exemple 15/03/2025)"


def is_blank(raw: Any) -> bool:
    """Nothing typed: None, or only spaces."""
    return raw is None or (isinstance(raw, str) and not raw.strip())


def raw_text(raw: Any) -> str:
    """How a raw value is quoted back in messages (12, not 12.0; dates JJ/MM/AAAA; a boolean as
    a French spreadsheet shows it, VRAI or FAUX)."""
    if isinstance(raw, bool):
        return "VRAI" if raw else "FAUX"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, datetime):
        return raw.strftime("%d/%m/%Y %H:%M") if raw.time() != time() else raw.strftime("%d/%m/%Y")
    if isinstance(raw, date):
        return raw.strftime("%d/%m/%Y")
    return str(raw)


# --- texts -------------------------------------------------------------------------------


#: The control characters a text never keeps: every one but tab, line feed and carriage return
#: (an escape sequence in a cell would drive the terminal of whoever reads it).
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")
#: Vertical tab (Word's line break, pasted into a cell) and form feed: a line break.
_BREAKS = str.maketrans({"\x0b": "\n", "\x0c": "\n"})


def parse_text(raw: Any) -> str | None:
    """A text: surrounding spaces removed, empty → None; numbers as typed (12, not 12.0);
    control characters removed (a vertical tab or form feed is a line break)."""
    if is_blank(raw):
        return None
    if isinstance(raw, bool):
        return "Oui" if raw else "Non"
    if isinstance(raw, (int, float, date, datetime)):
        return raw_text(raw)
    text = str(raw)
    if not text.isprintable():  # a line break, a tab, a no-break space… or a control character
        text = _CONTROLS.sub("", text.translate(_BREAKS))
    return text.strip() or None


def parse_texts(raw: Any) -> tuple[str, ...]:
    """A list typed in one place, separated by commas, semicolons or line breaks."""
    if isinstance(raw, (list, tuple)):
        return tuple(t for t in (parse_text(v) for v in raw) if t)
    content = parse_text(raw)
    if content is None:
        return ()
    return tuple(part for part in (p.strip() for p in _SEPARATORS.split(content)) if part)


# --- numbers ------------------------------------------------------------------------------


def parse_number(raw: Any) -> float | None:
    """A number typed as a number or as French text ("1 234,5", "12 500 €", "1.234,50")."""
    if is_blank(raw):
        return None
    if isinstance(raw, bool):
        raise ParseError("un nombre est attendu")
    if isinstance(raw, (int, float)):
        if isinstance(raw, float) and (math.isnan(raw) or math.isinf(raw)):
            raise ParseError("nombre invalide")
        return float(raw)
    if isinstance(raw, (date, datetime, timedelta)):
        raise ParseError("un nombre est attendu, pas une date")
    cleaned = _SPACES.sub("", str(raw)).replace("€", "").replace("%", "")
    cleaned = re.sub(r"(?i)eur(os?)?$", "", cleaned)
    if "," in cleaned and "." in cleaned:
        decimal = "," if cleaned.rfind(",") > cleaned.rfind(".") else "."
        thousands = "." if decimal == "," else ","
        cleaned = cleaned.replace(thousands, "").replace(decimal, ".")
    elif "," in cleaned:
        if cleaned.count(",") > 1:
            raise ParseError("nombre illisible (une seule virgule décimale)")
        cleaned = cleaned.replace(",", ".")
    elif cleaned.count(".") > 1 or _FRENCH_THOUSANDS.match(cleaned):
        cleaned = cleaned.replace(".", "")
    if not re.fullmatch(r"[-+]?(\d+(\.\d*)?|\.\d+)", cleaned):
        raise ParseError("un nombre est attendu (par exemple 1 234,5)")
    return float(cleaned)


def parse_integer(raw: Any) -> int | None:
    """A whole number (a spreadsheet's 12.0 → 12); refuses 12.5."""
    result = parse_number(raw)
    if result is None:
        return None
    if not result.is_integer():
        raise ParseError("un nombre entier est attendu")
    return int(result)


def parse_count(raw: Any) -> int | None:
    """A whole number that cannot be negative (places, capacity)."""
    result = parse_integer(raw)
    if result is not None and result < 0:
        raise ParseError("un nombre positif ou nul est attendu")
    return result


def parse_euros(raw: Any) -> int | None:
    """An amount in euros ("12 500,50 €", 12500.5, "1.234,50") → cents; never negative."""
    result = parse_number(raw)
    if result is None:
        return None
    if result < 0:
        raise ParseError("un montant positif est attendu")
    if result >= 1e13:
        raise ParseError("montant trop grand")
    return int(round(result * 100))


def parse_percent(raw: Any) -> int | None:
    """A progress: 0.5 (a fraction), 50, "50 %", "0,5" → 50; within 0-100, rounded half up.

    A number strictly between 0 and 1 without a % sign is a fraction (what Excel stores for
    "50 %"); 0 and 1 are read as 0 % and 1 %.
    """
    if is_blank(raw):
        return None
    had_sign = isinstance(raw, str) and "%" in raw
    try:
        result = parse_number(raw)
    except ParseError:
        raise ParseError("un pourcentage est attendu (par exemple 75 ou 75 %)") from None
    if result is None:
        return None
    if not had_sign and 0 < result < 1:
        result *= 100
    if result < 0 or result > 100:
        raise ParseError("l'avancement doit être compris entre 0 et 100 %")
    return int(math.floor(result + 0.5))


# --- dates --------------------------------------------------------------------------------


def _from_serial(serial: float) -> date:
    if not 1 <= serial < _LAST_SERIAL:
        raise ParseError(DATE_EXPECTED)
    return EXCEL_EPOCH + timedelta(days=int(serial))


def parse_date(raw: Any) -> date | None:
    """A date: "15/03/2025" (also - or .), "2025-03-15", "15 mars 2025", an Excel serial number."""
    if is_blank(raw):
        return None
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, (bool, timedelta)):
        raise ParseError(DATE_EXPECTED)
    if isinstance(raw, (int, float)):
        return _from_serial(raw)
    content = str(raw).strip()
    if re.fullmatch(r"\d{5}(\.\d+)?", content):
        return _from_serial(float(content))
    if found := _DMY.match(content):
        day, month, year = (int(g) for g in found.groups())
        if len(found.group(3)) == 2:
            year += 2000
    elif found := _ISO.match(content):
        year, month, day = (int(g) for g in found.groups())
    elif found := _WORDS_DATE.match(fold(content)):
        month_name = found.group(2)
        if month_name not in MONTHS:
            raise ParseError(f"mois inconnu « {month_name} » ({DATE_EXPECTED})")
        day, month, year = int(found.group(1)), MONTHS[month_name], int(found.group(3))
    else:
        raise ParseError(DATE_EXPECTED)
    try:
        return date(year, month, day)
    except ValueError:
        raise ParseError("cette date n'existe pas") from None


_YEAR = re.compile(r"^(\d{4})$")
_MONTH_YEAR = re.compile(r"^(\d{1,2})[/.\-](\d{4})$")
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_WORDS_MONTH = re.compile(r"^([a-z]+)\.?\s+(\d{4})$")
#: Years read from a bare number (an Excel serial in that range would be a day of 1905-1906).
_YEARS = range(1900, 2200)
PRECISE_DATE_EXPECTED = (
    "une date est attendue (JJ/MM/AAAA, mois et année ou année seule, "
    "par exemple 15/03/2025, mars 2025 ou 2025)"
)


def _whole_year(raw: Any) -> bool:
    """A number (int or float) that is a whole year of `_YEARS`."""
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return False
    return (raw in _YEARS) if isinstance(raw, int) else (raw.is_integer() and int(raw) in _YEARS)


def parse_precise_date(raw: Any) -> PreciseDate | None:
    """A date as precise as it is written: "2023" (a year), "décembre 2022", "12/2022" or
    "2022-12" (a month), or a day as `parse_date` reads it. A number from 1900 to 2199 is a year."""
    if is_blank(raw):
        return None
    if isinstance(raw, PreciseDate):
        return raw
    if _whole_year(raw):  # 2024 typed in a spreadsheet (a float there), not the serial of 1905
        return PreciseDate(int(raw), precision=Precision.YEAR)
    if isinstance(raw, str):
        content = raw.strip()
        if found := _YEAR.match(content):
            year = int(found.group(1))
            if year in _YEARS:
                return PreciseDate(year, precision=Precision.YEAR)
        month_year: tuple[int, int] | None = None
        if found := _MONTH_YEAR.match(content):
            month_year = int(found.group(1)), int(found.group(2))
        elif found := _YEAR_MONTH.match(content):
            month_year = int(found.group(2)), int(found.group(1))
        elif found := _WORDS_MONTH.match(fold(content)):
            if found.group(1) not in MONTHS:
                raise ParseError(f"mois inconnu « {found.group(1)} » ({PRECISE_DATE_EXPECTED})")
            month_year = MONTHS[found.group(1)], int(found.group(2))
        if month_year is not None:
            if not 1 <= month_year[0] <= 12:
                raise ParseError("mois invalide")
            return PreciseDate(month_year[1], month_year[0], precision=Precision.MONTH)
    try:
        day = parse_date(raw)
    except ParseError as exc:
        raise ParseError(PRECISE_DATE_EXPECTED if str(exc) == DATE_EXPECTED else str(exc)) from None
    return None if day is None else PreciseDate.of(day)


# --- yes / no, periods -----------------------------------------------------------------------


def parse_yes_no(raw: Any) -> bool | None:
    """Oui / Non, X, 1 / 0, vrai / faux."""
    if is_blank(raw):
        return None
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, (int, float)):
        return raw != 0
    folded = fold(str(raw))
    if folded in {"oui", "o", "x", "vrai", "yes", "y", "true", "1"}:
        return True
    if folded in {"non", "n", "faux", "no", "false", "0", "-"}:
        return False
    raise ParseError("Oui ou Non est attendu")


_PERIOD_FORMS = (
    (re.compile(r"^(\d{4})$"), "{0}"),
    (re.compile(r"^(\d{4})[-/ ]?(?:t|q)([1-4])$"), "{0}-T{1}"),
    (re.compile(r"^(?:t|q)([1-4])[-/ ]?(\d{4})$"), "{1}-T{0}"),
    (re.compile(r"^(\d{4})[-/ ]?s([12])$"), "{0}-S{1}"),
    (re.compile(r"^s([12])[-/ ]?(\d{4})$"), "{1}-S{0}"),
    (re.compile(r"^(\d{4})[-/](\d{1,2})$"), "{0}-{1:0>2}"),
    (re.compile(r"^(\d{1,2})[-/](\d{4})$"), "{1}-{0:0>2}"),
)


_WORDS_PERIOD = re.compile(r"^([a-z]+)\.?(\d{4})$")


def parse_period(raw: Any, periodicity: str | None = None) -> str | None:
    """A period: "2024", "2024-T1", "2024-S2", "2024-03" (also "T1 2024", "03/2024", "mars 2024",
    a date)."""
    if is_blank(raw):
        return None
    if isinstance(raw, (date, datetime)):
        day = raw.date() if isinstance(raw, datetime) else raw
        if periodicity == Periodicity.YEARLY:
            return str(day.year)
        if periodicity == Periodicity.QUARTERLY:
            return f"{day.year}-T{(day.month - 1) // 3 + 1}"
        if periodicity == Periodicity.HALF_YEARLY:
            return f"{day.year}-S{1 if day.month <= 6 else 2}"
        return f"{day.year}-{day.month:02d}"
    content = (parse_text(raw) or "").casefold().replace(" ", "")
    for pattern, form in _PERIOD_FORMS:
        found = pattern.match(content)
        if found:
            result = form.format(*found.groups())
            if re.fullmatch(r"\d{4}-\d{2}", result) and not 1 <= int(result[5:]) <= 12:
                raise ParseError("mois invalide")
            return result
    if (found := _WORDS_PERIOD.match(fold(content))) and found.group(1) in MONTHS:
        return f"{found.group(2)}-{MONTHS[found.group(1)]:02d}"
    raise ParseError("une période est attendue (2024, 2024-T1, 2024-S1, 2024-03 ou mars 2024)")


# --- vocabularies -------------------------------------------------------------------------


def _choices(values: Iterable[str]) -> str:
    return ", ".join(values)


class Vocabulary:
    """A closed list of values: stored codes, French labels, and the synonyms people write."""

    def __init__(self, what: str, labels: Mapping[str, str], synonyms: Mapping[str, str] = {}) -> None:
        self.what = what
        self.labels = dict(labels)
        self._by_fold: dict[str, str] = {}
        for code, label in self.labels.items():
            self._by_fold[fold(label)] = code
            self._by_fold.setdefault(fold(code.replace("_", " ")), code)
        for said, code in synonyms.items():
            self._by_fold.setdefault(fold(said), code)

    def find(self, raw: Any) -> str | None:
        """The stored code `raw` names (any case, accents or spacing, synonyms), or None."""
        content = parse_text(raw)
        if content is None:
            return None
        return self._by_fold.get(fold(content.replace("_", " ")))

    def parse(self, raw: Any) -> str | None:
        """The stored code, None when empty; ParseError naming the accepted values otherwise."""
        if is_blank(raw):
            return None
        found = self.find(raw)
        if found is None:
            raise ParseError(
                f"{self.what} : valeur inconnue « {parse_text(raw)} » "
                f"(valeurs admises : {_choices(self.labels.values())})"
            )
        return found

    def parse_many(self, raw: Any) -> tuple[str, ...]:
        """Several values of the list, in the order written, without repeats."""
        return tuple(dict.fromkeys(code for item in parse_texts(raw) if (code := self.parse(item))))

    def label(self, code: str | None) -> str:
        """The French label of a stored code (the code itself when unknown)."""
        return self.labels.get(code, code) if code else ""


ACTION_STATUSES = Vocabulary(
    "statut",
    {s.value: label for s, label in ACTION_STATUS_LABELS.items()},
    {
        "a faire": ActionStatus.TODO,
        "a demarrer": ActionStatus.TODO,
        "non demarree": ActionStatus.TODO,
        "non demarre": ActionStatus.TODO,
        "prevue": ActionStatus.TODO,
        "en projet": ActionStatus.TODO,
        "demarree": ActionStatus.IN_PROGRESS,
        "en cours de realisation": ActionStatus.IN_PROGRESS,
        "commencee": ActionStatus.IN_PROGRESS,
        "realise": ActionStatus.DONE,
        "terminee": ActionStatus.DONE,
        "termine": ActionStatus.DONE,
        "fait": ActionStatus.DONE,
        "faite": ActionStatus.DONE,
        "achevee": ActionStatus.DONE,
        "fini": ActionStatus.DONE,
        "finie": ActionStatus.DONE,
        "reporte": ActionStatus.POSTPONED,
        "suspendue": ActionStatus.POSTPONED,
        "en attente": ActionStatus.POSTPONED,
        "abandonne": ActionStatus.ABANDONED,
        "annulee": ActionStatus.ABANDONED,
        "annule": ActionStatus.ABANDONED,
    },
)
WEATHERS = Vocabulary(
    "météo",
    {w.value: w.label for w in Weather},
    {"green": Weather.GREEN, "soleil": Weather.GREEN, "red": Weather.RED, "🟢": "vert", "🟠": "orange"}
    | {"🔴": "rouge"},
)
RESOURCE_STATUSES = Vocabulary(
    "statut",
    {s.value: label for s, label in RESOURCE_STATUS_LABELS.items()},
    {
        "existante": ResourceStatus.EXISTING,
        "ouvert": ResourceStatus.EXISTING,
        "en service": ResourceStatus.EXISTING,
        "projet": ResourceStatus.PLANNED,
        "fermee": ResourceStatus.CLOSED,
    },
)
RESOURCE_KINDS = Vocabulary(
    "type de ressource",
    {t: t for t in RESOURCE_TYPES},
    {
        "aj": "Accueil de jour",
        "accueil de jour autonome": "Accueil de jour",
        "ht": "Hébergement temporaire",
        "pfr": "Plateforme d'accompagnement et de répit",
        "plateforme de repit": "Plateforme d'accompagnement et de répit",
        "plateforme d accompagnement et de repit": "Plateforme d'accompagnement et de répit",
        "halte repit": "Halte-répit",
        "sejour repit": "Séjour de répit",
        "baluchonnage": "Relayage",
        "crt": "Centre de ressources territorial",
    },
)
AUDIENCE_LIST = Vocabulary(
    "public",
    {a: a for a in AUDIENCES},
    {
        "pa": "Personnes âgées",
        "ph": "Personnes en situation de handicap",
        "handicap": "Personnes en situation de handicap",
        "mnd": "Maladies neuro-évolutives",
        "alzheimer": "Maladies neuro-évolutives",
        "tout public": "Tous publics",
    },
)
PERIODICITIES = Vocabulary(
    "périodicité",
    {p.value: p.label for p in Periodicity},
    {
        "mensuel": "mensuelle",
        "mois": "mensuelle",
        "trimestriel": "trimestrielle",
        "trimestre": "trimestrielle",
        "semestriel": "semestrielle",
        "semestre": "semestrielle",
        "annuel": "annuelle",
        "an": "annuelle",
        "annee": "annuelle",
    },
)
ORGANISATION_KIND_LIST = Vocabulary("type d'organisation", {k: k for k in ORGANISATION_KINDS})
TERRITORY_KINDS = Vocabulary(
    "type de territoire",
    {TerritoryKind.DEPARTMENT.value: "Département", TerritoryKind.BASIN.value: "Bassin"},
    {"bassin de sante": TerritoryKind.BASIN},
)


def parse_action_status(raw: Any) -> str:
    """An action's status (required): "terminé" → "realisee"."""
    found = ACTION_STATUSES.parse(raw)
    if found is None:
        raise ParseError("le statut est obligatoire")
    return found


def parse_weather(raw: Any) -> str | None:
    """An action's weather: "Vert", "ORANGE", "red", 🔴 → stored code; empty → None."""
    return WEATHERS.parse(raw)


def parse_resource_status(raw: Any) -> str:
    """A resource's status; empty → Existant."""
    return RESOURCE_STATUSES.parse(raw) or ResourceStatus.EXISTING.value


def parse_resource_kind(raw: Any) -> str:
    """A resource type from the list (synonyms: AJ, HT, PFR…); required."""
    found = RESOURCE_KINDS.parse(raw)
    if found is None:
        raise ParseError("le type est obligatoire")
    return found


def parse_periodicity(raw: Any) -> str | None:
    return PERIODICITIES.parse(raw)


# --- identifiers --------------------------------------------------------------------------


def _digits_code(raw: Any, width: int) -> str | None:
    """A code typed as a number lost its leading zeros (09122 → 9122): put them back."""
    content = parse_text(raw)
    if content is None:
        return None
    compact = _SPACES.sub("", content)
    if compact.isdigit() and len(compact) < width and width - len(compact) <= 2:
        return compact.zfill(width)
    if len(compact) == width and compact.isalnum():
        return compact.upper()  # "2a004" → "2A004"
    return content


def parse_insee(raw: Any) -> str | None:
    """A commune's INSEE code (5 characters, Corsica 2A/2B); a lost leading zero is restored."""
    return _digits_code(raw, 5)


def parse_finess(raw: Any) -> str | None:
    """A FINESS number (9 characters); spaces removed, a lost leading zero restored."""
    return _digits_code(raw, 9)


def parse_phone(raw: Any) -> str | None:
    """A phone number as typed; one typed as a number gets its lost leading zero back."""
    content = parse_text(raw)
    if content is not None and content.isdigit() and len(content) == 9:
        return "0" + content
    return content
