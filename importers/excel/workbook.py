"""Turning a workbook into rows per kind of record: the exchange workbook's own sheets and
its hidden sheet of export data (versions and values as exported)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from importers.excel import cells
from importers.excel.fields import (
    FIELDS_BY_KIND,
    KIND_INDICATOR,
    META_SHEET,
    SHEET_KINDS,
    header_key,
)
from importers.excel.headers import HeaderMap, alias_table, locate_header
from importers.excel.model import Location, Problem
from importers.excel.reader import Workbook

#: Sheets of the exchange workbook that are for reading only.
READ_ONLY_SHEETS = frozenset(
    header_key(s) for s in ("Lisez-moi", "Objectifs", "Journal des ressources", "Listes")
)


@dataclass
class SheetRows:
    """The data rows of one sheet and which column holds which field.

    `rows` are (Excel row number, cell values); `columns` maps field → column index;
    `headers` column index → header as written (for messages).
    """

    kind: str
    sheet: str
    columns: dict[str, int]
    headers: dict[int, str]
    rows: list[tuple[int, list[Any]]]

    def location(self, file_name: str, row: int | None, column: int | None = None) -> Location:
        if column is None:
            return Location(file_name, self.sheet, row)
        from importers.excel.headers import column_letter

        return Location(file_name, self.sheet, row, self.headers.get(column), column_letter(column))

    def location_of(self, file_name: str, row: int | None, name: str) -> Location:
        return self.location(file_name, row, self.columns.get(name))


@dataclass
class BaseRow:
    """A row of the hidden sheet: the record's version and its cells as exported."""

    version: int | None
    values: dict[str, Any]


@dataclass
class Meta:
    """The hidden sheet of an exchange workbook."""

    info: dict[str, Any] = field(default_factory=dict)
    base: dict[str, dict[str, BaseRow]] = field(default_factory=dict)

    @property
    def department(self) -> str | None:
        return cells.text(self.info.get("departement"))

    @property
    def format(self) -> int:
        try:
            return cells.integer(self.info.get("format")) or 0
        except cells.CellError:
            return 0


def read_meta(rows: list[list[Any]]) -> Meta:
    meta = Meta()
    names: dict[str, list[str]] = {}
    for row in rows:
        if not row or cells.is_blank(row[0]):
            continue
        head = str(row[0])
        if head == "#champs" and len(row) > 2:
            kind = str(row[1])
            names[kind] = [str(v) for v in row[2:] if not cells.is_blank(v)]
            meta.base.setdefault(kind, {})
        elif head in names:
            fields_ = names[head]
            key = cells.text(row[1]) if len(row) > 1 else None
            if key is None:
                continue
            try:
                version = cells.integer(row[2]) if len(row) > 2 else None
            except cells.CellError:
                version = None
            values = {name: (row[3 + i] if 3 + i < len(row) else "") for i, name in enumerate(fields_[2:])}
            meta.base[head][key] = BaseRow(version, values)
        elif len(row) > 1 and not names:
            meta.info[head] = row[1]
    return meta


def sheet_rows(kind: str, sheet: str, rows: list[list[Any]], header: HeaderMap) -> SheetRows:
    data = []
    columns = list(header.columns)
    for index in range(header.row + 1, len(rows)):
        values = rows[index]
        if all(cells.is_blank(values[c]) for c in columns if c < len(values)):
            continue
        data.append((index + 1, values))
    return SheetRows(
        kind=kind,
        sheet=sheet,
        columns={name: column for column, name in header.columns.items()},
        headers=header.headers,
        rows=data,
    )


@dataclass
class NativeContent:
    sheets: list[SheetRows] = field(default_factory=list)
    meta: Meta | None = None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def read_native(book: Workbook, file_name: str) -> NativeContent:
    """The exchange workbook's sheets (found by name, or by their headers) and hidden sheet."""
    content = NativeContent()
    if META_SHEET in book.sheet_names:
        content.meta = read_meta(book.read(META_SHEET))
    found = False
    for name in book.sheet_names:
        if name == META_SHEET:
            continue
        key = header_key(name)
        kind = SHEET_KINDS.get(key)
        if kind is None:
            if key not in READ_ONLY_SHEETS:
                content.warnings.append(f"feuille « {name} » ignorée (nom inconnu).")
            continue
        found = True
        _add_sheet(content, book, kind, name, file_name)
    if not found:
        _detect_sheets(content, book, file_name)
    return content


def _add_sheet(content: NativeContent, book: Workbook, kind: str, name: str, file_name: str) -> None:
    rows = book.read(name)
    header = locate_header(rows, alias_table(FIELDS_BY_KIND[kind]), breakdown=kind == KIND_INDICATOR)
    if header is None or "code" not in header.columns.values():
        expected = ", ".join(f.header for f in FIELDS_BY_KIND[kind][:4])
        content.problems.append(
            Problem(
                Location(file_name, name),
                f"ligne d'en-têtes introuvable (colonnes attendues : {expected}…) dans les "
                f"{30} premières lignes",
            )
        )
        return
    if header.ignored:
        content.warnings.append(f"feuille « {name} » : colonne(s) ignorée(s) : {', '.join(header.ignored)}.")
    if header.duplicates:
        content.warnings.append(
            f"feuille « {name} » : colonne(s) en double ignorée(s) : {', '.join(header.duplicates)}."
        )
    content.sheets.append(sheet_rows(kind, name, rows, header))


def _detect_sheets(content: NativeContent, book: Workbook, file_name: str) -> None:
    """A workbook whose sheets were renamed: recognise each visible sheet by its headers."""
    content.warnings = [w for w in content.warnings if "nom inconnu" not in w]
    for name in book.sheet_names:
        if name in book.hidden or name == META_SHEET:
            continue
        rows = book.read(name)
        best: tuple[int, str, HeaderMap] | None = None
        for kind, specs in FIELDS_BY_KIND.items():
            header = locate_header(rows, alias_table(specs), min_matches=3)
            if header is not None and "code" in header.columns.values():
                score = len(header.columns)
                if best is None or score > best[0]:
                    best = (score, kind, header)
        if best is None:
            content.warnings.append(f"feuille « {name} » ignorée (en-têtes non reconnus).")
            continue
        _, kind, header = best
        if kind == KIND_INDICATOR:
            header = locate_header(rows, alias_table(FIELDS_BY_KIND[kind]), breakdown=True) or header
        content.sheets.append(sheet_rows(kind, name, rows, header))
    if not content.sheets:
        content.problems.append(
            Problem(
                Location(file_name),
                "aucune feuille reconnue : le classeur doit contenir une feuille « Actions », "
                "« Indicateurs » ou « Ressources » (ou utilisez --mapping pour un autre modèle)",
            )
        )
