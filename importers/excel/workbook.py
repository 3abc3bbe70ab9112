"""Turning a workbook into rows per kind of record: the exchange workbook's own sheets and
its hidden sheet of export data (versions and values as exported)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from importers.excel import cells
from importers.excel.fields import (
    FIELDS_BY_KIND,
    FINGERPRINT_HEADER,
    KIND_ACTION,
    KIND_INDICATOR,
    KIND_RESOURCE,
    META_SHEET,
    SHEET_ACTIONS,
    SHEET_INDICATORS,
    SHEET_KINDS,
    SHEET_RESOURCES,
    header_key,
)
from importers.excel.headers import MAX_TITLE_ROWS, HeaderMap, alias_table, locate_header
from importers.excel.model import Location, Problem
from importers.excel.reader import Formulas, Workbook
from store.fingerprint import Fingerprint, canonical_texts, parse, row_hash, texts_hash
from store.vocab import fold
from store.workbook_layout import CTS_ACTIONS_BY_OBJECTIVE, CTS_SYNTHESIS

KIND_SHEETS = {KIND_ACTION: SHEET_ACTIONS, KIND_INDICATOR: SHEET_INDICATORS, KIND_RESOURCE: SHEET_RESOURCES}
#: How many cells a message lists before "… and N more".
LISTED = 50

#: Sheets of the exchange workbook that are for reading only.
READ_ONLY_SHEETS = frozenset(
    header_key(s) for s in ("Lisez-moi", "Objectifs", "Journal des ressources", "Listes")
)


#: A row whose fingerprint was not read yet.
_UNREAD: Any = object()


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
    #: The hidden column of fingerprints (exchange workbooks of format 2), if any.
    fingerprint_column: int | None = None
    #: Rows a cell of which is refused before planning (a formula without value): they are there
    #: (not deleted since the export) but not planned.
    refused_rows: set[int] = field(default_factory=set)
    #: Fingerprints already read, by row (the preview asks for a row's more than once).
    _prints: dict[int, Fingerprint | None] = field(default_factory=dict, repr=False)
    #: Columns of the field lists `row_hash` was asked for, the last of them, and their picker.
    _hashed: dict[
        tuple[str, ...], tuple[list[int], int, Callable[[list[Any]], tuple[Any, ...]] | None, bool]
    ] = field(default_factory=dict, repr=False)
    #: The canonical texts of the cells before the fingerprint column, by row (`RowScan`).
    _texts: dict[int, list[str]] = field(default_factory=dict, repr=False)
    #: Rows' hashes of the fields a fingerprint covers, worked out while they arrived (`RowScan`),
    #: and those fields with their columns.
    _hashes: dict[int, str] = field(default_factory=dict, repr=False)
    _hashes_of: tuple[tuple[str, ...], tuple[int, ...]] | None = field(default=None, repr=False)

    def fingerprint(self, values: list[Any]) -> Fingerprint | None:
        """The row's fingerprint as exported (None: none, or not one any more)."""
        found = self._prints.get(id(values), _UNREAD)  # the row's list lives as long as the sheet
        if found is _UNREAD:
            column = self.fingerprint_column
            if column is None or column >= len(values):
                return None
            found = self._prints[id(values)] = parse(values[column])
        return found

    def row_hash(self, values: list[Any], names: list[str]) -> str:
        """The hash of a row's cells of fields `names` (all in the sheet), as a fingerprint has it."""
        key = tuple(names)
        found = self._hashed.get(key)
        if found is None:
            columns = [self.columns[n] for n in names]
            # Two columns or more: one C call picks them (a tuple); else the list below.
            pick: Callable[[list[Any]], tuple[Any, ...]] | None = None
            if len(columns) > 1:
                pick = itemgetter(*columns)
            scanned = self._hashes_of == (key, tuple(columns))  # the scan hashed these cells
            found = self._hashed[key] = (columns, max(columns, default=-1), pick, scanned)
        columns, last, pick, scanned = found
        if scanned:
            known = self._hashes.get(id(values))
            if known is not None:
                return known
        texts = self._texts.get(id(values))
        if texts is not None and last < len(texts):  # the texts worked out while the rows arrived
            return texts_hash(pick(texts) if pick is not None else [texts[c] for c in columns])
        width = len(values)
        if last < width:
            return row_hash(pick(values) if pick is not None else [values[c] for c in columns])
        return row_hash([values[c] if c < width else "" for c in columns])

    def set_cell(self, values: list[Any], column: int, value: Any) -> None:
        """Change a row's cell (its texts worked out before are forgotten)."""
        values[column] = value
        self._texts.pop(id(values), None)
        self._hashes.pop(id(values), None)

    def cell(self, values: list[Any], name: str) -> Any:
        """The raw cell of field `name` in a row ("" when the sheet has no such column)."""
        column = self.columns.get(name)
        return values[column] if column is not None and column < len(values) else ""

    def location(self, file_name: str, row: int | None, column: int | None = None) -> Location:
        if column is None:
            return Location(file_name, self.sheet, row)
        from importers.excel.headers import column_letter

        return Location(file_name, self.sheet, row, self.headers.get(column), column_letter(column))

    def location_of(self, file_name: str, row: int | None, name: str) -> Location:
        return self.location(file_name, row, self.columns.get(name))


