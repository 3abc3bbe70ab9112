"""The reading child process: untrusted files are parsed here, under operating-system limits.

Started by ``reader.py`` as ``python -I -S -c BOOT PATH CONFIG`` (isolated: no environment
variables, no site, no current folder on the import path), it limits its own address space and
CPU time (``resource.setrlimit``), checks the archive (``safety.py``, in a thread: each sheet is
read as soon as it passed, while the next one is checked), reads the worksheets with
python-calamine (or a CSV file with the standard library) and writes the cells to its standard
output (a pipe the parent reads as it goes) as a stream of pickled frames:

* ``("sheets", names, hidden)`` then ``("rows", name, rows)`` in batches (the sheets the
  parent named first, then the largest first: the order of the checks), ``("formulas",
  name, {(row, column): kept})``, and ``("end",)``;
* or ``("refused", message)`` for a file refused with a French message.

Whatever else happens here (a Rust panic, an allocation beyond the limit, a CPU limit) ends
the process without the ``end`` frame; the parent turns that into a French message.

Its start-up is most of what reading a small file costs, so only what it needs is imported:
the standard library (not `typing`, `dataclasses` nor `json`), ``safety.py``, python-calamine,
and ``store.vocab`` for a CSV file; it leaves with ``os._exit`` (nothing to tear down).
"""

from __future__ import annotations

import gc
import marshal
import os
import pickle
import re
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from sys import getsizeof

