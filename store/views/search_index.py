"""Which records' folded texts contain a word, without reading every text at each keystroke.

A word typed in a search box (no space in it) is found in a text exactly when it is found in
one of the text's words (`text.split()`). So the index keeps, built once per store version:

* the most **common words** (those of at least 1 record in `COMMON_SHARE` in a sample,
  `MAX_COMMON` at most), each with a bit mask of the records holding it: « coordination »,
  « de », « bassin »;
* the **other words**, one line of text per record: its codes, numbers and rarer words.

A word typed is looked for among the common words (a few hundred: `in` on each) and, only if
it occurs in the other words at all (one `str.count`), among them: each occurrence mapped to
its record by bisection when they are few, else each record's line tested (`in`, in C). The
answer is one byte per record (1: found), so that the filters' lists of ids keep their order
and are filtered in C (`itertools.compress`), and counted as one integer (`int.bit_count`).
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left
from collections import Counter, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import accumulate, chain, compress, islice, repeat
from operator import contains

#: A word is common when at least one record in this many holds it…
COMMON_SHARE = 64
#: …and it is among this many most frequent (so that the masks stay small: 256 × N/8 bytes).
MAX_COMMON = 256
#: The texts read to choose the common words.
SAMPLE = 4096
#: Occurrences in the other words beyond 1 in this many records: each line is tested instead.
FEW_SHARE = 32
_BYTE_BITS = bytes.maketrans(b"01", b"\x00\x01")


@dataclass(frozen=True)
class Hits:
    """Where a word is found: `SearchIndex.found`'s bytes, and the positions whose other words
    (not the common ones) hold it."""

    found: bytes
    rest: array[int]


@dataclass(frozen=True)
class SearchIndex:
    """The folded texts of a set of records, ready to be searched a word at a time."""

    #: The record (an id) at each position.
    ids: tuple[int, ...]
    #: Each record's position.
    positions: dict[int, int]
    #: Common word → bit mask of the positions whose text holds it (bit p: position p).
    common: dict[str, int]
    #: Each position's other words, separated by spaces.
    lines: list[str]
    #: The same, one line a position.
    rest: str
    #: Where each position's line ends in `rest` (the offset of its "\n").
    ends: array[int]

    @classmethod
    def build(cls, texts: Iterable[tuple[int, str]]) -> SearchIndex:
        """The index of these (id, folded text) pairs, read once and one at a time (a set of
        words per record would weigh hundreds of MiB at 100,000 actions). Which words are
        common is read on the first `SAMPLE` texts."""
        pairs = iter(texts)
        sample = list(islice(pairs, SAMPLE))
        counts = Counter(chain.from_iterable(set(text.split()) for _record, text in sample))
        floor = max(len(sample) // COMMON_SHARE, 2)
        common = frozenset(w for w, n in counts.most_common(MAX_COMMON) if n >= floor)
        holders: dict[str, bytearray] = {w: bytearray() for w in common}  # a bit a position
        ids: list[int] = []
        lines: list[str] = []
        for position, (record, text) in enumerate(chain(sample, pairs)):
            byte, bit = position >> 3, 1 << (position & 7)
            if bit == 1:
                for bits in holders.values():
                    bits.append(0)
            held = set(text.split())
            for word in common.intersection(held):
                holders[word][byte] |= bit
            ids.append(record)
            lines.append(" ".join(held.difference(common)))
        masks = {w: int.from_bytes(bits, "little") for w, bits in holders.items()}
        rest = "\n".join(lines) + "\n"
        ends = array("q", accumulate(map(len, lines), lambda end, length: end + length + 1, initial=-1))
        return cls(tuple(ids), {record: p for p, record in enumerate(ids)}, masks, lines, rest, ends[1:])

    def __len__(self) -> int:
        return len(self.ids)

    def found(self, word: str) -> bytes:
        """One byte per position, 1 where the text contains `word`, and a last 0 (for ids the
        index does not know)."""
        return self.hits(word).found

    def hits(self, word: str, within: Hits | None = None) -> Hits:
        """Where `word` is found. `within`: the hits of a word it contains (« coord » for
        « coordination »), so that only the other words' lines where that one was found are
        read again (typing a word key by key reads fewer lines at each key)."""
        size = len(self.ids)
        mask = 0
        for common, bits in self.common.items():
            if word in common:
                mask |= bits
        found = bytearray(_unpack(mask, size + 1))
        if within is not None:
            lines = map(self.lines.__getitem__, within.rest)
            rest = array("i", compress(within.rest, map(contains, lines, repeat(word))))
        else:
            occurrences = self.rest.count(word)
            if not occurrences:
                rest = array("i")
            elif occurrences <= size // FEW_SHARE:
                at = map(re.Match.start, re.finditer(re.escape(word), self.rest))
                rest = array("i", dict.fromkeys(map(bisect_left, repeat(self.ends), at)))
            else:
                rest = array("i", compress(range(size), map(contains, self.lines, repeat(word))))
        deque(map(found.__setitem__, rest, repeat(1)), maxlen=0)
        return Hits(bytes(found), rest)

    @staticmethod
    def both(first: bytes, second: bytes) -> bytes:
        """Where both answers found their word."""
        size = len(first)
        both = int.from_bytes(first, "little") & int.from_bytes(second, "little")
        return both.to_bytes(size, "little")

    def flags(self, positions: Iterable[int]) -> int:
        """These positions as `found` marks them (a byte each), read as one integer: `&` with
        an answer read the same way counts its 1s among them."""
        flags = bytearray(len(self.ids) + 1)
        deque(map(flags.__setitem__, positions, repeat(1)), maxlen=0)
        return int.from_bytes(flags, "little")

    def ranks(self, positions: Sequence[int]) -> array[int]:
        """Each position's rank in `positions` (-1: not there), by position."""
        ranks = array("i", [-1]) * (len(self.ids) + 1)
        deque(map(ranks.__setitem__, positions, range(len(positions))), maxlen=0)
        return ranks

    def among(self, ids: Sequence[int]) -> list[int]:
        """The positions of these ids (`len(self)` for one the index does not know)."""
        return list(map(self.positions.get, ids, repeat(len(self.ids))))


def _unpack(mask: int, size: int) -> bytes:
    """One byte (0 or 1) per bit of `mask`, for `size` positions."""
    return format(mask, f"0{size}b").encode()[::-1][:size].translate(_BYTE_BITS)
