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

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection
from xlsxwriter.utility import xl_col_to_name

from exports.excel.data import ExportData, iter_actions, iter_values
from exports.excel.safe import Formats, SafeSheet, row_height, wrapped_lines
from exports.excel.stream import StreamSheet
from store.errors import StoreError
from store.fields import ACTION, INDICATOR, INDICATOR_VALUE, RESOURCE, Record
from store.fingerprint import fingerprint, hashed
from store.formatting import format_number
from store.journal import resource_journal_lines
from store.vocab import (
    ACTION_STATUS_LABELS,
    AUDIENCES,
    RESOURCE_STATUS_LABELS,
    RESOURCE_TYPES,
    Periodicity,
    Weather,
    fold,
)
from store.workbook_layout import (
    FINGERPRINT_HEADER,
    FORMAT,
    META_ACTIONS,
    META_RESOURCES,
    META_SCOPE,
    META_SHEET,
    SCOPE_EVERY_ACTION,
    SCOPE_SOME_ACTIONS,
    SHEET_ACTIONS,
    SHEET_INDICATORS,
    SHEET_RESOURCES,
)

#: Names shared with importers/excel/fields.py (a test checks they agree).
SHEET_README = "Lisez-moi"
SHEET_OBJECTIVES = "Objectifs"
SHEET_RESOURCE_JOURNAL = "Journal des ressources"
SHEET_LISTS = "Listes"
#: What the import reads back (importers/excel/limits.py; a test checks they agree): an export
#: beyond it is refused, so that every exchange workbook written can be imported.
IMPORT_MAX_ROWS = 250_000
IMPORT_MAX_SHEET_CELLS = 4_000_000
IMPORT_MAX_WORKBOOK_CELLS = 6_000_000
#: The memory the import's reading process lets a workbook's cells take once read (in bytes).
IMPORT_MAX_CELL_BYTES = 160 * 1024 * 1024
#: Kept below it: the count is the import's to the byte on the app's own workbooks (a test checks
#: it), the margin is for a text the reader might give back otherwise than written.
READ_BYTES_MARGIN = 1024 * 1024


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
    #: The input message shown when a cell of the column is selected (French, ≤ 255 characters).
    prompt: str | None = None


#: Cell style of a registry field's column, by the way it is edited.
_STYLE_OF_WIDGET = {"date": "date", "amount": "money", "percent": "percent", "number": "number"}


def with_registry(
    rec: Record, columns: tuple[Column, ...], *, skip: tuple[str, ...] = ()
) -> tuple[Column, ...]:
    """`columns`, plus a column for each registry field they leave out (a field added to the
    registry is exported without touching this module), before the read-only columns."""
    listed = {c.field for c in columns}
    extra = tuple(
        Column(f.excel_header, f.name, _STYLE_OF_WIDGET.get(f.widget, "text"), 16, prompt=f"{f.form_label}.")
        for f in rec
        if f.name not in listed and f.name not in skip
    )
    cut = max((i + 1 for i, c in enumerate(columns) if c.field is not None), default=0)
    return (*columns[:cut], *extra, *columns[cut:])


