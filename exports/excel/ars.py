"""The exchange workbook sent to the ARS and partners, and imported back (`export ars`).

Written with xlsxwriter in constant-memory mode (rows are streamed to disk, memory does not
grow with the number of rows). Layout, per data sheet: headers on row 1 (frozen, auto-filter),
editable columns unlocked, the `Code` column and the reference sheets locked (sheet
protection without password), drop-down lists on the vocabularies, dates as real dates shown
dd/mm/yyyy, progress and euros as numbers with formats.

The hidden sheet `_suivi_sts` holds the department, the export date and the fields each data
sheet's fingerprints cover. Each row of a data sheet ends with a hidden, locked cell, its
**fingerprint** (store/fingerprint.py): the record's version, identity and a short hash of
each cell as written — not a second copy of every cell. The importer compares it with the
workbook and the store to tell changes made in the workbook from changes made in the store
since the export (docs/excel.md, "conflits"), and finds a record whose code was renumbered
meanwhile by its identity.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection
from xlsxwriter.utility import xl_col_to_name

from exports.excel.data import ExportData, iter_actions, iter_values
from exports.excel.safe import Formats, SafeSheet
from store.errors import StoreError
from store.fields import ACTION, INDICATOR, INDICATOR_VALUE, RESOURCE, Record
from store.fingerprint import fingerprint
from store.journal import resource_journal_lines
from store.vocab import (
    ACTION_STATUS_LABELS,
    AUDIENCES,
    RESOURCE_STATUS_LABELS,
    RESOURCE_TYPES,
    Periodicity,
    Weather,
)

#: Names shared with importers/excel/fields.py (a test checks they agree).
SHEET_README = "Lisez-moi"
SHEET_ACTIONS = "Actions"
SHEET_INDICATORS = "Indicateurs"
SHEET_RESOURCES = "Ressources"
SHEET_OBJECTIVES = "Objectifs"
SHEET_RESOURCE_JOURNAL = "Journal des ressources"
SHEET_LISTS = "Listes"
META_SHEET = "_suivi_sts"
#: 2: fingerprints in a hidden last column (1: a copy of every cell in the hidden sheet).
FORMAT = 2
#: Header of the hidden fingerprint column of the data sheets.
FINGERPRINT_HEADER = "Empreinte Suivi STS (ne pas modifier)"
#: What the import reads back (importers/excel/limits.py; a test checks they agree): an export
#: beyond it is refused, so that every exchange workbook written can be imported.
IMPORT_MAX_ROWS = 250_000
IMPORT_MAX_WORKBOOK_CELLS = 6_000_000


class ExchangeTooLarge(StoreError):
    """The exchange workbook would be larger than the import reads back (French message)."""


LAST_ROW = 1_048_575

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Column:
    header: str
    field: str | None  # None: shown for reading only, not in the hidden sheet
    style: str  # text | code | date | percent | money | number | integer | textcode | readonly
    width: int | None = None
    choices: str | None = None  # a column of the Listes sheet, for a drop-down
    strict: bool = True  # refuse values outside the list (else: information only)


#: Cell style of a registry field's column, by the way it is edited.
_STYLE_OF_WIDGET = {"date": "date", "amount": "money", "percent": "percent", "number": "number"}


def with_registry(
    rec: Record, columns: tuple[Column, ...], *, skip: tuple[str, ...] = ()
) -> tuple[Column, ...]:
    """`columns`, plus a column for each registry field they leave out (a field added to the
    registry is exported without touching this module), before the read-only columns."""
    listed = {c.field for c in columns}
    extra = tuple(
        Column(f.excel_header, f.name, _STYLE_OF_WIDGET.get(f.widget, "text"), 16)
        for f in rec
        if f.name not in listed and f.name not in skip
    )
    cut = next((i for i, c in enumerate(columns) if c.field is None), len(columns))
    return (*columns[:cut], *extra, *columns[cut:])


_ACTION_COLUMNS = (
    Column(ACTION["code"].excel_header, "code", "code", 10),
    Column(ACTION["title"].excel_header, "title", "text", 50),
    Column(ACTION["description"].excel_header, "description", "text", 50),
    Column(ACTION["objectives"].excel_header, "objectives", "text", 18, "objective", strict=False),
    Column(ACTION["lead"].excel_header, "lead", "text", 14, "organisation", strict=False),
    Column(ACTION["partners"].excel_header, "partners", "text", 20),
    Column(ACTION["territories"].excel_header, "territories", "text", 14),
    Column(ACTION["status"].excel_header, "status", "text", 12, "status"),
    Column(ACTION["weather"].excel_header, "weather", "text", 9, "weather"),
    Column(ACTION["progress"].excel_header, "progress", "percent", 11),
    Column(ACTION["start_date"].excel_header, "start_date", "date", 11),
    Column(ACTION["due_date"].excel_header, "due_date", "date", 11),
    Column(ACTION["budget_cents"].excel_header, "budget_cents", "money", 13),
    Column(ACTION["funding"].excel_header, "funding", "text", 14),
    Column("Commentaire", None, "text", 40),
    Column("En retard", None, "readonly", 9),
)
ACTION_COLUMNS = with_registry(ACTION, _ACTION_COLUMNS, skip=("source",))
_RESOURCE_COLUMNS = (
    Column(RESOURCE["code"].excel_header, "code", "code", 10),
    Column(RESOURCE["name"].excel_header, "name", "text", 40),
    Column(RESOURCE["kind"].excel_header, "kind", "text", 28, "resource_type"),
    Column(RESOURCE["audiences"].excel_header, "audiences", "text", 28, "audience", strict=False),
    Column(RESOURCE["carrier"].excel_header, "carrier", "text", 14, "organisation", strict=False),
    Column(RESOURCE["territories"].excel_header, "territories", "text", 14),
    Column(RESOURCE["capacity"].excel_header, "capacity", "integer", 9),
    Column(RESOURCE["status"].excel_header, "status", "text", 11, "resource_status"),
    Column(RESOURCE["address"].excel_header, "address", "text", 30),
    Column(RESOURCE["commune"].excel_header, "commune", "text", 18),
    Column(RESOURCE["insee_code"].excel_header, "insee_code", "textcode", 10),
    Column(RESOURCE["phone"].excel_header, "phone", "textcode", 14),
    Column(RESOURCE["email"].excel_header, "email", "text", 26),
    Column(RESOURCE["contact_name"].excel_header, "contact_name", "text", 20),
    Column(RESOURCE["finess"].excel_header, "finess", "textcode", 11),
    Column(RESOURCE["discipline_code"].excel_header, "discipline_code", "textcode", 10),
    Column(RESOURCE["verified_on"].excel_header, "verified_on", "date", 11),
    Column(RESOURCE["notes"].excel_header, "notes", "text", 40),
)
RESOURCE_COLUMNS = with_registry(RESOURCE, _RESOURCE_COLUMNS, skip=("source",))
INDICATOR_COLUMNS = (
    Column(INDICATOR["code"].excel_header, "code", "text", 12),
    Column(INDICATOR["label"].excel_header, "label", "text", 40),
    Column(INDICATOR["action"].excel_header, "action", "text", 10),
    Column(INDICATOR["objective"].excel_header, "objective", "text", 12, "objective"),
    Column(INDICATOR["unit"].excel_header, "unit", "text", 12),
    Column(INDICATOR["periodicity"].excel_header, "periodicity", "text", 13, "periodicity"),
    Column(INDICATOR["baseline"].excel_header, "baseline", "number", 10),
    Column(INDICATOR["target"].excel_header, "target", "number", 10),
    Column(INDICATOR_VALUE["period"].excel_header, "period", "textcode", 10),
    Column(INDICATOR_VALUE["value"].excel_header, "value", "number", 10),
)
INDICATOR_LEVEL = ("label", "action", "objective", "unit", "periodicity", "baseline", "target")

#: The drop-down lists: key → (header in Listes, values).
LIST_KEYS = (
    "status",
    "weather",
    "resource_type",
    "audience",
    "resource_status",
    "periodicity",
    "territory",
    "organisation",
    "objective",
)


def breakdown_header(category: str) -> str:
    return f"Ventilation : {category}"


def record_cells(rec: Record, record: Any) -> dict[str, Any]:
    """A record's cells by field name, through the field registry (labels, euros, dates)."""
    return {f.name: f.cell_value(getattr(record, f.name)) for f in rec if hasattr(record, f.name)}


