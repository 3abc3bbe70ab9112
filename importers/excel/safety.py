"""Checks run on a workbook file BEFORE any spreadsheet parser sees it.

Neither openpyxl nor python-calamine limits decompression, and calamine allocates the whole
bounding box of a sheet (about 32 bytes per cell, a sheet whose cells span A1:Z1000000 takes
800 MB). So the archive is inspected here first, with the standard library only:

* the file's signature (not a zip, legacy ``.xls``, password-protected OOXML, OpenDocument);
* the zip directory (truncated file, entry count, declared sizes and compression ratios);
* every XML part, decompressed as a stream with a hard byte budget (a lying directory cannot
  make it inflate more than allowed), refusing DTDs (``<!DOCTYPE``/``<!ENTITY``: entity
  expansion, "billion laughs") and measuring each sheet's extent (declared dimension, highest
  row, widest column) against row, column and cell limits.

Every refusal is an :class:`UnreadableWorkbook` with a French message naming the file.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

#: Signatures of the files people send instead of an .xlsx.
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")


@dataclass(frozen=True)
class Limits:
    """What a workbook may weigh. The defaults fit 250,000-row sheets of ~30 columns."""

    max_file_bytes: int = 100 * 1024 * 1024
    max_entries: int = 5_000
    max_entry_bytes: int = 512 * 1024 * 1024
    max_total_bytes: int = 1024 * 1024 * 1024
    #: Uncompressed / compressed, checked on parts larger than `ratio_floor_bytes`.
    max_ratio: float = 200.0
    ratio_floor_bytes: int = 1024 * 1024
    max_rows: int = 250_000
    max_columns: int = 702  # "ZZ"
    #: Rows x columns of a sheet's bounding box (calamine: ~32 bytes per cell).
    max_cells: int = 8_000_000


DEFAULT_LIMITS = Limits()


class UnreadableWorkbook(Exception):
    """The file cannot (or must not) be read; the message is French and names the file."""


@dataclass
class SheetExtent:
    """The bounding box of a sheet, as measured on its XML."""

    part: str
    rows: int = 0
    columns: int = 0
    numbered_rows: int = field(default=0, repr=False)
    unnumbered_rows: int = field(default=0, repr=False)
    patterns: _SheetPatterns | None = field(default=None, repr=False, compare=False)


@dataclass
class ArchiveReport:
    """What the checks found (kept for messages and tests)."""

    entries: int = 0
    declared_bytes: int = 0
    inflated_bytes: int = 0
    sheets: dict[str, SheetExtent] = field(default_factory=dict)


_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]{1,4})?(\d*)(?::([A-Z]{1,4})(\d+))?"')
_ROOT_PREFIX = re.compile(rb"<(\w+:)?worksheet\b")
_CHUNK = 1 << 20
_OVERLAP = 256


def column_number(letters: str) -> int:
    """1 for "A", 27 for "AA"."""
    number = 0
    for char in letters:
        number = number * 26 + ord(char) - 64
    return number


def check_workbook_file(path: Path, limits: Limits = DEFAULT_LIMITS) -> ArchiveReport:
    """Refuse (UnreadableWorkbook) anything but a sane .xlsx/.xlsm; nothing is parsed as XML."""
    name = path.name
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            head = handle.read(8)
    except OSError as exc:
        raise UnreadableWorkbook(f"Le fichier « {name} » ne peut pas être ouvert : {exc.strerror}.") from exc
    if size == 0:
        raise UnreadableWorkbook(f"Le fichier « {name} » est vide.")
    if head.startswith(OLE_SIGNATURE):
        raise UnreadableWorkbook(_ole_message(path))
    if not head.startswith(ZIP_SIGNATURES):
        raise UnreadableWorkbook(
            f"Le fichier « {name} » n'est pas un classeur Excel (.xlsx) : "
            "enregistrez-le au format « Classeur Excel (.xlsx) » et recommencez."
        )
    if size > limits.max_file_bytes:
        raise UnreadableWorkbook(
            f"Le fichier « {name} » est trop gros ({size / 1e6:.0f} Mo, maximum "
            f"{limits.max_file_bytes / 1e6:.0f} Mo)."
        )
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise UnreadableWorkbook(
            f"Le fichier « {name} » est tronqué ou endommagé (archive illisible : {exc}). "
            "Demandez à l'expéditeur de le renvoyer."
        ) from exc
    with archive:
        return _check_archive(archive, name, limits)


def _ole_message(path: Path) -> str:
    name = path.name
    with open(path, "rb") as handle:
        sample = handle.read(4 * 1024 * 1024)
    if "EncryptionInfo".encode("utf-16-le") in sample or "EncryptedPackage".encode("utf-16-le") in sample:
        return (
            f"Le classeur « {name} » est protégé par un mot de passe : ouvrez-le dans Excel, ôtez le "
            "mot de passe (Fichier › Informations › Protéger le classeur), enregistrez et recommencez."
        )
    return (
        f"Le fichier « {name} » est au format Excel 97-2003 (.xls), qui n'est pas accepté : "
        "ouvrez-le et enregistrez-le au format « Classeur Excel (.xlsx) »."
    )


def _check_archive(archive: zipfile.ZipFile, name: str, limits: Limits) -> ArchiveReport:
    report = ArchiveReport()
    infos = archive.infolist()
    report.entries = len(infos)
    if len(infos) > limits.max_entries:
        raise UnreadableWorkbook(
            f"Le fichier « {name} » contient trop d'éléments ({len(infos)}, maximum {limits.max_entries}) : "
            "fichier refusé."
        )
    names = {i.filename for i in infos}
    if "mimetype" in names and "content.xml" in names:
        raise UnreadableWorkbook(
            f"Le fichier « {name} » est au format OpenDocument (.ods) : enregistrez-le au format "
            "« Classeur Excel (.xlsx) » (Fichier › Enregistrer sous…) et recommencez."
        )
    if "xl/workbook.bin" in names:
        raise UnreadableWorkbook(
            f"Le fichier « {name} » est un classeur binaire (.xlsb) : enregistrez-le au format .xlsx."
        )
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise UnreadableWorkbook(f"Le fichier « {name} » est une archive zip mais pas un classeur Excel.")
    for info in infos:
        if info.flag_bits & 0x1:
            raise UnreadableWorkbook(
                f"Le fichier « {name} » contient des éléments chiffrés : fichier refusé."
            )
        report.declared_bytes += info.file_size
        if info.file_size > limits.max_entry_bytes or report.declared_bytes > limits.max_total_bytes:
            raise _bomb(name, info.file_size)
        if info.file_size > limits.ratio_floor_bytes and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            raise _bomb(name, info.file_size, ratio=info.file_size / max(info.compress_size, 1))
    budget = limits.max_total_bytes
    for info in infos:
        if not info.filename.endswith((".xml", ".rels", ".vml")):
            continue
        is_sheet = info.filename.startswith("xl/worksheets/") and info.filename.count("/") == 2
        extent = SheetExtent(info.filename) if is_sheet else None
        inflated = _scan_part(archive, info, name, limits, extent, budget)
        report.inflated_bytes += inflated
        budget -= inflated
        if extent is not None:
            report.sheets[info.filename] = extent
    return report


def _bomb(name: str, declared: int, ratio: float | None = None) -> UnreadableWorkbook:
    detail = f"taux de compression {ratio:.0f} pour 1" if ratio else f"{declared / 1e6:.0f} Mo décompressés"
    return UnreadableWorkbook(
        f"Le fichier « {name} » est refusé : son contenu décompressé serait anormalement gros "
        f"({detail}), ce qui ressemble à une « bombe zip »."
    )


def _scan_part(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    name: str,
    limits: Limits,
    extent: SheetExtent | None,
    budget: int,
) -> int:
    """Inflate one part as a stream under a byte budget; refuse DTDs; measure sheets."""
    allowed = min(info.file_size, limits.max_entry_bytes, budget)
    total = 0
    tail = b""
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(_CHUNK):
                total += len(chunk)
                if total > allowed:
                    raise _bomb(name, total)
                data = tail + chunk
                if _DTD.search(data):
                    raise UnreadableWorkbook(
                        f"Le fichier « {name} » est refusé : il contient des déclarations XML "
                        f"(DOCTYPE/ENTITY) dans « {info.filename} », interdites dans un classeur et "
                        "utilisables pour saturer la mémoire (expansion d'entités)."
                    )
                if extent is not None:
                    _measure(data, total == len(chunk), extent, name, limits)
                tail = data[-_OVERLAP:]
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, zlib.error) as exc:
        raise UnreadableWorkbook(
            f"Le fichier « {name} » est tronqué ou endommagé (« {info.filename} » illisible : {exc})."
        ) from exc
    if extent is not None:
        _check_cells(name, info.filename, extent.rows, extent.columns, limits)
    return total


class _SheetPatterns:
    """Fast patterns for one sheet: literal tags, with the sheet's namespace prefix if any.

    Excel, LibreOffice, openpyxl and xlsxwriter write `r` as the first attribute of <row>
    and <c>; a tag written otherwise is counted as a row without number (rows) or makes the
    scan fall back to slower, attribute-order-proof patterns (cells).
    """

    def __init__(self, prefix: bytes) -> None:
        self.row_tag = b"<" + prefix + b"row"
        self.cell_tag = b"<" + prefix + b"c "
        p = re.escape(prefix)
        self.row = re.compile(rb"<" + p + rb'row r="(\d+)"')
        self.row_other = re.compile(rb"<" + p + rb"row\b(?! r=)")
        self.cell_other = re.compile(rb"<" + p + rb"c\b(?! r=)[^>]*?\sr=")
        self.set_cell_ref(rb"<" + p + rb'c r="')

    def set_cell_ref(self, cell_ref: bytes) -> None:
        self.cell_ref = cell_ref
        self.two_letters = re.compile(cell_ref + rb"([A-Z]{2})\d")
        self.wide = re.compile(cell_ref + rb"[A-Z]{3,}\d")
        self.lettered = re.compile(cell_ref + rb"[A-Z]{2,}\d")

    def beyond(self, row: int) -> re.Pattern[bytes]:
        """Cell references whose row number is clearly above `row` (within a factor 2)."""
        text = str(max(row, 1))
        lead = int(text[0])
        alternatives = [rb"\d{%d,}" % (len(text) + 1)]
        if lead < 9:
            alternatives.append(rb"[%d-9]\d{%d}" % (lead + 1, len(text) - 1))
        return re.compile(self.cell_ref + rb"[A-Z]{1,3}(" + b"|".join(alternatives) + rb')"')


def _measure(data: bytes, first: bool, extent: SheetExtent, name: str, limits: Limits) -> None:
    """Grow the sheet's known extent with one chunk of its XML (chunks overlap a little).

    Rows come from the <row r> tags; cells normally sit in their row, so a cell reference
    beyond the highest row seen so far is hostile or broken: references clearly beyond it
    (more digits, or a higher leading digit) are read and counted. The bounding box is thus
    known within a factor 2 at worst, without reading every cell reference (which costs as
    much as parsing the sheet).
    """
    if first:
        root = _ROOT_PREFIX.search(data[:4096])
        extent.patterns = _SheetPatterns(root.group(1) or b"" if root else b"")
        _declared_dimension(data, name, extent.part, limits)
    patterns = extent.patterns
    assert patterns is not None
    if patterns.cell_other.search(data):
        patterns.set_cell_ref(_CELL_ANY_ORDER)
    rows = patterns.row.findall(data)
    if rows:
        extent.numbered_rows = max(extent.numbered_rows, max(int(r) for r in rows))
    extent.unnumbered_rows += len(patterns.row_other.findall(data))
    extent.rows = max(extent.rows, extent.numbered_rows + extent.unnumbered_rows)
    for found in patterns.beyond(extent.rows).findall(data):
        extent.rows = max(extent.rows, int(found))
    if extent.rows > limits.max_rows:
        raise _too_many_rows(name, extent.part, extent.rows, limits)
    if patterns.lettered.search(data):
        if patterns.wide.search(data):
            raise _too_wide(name, extent.part, limits)
        letters = set(patterns.two_letters.findall(data))
        extent.columns = max(extent.columns, *(column_number(x.decode()) for x in letters))
    elif patterns.cell_tag in data:
        extent.columns = max(extent.columns, 26)
    if extent.columns > limits.max_columns:
        raise _too_wide(name, extent.part, limits)


_CELL_ANY_ORDER = rb'<(?:\w+:)?c\b[^>]*?\sr="'


def _declared_dimension(data: bytes, name: str, part: str, limits: Limits) -> None:
    found = _DIMENSION.search(data[:4096])
    if not found:
        return
    first_col, first_row, last_col, last_row = (g.decode() if g else "" for g in found.groups())
    rows = int(last_row or first_row or 0)
    columns = column_number(last_col or first_col or "A")
    if rows > limits.max_rows:
        raise _too_many_rows(name, part, rows, limits)
    if columns > limits.max_columns:
        raise _too_wide(name, part, limits)
    _check_cells(name, part, rows, columns, limits)


def _check_cells(name: str, part: str, rows: int, columns: int, limits: Limits) -> None:
    if rows * columns > limits.max_cells:
        raise UnreadableWorkbook(
            f"Le fichier « {name} » est refusé : une feuille ({_sheet_label(part)}) s'étend sur "
            f"{_n(rows)} lignes et {columns} colonnes, au-delà de ce que l'application lit "
            f"({_n(limits.max_cells)} cellules)."
        )


def _too_many_rows(name: str, part: str, rows: int, limits: Limits) -> UnreadableWorkbook:
    return UnreadableWorkbook(
        f"Le fichier « {name} » est refusé : une feuille ({_sheet_label(part)}) compte {_n(rows)} lignes, "
        f"au-delà du maximum accepté ({_n(limits.max_rows)})."
    )


def _too_wide(name: str, part: str, limits: Limits) -> UnreadableWorkbook:
    return UnreadableWorkbook(
        f"Le fichier « {name} » est refusé : une feuille ({_sheet_label(part)}) a plus de "
        f"{limits.max_columns} colonnes."
    )


def _n(number: int) -> str:
    return f"{number:,}".replace(",", " ")


def _sheet_label(part: str) -> str:
    return part.rsplit("/", 1)[-1]


def assert_openpyxl_is_defused() -> None:
    """openpyxl must parse XML through defusedxml (it does when defusedxml is installed)."""
    import openpyxl.xml

    if not getattr(openpyxl.xml, "DEFUSEDXML", False):
        raise RuntimeError(
            "openpyxl n'utilise pas defusedxml : installation incomplète, lecture de classeurs refusée."
        )