#: The read-only columns beside Pilote and Porteur: the organisation's code as exported (the
#: cell itself holds its name, which the importer reads back; these are ignored at import).
LEAD_CODE = "Code du pilote"
CARRIER_CODE = "Code du porteur"
#: The same beside Partenaires and Territoires (several names, their codes in the same order).
PARTNER_CODES = "Codes des partenaires"
TERRITORY_CODES = "Codes des territoires"
_DATES = "Une date jj/mm/aaaa, un mois (« mai 2025 ») ou une année (« 2025 »)."
_PLACES = (
    "Noms (ou codes) des territoires, séparés par des virgules (feuille « Listes »). Leurs codes à "
    "l'export sont rappelés dans la colonne suivante, qui n'est pas lue à l'import."
)
_ACTION_COLUMNS = (
    Column(
        ACTION["code"].excel_header,
        "code",
        "code",
        10,
        prompt="Ne le modifiez pas : il relie la ligne à la base. Nouvelle action : laissez-le vide, "
        "un code sera attribué à l'import.",
    ),
    Column(
        ACTION["title"].excel_header,
        "title",
        "text",
        50,
        prompt="L'intitulé de l'action (obligatoire pour une nouvelle action).",
    ),
    Column(ACTION["description"].excel_header, "description", "text", 50, prompt="Ce que recouvre l'action."),
    Column(
        ACTION["objectives"].excel_header,
        "objectives",
        "text",
        18,
        "objective",
        strict=False,
        prompt="Code de l'objectif opérationnel (ex. E1-D3-O1) ; plusieurs : séparés par des virgules, "
        "le principal d'abord. Intitulés : feuille « Objectifs ».",
    ),
    Column(
        ACTION["lead"].excel_header,
        "lead",
        "text",
        30,
        "organisation",
        strict=False,
        prompt="Choisissez l'organisation pilote dans la liste (son nom). Son code à l'export est "
        "rappelé dans la colonne suivante, qui n'est pas lue à l'import.",
    ),
    Column(LEAD_CODE, None, "readonly", 12),
    Column(
        ACTION["partners"].excel_header,
        "partners",
        "text",
        20,
        prompt="Noms (ou codes) des organisations partenaires, séparés par des virgules (feuille "
        "« Listes »). Leurs codes à l'export sont rappelés dans la colonne suivante, qui n'est pas lue "
        "à l'import.",
    ),
    Column(PARTNER_CODES, None, "readonly", 12),
    Column(ACTION["territories"].excel_header, "territories", "text", 20, prompt=_PLACES),
    Column(TERRITORY_CODES, None, "readonly", 12),
    Column(
        ACTION["status"].excel_header,
        "status",
        "text",
        12,
        "status",
        prompt="Choisissez dans la liste. « Reportée » ou « Abandonnée » : un commentaire est obligatoire "
        "(colonne Commentaire).",
    ),
    Column(
        ACTION["weather"].excel_header,
        "weather",
        "text",
        9,
        "weather",
        prompt="Vert, Orange ou Rouge : le ressenti sur l'avancement.",
    ),
    Column(
        ACTION["progress"].excel_header,
        "progress",
        "percent",
        11,
        prompt="Un pourcentage de 0 à 100 (50, 50 % ou 0,5). Réalisée : 100.",
    ),
    Column(ACTION["start_date"].excel_header, "start_date", "date", 11, prompt=_DATES),
    Column(ACTION["due_date"].excel_header, "due_date", "date", 11, prompt=_DATES),
    Column(ACTION["budget_cents"].excel_header, "budget_cents", "money", 13, prompt="Un montant en euros."),
    Column(ACTION["funding"].excel_header, "funding", "text", 14, prompt="Qui finance, sur quels crédits."),
    Column(
        "Commentaire",
        None,
        "text",
        40,
        prompt="Ajouté au journal de l'action à l'import ; obligatoire pour passer en « Reportée » ou "
        "« Abandonnée ».",
    ),
    Column("En retard", None, "readonly", 9),
)
ACTION_COLUMNS = with_registry(ACTION, _ACTION_COLUMNS, skip=("source",))
_RESOURCE_COLUMNS = (
    Column(
        RESOURCE["code"].excel_header,
        "code",
        "code",
        10,
        prompt="Ne le modifiez pas : il relie la ligne à la base. Nouvelle ressource : laissez-le vide.",
    ),
    Column(
        RESOURCE["name"].excel_header,
        "name",
        "text",
        40,
        prompt="Le nom de la ressource (obligatoire pour une nouvelle ressource).",
    ),
    Column(
        RESOURCE["kind"].excel_header,
        "kind",
        "text",
        28,
        "resource_type",
        prompt="Choisissez le type dans la liste.",
    ),
    Column(
        RESOURCE["audiences"].excel_header,
        "audiences",
        "text",
        28,
        "audience",
        strict=False,
        prompt="Un public de la liste ; plusieurs : séparés par des virgules.",
    ),
    Column(
        RESOURCE["carrier"].excel_header,
        "carrier",
        "text",
        30,
        "organisation",
        strict=False,
        prompt="Choisissez l'organisation porteuse dans la liste (son nom). Son code à l'export est "
        "rappelé dans la colonne suivante, qui n'est pas lue à l'import.",
    ),
    Column(CARRIER_CODE, None, "readonly", 12),
    Column(RESOURCE["territories"].excel_header, "territories", "text", 20, prompt=_PLACES),
    Column(TERRITORY_CODES, None, "readonly", 12),
    Column(
        RESOURCE["capacity"].excel_header, "capacity", "integer", 9, prompt="Nombre de places (un entier)."
    ),
    Column(
        RESOURCE["status"].excel_header,
        "status",
        "text",
        11,
        "resource_status",
        prompt="Choisissez dans la liste : seules les ressources « Existant » comptent dans la couverture.",
    ),
    Column(
        RESOURCE["address"].excel_header, "address", "text", 30, prompt="Adresse postale de la ressource."
    ),
    Column(
        RESOURCE["commune"].excel_header, "commune", "text", 18, prompt="Commune où se trouve la ressource."
    ),
    Column(
        RESOURCE["insee_code"].excel_header,
        "insee_code",
        "textcode",
        10,
        prompt="Code INSEE de la commune (5 caractères, ex. 09225).",
    ),
    Column(RESOURCE["phone"].excel_header, "phone", "textcode", 14, prompt="Numéro de téléphone."),
    Column(RESOURCE["email"].excel_header, "email", "text", 26, prompt="Adresse électronique."),
    Column(RESOURCE["contact_name"].excel_header, "contact_name", "text", 20, prompt="Personne à contacter."),
    Column(RESOURCE["finess"].excel_header, "finess", "textcode", 11, prompt="Numéro FINESS (9 caractères)."),
    Column(
        RESOURCE["discipline_code"].excel_header,
        "discipline_code",
        "textcode",
        10,
        prompt="Code de discipline d'équipement (ex. 963).",
    ),
    Column(
        RESOURCE["verified_on"].excel_header,
        "verified_on",
        "date",
        11,
        prompt="Date de la dernière vérification (jj/mm/aaaa).",
    ),
    Column(RESOURCE["notes"].excel_header, "notes", "text", 40, prompt="Remarques libres sur la ressource."),
)
RESOURCE_COLUMNS = with_registry(RESOURCE, _RESOURCE_COLUMNS, skip=("source",))
_NUMBER = "Un nombre (1 234,5 ou 1234.5)."
INDICATOR_COLUMNS = (
    Column(
        INDICATOR["code"].excel_header,
        "code",
        "text",
        12,
        prompt="Code de l'indicateur. Nouvelle valeur : une nouvelle ligne avec ce code et la période.",
    ),
    Column(INDICATOR["label"].excel_header, "label", "text", 40, prompt="Intitulé de l'indicateur."),
    Column(
        INDICATOR["action"].excel_header,
        "action",
        "text",
        10,
        prompt="Code de l'action suivie (ex. ACT-012), ou vide pour un indicateur d'objectif.",
    ),
    Column(
        INDICATOR["objective"].excel_header,
        "objective",
        "text",
        12,
        "objective",
        prompt="Code de l'objectif (liste ; intitulés : feuille « Objectifs »).",
    ),
    Column(INDICATOR["unit"].excel_header, "unit", "text", 12, prompt="Unité de mesure (patients, %, €…)."),
    Column(
        INDICATOR["periodicity"].excel_header,
        "periodicity",
        "text",
        13,
        "periodicity",
        prompt="Choisissez dans la liste.",
    ),
    Column(INDICATOR["baseline"].excel_header, "baseline", "number", 10, prompt=_NUMBER),
    Column(INDICATOR["target"].excel_header, "target", "number", 10, prompt=_NUMBER),
    Column(
        INDICATOR_VALUE["period"].excel_header,
        "period",
        "textcode",
        10,
        prompt="2024, 2024-T1, 2024-S1 ou 2024-03.",
    ),
    Column(INDICATOR_VALUE["value"].excel_header, "value", "number", 10, prompt="La valeur de la période."),
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


def organisation_labels(organisations: Iterable[tuple[str, str | None]]) -> dict[str, str]:
    """How each organisation is written in the cells and the drop-down lists: its name, which the
    importer reads back (`importers.excel.resolve`); « Nom (CODE) » when the name alone would not
    say which one (two of the same name, a name that is another's code), its code if unnamed."""
    pairs = list(organisations)
    codes = {fold(code) for code, _name in pairs}
    named = Counter(fold(name) for _code, name in pairs if name)
    return {
        code: name
        if name and named[fold(name)] == 1 and fold(name) not in codes - {fold(code)}
        else (f"{name} ({code})" if name else code)
        for code, name in pairs
    }


_SEPARATOR = re.compile(r"[,;\n]")


def named(codes: Iterable[str], labels: dict[str, str]) -> str | None:
    """Several codes written by their names (`labels`), comma-separated, as the importer reads
    them back; a name that holds a separator is written as its code."""
    return (
        ", ".join(code if _SEPARATOR.search(name := labels.get(code, code)) else name for code in codes)
        or None
    )


def action_cells(a: Any, today: date, labels: dict[str, str], places: dict[str, str]) -> dict[str, Any]:
    """An action's cells by field (and read-only headers), as written in both sheets: the pilot,
    partners and territories by their names (`labels`, `places`), their codes beside them."""
    return {
        **record_cells(ACTION, a),
        "lead": labels.get(a.lead, a.lead) if a.lead else None,
        LEAD_CODE: a.lead,
        "partners": named(a.partners, labels),
        PARTNER_CODES: ", ".join(a.partners) or None,
        "territories": named(a.territories, places),
        TERRITORY_CODES: ", ".join(a.territories) or None,
        "En retard": "Oui" if a.is_late(today) else None,
    }


def resource_cells(r: Any, labels: dict[str, str], places: dict[str, str]) -> dict[str, Any]:
    return {
        **record_cells(RESOURCE, r),
        "carrier": labels.get(r.carrier, r.carrier) if r.carrier else None,
        CARRIER_CODE: r.carrier,
        "territories": named(r.territories, places),
        TERRITORY_CODES: ", ".join(r.territories) or None,
    }


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
        #: Every sheet written, for what its cells will take once read back (`_check_read_bytes`).
        self.sheets: list[SafeSheet] = []
        self.done = 0
        self.list_ranges: dict[str, str] = {}
        self.truncated = 0
        self.labels = organisation_labels(data.organisations)
        self.places = organisation_labels(data.territories)

    def _indicator_rows(self) -> int:
        return sum(max(1, self.data.periods.get(i.code, 0)) for i in self.data.indicators)

    def _safe(self, sheet: Any, **options: Any) -> SafeSheet:
        safe = SafeSheet(self.formats, sheet, **options)
        self.sheets.append(safe)
        return safe

    def _tick(self) -> None:
        self.done += 1
        if self.done % 1000 == 0 or self.done == self.total:
            self._check_read_bytes()
            if self.progress is not None:
                self.progress(self.done, self.total)

    def _check_read_bytes(self) -> None:
        """Refuse (ExchangeTooLarge), as soon as it is known, a workbook whose cells would take more
        memory once read than the import allows: texts are longer in some stores than in others,
        so rows and cells alone (`check_size`) do not tell it."""
        held = sum(s.read_bytes for s in self.sheets)
        if held > IMPORT_MAX_CELL_BYTES - READ_BYTES_MARGIN:
            raise ExchangeTooLarge(
                "Classeur d'échange non écrit : ses cellules occuperaient plus de "
                f"{IMPORT_MAX_CELL_BYTES // (1024 * 1024)} Mo une fois relues, au-delà de ce que "
                "l'import lit en une fois. Exportez une partie des actions (la liste filtrée de "
                "l'écran Actions, Ctrl+E) : le classeur ne porte alors que leurs indicateurs."
            )

    def check_size(self) -> None:
        """Refuse (ExchangeTooLarge) a workbook the import could not read back."""
        sheets = {
            SHEET_ACTIONS: (len(self.data.action_codes), len(ACTION_COLUMNS) + 1),
            SHEET_INDICATORS: (self._indicator_rows(), len(INDICATOR_COLUMNS) + len(self.categories) + 1),
            SHEET_RESOURCES: (len(self.data.resources), len(RESOURCE_COLUMNS) + 1),
        }
        cells = sum((rows + 1) * columns for rows, columns in sheets.values())
        over = [
            f"« {name} » : {format_number(rows)} lignes de {columns} colonnes"
            for name, (rows, columns) in sheets.items()
            if rows >= IMPORT_MAX_ROWS or (rows + 1) * columns > IMPORT_MAX_SHEET_CELLS
        ]
        if over or cells > IMPORT_MAX_WORKBOOK_CELLS:
            detail = ", ".join(over) or f"{format_number(cells)} cellules"
            raise ExchangeTooLarge(
                f"Classeur d'échange non écrit : il serait trop grand pour être réimporté ({detail} ; "
                f"l'import lit au plus {format_number(IMPORT_MAX_ROWS)} lignes et "
                f"{format_number(IMPORT_MAX_SHEET_CELLS)} cellules par feuille, "
                f"{format_number(IMPORT_MAX_WORKBOOK_CELLS)} cellules en tout). Exportez une partie des "
                "actions (la liste filtrée de l'écran Actions, Ctrl+E) : le classeur ne porte alors que "
                "leurs indicateurs."
            )

    def write(self) -> None:
        self.check_size()
        readme, actions, indicators, resources, objectives, resource_journal, lists, meta = (
            self.book.add_worksheet(name, worksheet_class=StreamSheet)
            for name in (
                SHEET_README,
                SHEET_ACTIONS,
                SHEET_INDICATORS,
                SHEET_RESOURCES,
                SHEET_OBJECTIVES,
                SHEET_RESOURCE_JOURNAL,
                SHEET_LISTS,
                META_SHEET,
            )
        )
        meta.hide()
        readme.activate()
        self.meta = self._safe(meta)
        self.meta_row = 0
        self._write_lists(lists)
        self._write_readme(readme)
        self._write_meta_info()
        self._write_records(
            actions,
            ACTION_COLUMNS,
            "action",
            (
                (action_cells(a, self.today, self.labels, self.places), a.version, a.uid)
                for a in iter_actions(self.conn, self.data.department, self.data.action_codes)
            ),
        )
        self._write_indicators(indicators)
        self._write_records(
            resources,
            RESOURCE_COLUMNS,
            "resource",
            ((resource_cells(r, self.labels, self.places), r.version, r.uid) for r in self.data.resources),
        )
        self._write_objectives(objectives)
        self._write_resource_journal(resource_journal)
        self._check_read_bytes()
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
            ("exporte_le", self.data.exported_at.isoformat(timespec="microseconds")),
            ("auteur", self.author),
            # How many rows left, so that the import can tell the rows deleted since.
            (META_ACTIONS, len(self.data.action_codes)),
            (META_RESOURCES, len(self.data.resources)),
            (META_SCOPE, SCOPE_EVERY_ACTION if self.data.every_action else SCOPE_SOME_ACTIONS),
        ):
            self._meta_write([key, value])

    # --- data sheets --------------------------------------------------------------------------

    def _prepare(self, sheet: Any, columns: tuple[Column, ...]) -> SafeSheet:
        safe = self._safe(sheet)
        for index, column in enumerate(columns):
            safe.write(0, index, column.header, self.styles.header)
            safe.widths[index] = max(column.width or 8, len(column.header) + 2)
            options = self._validation(column)
            if options is not None:
                sheet.data_validation(1, index, LAST_ROW, index, options)
        sheet.set_row(0, 30)
        sheet.freeze_panes(1, 1)
        return safe

    def _validation(self, column: Column) -> dict[str, Any] | None:
        """The column's data validation: its list, or the range of its values, and its prompt."""
        options: dict[str, Any] = {"validate": "any"}
        source = self.list_ranges.get(column.choices or "")
        if source:
            options = {"validate": "list", "source": source, "error_title": column.header[:32]}
            if column.strict:
                options["error_message"] = "Choisissez une valeur de la liste."
            else:
                options.update(
                    error_type="information",
                    error_message="Valeur hors liste : vérifiez-la (plusieurs : séparez-les par des "
                    "virgules).",
                )
        elif column.style == "percent":
            options = {
                "validate": "decimal",
                "criteria": "between",
                "minimum": 0,
                "maximum": 100,
                "error_title": "Avancement",
                "error_message": "Un pourcentage entre 0 et 100.",
                "error_type": "warning",
            }
        elif column.style == "date":
            options = {
                "validate": "date",
                "criteria": "between",
                "minimum": date(2000, 1, 1),
                "maximum": date(2100, 12, 31),
                "error_title": "Date",
                "error_message": (column.prompt or "Une date jj/mm/aaaa.")[:255],
                "error_type": "warning",
            }
        if column.prompt:
            options.update(input_title=column.header[:32], input_message=column.prompt[:255])
        elif options["validate"] == "any":
            return None
        return options

    def _finish(self, safe: SafeSheet, columns: tuple[Column, ...], rows: int, sheet: Any) -> None:
        styles = {i: self.styles.cell[c.style] for i, c in enumerate(columns)}
        for index, column in enumerate(columns):
            width = max(safe.widths.get(index, 0), len(column.header) + 2, 6)
            sheet.set_column(index, index, min(width + 1, 60), styles[index])
        sheet.autofilter(0, 0, max(rows, 1), len(columns) - 1)
        sheet.protect("", _PROTECTION)
        self._print(sheet, sheet.name, area=(rows, len(columns)))
        self.truncated += safe.truncated

    def _fingerprint_column(self, safe: SafeSheet, sheet: Any, columns: tuple[Column, ...]) -> None:
        """The hidden, locked last column where each row's fingerprint goes."""
        safe.write(0, len(columns), FINGERPRINT_HEADER, self.styles.header)
        sheet.set_column(len(columns), len(columns), 30, self.styles.cell["readonly"], {"hidden": True})

    def _write_records(
        self,
        sheet: Any,
        columns: tuple[Column, ...],
        kind: str,
        rows: Iterable[tuple[dict[str, Any], int, str | None]],
    ) -> None:
        safe = self._prepare(sheet, columns)
        self._fingerprint_column(safe, sheet, columns)
        fields = [c.field for c in columns if c.field]
        self._meta_write(["#empreinte", kind, *fields])
        formats = [self.styles.cell[c.style] for c in columns]
        locked = self.styles.cell["readonly"]  # the fingerprint column's style, on each cell
        written = 0
        for written, (cells, version, uid) in enumerate(rows, 1):
            values = [cells.get(c.field) if c.field else cells.get(c.header) for c in columns]
            safe.write_row(written, values, formats)
            print_ = fingerprint(version, uid, [cells.get(f) for f in fields])
            safe.write_plain(written, len(columns), print_.dump(), locked)
            self._tick()
        self._finish(safe, columns, written, sheet)

    def _write_indicators(self, sheet: Any) -> None:
        columns = INDICATOR_COLUMNS + tuple(
            Column(breakdown_header(c), f"cat:{c}", "number", 12) for c in self.categories
        )
        safe = self._prepare(sheet, columns)
        self._fingerprint_column(safe, sheet, columns)
        level = list(INDICATOR_LEVEL)
        values_fields = ["period", "value", *(f"cat:{c}" for c in self.categories)]
        self._meta_write(["#empreinte", "indicator", *level, *values_fields])
        formats = [self.styles.cell[c.style] for c in columns]
        locked = self.styles.cell["readonly"]  # the fingerprint column's style, on each cell
        formats[0] = self.styles.locked_code
        # An indicator's cells and their hashes are the same on each of its periods' rows: made
        # once, the period's cells put in the other columns.
        row = 0
        for indicator, stored in iter_values(self.conn, self.data.indicators):
            cells = indicator_cells(indicator)
            base = [cells.get(c.field) if c.field in cells else None for c in columns]
            base[0] = indicator.code
            slots = [(i, c.field or "") for i, c in enumerate(columns) if i and c.field not in cells]
            head = hashed([cells.get(f) for f in level])
            periods = {
                period: {
                    f"cat:{category}" if category else "value": value for category, value in found.items()
                }
                for period, found in stored.items()
            } or {"": {}}
            for period in sorted(periods):
                row += 1
                period_cells = {"period": period or None, **periods[period]}
                values = base.copy()
                for index, name in slots:
                    values[index] = period_cells.get(name)
                safe.write_row(row, values, formats)
                covered = [period_cells.get(f) for f in values_fields]
                print_ = fingerprint(None, indicator.uid, covered, head)
                safe.write_plain(row, len(columns), print_.dump(), locked)
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
            "organisation": ("Organisation", [self.labels[c] for c, _ in data.organisations]),
            "objective": ("Objectif (code)", [o.code for o in data.objectives]),
        }

    def _write_lists(self, sheet: Any) -> None:
        safe = self._safe(sheet)
        lists = self._list_values()
        # Beside each list, what it does not show: the names of the codes, the codes of the names.
        beside = {
            "territory": ("Territoire (nom)", [n for _, n in self.data.territories]),
            "organisation": ("Organisation (code)", [c for c, _ in self.data.organisations]),
            "objective": ("Objectif (intitulé)", [o.title for o in self.data.objectives]),
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
            if key in beside:
                columns.append([beside[key][0], *beside[key][1]])
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
        self._print(sheet, SHEET_LISTS, area=(height - 1, len(columns)))

    def _reference_table(
        self,
        sheet: Any,
        title: str,
        headers: list[str],
        rows: Iterable[list[Any]],
        widths: tuple[float, ...],
    ) -> None:
        """A protected sheet for reading: wrapped cells, each row as high as its text (set before
        the row is streamed), filters, printed fitted to the page width."""
        safe = self._safe(sheet)
        for index, width in enumerate(widths):
            sheet.set_column(index, index, width)
        sheet.set_row(
            0, row_height(max(wrapped_lines(h, w, bold=True) for h, w in zip(headers, widths, strict=True)))
        )
        safe.write_row(0, headers, [self.styles.header] * len(headers))
        count = 0
        for count, values in enumerate(rows, 1):
            lines = max(
                (wrapped_lines(v, w) for v, w in zip(values, widths, strict=True) if isinstance(v, str)),
                default=1,
            )
            if lines > 1:
                sheet.set_row(count, row_height(lines))
            safe.write_row(count, values, [self.styles.wrap] * len(headers))
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(count, 1), len(headers) - 1)
        sheet.protect("", _PROTECTION)
        self._print(sheet, title)

    def _write_objectives(self, sheet: Any) -> None:
        counts = self.data.objective_counts
        self._reference_table(
            sheet,
            SHEET_OBJECTIVES,
            [
                "Engagement",
                "Intitulé de l'engagement",
                "Défi",
                "Intitulé du défi",
                "Code",
                "N°",
                "Intitulé",
                "Actions",
            ],
            (
                [
                    o.engagement_code,
                    o.engagement_title,
                    o.challenge_code,
                    o.challenge_title,
                    o.code,
                    o.number,
                    o.title,
                    counts.get(o.code, 0),
                ]
                for o in self.data.objectives
            ),
            (11, 36, 8, 36, 11, 5, 50, 8),
        )

    def _write_resource_journal(self, sheet: Any) -> None:
        """Who changed which resource, when, from what to what (for reading; not imported)."""
        lines = resource_journal_lines(self.conn, self.data.department)
        self._reference_table(
            sheet,
            SHEET_RESOURCE_JOURNAL,
            ["Quand", "Qui", "Ressource", "Nom", "Quoi", "Avant", "Après", "Source", "Commentaire"],
            (
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
                ]
                for line in reversed(lines)
            ),
            (16, 14, 12, 30, 16, 24, 24, 18, 40),
        )

    def _write_readme(self, sheet: Any) -> None:
        """What the workbook holds (each count is its sheet's rows) and how to edit it."""
        safe = self._safe(sheet, max_width=110)
        s = self.styles
        d = self.data
        indicator_rows = self._indicator_rows()
        lines: list[tuple[str, Any]] = [
            (f"Suivi du schéma territorial de santé — {d.department} {d.department_name}", s.title),
            (f"Exporté le {d.exported_at:%d/%m/%Y à %H:%M} par {self.author}.", None),
            ("", None),
            ("Ce que contient ce classeur", s.bold),
            (f"• « {SHEET_ACTIONS} » : {_count(len(d.action_codes), 'ligne')}, une par action.", s.wrap),
            (
                f"• « {SHEET_INDICATORS} » : {_count(indicator_rows, 'ligne')} pour "
                f"{_count(len(d.indicators), 'indicateur')} (une ligne par période renseignée, "
                f"{_count(d.value_count, 'valeur')} en tout).",
                s.wrap,
            ),
            (
                f"• « {SHEET_RESOURCES} » : {_count(len(d.resources), 'ligne')}, une par ressource "
                "aidants/répit.",
                s.wrap,
            ),
            (
                f"• « {SHEET_OBJECTIVES} » : {_count(len(d.objectives), 'objectif')} du schéma ; "
                f"« {SHEET_RESOURCE_JOURNAL} » et « {SHEET_LISTS} » : pour référence.",
                s.wrap,
            ),
            ("", None),
            ("Ce que vous pouvez modifier", s.bold),
            (
                "• Feuilles « Actions », « Indicateurs » et « Ressources » : toutes les cellules blanches "
                "(intitulés, statuts, avancement, dates, budgets, commentaires…). Une bulle d'aide dit "
                "ce qu'attend chaque colonne quand vous sélectionnez une cellule.",
                s.wrap,
            ),
            (
                "• La colonne « Code » (grisée) est protégée : c'est elle qui relie chaque ligne à la base. "
                "Ne la modifiez pas et ne copiez pas une ligne sur une autre.",
                s.wrap,
            ),
            (
                "• Pilote et Porteur : choisissez l'organisation par son nom dans la liste déroulante ; "
                "Partenaires et Territoires : leurs noms, séparés par des virgules (feuille « Listes »). "
                f"Les colonnes grisées « {LEAD_CODE} », « {CARRIER_CODE} », « {PARTNER_CODES} » et "
                f"« {TERRITORY_CODES} » rappellent les codes à l'export ; elles ne sont pas lues à "
                "l'import (seuls les noms comptent).",
                s.wrap,
            ),
            (
                "• Pour créer une action ou une ressource, ajoutez une ligne en laissant le Code vide : "
                "un code lui sera attribué à l'import.",
                s.wrap,
            ),
            (
                "• Pour saisir une nouvelle valeur d'indicateur, ajoutez une ligne avec le code de "
                "l'indicateur et la période (2024, 2024-T1, 2024-S1 ou 2024-03).",
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
                "• Les feuilles « Objectifs », « Journal des ressources » et « Listes » sont protégées, sans "
                "mot de passe (Révision › Ôter la protection si vous devez trier).",
                s.wrap,
            ),
            ("", None),
            ("Ce qui est accepté", s.bold),
            (
                "Dates en jj/mm/aaaa, ou un mois (« mai 2025 ») ou une année (« 2025 ») pour le début et "
                "l'échéance ; avancement en 50, 50 % ou 0,5 ; statuts sans accents ni majuscules, et "
                "« terminé », « fait » pour Réalisée ; nombres saisis comme du texte ; lignes vides ; "
                "organisations, territoires et objectifs par leur code ou leur nom.",
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
            ("Noms et codes des organisations, territoires et objectifs : feuille « Listes ».", s.wrap),
            ("", None),
            ("Pour le renvoyer", s.bold),
            (
                "Enregistrez au format « Classeur Excel (.xlsx) » (LibreOffice : « Excel 2007-365 »), "
                "sans mot de passe, sans renommer les feuilles ni la feuille masquée, puis renvoyez le "
                "fichier à la délégation. Plusieurs personnes peuvent travailler chacune sur sa copie : "
                "les classeurs sont importés l'un après l'autre et seules les modifications en conflit "
                "sont signalées.",
                s.wrap,
            ),
            ("À la délégation : suivi-sts import FICHIER.xlsx (ajoutez --dry-run pour un aperçu).", s.wrap),
        ]
        width = 110
        sheet.set_column(0, 0, width)
        for row, (text, fmt) in enumerate(lines):
            # Rows are streamed (constant memory): a row's height is set before its cell.
            if fmt is s.wrap:
                sheet.set_row(row, row_height(wrapped_lines(text, width)))
            safe.write(row, 0, text, fmt)
        sheet.hide_gridlines(2)
        self._print(sheet, "Lisez-moi", None)
        sheet.fit_to_pages(1, 1)
        sheet.protect("", _PROTECTION)

    def _print(
        self, sheet: Any, title: str, header_row: int | None = 0, area: tuple[int, int] | None = None
    ) -> None:
        """A4 landscape, fitted to the page width, the header row on every page; `area`: the rows
        and columns printed (a long text running past the last column is not)."""
        d = self.data
        if area is not None:
            sheet.print_area(0, 0, max(area[0], 1), area[1] - 1)
        sheet.set_landscape()
        sheet.set_paper(9)
        sheet.fit_to_pages(1, 0)
        if header_row is not None:
            sheet.repeat_rows(header_row)
        sheet.set_margins(left=0.4, right=0.4, top=0.7, bottom=0.6)
        place = f"{d.department} {d.department_name}".replace("&", "&&")
        sheet.set_header(f"&L{place}&C&B{title.replace('&', '&&')}&R{d.exported_at:%d/%m/%Y}")
        sheet.set_footer("&LSuivi STS — classeur d'échange&RPage &P / &N")


def _count(number: int, noun: str) -> str:
    """« 1 ligne », « 65 lignes », « 0 valeur »."""
    return f"{number} {noun}{'s' if number > 1 else ''}"


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