@dataclass
class _Scanned:
    """What `RowScan` found in one sheet so far."""

    #: Rows received; the header row (-1 until found) and its fingerprint column (None: none).
    rows: int = 0
    header: int = -1
    column: int | None = None
    prints: dict[int, Fingerprint | None] = field(default_factory=dict)
    texts: dict[int, list[str]] = field(default_factory=dict)
    #: With the hidden sheet read before: the fields the sheet's fingerprints cover, their
    #: columns (by the sheet's header) and the header's columns, and each row's hash of them.
    names: tuple[str, ...] = ()
    picked: tuple[int, ...] = ()
    header_columns: dict[int, str] | None = None
    hashes: dict[int, str] = field(default_factory=dict)


class RowScan:
    """Each row's fingerprint and the hash of the cells it covers (or, before the hidden sheet
    says which those are, the canonical texts of its cells), worked out as the reading child's
    batches of rows arrive (between two batches the parent would only wait for it): what tells a
    row as exported (`SheetRows.row_hash`) is then ready when the last row arrives. The child
    sends the hidden sheet first (`Reading`'s `first`). Rows are known by their list's identity
    (`id`): the workbook holds them all meanwhile."""

    def __init__(self) -> None:
        self.sheets: dict[str, _Scanned] = {}
        self.meta_rows: list[list[Any]] = []
        self._prints: dict[str, list[str]] | None = None  # read from `meta_rows` when first needed

    def add(self, name: str, rows: list[list[Any]]) -> None:
        """A batch of a sheet's rows, as it arrives (`Reading.on_rows`)."""
        if name == META_SHEET:
            self.meta_rows.extend(rows)
            self._prints = None
            return
        scanned = self.sheets.setdefault(name, _Scanned())
        start, scanned.rows = scanned.rows, scanned.rows + len(rows)
        if scanned.header < 0:
            key = header_key(FINGERPRINT_HEADER)
            for index, values in enumerate(rows[: max(0, MAX_TITLE_ROWS - start)], start):
                column = next(
                    (c for c, v in enumerate(values) if v.__class__ is str and header_key(v) == key), None
                )
                if column is not None:
                    scanned.header, scanned.column = index, column
                    if start == 0:
                        self._covered(name, scanned, rows)
                    rows = rows[index + 1 - start :]
                    break
            else:
                return
        column = scanned.column
        if column is None:
            return
        prints, texts, hashes, picked = scanned.prints, scanned.texts, scanned.hashes, scanned.picked
        if picked:
            pick = itemgetter(*picked) if len(picked) > 1 else None
            last = max(picked)
            for values in rows:
                found = prints[id(values)] = parse(values[column]) if column < len(values) else None
                if found is not None and last < len(values):
                    hashes[id(values)] = row_hash(pick(values) if pick is not None else [values[last]])
            return
        for values in rows:
            found = prints[id(values)] = parse(values[column]) if column < len(values) else None
            if found is not None:
                texts[id(values)] = canonical_texts(values[:column])

    def _covered(self, name: str, scanned: _Scanned, rows: list[list[Any]]) -> None:
        """The fields the sheet's fingerprints cover (the hidden sheet's) and their columns, found
        by the sheet's header as `read_native` will find it (it checks it is the same)."""
        kind = SHEET_KINDS.get(header_key(name))
        if self._prints is None:
            self._prints = read_meta(self.meta_rows).prints if self.meta_rows else {}
        covered = self._prints.get(kind) if kind else None
        if kind is None or not covered:
            return
        header = locate_header(rows, alias_table(FIELDS_BY_KIND[kind]), breakdown=kind == KIND_INDICATOR)
        if header is None or header.row != scanned.header:
            return
        columns = {field_name: column for column, field_name in header.columns.items()}
        if all(n in columns for n in covered):
            scanned.names = tuple(covered)
            scanned.picked = tuple(columns[n] for n in covered)
            scanned.header_columns = dict(header.columns)


