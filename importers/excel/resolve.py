"""Turning parsed cell values into store values: codes, vocabularies, normalised texts.

`Resolver.convert(kind, field, value)` returns the store's value for a field, or raises
CellError with a French message (unknown objective, unknown status, with the accepted values).
Codes are found by exact code, by code ignoring case and accents, or by name/title.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from importers.excel.cells import CellError
from importers.excel.fields import KIND_ACTION, KIND_INDICATOR, KIND_RESOURCE
from store.models import Objective, Organisation, Territory
from store.vocab import (
    ACTION_STATUS_LABELS,
    AUDIENCES,
    RESOURCE_STATUS_LABELS,
    RESOURCE_TYPES,
    Periodicity,
    ResourceStatus,
    Weather,
    fold,
    match_label,
    parse_action_status,
    parse_resource_status,
    parse_weather,
)

#: Common ways people name resource types, folded.
RESOURCE_TYPE_SYNONYMS: dict[str, str] = {
    "aj": "Accueil de jour",
    "accueil de jour autonome": "Accueil de jour",
    "ht": "Hébergement temporaire",
    "hebergement temporaire": "Hébergement temporaire",
    "pfr": "Plateforme d'accompagnement et de répit",
    "plateforme de repit": "Plateforme d'accompagnement et de répit",
    "plateforme d accompagnement et de repit": "Plateforme d'accompagnement et de répit",
    "halte repit": "Halte-répit",
    "cafe des aidants": "Café des aidants",
    "sejour repit": "Séjour de répit",
    "baluchonnage": "Relayage",
    "crt": "Centre de ressources territorial",
}
AUDIENCE_SYNONYMS: dict[str, str] = {
    "pa": "Personnes âgées",
    "personnes agees": "Personnes âgées",
    "ph": "Personnes en situation de handicap",
    "handicap": "Personnes en situation de handicap",
    "mnd": "Maladies neuro-évolutives",
    "alzheimer": "Maladies neuro-évolutives",
    "tout public": "Tous publics",
}
PERIODICITY_SYNONYMS: dict[str, str] = {
    "mensuel": "mensuelle",
    "mois": "mensuelle",
    "trimestriel": "trimestrielle",
    "trimestre": "trimestrielle",
    "semestriel": "semestrielle",
    "semestre": "semestrielle",
    "annuel": "annuelle",
    "an": "annuelle",
    "annee": "annuelle",
}
_TEXT_FIELDS = {
    KIND_ACTION: {"code", "title", "description", "funding", "comment"},
    KIND_RESOURCE: {"code", "name", "address", "commune", "email", "contact_name", "notes"},
    KIND_INDICATOR: {"code", "label", "unit"},
}
_DIGITS = {"insee_code": 5, "finess": 9, "phone": 10}


def _choices(values: Iterable[str]) -> str:
    return ", ".join(values)


@dataclass
class CodeIndex:
    """Codes of one kind of record, found by code, folded code or folded name."""

    what: str
    by_code: dict[str, str]
    by_fold: dict[str, str]

    @classmethod
    def build(cls, what: str, pairs: Iterable[tuple[str, str | None]]) -> CodeIndex:
        by_code: dict[str, str] = {}
        by_fold: dict[str, str] = {}
        names: dict[str, list[str]] = {}
        for code, name in pairs:
            by_code[code] = code
            by_fold.setdefault(fold(code), code)
            if name:
                names.setdefault(fold(name), []).append(code)
        for folded, codes in names.items():
            if len(codes) == 1:
                by_fold.setdefault(folded, codes[0])
        return cls(what, by_code, by_fold)

    def find(self, text: str) -> str:
        found = self.by_code.get(text) or self.by_fold.get(fold(text))
        if found is None:
            raise CellError(f"{self.what} inconnu(e) : « {text} »")
        return found


class Resolver:
    """The department's codes and vocabularies, to convert parsed cells into store values."""

    def __init__(self, conn: Connection, department: str, action_codes: Iterable[str]) -> None:
        def pairs(model: type, name: str) -> list[tuple[str, str | None]]:
            t = model.__table__  # type: ignore[attr-defined]
            query = select(t.c.code, t.c[name]).where(t.c.department_code == department)
            return [(code, label) for code, label in conn.execute(query)]

        self.objectives = CodeIndex.build("objectif", pairs(Objective, "title"))
        self.organisations = CodeIndex.build("organisation", pairs(Organisation, "name"))
        self.territories = CodeIndex.build("territoire", pairs(Territory, "name"))
        self.actions = CodeIndex.build("action", [(c, None) for c in action_codes])
        self.type_synonyms = dict(RESOURCE_TYPE_SYNONYMS)
        self.value_maps: dict[tuple[str, str], dict[str, Any]] = {}

    def convert(self, kind: str, name: str, value: Any) -> Any:
        """The store's value of field `name` for a parsed cell `value` (None = empty)."""
        translated = self.value_maps.get((kind, name))
        if translated is not None:
            if isinstance(value, str):
                value = translated.get(fold(value), value)
            elif isinstance(value, tuple):
                value = tuple(translated.get(fold(v), v) for v in value)
        if kind == KIND_ACTION:
            return self._action(name, value)
        if kind == KIND_RESOURCE:
            return self._resource(name, value)
        return self._indicator(name, value)

    def _action(self, name: str, value: Any) -> Any:
        if name == "objectives":
            return tuple(dict.fromkeys(self.objectives.find(v) for v in value))
        if name == "partners":
            return tuple(dict.fromkeys(self.organisations.find(v) for v in value))
        if name == "territories":
            return tuple(sorted({self.territories.find(v) for v in value}))
        if name == "lead":
            return self.organisations.find(value) if value else None
        if name == "status":
            if value is None:
                raise CellError("le statut est obligatoire")
            status = parse_action_status(value)
            if status is None:
                raise CellError(
                    f"statut inconnu (valeurs admises : {_choices(ACTION_STATUS_LABELS.values())})"
                )
            return status.value
        if name == "weather":
            if value is None:
                return None
            weather = parse_weather(value)
            if weather is None:
                raise CellError(f"météo inconnue (valeurs admises : {_choices(w.label for w in Weather)})")
            return weather.value
        if name == "progress":
            return 0 if value is None else value
        return value

    def _resource(self, name: str, value: Any) -> Any:
        if name == "kind":
            if value is None:
                raise CellError("le type est obligatoire")
            found = match_label(value, RESOURCE_TYPES) or self.type_synonyms.get(fold(value))
            if found is None:
                raise CellError(f"type de ressource inconnu (valeurs admises : {_choices(RESOURCE_TYPES)})")
            return found
        if name == "audiences":
            result = set()
            for item in value:
                found = match_label(item, AUDIENCES) or AUDIENCE_SYNONYMS.get(fold(item))
                if found is None:
                    raise CellError(f"public inconnu « {item} » (valeurs admises : {_choices(AUDIENCES)})")
                result.add(found)
            return tuple(sorted(result))
        if name == "territories":
            return tuple(sorted({self.territories.find(v) for v in value}))
        if name == "carrier":
            return self.organisations.find(value) if value else None
        if name == "status":
            if value is None:
                return ResourceStatus.EXISTING.value
            status = parse_resource_status(value)
            if status is None:
                raise CellError(
                    f"statut inconnu (valeurs admises : {_choices(RESOURCE_STATUS_LABELS.values())})"
                )
            return status.value
        if name in _DIGITS and value is not None:
            return _restore_leading_zeros(value, _DIGITS[name])
        return value

    def _indicator(self, name: str, value: Any) -> Any:
        if name == "action":
            return self.actions.find(value) if value else None
        if name == "objective":
            return self.objectives.find(value) if value else None
        if name == "periodicity":
            if value is None:
                return None
            folded = fold(value)
            if folded in {p.value for p in Periodicity}:
                return folded
            if folded in PERIODICITY_SYNONYMS:
                return PERIODICITY_SYNONYMS[folded]
            raise CellError(
                f"périodicité inconnue (valeurs admises : {_choices(p.label for p in Periodicity)})"
            )
        return value


def _restore_leading_zeros(value: str, width: int) -> str:
    """A code typed as a number lost its leading zeros (09122 → 9122): put them back."""
    if value.isdigit() and len(value) < width and width - len(value) <= 2:
        return value.zfill(width)
    return value


def normalise_store_value(kind: str, name: str, value: Any) -> Any:
    """A store value in the form conversions produce (texts stripped, empty → None)."""
    if isinstance(value, str):
        value = value.strip() or None
    return value


def text_fields(kind: str) -> set[str]:
    return _TEXT_FIELDS.get(kind, set())