def action_cells(a: Any, today: date) -> dict[str, Any]:
    """An action's cells by field (and read-only headers), as written in both sheets."""
    return {**record_cells(ACTION, a), "En retard": "Oui" if a.is_late(today) else None}


def resource_cells(r: Any) -> dict[str, Any]:
    return record_cells(RESOURCE, r)


def indicator_cells(i: Any) -> dict[str, Any]:
    return record_cells(INDICATOR, i)


class _Styles:
    def __init__(self, formats: Formats) -> None:
        self.f = formats
        self.header = formats.get(
            bold=True,
            font_color="#FFFFFF",
            bg_color="#1F4E78",
            text_wrap=True,
            valign="top",
            border=1,
            locked=True,
        )
        self.title = formats.get(bold=True, font_size=14, font_color="#1F4E78")
        self.bold = formats.get(bold=True)
        self.wrap = formats.get(text_wrap=True, valign="top")
        self.hidden_date = formats.get(num_format="yyyy-mm-dd")
        base = {"valign": "top"}
        self.cell = {
            "text": formats.get(locked=False, **base),
            "code": formats.get(locked=True, bg_color="#E7E6E6", bold=True, **base),
            "date": formats.get(locked=False, num_format="dd/mm/yyyy", **base),
            "percent": formats.get(locked=False, num_format='0" %"', **base),
            "money": formats.get(locked=False, num_format='#,##0.00" €"', **base),
            "number": formats.get(locked=False, num_format="General", **base),
            "integer": formats.get(locked=False, num_format="0", **base),
            "textcode": formats.get(locked=False, num_format="@", **base),
            "readonly": formats.get(locked=True, font_color="#595959", bg_color="#F2F2F2", **base),
        }
        # In the indicators sheet, existing codes are locked but new rows may be typed.
        self.locked_code = formats.get(locked=True, bg_color="#E7E6E6", **base)


