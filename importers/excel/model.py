"""What an import preview and an import result hold: plain dataclasses for the CLI and the TUI."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from importers.excel.cells import format_value
from importers.excel.fields import KIND_LABELS

NEW, CHANGED, UNCHANGED = "nouveau", "modifié", "inchangé"
#: How many warnings, conflicts or refusals are printed before "… and N more".
LISTED = 50
#: Conflict resolutions: take the workbook's value, or keep the store's.
TAKE_WORKBOOK: Literal["classeur"] = "classeur"
KEEP_STORE: Literal["base"] = "base"
Resolution = Literal["classeur", "base"]
#: (kind, key, field) of a conflict; `resolutions` passed to apply_import use it.
ConflictKey = tuple[str, str, str]


@dataclass(frozen=True)
class Location:
    """Where in the workbook: file, sheet, Excel row (1-based), column header and letter."""

    file: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    letter: str | None = None

    def describe(self) -> str:
        parts = [f"« {self.file} »"]
        if self.sheet:
            parts.append(f"feuille « {self.sheet} »")
        if self.row:
            parts.append(f"ligne {self.row}")
        if self.column:
            parts.append(f"colonne « {self.column} »" + (f" ({self.letter})" if self.letter else ""))
        return ", ".join(parts)


@dataclass(frozen=True)
class Problem:
    """Something that cannot be accepted; one per problem, nothing is written while any exists."""

    location: Location
    message: str
    value: str | None = None

    def __str__(self) -> str:
        shown = f" (valeur « {self.value} »)" if self.value is not None else ""
        return f"{self.location.describe()} : {self.message}{shown}"


@dataclass(frozen=True)
class Change:
    """One field that the import changes: store value → new value."""

    field: str
    label: str
    old: Any
    new: Any
    #: the kind of record ("action", "resource"…) whose field this is; "" for indicator values.
    kind: str = ""

    def __str__(self) -> str:
        old, new = (
            format_value(self.old, self.field, self.kind),
            format_value(self.new, self.field, self.kind),
        )
        return f"{self.label} : {old} → {new}"


@dataclass(frozen=True)
class Conflict:
    """A field changed both in the store and in the workbook since the export, differently."""

    kind: str
    key: str
    title: str
    field: str
    label: str
    exported: Any
    store: Any
    workbook: Any
    location: Location
    #: False when the exported value was not kept (a fingerprint tells only that it changed).
    exported_known: bool = True

    @property
    def id(self) -> ConflictKey:
        return (self.kind, self.key, self.field)

    def __str__(self) -> str:
        exported = (
            f"exporté « {format_value(self.exported, self.field, self.kind)} », modifié "
            if self.exported_known
            else "modifié depuis l'export "
        )
        return (
            f"{self.location.describe()} : {KIND_LABELS[self.kind]} {self.key}, {self.label} — "
            f"{exported}dans la base en "
            f"« {format_value(self.store, self.field, self.kind)} » et dans le classeur en "
            f"« {format_value(self.workbook, self.field, self.kind)} »"
        )


@dataclass
class RowPlan:
    """What the import does to one record (an action, a resource, an indicator, or the
    values of one indicator for one period)."""

    kind: str
    key: str
    title: str
    location: Location
    status: str
    changes: list[Change] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    comment: str | None = None
    #: The store's snapshot when previewed (None for a new record); its version for checks.
    before: Any = field(default=None, repr=False)
    version: int | None = field(default=None, repr=False)
    #: Field values to write (conflicting fields excluded; they go through resolutions).
    proposed: dict[str, Any] = field(default_factory=dict, repr=False)

    def describe(self) -> str:
        head = f"{KIND_LABELS[self.kind]} {self.key}" + (f" « {self.title} »" if self.title else "")
        return f"{head} ({self.location.describe()})"


@dataclass
class ImportPreview:
    """Everything an import would do, computed without writing anything."""

    path: Path
    department: str
    source: str
    rows: list[RowPlan] = field(default_factory=list)
    rejected: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    exported_at: str | None = None
    mapping: str | None = None

    @property
    def file_name(self) -> str:
        return self.path.name

    @property
    def new(self) -> list[RowPlan]:
        return [r for r in self.rows if r.status == NEW]

    @property
    def changed(self) -> list[RowPlan]:
        return [r for r in self.rows if r.status == CHANGED]

    @property
    def unchanged(self) -> list[RowPlan]:
        return [r for r in self.rows if r.status == UNCHANGED]

    @property
    def conflicts(self) -> list[Conflict]:
        return [c for r in self.rows for c in r.conflicts]

    @property
    def has_changes(self) -> bool:
        return any(
            r.status in (NEW, CHANGED) and (r.changes or r.comment or r.status == NEW) for r in self.rows
        )

    def unresolved(self, resolutions: dict[ConflictKey, Resolution] | None = None) -> list[Conflict]:
        return [c for c in self.conflicts if c.id not in (resolutions or {})]

    def summary(self) -> str:
        return (
            f"{len(self.new)} nouveau(x), {len(self.changed)} modifié(s), {len(self.unchanged)} inchangé(s), "
            f"{len(self.rejected)} problème(s), {len(self.conflicts)} conflit(s)"
        )

    def report_lines(self, *, unchanged_details: bool = False, listed: int = LISTED) -> list[str]:
        """The preview as French text lines (what the CLI prints); warnings, conflicts and
        refusals are summarised: the first `listed` of each, then how many more."""
        lines = [f"Aperçu de l'import de « {self.file_name} » ({self.source}) : {self.summary()}."]
        lines += summarised([f"Attention : {w}" for w in self.warnings], listed, "avertissement(s)")
        for plan in self.new:
            lines.append(f"+ Nouveau : {plan.describe()}")
            lines += [f"    {c}" for c in plan.changes]
        for plan in self.changed:
            lines.append(f"~ Modifié : {plan.describe()}")
            lines += [f"    {c}" for c in plan.changes]
            if plan.comment:
                lines.append(f"    Commentaire ajouté : {plan.comment}")
        if unchanged_details:
            lines += [f"= Inchangé : {plan.describe()}" for plan in self.unchanged]
        lines += summarised([f"! Conflit : {c}" for c in self.conflicts], listed, "conflit(s)")
        lines += summarised([f"✗ Refusé : {p}" for p in self.rejected], listed, "problème(s)")
        return lines


def summarised(lines: list[str], listed: int, what: str) -> list[str]:
    """The first `listed` lines, then one line counting the others."""
    if len(lines) <= listed:
        return lines
    return [*lines[:listed], f"… et {len(lines) - listed} autre(s) {what} non affiché(s)."]


@dataclass
class ImportResult:
    """What apply_import wrote."""

    file_name: str
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    values_changed: int = 0
    comments: int = 0
    backup: Path | None = None

    def summary(self) -> str:
        parts = [f"{n} {KIND_LABELS[k]}(s) créé(e)s" for k, n in self.created.items() if n]
        parts += [f"{n} {KIND_LABELS[k]}(s) modifié(e)s" for k, n in self.updated.items() if n]
        if self.values_changed:
            parts.append(f"{self.values_changed} valeur(s) d'indicateur")
        if self.comments:
            parts.append(f"{self.comments} commentaire(s)")
        return ", ".join(parts) if parts else "aucun changement"


class ImportRefused(Exception):
    """apply_import refuses: rejected rows, unresolved conflicts, or the store changed since."""

    def __init__(self, message: str, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.details = details or []
