"""Turning parsed cell values into store values: codes, vocabularies, normalised texts.

`Resolver.convert(kind, field, value)` returns the store's value for a field, or raises
CellError with a French message (unknown objective, unknown status, with the accepted values).
Codes are found by exact code, by code ignoring case and accents, or by name/title.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from importers.excel.cells import CellError
from store.fields import RECORDS, REF_ACTION, REF_OBJECTIVE, REF_ORGANISATION, REF_TERRITORY
from store.models import Objective, Organisation, Territory
from store.vocab import fold

#: « Nom (CODE) »: a name followed by its code in brackets.
_NAMED_CODE = re.compile(r"^.+\(([^()]+)\)\s*$", re.DOTALL)


@dataclass
class CodeIndex:
    """Codes of one kind of record, found by code, folded code or folded name."""

    what: str
    by_code: dict[str, str]
    by_fold: dict[str, str]
    #: Lengths of the all-digit codes ("09": 2), to restore a zero Excel dropped (9 → "09").
    digit_lengths: tuple[int, ...] = ()

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
                # "Ariège (tout le département)" is also found as "Ariège".
                short = re.sub(r"\s*\([^)]*\)\s*", " ", name).strip()
                if short and short != name:
                    names.setdefault(fold(short), []).append(code)
        for folded, codes in names.items():
            if len(set(codes)) == 1:
                by_fold.setdefault(folded, codes[0])
        lengths = tuple(sorted({len(c) for c in by_code if c.isdigit()}))
        return cls(what, by_code, by_fold, lengths)

    def find(self, text: str) -> str:
        """The code that `text` names: the code itself, in any case and accents, its name, « Nom
        (CODE) » (the exchange workbook's form when names alone are ambiguous), or a number that
        lost its leading zeros in Excel ("9" for "09")."""
        found = self.by_code.get(text) or self.by_fold.get(fold(text))
        if found is None and (named := _NAMED_CODE.match(text)):
            found = self.by_code.get(named.group(1).strip())
        if found is None and text.isdigit():
            found = next(
                (self.by_code[text.zfill(n)] for n in self.digit_lengths if text.zfill(n) in self.by_code),
                None,
            )
        if found is None:
            raise CellError(f"{self.what} : ce n'est ni un code ni un nom connu")
        return found


class Resolver:
    """The department's codes and vocabularies, to convert parsed cells into store values."""

    def __init__(self, conn: Connection, department: str, action_codes: Callable[[], Iterable[str]]) -> None:
        """`action_codes` reads the department's action codes (only if a cell names an action)."""

        def pairs(model: type, name: str) -> list[tuple[str, str | None]]:
            t = model.__table__  # type: ignore[attr-defined]
            query = select(t.c.code, t.c[name]).where(t.c.department_code == department)
            return [(code, label) for code, label in conn.execute(query)]

        self.objectives = CodeIndex.build("objectif inconnu", pairs(Objective, "title"))
        self.organisations = CodeIndex.build("organisation inconnue", pairs(Organisation, "name"))
        self.territories = CodeIndex.build("territoire inconnu", pairs(Territory, "name"))
        self._action_codes = action_codes
        #: The index of each kind of code a field can refer to (built once: convert runs per cell;
        #: the actions' only when a cell names one, as an unchanged re-import never does).
        self.indexes: dict[str, CodeIndex] = {
            REF_OBJECTIVE: self.objectives,
            REF_ORGANISATION: self.organisations,
            REF_TERRITORY: self.territories,
        }
        self.value_maps: dict[tuple[str, str], dict[str, Any]] = {}

    @property
    def actions(self) -> CodeIndex:
        found = self.indexes.get(REF_ACTION)
        if found is None:
            found = CodeIndex.build("action inconnue", [(c, None) for c in self._action_codes()])
            self.indexes[REF_ACTION] = found
        return found

    def convert(self, kind: str, name: str, value: Any) -> Any:
        """The store's value of field `name` for a parsed cell `value` (None = empty)."""
        translated = self.value_maps.get((kind, name))
        if translated is not None:
            if isinstance(value, str):
                value = translated.get(fold(value), value)
            elif isinstance(value, tuple):
                value = tuple(translated.get(fold(v), v) for v in value)
        field = RECORDS[kind].get(name) if kind in RECORDS else None
        if field is None:
            return value
        if field.ref is not None:
            index = self.actions if field.ref == REF_ACTION else self.indexes[field.ref]
            if not field.many:
                return index.find(value) if value else None
            found = (index.find(v) for v in value)
            return tuple(sorted(set(found))) if field.unordered else tuple(dict.fromkeys(found))
        if field.vocabulary is not None:
            return field.read(value)
        if name == "progress" and value is None:
            return 0
        return value


def normalise_store_value(kind: str, name: str, value: Any) -> Any:
    """A store value in the form conversions produce (texts stripped, empty → None)."""
    if isinstance(value, str):
        value = value.strip() or None
    return value