@dataclass
class BaseRow:
    """A row of the hidden sheet: the record's version and its cells as exported."""

    version: int | None
    values: dict[str, Any]


@dataclass
class Meta:
    """The hidden sheet of an exchange workbook."""

    info: dict[str, Any] = field(default_factory=dict)
    #: Format 1: per kind, each exported row's version and cells (a copy of the sheet).
    base: dict[str, dict[str, BaseRow]] = field(default_factory=dict)
    #: Format 2: per kind, the fields each row's fingerprint covers, in order.
    prints: dict[str, list[str]] = field(default_factory=dict)

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
        if head == "#empreinte" and len(row) > 2:
            meta.prints[str(row[1])] = [str(v) for v in row[2:] if not cells.is_blank(v)]
        elif head == "#champs" and len(row) > 2:
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
        elif len(row) > 1 and not names and not meta.prints:
            meta.info[head] = row[1]
    return meta


def sheet_rows(
    kind: str, sheet: str, rows: list[list[Any]], header: HeaderMap, scan: RowScan | None = None
) -> SheetRows:
    data = []
    columns = list(header.columns)
    first = columns[0] if columns else None
    for index in range(header.row + 1, len(rows)):
        values = rows[index]
        if (
            first is not None
            and first < len(values)
            and (cell := values[first]).__class__ is str
            and cell.strip()
        ):
            data.append((index + 1, values))  # the usual row: its first column filled with a text
        elif not all(cells.is_blank(values[c]) for c in columns if c < len(values)):
            data.append((index + 1, values))
    key = header_key(FINGERPRINT_HEADER)
    found = SheetRows(
        kind=kind,
        sheet=sheet,
        columns={name: column for column, name in header.columns.items()},
        headers=header.headers,
        rows=data,
        fingerprint_column=next(
            (c for c, v in enumerate(header.cells) if isinstance(v, str) and header_key(v) == key), None
        ),
    )
    scanned = scan.sheets.get(sheet) if scan is not None else None
    if scanned is not None and (scanned.header, scanned.column) == (header.row, found.fingerprint_column):
        found._prints, found._texts = scanned.prints, scanned.texts
        if scanned.header_columns == header.columns:  # the same columns: the same fields hashed
            found._hashes, found._hashes_of = scanned.hashes, (scanned.names, scanned.picked)
    return found


@dataclass
class NativeContent:
    sheets: list[SheetRows] = field(default_factory=list)
    meta: Meta | None = None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def read_native(
    book: Workbook, file_name: str, *, ignore_columns: bool = False, scan: RowScan | None = None
) -> NativeContent:
    """The exchange workbook's sheets (found by name, or by their headers) and hidden sheet
    (`scan`: its rows' fingerprints, worked out while they arrived)."""
    content = NativeContent()
    if _is_cts_report(book.sheet_names):
        content.problems.append(
            Problem(
                Location(file_name),
                "ce classeur est le rapport CTS de Suivi STS (feuilles « Synthèse », « Actions par "
                "objectif »…) : un document à lire, qui ne s'importe pas. Pour rapporter des "
                "changements, exportez le classeur d'échange ARS (Ctrl+E, ou « suivi-sts export ars »), "
                "modifiez-le, puis importez-le",
            )
        )
        return content
    if META_SHEET in book.sheet_names:
        content.meta = read_meta(book.read(META_SHEET))
    by_kind: dict[str, list[str]] = {}
    renamed: list[str] = []
    for name in book.sheet_names:
        if name == META_SHEET:
            continue
        key = header_key(name)
        kind = SHEET_KINDS.get(key)
        if kind is None:
            if key not in READ_ONLY_SHEETS:
                renamed.append(name)
            continue
        by_kind.setdefault(kind, []).append(name)
    taken: dict[str, str] = {}
    for kind, names in by_kind.items():
        own = next((n for n in names if fold(n) == fold(KIND_SHEETS[kind])), names[0])
        for copy in (n for n in names if n != own):
            content.problems.append(
                Problem(
                    Location(file_name, copy),
                    f"cette feuille est une copie de la feuille « {own} » (Excel nomme ainsi une feuille "
                    "dupliquée) : une seule feuille par sorte de données est lue ; supprimez la copie, "
                    "ou recopiez ses lignes dans la feuille d'origine",
                )
            )
        taken[kind] = own
        _add_sheet(content, book, kind, own, file_name, ignore_columns, scan)
    _detect_sheets(
        content, book, renamed if by_kind else book.sheet_names, taken, file_name, ignore_columns, scan
    )
    return content