from importers.excel.extent import shown_text
from importers.excel.safety import (
    DEFAULT_LIMITS,
    MAX_CELL_TEXT,
    OLE_SIGNATURE,
    ZIP_SIGNATURES,
    ArchiveReport,
    Limits,
    UnreadableWorkbook,
    check_workbook_file,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from typing import IO, Any

#: Rows per frame: small enough for the parent to work on a sheet's first rows while the next arrive.
BATCH = 1_000
#: What an empty cell ("", one shared object) is counted by getsizeof but does not cost.
EMPTY = getsizeof("")
#: Lines of a CSV file (the national FINESS extract has about 200,000).
MAX_CSV_LINES = 2_000_000


def row_bytes(row: list[Any], first_column: int = 0) -> int:
    """What a row read holds in memory, counted against `Limits.max_cell_bytes`: its list, a slot
    per cell (those left of the sheet's first column too), each cell's object, the empty cells
    sharing one "" (the exchange export counts its rows the same way: exports/excel/safe.py)."""
    return 64 + 8 * (len(row) + first_column) + sum(map(getsizeof, row)) - EMPTY * row.count("")


def limit_resources(limits: Limits) -> None:
    """Cap this process's address space and CPU time (where the OS allows it)."""
    try:
        import resource
    except ImportError:  # Windows: only the parent's wall-clock limit applies
        return
    for which, value in (
        (resource.RLIMIT_AS, limits.max_memory_bytes),
        (resource.RLIMIT_CPU, limits.max_cpu_seconds),
    ):
        soft, hard = resource.getrlimit(which)
        wanted = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(which, (wanted, hard))


class Checks:
    """The archive's checks (`check_workbook_file`), run in a thread: the reader waits for
    the parts it is about to read to have passed, and gets the refusal as soon as one fails."""

    def __init__(self, path: Path, limits: Limits, first: tuple[str, ...] = ()) -> None:
        self.report = ArchiveReport()
        self.opened = False  # every part but the sheets passed
        self.passed: set[str] = set()
        self.finished = False
        self.failure: BaseException | None = None
        self._changed = threading.Condition()
        threading.Thread(target=self._run, args=(path, limits, first), daemon=True).start()

    def _run(self, path: Path, limits: Limits, first: tuple[str, ...]) -> None:
        try:
            self.report = check_workbook_file(path, limits, self._checked, first)
        except BaseException as exc:  # noqa: BLE001 - handed to the reader, which raises it
            self.failure = exc
        with self._changed:
            self.finished = True
            self._changed.notify_all()

    def _checked(self, report: ArchiveReport, sheet: str | None) -> None:
        with self._changed:
            self.report = report
            if sheet is None:
                self.opened = True
            else:
                self.passed.add(sheet)
            self._changed.notify_all()

    def wait(self, sheet: str | None = None, *, every: bool = False) -> ArchiveReport:
        """Wait until the workbook may be opened (`sheet` None), `sheet` may be read, or
        (`every`) the checks ended; raise their refusal if they failed meanwhile."""
        with self._changed:
            self._changed.wait_for(
                lambda: (
                    self.finished or (not every and (self.opened if sheet is None else sheet in self.passed))
                )
            )
        if self.failure is not None:
            raise self.failure
        return self.report


def read_xlsx(path: Path, limits: Limits, out: IO[bytes], first: tuple[str, ...] = ()) -> None:
    """The worksheets' cells, in the order the checks pass them (those named in `first`, then
    the largest first)."""
    checks = Checks(path, limits, first)
    order = {name: n for n, name in enumerate(checks.wait().order)}
    from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # noqa: BLE001 - calamine's errors, said in French with their cause
        raise UnreadableWorkbook(reader_error(path.name, exc)) from None
    metadata = book.sheets_metadata
    names = [m.name for m in metadata if m.typ == SheetTypeEnum.WorkSheet]
    hidden = [m.name for m in metadata if m.visible != SheetVisibleEnum.Visible]
    pickle.dump(("sheets", names, hidden), out, protocol=pickle.HIGHEST_PROTOCOL)
    total = held = 0
    for name in sorted(names, key=lambda n: order.get(n, len(order))):  # as the checks pass them
        passed = checks.wait(name)  # only a sheet that passed is read
        long_texts = passed.long_texts
        extent = passed.sheets.get(passed.sheet_parts.get(name, ""))
        shown = _by_row(extent.shown) if extent is not None else {}
        try:
            sheet = book.get_sheet_by_name(name)
        except Exception as exc:  # noqa: BLE001
            raise UnreadableWorkbook(reader_error(path.name, exc, name)) from None
        first_row, first_column = sheet.start or (0, 0)
        height, width = first_row + sheet.height, first_column + sheet.width
        if height > limits.max_rows:
            raise UnreadableWorkbook(
                f"Le fichier « {path.name} » est refusé : la feuille « {name} » compte {_n(height)} lignes, "
                f"au-delà du maximum accepté ({_n(limits.max_rows)})."
            )
        if width > limits.max_columns or height * width > limits.max_cells:
            raise UnreadableWorkbook(
                f"Le fichier « {path.name} » est refusé : la feuille « {name} » s'étend sur {_n(height)} "
                f"lignes et {width} colonnes, au-delà de ce que l'application lit "
                f"({_n(limits.max_cells)} cellules)."
            )
        total += height * width
        if total > limits.max_workbook_cells:
            raise _too_many_cells(path.name, limits)
        pad = [""] * first_column
        batch: list[list[Any]] = []
        for number, row in enumerate(sheet.iter_rows(), start=first_row + 1):
            if long_texts:
                row = [_mark_cut(v) for v in row]
            if number in shown:
                row = _as_shown(row, shown[number], first_column)
            held += row_bytes(row, first_column)
            if held > limits.max_cell_bytes:
                raise UnreadableWorkbook(
                    f"Le fichier « {path.name} » est refusé : ses cellules occuperaient plus de "
                    f"{limits.max_cell_bytes // (1024 * 1024)} Mo une fois lues (feuille « {name} »), "
                    "au-delà de ce que l'application importe en une fois : coupez-le en plusieurs fichiers."
                )
            batch.append(pad + row if pad else row)
            if len(batch) == BATCH:
                pickle.dump(("rows", name, batch), out, protocol=pickle.HIGHEST_PROTOCOL)
                batch = []
        pickle.dump(("rows", name, batch), out, protocol=pickle.HIGHEST_PROTOCOL)
        del sheet
    report = checks.wait(every=True)
    parts = report.sheet_parts
    for name in names:
        extent = report.sheets.get(parts.get(name, ""))
        if extent is not None and extent.formulas:
            pickle.dump(("formulas", name, extent.formulas), out, protocol=pickle.HIGHEST_PROTOCOL)
    book.close()


def read_csv(path: Path, limits: Limits, out: IO[bytes], filters: list[tuple[int, list[str]]]) -> None:
    """A CSV file (`;` or `,`), as one sheet named "" ; rows failing `filters` are not kept."""
    size = path.stat().st_size
    if size == 0:
        raise UnreadableWorkbook(f"Le fichier « {path.name} » est vide.")
    if size > limits.max_file_bytes:
        raise UnreadableWorkbook(
            f"Le fichier « {path.name} » est trop gros ({size / 1e6:.0f} Mo, maximum "
            f"{limits.max_file_bytes / 1e6:.0f} Mo)."
        )
    with open(path, "rb") as handle:
        head = handle.read(64 * 1024)
    if (
        head.startswith(OLE_SIGNATURE)
        or head.startswith(ZIP_SIGNATURES)
        or (b"\x00" in head and not head.startswith(UTF16_BOMS))
    ):
        raise UnreadableWorkbook(
            f"Le fichier « {path.name} » n'est pas un fichier texte CSV : vérifiez l'extension du fichier."
        )
    encoding, delimiter = csv_dialect(head)
    import csv

    from store.vocab import fold

    wanted = [(index, set(values)) for index, values in filters]
    pickle.dump(("sheets", [""], []), out, protocol=pickle.HIGHEST_PROTOCOL)
    csv.field_size_limit(4 * MAX_CELL_TEXT)
    batch: list[list[Any]] = []
    skipped: list[Any] = []  # one shared empty row for the lines filtered out (numbers kept)
    kept = held = 0
    for number, row in _csv_rows(path, encoding, delimiter):
        if len(row) > limits.max_columns:
            raise UnreadableWorkbook(
                f"Le fichier « {path.name} » est refusé : la ligne {number} compte {len(row)} champs, "
                f"au-delà du maximum accepté ({limits.max_columns})."
            )
        if number > MAX_CSV_LINES:
            raise UnreadableWorkbook(
                f"Le fichier « {path.name} » est refusé : il compte plus de {_n(MAX_CSV_LINES)} lignes."
            )
        if any(index >= len(row) or fold(row[index]) not in values for index, values in wanted):
            batch.append(skipped)
        else:
            kept += 1
            held += 64 + 8 * len(row) + sum(map(getsizeof, row))
            if held > limits.max_cell_bytes:
                raise UnreadableWorkbook(
                    f"Le fichier « {path.name} » est refusé : ses lignes occuperaient plus de "
                    f"{limits.max_cell_bytes // (1024 * 1024)} Mo une fois lues : coupez-le en plusieurs "
                    "fichiers."
                )
            if kept > limits.max_rows:
                raise UnreadableWorkbook(
                    f"Le fichier « {path.name} » est refusé : il compte plus de {_n(limits.max_rows)} "
                    "lignes à lire."
                )
            batch.append(row)
        if len(batch) == BATCH:
            pickle.dump(("rows", "", batch), out, protocol=pickle.HIGHEST_PROTOCOL)
            batch = []
    pickle.dump(("rows", "", batch), out, protocol=pickle.HIGHEST_PROTOCOL)


#: Byte-order marks of UTF-16 (Excel's « Texte Unicode (*.txt) », tab-separated).
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def csv_dialect(head: bytes) -> tuple[str, str]:
    """The encoding and the separator of a text file, from its first bytes.

    UTF-16 when it starts with its byte-order mark, else UTF-8 (with or without one), else
    Windows-1252 (Excel's « CSV (séparateur : point-virgule) »); the separator is `;`, a tab or
    `,`, whichever the first line holds most of (`;` when none).
    """
    if head.startswith(UTF16_BOMS):
        encoding = "utf-16"
        text = head.decode(encoding, errors="ignore")  # the head may end inside a character
    else:
        encoding = "utf-8-sig"
        try:
            text = head.decode(encoding)
        except UnicodeDecodeError as exc:
            if exc.start <= len(head) - 4:  # not a character cut at the end of the head
                encoding = "cp1252"
            text = head.decode(encoding, errors="replace")
    first_line = text.split("\n", 1)[0]
    counts = {separator: first_line.count(separator) for separator in (";", "\t", ",")}
    return encoding, max(counts, key=lambda separator: counts[separator])


def _csv_rows(path: Path, encoding: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    import csv

    name = path.name
    try:
        with open(path, encoding=encoding, newline="") as handle:
            reader = csv.reader(handle, delimiter=delimiter)
            for row in reader:
                yield reader.line_num, row
    except UnicodeDecodeError as exc:
        raise UnreadableWorkbook(
            f"Le fichier « {name} » mélange des encodages de caractères (octet illisible à la position "
            f"{exc.start}) : enregistrez-le en CSV UTF-8 et recommencez."
        ) from exc
    except csv.Error as exc:
        raise UnreadableWorkbook(
            f"Le fichier « {name} » n'est pas un CSV lisible (une cellule dépasse "
            f"{_n(4 * MAX_CELL_TEXT)} caractères, ou un guillemet n'est pas fermé)."
        ) from exc


def reader_error(file_name: str, exc: Exception, sheet: str | None = None) -> str:
    """calamine's (English) error as its French cause."""
    text = str(exc)
    where = f" (feuille « {sheet} »)" if sheet else ""
    missing = re.search(r"File not found '([^']*)'", text)
    if missing:
        cause = f"l'élément « {missing.group(1)} » manque à l'archive"
    elif "decode" in text or "utf-8" in text.lower():
        cause = "une partie XML contient des octets qui ne sont pas des caractères (encodage UTF-8 invalide)"
    elif "shared strings" in text:
        cause = "une cellule renvoie à un texte partagé absent de la table des textes"
    elif type(exc).__name__ == "WorksheetNotFound":
        cause = "la partie de cette feuille est introuvable à l'emplacement que déclare le classeur"
    elif type(exc).__name__ == "XmlError" or "syntax error" in text:
        cause = "une partie XML est mal formée (balise ou guillemet non fermé, texte coupé)"
    else:
        cause = "sa structure n'est pas celle d'un classeur .xlsx"
    return (
        f"Le fichier « {file_name} » est illisible{where} : {cause}. Ouvrez-le dans Excel ou LibreOffice, "
        "enregistrez-le au format .xlsx et recommencez, ou demandez à l'expéditeur de le renvoyer."
    )


def _by_row(cells: dict[tuple[int, int], str]) -> dict[int, list[tuple[int, str]]]:
    """Row → the (column, kind) of `cells` in it."""
    rows: dict[int, list[tuple[int, str]]] = {}
    for (row, column), kind in cells.items():
        rows.setdefault(row, []).append((column, kind))
    return rows


def _as_shown(row: list[Any], columns: list[tuple[int, str]], first_column: int) -> list[Any]:
    """The values of `columns` (1-based) written as their number format shows them."""
    row = list(row)
    for column, kind in columns:
        at = column - 1 - first_column
        if 0 <= at < len(row):
            row[at] = shown_text(row[at], kind)
    return row


def _mark_cut(value: Any) -> Any:
    """calamine cuts texts at Excel's limit: a text of that length was longer in the file, so it
    is made one character longer (the importer then refuses it with its place)."""
    if isinstance(value, str) and len(value) >= MAX_CELL_TEXT:
        return value + CUT
    return value


#: Appended to a text calamine cut at 32,767 characters.
CUT = "…"


def _too_many_cells(name: str, limits: Limits) -> UnreadableWorkbook:
    return UnreadableWorkbook(
        f"Le fichier « {name} » est refusé : ses feuilles comptent ensemble plus de "
        f"{_n(limits.max_workbook_cells)} cellules, au-delà de ce que l'application lit."
    )


def _n(number: int) -> str:
    return f"{number:,}".replace(",", " ")


def main(argv: list[str]) -> int:
    """Read the file `argv[0]` with the settings `argv[1]` (marshal, in hexadecimal: the
    parent's own data; a builtin module, nothing to import)."""
    path = Path(argv[0])
    config = marshal.loads(bytes.fromhex(argv[1]))
    limits = Limits(**config["limits"]) if config.get("limits") else DEFAULT_LIMITS
    limit_resources(limits)
    gc.disable()  # rows hold no cycles, reference counting frees each batch (see store/collector.py)
    # The frames go to the standard output (the parent's pipe); whatever else would be printed
    # there (by a library) goes with the errors instead, never into the frames.
    out = os.fdopen(os.dup(1), "wb", buffering=1 << 16)
    os.dup2(2, 1)
    with out:
        try:
            if config.get("csv") is not None:
                filters = [(int(i), [str(v) for v in values]) for i, values in config["csv"]]
                read_csv(path, limits, out, filters)
            else:
                read_xlsx(path, limits, out, tuple(str(n) for n in config.get("first", ())))
        except UnreadableWorkbook as exc:
            pickle.dump(("refused", str(exc)), out)
            return 0
        except MemoryError:
            out.flush()
            return 3
        except Exception:  # a malformed part calamine refuses: the parent names the file
            out.flush()
            return 4
        pickle.dump(("end",), out)
    return 0


def serve(argv: list[str]) -> None:
    """The child's entry point: `main`, then leave at once (`os._exit`: the parent has every
    frame, and nothing here needs tearing down; the scanning thread ends with the process)."""
    code = main(argv)
    sys.stderr.flush()
    os._exit(code)
