"""Fingerprints of exported rows: what the three-way merge of an Excel import needs, compactly.

The exchange workbook keeps, in one hidden cell per row, the record's version, its identity
(store.models.identities) and a short hash of each cell as exported, instead of a second copy of
every cell. At import, a cell whose hash is the exported one was not changed in the workbook; a
store value whose exported cell has the same hash was not changed in the store since. That is
all `store.merge.three_way` needs to tell a change in the workbook from one in the store (the
exported value itself is only known when one side kept it).

Cells are hashed in a canonical text that survives the round trip through a spreadsheet:
numbers as floats (an integer written comes back as 55.0), dates without their midnight time.
"""

from __future__ import annotations

import hashlib
from binascii import b2a_base64
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from typing import Any, NamedTuple

#: Marks a fingerprint cell, and its layout version.
PREFIX = "e1"
#: Characters per field hash (24 bits: two different values share a hash once in 16 million).
WIDTH = 4
#: The longest text a spreadsheet cell keeps (a longer one is cut when exported).
MAX_CELL_CHARS = 32_767


def canonical(value: Any) -> str:
    """The text a cell's value is hashed as, the same when written and when read back."""
    kind = type(value)
    if kind is str:
        return str(value[:MAX_CELL_CHARS]).strip()
    if kind is float or kind is int:
        return format(float(value), ".15g")
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return format(float(value), ".15g")
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)[:MAX_CELL_CHARS].strip()


def cell_hash(value: Any) -> str:
    """A short hash of a cell's value (WIDTH characters)."""
    return _text_hash(canonical(value))


#: Hashes of short texts met before (a unit, a periodicity, an indicator's label on each of its
#: periods' rows), at most `_KEPT` of them, none longer than `_KEPT_CHARS`.
_known_hashes: dict[str, str] = {}
_KEPT = 16_384
_KEPT_CHARS = 200


def _text_hash(text: str) -> str:
    found = _known_hashes.get(text)
    if found is None:
        found = b2a_base64(hashlib.blake2b(text.encode(), digest_size=3).digest(), newline=False).decode()
        if len(text) <= _KEPT_CHARS:
            if len(_known_hashes) >= _KEPT:
                _known_hashes.clear()
            _known_hashes[text] = found
    return found


def row_hash(values: Iterable[Any]) -> str:
    """A short hash of a whole row of cells (one comparison tells an unchanged row)."""
    return texts_hash(canonical_texts(values))


def canonical_texts(values: Iterable[Any]) -> list[str]:
    """The canonical texts of cells (`canonical`, inlined for texts within a cell's length and
    floats: once per cell of an export or an import)."""
    return [
        v.strip()
        if (kind := v.__class__) is str and len(v) <= MAX_CELL_CHARS
        else format(v, ".15g")
        if kind is float
        else canonical(v)
        for v in values
    ]


def texts_hash(texts: Iterable[str]) -> str:
    """`row_hash` of cells whose canonical texts (`canonical_texts`) are `texts`."""
    return b2a_base64(
        hashlib.blake2b("\x1f".join(texts).encode(), digest_size=9).digest(), newline=False
    ).decode()


def _field_hashes(texts: list[str]) -> str:
    """`_text_hash` of each text, concatenated (3 bytes are 4 base-64 characters: one encoding
    of the joined digests is the same text)."""
    blake2b = hashlib.blake2b
    return b2a_base64(
        b"".join([blake2b(t.encode(), digest_size=3).digest() for t in texts]), newline=False
    ).decode()


class Fingerprint(NamedTuple):
    """A row as exported: its version, identity, whole-row hash and one hash per field (a
    named tuple: one is read back for every row of a workbook)."""

    version: int | None
    uid: str | None
    row: str
    hashes: str

    def field_hash(self, position: int) -> str | None:
        """The hash of the field at `position` in the fingerprint's field list."""
        found = self.hashes[position * WIDTH : (position + 1) * WIDTH]
        return found if len(found) == WIDTH else None

    def dump(self) -> str:
        version = "" if self.version is None else str(self.version)
        return f"{PREFIX}|{version}|{self.uid or ''}|{self.row}|{self.hashes}"


class Hashed(NamedTuple):
    """Fields hashed once for several rows (an indicator's, on each of its periods' rows)."""

    texts: list[str]
    hashes: str


def hashed(values: Sequence[Any]) -> Hashed:
    """`values` hashed, to be given as the `head` of several rows' fingerprints."""
    found = canonical_texts(values)
    return Hashed(found, _field_hashes(found))


def fingerprint(
    version: int | None, uid: str | None, values: Sequence[Any], head: Hashed | None = None
) -> Fingerprint:
    """The fingerprint of a row whose fields have `values` (in the order the workbook lists them),
    after the fields `head` if given."""
    found = canonical_texts(values)
    hashes = _field_hashes(found)
    if head is not None:
        found, hashes = head.texts + found, head.hashes + hashes
    return Fingerprint(version, uid, texts_hash(found), hashes)


def parse(text: Any) -> Fingerprint | None:
    """A fingerprint cell read back (None when it is not one: blank, edited, foreign)."""
    if not isinstance(text, str) or not text.startswith(PREFIX + "|"):
        return None
    parts = text.split("|")
    if len(parts) != 5 or len(parts[4]) % WIDTH:
        return None
    try:
        version = int(parts[1]) if parts[1] else None
    except ValueError:
        return None
    return Fingerprint(version, parts[2] or None, parts[3], parts[4])