def _is_cts_report(names: list[str]) -> bool:
    """The CTS report's own sheets, and none of the exchange workbook's."""
    folded = {fold(n) for n in names}
    own = {fold(CTS_SYNTHESIS), fold(CTS_ACTIONS_BY_OBJECTIVE)}
    return own <= folded and fold(SHEET_ACTIONS) not in folded and META_SHEET not in names


def unknown_columns(
    content: NativeContent, sheet: str, header: HeaderMap, kind: str, file_name: str, ignore: bool
) -> None:
    """Columns whose header names no known field: an error proposing the nearest header,
    or a warning when the user asked to ignore them (``--ignore-columns``)."""
    if not header.ignored:
        return
    if ignore:
        content.warnings.append(
            f"feuille « {sheet} » : colonne(s) ignorée(s) à votre demande : {', '.join(header.ignored)}."
        )
        return
    from importers.excel.headers import column_letter

    columns = {header_key(v): c for c, v in enumerate(header.cells) if not cells.is_blank(v)}
    for written in header.ignored:
        column = columns.get(header_key(written))
        nearest = nearest_header(written, kind)
        hint = f"vouliez-vous dire « {nearest} » ? " if nearest else ""
        content.problems.append(
            Problem(
                Location(
                    file_name,
                    sheet,
                    header.row + 1,
                    written,
                    column_letter(column) if column is not None else None,
                ),
                f"en-tête inconnu : {hint}Renommez la colonne avec un en-tête attendu, ou relancez "
                "l'import en ignorant les colonnes inconnues (--ignore-columns, ou la case "
                "« Ignorer les colonnes inconnues » de l'écran d'import)",
            )
        )


def duplicate_columns(
    content: NativeContent, sheet: str, header: HeaderMap, kind: str, file_name: str, ignore: bool
) -> None:
    """A second column for a field already read (two « Statut »): only the first would be read,
    so what was typed in the second would be lost; an error naming both columns, or a warning
    when the user asked to ignore such columns (``--ignore-columns``)."""
    if not header.duplicates:
        return
    if ignore:
        content.warnings.append(
            f"feuille « {sheet} » : colonne(s) en double ignorée(s) à votre demande : "
            f"{', '.join(header.duplicates)}."
        )
        return
    from importers.excel.headers import column_letter

    aliases = alias_table(FIELDS_BY_KIND[kind])
    for column, value in enumerate(header.cells):
        written = cells.text(value)
        field_name = aliases.get(header_key(written)) if written else None
        if written is None or field_name is None or column in header.columns:
            continue
        first = header.column_of(field_name)
        if first is None:
            continue
        content.problems.append(
            Problem(
                Location(file_name, sheet, header.row + 1, written, column_letter(column)),
                f"colonne en double : la colonne « {header.headers[first]} » ({column_letter(first)}) "
                "porte déjà ce champ, et seule la première serait lue ; gardez-en une seule, ou "
                "relancez l'import en ignorant la seconde (--ignore-columns, ou la case « Ignorer les "
                "colonnes inconnues » de l'écran d'import)",
            )
        )


def nearest_header(written: str, kind: str) -> str | None:
    """The known header closest to `written` ("Date échéance" → "Échéance"), if any is close."""
    from difflib import get_close_matches

    headers: dict[str, str] = {}
    for spec_ in FIELDS_BY_KIND[kind]:
        for alias in (spec_.header, *spec_.aliases):
            headers.setdefault(header_key(alias), spec_.header)
    key = header_key(written)
    found = get_close_matches(key, list(headers), n=1, cutoff=0.6)
    if not found:
        found = [k for k in headers if len(k) > 3 and (k in key.split() or k in key)][:1]
    return headers[found[0]] if found else None


