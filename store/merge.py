"""Three-way merge of two versions of one record that started from the same version.

`base` is the version both sides started from, `mine` what this side wants, `theirs` what the
other side saved meanwhile. A field changed on one side only takes that side's value; a field
changed on both sides to different values is a conflict, for a person to decide.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

from store.fields import Field, Record

T = TypeVar("T")


@dataclass(frozen=True)
class Merge(Generic[T]):
    """The merged record (their version with my changes) and the fields both sides changed."""

    merged: T
    conflicts: tuple[Field, ...]
    #: The fields only the other side changed (to tell the user what came in).
    theirs_only: tuple[Field, ...]
    theirs: T

    def settled(self, keep_mine: bool) -> T:
        """The record to save once a person chose, for the fields both sides changed, mine or theirs."""
        if keep_mine:
            return self.merged
        return replace(self.merged, **{f.name: getattr(self.theirs, f.name) for f in self.conflicts})  # type: ignore[type-var]

    def rows(self) -> list[tuple[str, str, str]]:
        """Each field both sides changed: its label, my value and theirs, as people read them."""
        return [(f.label, shown(f, self.merged), shown(f, self.theirs)) for f in self.conflicts]

    def incoming(self, base: object) -> str:
        """What the other side changed alone, in words ("Avancement : 80 % → 90 %"), "" if nothing."""
        return ", ".join(f"{f.label} : {shown(f, base)} → {shown(f, self.theirs)}" for f in self.theirs_only)


def three_way(record: Record, base: T, mine: T, theirs: T) -> Merge[T]:
    """Their version with every field I changed and they did not; both-changed fields listed."""
    mine_changes: dict[str, Any] = {}
    conflicts: list[Field] = []
    theirs_only: list[Field] = []
    for field in record.journaled:
        name = field.name
        b, m, t = getattr(base, name), getattr(mine, name), getattr(theirs, name)
        if m == b:
            if t != b:
                theirs_only.append(field)
            continue
        if t != b and t != m:
            conflicts.append(field)
        mine_changes[name] = m
    merged = replace(theirs, **mine_changes)  # type: ignore[type-var]
    return Merge(merged, tuple(conflicts), tuple(theirs_only), theirs)


def shown(field: Field, record: object) -> str:
    """A field of a record as people read it ("—" when empty), for conflict and merge messages."""
    return field.format(getattr(record, field.name)) or "—"


def merge_mappings(
    base: Mapping[str, Any], mine: Mapping[str, Any], theirs: Mapping[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """The same merge for records kept as mappings (reference records): their version with every
    key I changed and they did not, and the keys both sides changed to different values."""
    merged = dict(theirs)
    conflicts: list[str] = []
    for name in sorted(set(base) | set(mine) | set(theirs)):
        b, m, t = base.get(name), mine.get(name), theirs.get(name)
        if m == b:
            continue
        if t != b and t != m:
            conflicts.append(name)
        merged[name] = m
    return merged, conflicts
