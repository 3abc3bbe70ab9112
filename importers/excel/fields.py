"""The columns the importer knows, per kind of record, with the headers people write.

A field's `name` is the attribute of the store's snapshot (ActionData, ResourceData,
IndicatorData) or a pseudo-field (``comment``, ``period``, ``value``); the exchange workbook's
hidden sheet names its columns with these names too. Headers are matched after `header_key`
(case, accents, spaces, punctuation and units in brackets ignored).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from importers.excel import META_SHEET as META_SHEET
from importers.excel import cells
from store.fields import ACTION, INDICATOR, INDICATOR_VALUE, RESOURCE, Field, Record
from store.vocab import fold
from store.workbook_layout import FINGERPRINT_HEADER as FINGERPRINT_HEADER
from store.workbook_layout import FORMAT as FORMAT
from store.workbook_layout import SHEET_ACTIONS as SHEET_ACTIONS
from store.workbook_layout import SHEET_INDICATORS as SHEET_INDICATORS
from store.workbook_layout import SHEET_RESOURCES as SHEET_RESOURCES

BREAKDOWN_PREFIX = "Ventilation"

KIND_ACTION = "action"
KIND_RESOURCE = "resource"
KIND_INDICATOR = "indicator"
KIND_VALUE = "value"
KIND_LABELS = {
    KIND_ACTION: "action",
    KIND_RESOURCE: "ressource",
    KIND_INDICATOR: "indicateur",
    KIND_VALUE: "valeur d'indicateur",
}


@dataclass(frozen=True)
class FieldSpec:
    """A column the importer understands."""

    name: str
    header: str
    parse: Callable[[Any], Any]
    aliases: tuple[str, ...] = ()
    #: Order does not matter (compared sorted).
    unordered: bool = False


def header_key(text: Any) -> str:
    """A header reduced to what matters: "Avancement (%) " → "avancement"."""
    if text.__class__ is str and len(text) <= _KEYED_TEXT:
        return _text_key(text)  # the same headers, read again on each import and in each sheet
    return _header_key(text)


#: Texts up to this length have their key kept (headers; not every long cell of a title row).
_KEYED_TEXT = 200


@lru_cache(maxsize=4096)
def _text_key(text: str) -> str:
    return _header_key(text)


def _header_key(text: Any) -> str:
    folded = fold(cells.text(text) or "")
    folded = re.sub(r"\([^)]*\)", " ", folded)
    folded = re.sub(r"[^a-z0-9]+", " ", folded)
    return " ".join(folded.split())


def _spec(f: Field) -> FieldSpec:
    """The column of a registry field. Codes and vocabularies are read as text here and
    resolved by `Resolver.convert` (after a mapping file's own translations)."""
    if f.ref or f.vocabulary is not None:
        parse: Callable[[Any], Any] = cells.texts if f.many else cells.text
    else:
        parse = f.read
    return FieldSpec(f.name, f.excel_header, parse, f.synonyms, unordered=f.unordered)


def _specs(rec: Record, *extra: FieldSpec, skip: tuple[str, ...] = ("source",)) -> tuple[FieldSpec, ...]:
    return (*(_spec(f) for f in rec if f.name not in skip), *extra)


ACTION_FIELDS: tuple[FieldSpec, ...] = _specs(
    ACTION, FieldSpec("comment", "Commentaire", cells.text, ("commentaires", "observations", "remarques"))
)

#: Columns of the exchange workbook that are shown for reading only (ignored silently).
READ_ONLY_HEADERS = frozenset(
    header_key(h)
    for h in (
        "En retard",
        "Code du pilote",
        "Code du porteur",
        "Codes des partenaires",
        "Codes des territoires",
        "Engagement",
        "Défi",
        "Intitulé de l'objectif",
        "Source",
        "Dernière valeur",
        "Vérification",
        FINGERPRINT_HEADER,
    )
)

RESOURCE_FIELDS: tuple[FieldSpec, ...] = _specs(RESOURCE)
INDICATOR_FIELDS: tuple[FieldSpec, ...] = _specs(
    INDICATOR,
    FieldSpec("period", INDICATOR_VALUE["period"].label, lambda v: v, INDICATOR_VALUE["period"].synonyms),
    _spec(INDICATOR_VALUE["value"]),
)
INDICATOR_LEVEL = ("label", "action", "objective", "unit", "periodicity", "baseline", "target")

FIELDS_BY_KIND: dict[str, tuple[FieldSpec, ...]] = {
    KIND_ACTION: ACTION_FIELDS,
    KIND_RESOURCE: RESOURCE_FIELDS,
    KIND_INDICATOR: INDICATOR_FIELDS,
}
SHEET_KINDS: dict[str, str] = {
    header_key(SHEET_ACTIONS): KIND_ACTION,
    header_key(SHEET_RESOURCES): KIND_RESOURCE,
    header_key(SHEET_INDICATORS): KIND_INDICATOR,
}


def breakdown_category(header: Any) -> str | None:
    """The category a "Ventilation : mineurs" column holds, or None for other headers."""
    content = cells.text(header) or ""
    found = re.match(rf"^\s*{BREAKDOWN_PREFIX}\s*[:\-–—]\s*(.+?)\s*$", content, re.IGNORECASE)
    return found.group(1) if found else None


def breakdown_header(category: str) -> str:
    return f"{BREAKDOWN_PREFIX} : {category}"


#: Each kind's columns by field name (looked up per cell: a dictionary, not a scan).
_BY_NAME: dict[str, dict[str, FieldSpec]] = {
    kind: {f.name: f for f in specs} for kind, specs in FIELDS_BY_KIND.items()
}


def spec(kind: str, name: str) -> FieldSpec:
    return _BY_NAME[kind][name]


def label_of(kind: str, name: str) -> str:
    if name.startswith("cat:"):
        return breakdown_header(name[4:])
    found = _BY_NAME.get(kind, _BY_NAME[KIND_INDICATOR]).get(name)
    return found.header if found else name