def _add_sheet(  # noqa: PLR0913
    content: NativeContent,
    book: Workbook,
    kind: str,
    name: str,
    file_name: str,
    ignore_columns: bool,
    scan: RowScan | None,
) -> None:
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
    unknown_columns(content, name, header, kind, file_name, ignore_columns)
    duplicate_columns(content, name, header, kind, file_name, ignore_columns)
    content.sheets.append(sheet_rows(kind, name, rows, header, scan))


def _detect_sheets(  # noqa: PLR0913
    content: NativeContent,
    book: Workbook,
    names: list[str],
    taken: dict[str, str],
    file_name: str,
    ignore_columns: bool,
    scan: RowScan | None,
) -> None:
    """Sheets of unknown names (renamed: "Actions 2025"): each visible one is recognised by its
    headers; one with the headers of a sheet already read is refused as a copy of it."""
    named = bool(taken)
    for name in names:
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
            if name:  # a CSV file's one sheet has no name: the problem below says it
                content.warnings.append(f"feuille « {name} » ignorée (en-têtes non reconnus).")
            continue
        _, kind, header = best
        if kind in taken:
            content.problems.append(
                Problem(
                    Location(file_name, name),
                    f"cette feuille a les en-têtes de la feuille « {taken[kind]} », déjà lue : une seule "
                    "feuille par sorte de données est lue ; supprimez-la, ou recopiez ses lignes dans la "
                    f"feuille « {taken[kind]} »",
                )
            )
            continue
        taken[kind] = name
        if kind == KIND_INDICATOR:
            header = locate_header(rows, alias_table(FIELDS_BY_KIND[kind]), breakdown=True) or header
        unknown_columns(content, name, header, kind, file_name, ignore_columns)
        duplicate_columns(content, name, header, kind, file_name, ignore_columns)
        content.sheets.append(sheet_rows(kind, name, rows, header, scan))
    if not content.sheets and not named:
        said = (
            "aucune feuille reconnue : le classeur doit contenir une feuille « Actions », "
            "« Indicateurs » ou « Ressources »"
            if names != [""]
            else "en-têtes non reconnus : le fichier doit reprendre les colonnes de la feuille « Actions », "
            "« Indicateurs » ou « Ressources » du classeur d'échange (Code, Intitulé…), en-têtes compris"
        )
        content.problems.append(
            Problem(Location(file_name), f"{said} (ou utilisez --mapping pour un autre modèle)")
        )


def check_formulas(sheet: SheetRows, formulas: Formulas, file_name: str) -> tuple[list[Problem], list[str]]:
    """Formulas in the cells an import reads: refused without a computed value (the cell reads
    empty), imported with their value otherwise, and then listed in a warning. A cell holding an
    Excel error (#N/A…) is refused too: it reads empty and would clear the field."""
    if not formulas:
        return [], []
    from importers.excel.headers import column_letter

    rows = {number for number, _values in sheet.rows}
    used = set(sheet.columns.values())
    problems: list[Problem] = []
    kept: list[str] = []
    for (row, column), has_value in sorted(formulas.items()):
        if row not in rows or column - 1 not in used:
            continue
        if isinstance(has_value, str):
            problems.append(
                Problem(
                    sheet.location(file_name, row, column - 1),
                    "la cellule contient une erreur d'Excel (une formule qui n'a pas abouti) : elle se "
                    "lirait vide et effacerait le champ ; corrigez la formule, ou remplacez-la par une "
                    "valeur",
                    has_value,
                )
            )
            continue
        if has_value:
            kept.append(f"{column_letter(column - 1)}{row}")
            continue
        problems.append(
            Problem(
                sheet.location(file_name, row, column - 1),
                "formule sans valeur calculée (le fichier a été produit par un programme qui n'a pas "
                "calculé ses formules) : ouvrez-le dans Excel ou LibreOffice, enregistrez-le, et "
                "recommencez, ou remplacez la formule par sa valeur",
            )
        )
    warnings = []
    if kept:
        listed = ", ".join(kept[:LISTED]) + (
            f" et {len(kept) - LISTED} autre(s)" if len(kept) > LISTED else ""
        )
        warnings.append(
            f"feuille « {sheet.sheet} » : {len(kept)} cellule(s) contiennent une formule, dont la valeur "
            f"calculée lors du dernier enregistrement est importée : {listed}."
        )
    return problems, warnings