class ExchangeWriter:
    """Writes the exchange workbook (see the module docstring)."""

    def __init__(
        self,
        workbook: Any,
        data: ExportData,
        author: str,
        schema: str,
        progress: Progress | None,
        conn: Connection,
    ) -> None:
        """`data` comes from `load_outline`: actions and values are streamed through `conn`."""
        self.book = workbook
        self.data = data
        self.conn = conn
        self.author = author
        self.schema = schema
        self.progress = progress
        self.formats = Formats(workbook)
        self.styles = _Styles(self.formats)
        self.today = data.exported_at.date()
        self.categories = data.categories
        self.total = len(data.action_codes) + len(data.resources) + self._indicator_rows()
        self.done = 0
        self.list_ranges: dict[str, str] = {}
        self.truncated = 0

    def _indicator_rows(self) -> int:
        return sum(max(1, self.data.periods.get(i.code, 0)) for i in self.data.indicators)

    def _tick(self) -> None:
        self.done += 1
        if self.progress is not None and (self.done % 1000 == 0 or self.done == self.total):
            self.progress(self.done, self.total)

    def check_size(self) -> None:
        """Refuse (ExchangeTooLarge) a workbook the import could not read back."""
        sheets = {
            SHEET_ACTIONS: (len(self.data.action_codes), len(ACTION_COLUMNS) + 1),
            SHEET_INDICATORS: (self._indicator_rows(), len(INDICATOR_COLUMNS) + len(self.categories) + 1),
            SHEET_RESOURCES: (len(self.data.resources), len(RESOURCE_COLUMNS) + 1),
        }
        cells = sum((rows + 1) * columns for rows, columns in sheets.values())
        over = [
            f"« {name} » : {rows:,} lignes".replace(",", " ")
            for name, (rows, _c) in sheets.items()
            if rows >= IMPORT_MAX_ROWS
        ]
        if over or cells > IMPORT_MAX_WORKBOOK_CELLS:
            detail = ", ".join(over) or f"{cells:,} cellules".replace(",", " ")
            raise ExchangeTooLarge(
                f"Classeur d'échange non écrit : il serait trop grand pour être réimporté ({detail} ; "
                f"l'import lit au plus {IMPORT_MAX_ROWS:,} lignes par feuille et ".replace(",", " ")
                + f"{IMPORT_MAX_WORKBOOK_CELLS:,} cellules en tout). ".replace(",", " ")
                + "Exportez une partie des actions (la liste filtrée de l'écran Actions, Ctrl+E) : "
                "le classeur ne porte alors que leurs indicateurs."
            )

    def write(self) -> None:
        self.check_size()
        readme = self.book.add_worksheet(SHEET_README)
        actions = self.book.add_worksheet(SHEET_ACTIONS)
        indicators = self.book.add_worksheet(SHEET_INDICATORS)
        resources = self.book.add_worksheet(SHEET_RESOURCES)
        objectives = self.book.add_worksheet(SHEET_OBJECTIVES)
        resource_journal = self.book.add_worksheet(SHEET_RESOURCE_JOURNAL)
        lists = self.book.add_worksheet(SHEET_LISTS)
        meta = self.book.add_worksheet(META_SHEET)
        meta.hide()
        readme.activate()
        self.meta = SafeSheet(self.formats, meta)
        self.meta_row = 0
        self._write_lists(lists)
        self._write_readme(readme)
        self._write_meta_info()
        self._write_records(
            actions,
            ACTION_COLUMNS,
            "action",
            (
                (action_cells(a, self.today), a.version, a.uid)
                for a in iter_actions(self.conn, self.data.department, self.data.action_codes)
            ),
        )
        self._write_indicators(indicators)
        self._write_records(
            resources,
            RESOURCE_COLUMNS,
            "resource",
            ((resource_cells(r), r.version, r.uid) for r in self.data.resources),
        )
        self._write_objectives(objectives)
        self._write_resource_journal(resource_journal)
        self.truncated += self.meta.truncated

    # --- hidden sheet -----------------------------------------------------------------------

    def _meta_write(self, values: list[Any]) -> None:
        for column, value in enumerate(values):
            fmt = self.styles.hidden_date if isinstance(value, date) else None
            self.meta.write(self.meta_row, column, value, fmt)
        self.meta_row += 1

    def _write_meta_info(self) -> None:
        self._meta_write(["Suivi STS — données de l'export, utilisées à l'import : ne pas modifier."])
        for key, value in (
            ("application", "Suivi STS"),
            ("format", FORMAT),
            ("schema", self.schema),
            ("departement", self.data.department),
            ("departement_nom", self.data.department_name),
            ("exporte_le", self.data.exported_at.isoformat(timespec="seconds")),
            ("auteur", self.author),
        ):
            self._meta_write([key, value])

    # --- data sheets --------------------------------------------------------------------------

    def _prepare(self, sheet: Any, columns: tuple[Column, ...]) -> SafeSheet:
        safe = SafeSheet(self.formats, sheet)
        for index, column in enumerate(columns):
            safe.write(0, index, column.header, self.styles.header)
            safe.widths[index] = max(column.width or 8, len(column.header) + 2)
            if column.choices:
                self._validate_list(sheet, index, column)
            if column.style == "percent":
                sheet.data_validation(
                    1,
                    index,
                    LAST_ROW,
                    index,
                    {
                        "validate": "decimal",
                        "criteria": "between",
                        "minimum": 0,
                        "maximum": 100,
                        "error_title": "Avancement",
                        "error_message": "Un pourcentage entre 0 et 100.",
                        "error_type": "warning",
                    },
                )
            elif column.style == "date":
                sheet.data_validation(
                    1,
                    index,
                    LAST_ROW,
                    index,
                    {
                        "validate": "date",
                        "criteria": "between",
                        "minimum": date(2000, 1, 1),
                        "maximum": date(2100, 12, 31),
                        "error_title": "Date",
                        "error_message": "Une date jj/mm/aaaa.",
                        "error_type": "warning",
                    },
                )
        sheet.set_row(0, 30)
        sheet.freeze_panes(1, 1)
        return safe

    def _validate_list(self, sheet: Any, index: int, column: Column) -> None:
        source = self.list_ranges.get(column.choices or "")
        if not source:
            return
        options: dict[str, Any] = {"validate": "list", "source": source}
        if not column.strict:
            options.update(
                error_type="information",
                error_title=column.header,
                error_message="Valeur hors liste : vérifiez-la (plusieurs codes : séparez-les par des "
                "virgules).",
            )
        else:
            options.update(error_title=column.header, error_message="Choisissez une valeur de la liste.")
        sheet.data_validation(1, index, LAST_ROW, index, options)

    def _finish(self, safe: SafeSheet, columns: tuple[Column, ...], rows: int, sheet: Any) -> None:
        styles = {i: self.styles.cell[c.style] for i, c in enumerate(columns)}
        for index, column in enumerate(columns):
            width = max(safe.widths.get(index, 0), len(column.header) + 2, 6)
            sheet.set_column(index, index, min(width + 1, 60), styles[index])
        sheet.autofilter(0, 0, max(rows, 1), len(columns) - 1)
        sheet.protect("", _PROTECTION)
        self.truncated += safe.truncated

    def _fingerprint_column(self, sheet: Any, columns: tuple[Column, ...]) -> None:
        """The hidden, locked last column where each row's fingerprint goes."""
        sheet.write_string(0, len(columns), FINGERPRINT_HEADER, self.styles.header)
        sheet.set_column(len(columns), len(columns), 30, self.styles.cell["readonly"], {"hidden": True})

    def _write_records(
        self,
        sheet: Any,
        columns: tuple[Column, ...],
        kind: str,
        rows: Iterable[tuple[dict[str, Any], int, str | None]],
    ) -> None:
        safe = self._prepare(sheet, columns)
        self._fingerprint_column(sheet, columns)
        fields = [c.field for c in columns if c.field]
        self._meta_write(["#empreinte", kind, *fields])
        formats = [self.styles.cell[c.style] for c in columns]
        written = 0
        for written, (cells, version, uid) in enumerate(rows, 1):
            values = [cells.get(c.field) if c.field else cells.get(c.header) for c in columns]
            safe.write_row(written, values, formats)
            print_ = fingerprint(version, uid, [cells.get(f) for f in fields])
            sheet.write_string(written, len(columns), print_.dump())
            self._tick()
        self._finish(safe, columns, written, sheet)

    def _write_indicators(self, sheet: Any) -> None:
        columns = INDICATOR_COLUMNS + tuple(
            Column(breakdown_header(c), f"cat:{c}", "number", 12) for c in self.categories
        )
        safe = self._prepare(sheet, columns)
        self._fingerprint_column(sheet, columns)
        level = list(INDICATOR_LEVEL)
        values_fields = ["period", "value", *(f"cat:{c}" for c in self.categories)]
        self._meta_write(["#empreinte", "indicator", *level, *values_fields])
        formats = [self.styles.cell[c.style] for c in columns]
        formats[0] = self.styles.locked_code
        row = 0
        for indicator, stored in iter_values(self.conn, self.data.indicators):
            cells = indicator_cells(indicator)
            periods = {
                period: {
                    f"cat:{category}" if category else "value": value for category, value in found.items()
                }
                for period, found in stored.items()
            } or {"": {}}
            for period in sorted(periods):
                row += 1
                numbers = periods[period]
                period_cells = {"period": period or None, **numbers}
                values = [
                    cells.get(c.field) if c.field in cells else period_cells.get(c.field or "")
                    for c in columns
                ]
                values[0] = indicator.code
                safe.write_row(row, values, formats)
                covered = [cells.get(f) for f in level] + [period_cells.get(f) for f in values_fields]
                sheet.write_string(row, len(columns), fingerprint(None, None, covered).dump())
                self._tick()
        self._finish(safe, columns, row, sheet)

    # --- reference sheets ----------------------------------------------------------------------

    def _list_values(self) -> dict[str, tuple[str, list[Any]]]:
        data = self.data
        return {
            "status": ("Statut", list(ACTION_STATUS_LABELS.values())),
            "weather": ("Météo", [w.label for w in Weather]),
            "resource_type": ("Type de ressource", list(RESOURCE_TYPES)),
            "audience": ("Public", list(AUDIENCES)),
            "resource_status": ("Statut de ressource", list(RESOURCE_STATUS_LABELS.values())),
            "periodicity": ("Périodicité", [p.label for p in Periodicity]),
            "territory": ("Territoire (code)", [c for c, _ in data.territories]),
            "organisation": ("Organisation (code)", [c for c, _ in data.organisations]),
            "objective": ("Objectif (code)", [o.code for o in data.objectives]),
        }

    def _write_lists(self, sheet: Any) -> None:
        safe = SafeSheet(self.formats, sheet)
        lists = self._list_values()
        names = {
            "territory": [n for _, n in self.data.territories],
            "organisation": [n for _, n in self.data.organisations],
            "objective": [o.title for o in self.data.objectives],
        }
        column = 0
        columns: list[list[Any]] = []
        for key in LIST_KEYS:
            header, values = lists[key]
            columns.append([header, *values])
            if values:
                letter = xl_col_to_name(column)
                self.list_ranges[key] = f"=Listes!${letter}$2:${letter}${len(values) + 1}"
            column += 1
            if key in names:
                columns.append([header.replace("(code)", "(nom)"), *names[key]])
                column += 1
        height = max(len(c) for c in columns)
        for row in range(height):
            for index, values in enumerate(columns):
                if row < len(values):
                    safe.write(row, index, values[row], self.styles.header if row == 0 else None)
        for index in range(len(columns)):
            sheet.set_column(index, index, min(max(safe.widths.get(index, 8) + 2, 10), 50))
        sheet.freeze_panes(1, 0)
        sheet.protect("", _PROTECTION)

    def _write_objectives(self, sheet: Any) -> None:
        safe = SafeSheet(self.formats, sheet)
        headers = [
            "Engagement",
            "Intitulé de l'engagement",
            "Défi",
            "Intitulé du défi",
            "Code",
            "N°",
            "Intitulé",
            "Actions",
        ]
        safe.write_row(0, headers, [self.styles.header] * len(headers))
        counts = self.data.objective_counts
        for row, o in enumerate(self.data.objectives, 1):
            safe.write_row(
                row,
                [
                    o.engagement_code,
                    o.engagement_title,
                    o.challenge_code,
                    o.challenge_title,
                    o.code,
                    o.number,
                    o.title,
                    counts.get(o.code, 0),
                ],
                [self.styles.wrap] * len(headers),
            )
        for index in range(len(headers)):
            sheet.set_column(index, index, min(max(safe.widths.get(index, 8) + 2, 8), 60))
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(len(self.data.objectives), 1), len(headers) - 1)
        sheet.protect("", _PROTECTION)

    def _write_resource_journal(self, sheet: Any) -> None:
        """Who changed which resource, when, from what to what (for reading; not imported)."""
        safe = SafeSheet(self.formats, sheet)
        headers = ["Quand", "Qui", "Ressource", "Nom", "Quoi", "Avant", "Après", "Source", "Commentaire"]
        safe.write_row(0, headers, [self.styles.header] * len(headers))
        lines = resource_journal_lines(self.conn, self.data.department)
        for row, line in enumerate(reversed(lines), 1):
            safe.write_row(
                row,
                [
                    f"{line.at.astimezone():%d/%m/%Y %H:%M}",
                    line.author,
                    line.code,
                    line.title,
                    line.what,
                    line.old_text,
                    line.new_text,
                    line.source,
                    line.comment,
                ],
                [self.styles.wrap] * len(headers),
            )
        for index, width in enumerate((16, 14, 12, 30, 16, 24, 24, 18, 40)):
            sheet.set_column(index, index, width)
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(len(lines), 1), len(headers) - 1)
        sheet.protect("", _PROTECTION)

    def _write_readme(self, sheet: Any) -> None:
        safe = SafeSheet(self.formats, sheet, max_width=110)
        s = self.styles
        d = self.data
        lines: list[tuple[str, Any]] = [
            (f"Suivi du schéma territorial de santé — {d.department} {d.department_name}", s.title),
            (
                f"Exporté le {d.exported_at:%d/%m/%Y à %H:%M} par {self.author} : "
                f"{len(d.action_codes)} actions, {len(d.indicators)} indicateurs, "
                f"{len(d.resources)} ressources aidants/répit.",
                None,
            ),
            ("", None),
            ("Ce que vous pouvez modifier", s.bold),
            (
                "• Feuilles « Actions », « Indicateurs » et « Ressources » : toutes les cellules blanches "
                "(intitulés, statuts, avancement, dates, budgets, commentaires…).",
                s.wrap,
            ),
            (
                "• La colonne « Code » (grisée) est protégée : c'est elle qui relie chaque ligne à la base. "
                "Ne la modifiez pas et ne copiez pas une ligne sur une autre.",
                s.wrap,
            ),
            (
                "• Pour créer une action ou une ressource, ajoutez une ligne en laissant le Code vide : "
                "un code lui sera attribué à l'import.",
                s.wrap,
            ),
            (
                "• Pour saisir une nouvelle valeur d'indicateur, ajoutez une ligne avec le code de "
                "l'indicateur "
                "et la période (2024, 2024-T1, 2024-S1 ou 2024-03).",
                s.wrap,
            ),
            (
                "• Pour passer une action en « Reportée » ou « Abandonnée », un commentaire est obligatoire "
                "(colonne Commentaire).",
                s.wrap,
            ),
            (
                "• Supprimer une ligne ne supprime rien dans la base. Les colonnes ajoutées sont ignorées.",
                s.wrap,
            ),
            (
                "• Les feuilles « Objectifs », « Journal des ressources » et « Listes » sont là pour "
                "référence (protégées, sans mot "
                "de passe : "
                "Révision › Ôter la protection si vous devez trier).",
                s.wrap,
            ),
            ("", None),
            ("Ce qui est accepté", s.bold),
            (
                "Dates en jj/mm/aaaa ; avancement en 50, 50 % ou 0,5 ; statuts sans accents ni majuscules, "
                "et « terminé », « fait » pour Réalisée ; nombres saisis comme du texte ; lignes vides.",
                s.wrap,
            ),
            ("", None),
            ("Vocabulaires", s.bold),
            ("Statut : " + ", ".join(ACTION_STATUS_LABELS.values()), s.wrap),
            ("Météo : " + ", ".join(w.label for w in Weather), s.wrap),
            ("Statut de ressource : " + ", ".join(RESOURCE_STATUS_LABELS.values()), s.wrap),
            ("Type de ressource : " + ", ".join(RESOURCE_TYPES), s.wrap),
            ("Public : " + ", ".join(AUDIENCES), s.wrap),
            ("Périodicité : " + ", ".join(p.label for p in Periodicity), s.wrap),
            ("Codes des territoires, organisations et objectifs : feuille « Listes ».", s.wrap),
            ("", None),
            ("Pour le renvoyer", s.bold),
            (
                "Enregistrez au format « Classeur Excel (.xlsx) » (LibreOffice : « Excel 2007-365 »), "
                "sans mot de passe, sans renommer les feuilles ni la feuille masquée, puis renvoyez le "
                "fichier à la délégation. Plusieurs personnes peuvent travailler chacune sur sa copie : "
                "les classeurs sont importés l'un après "
                "l'autre et seules les modifications en conflit sont signalées.",
                s.wrap,
            ),
            (f"À la délégation : suivi-sts import FICHIER.xlsx (ajoutez --dry-run pour un aperçu).", s.wrap),  # noqa: F541
        ]
        for row, (text, fmt) in enumerate(lines):
            safe.write(row, 0, text, fmt)
        sheet.set_column(0, 0, 110)
        sheet.hide_gridlines(2)
        sheet.protect("", _PROTECTION)


_PROTECTION = {
    "format_cells": True,
    "format_columns": True,
    "format_rows": True,
    "insert_rows": True,
    "insert_columns": True,
    "delete_rows": True,
    "sort": True,
    "autofilter": True,
    "select_locked_cells": True,
    "select_unlocked_cells": True,
}
