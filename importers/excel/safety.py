"""Checks run on a workbook file BEFORE any spreadsheet parser sees it.

Neither openpyxl nor python-calamine limits decompression, and calamine allocates the whole
bounding box of a sheet (about 32 bytes per cell, a sheet whose cells span A1:Z1000000 takes
800 MB). So the archive is inspected here first, with the standard library only, and the
structure measured is the one the reader will read:

* the file's signature (not a zip, legacy ``.xls``, password-protected OOXML, OpenDocument);
* the zip directory (truncated file, entry count, declared sizes and compression ratios);
* the package's relationships: the workbook part named by ``_rels/.rels`` (wherever it is,
  even at the zip root), its sheets and shared strings named by the workbook's relationships
  (any path, backslashes, any case, strict OOXML namespaces);
* every part, decompressed as a stream with a hard byte budget (a lying directory cannot make
  it inflate more than allowed), refusing DTDs (``<!DOCTYPE``/``<!ENTITY``: entity expansion);
* each sheet's extent (rows and columns holding a value, cell references in any case, rows
  and cells without ``r``) against row, column and cell limits, and its formulas;
* the shared strings, counted and sized.

The reader itself runs in a child process under operating-system limits (``isolated.py``):
these checks give the precise French message, the limits guarantee the budget.
Every refusal is an :class:`UnreadableWorkbook` with a French message naming the file.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

#: Signatures of the files people send instead of an .xlsx.
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
#: Excel's limit on the length of a cell's text.
MAX_CELL_TEXT = 32_767


@dataclass(frozen=True)
class Limits:
    """What a workbook may weigh: limits the app holds within 512 MB and 60 s (docs/excel.md)."""

    max_file_bytes: int = 100 * 1024 * 1024
    max_entries: int = 5_000
    max_entry_bytes: int = 256 * 1024 * 1024
    max_total_bytes: int = 512 * 1024 * 1024
    #: Uncompressed / compressed, checked on parts larger than `ratio_floor_bytes`.
    max_ratio: float = 200.0
    ratio_floor_bytes: int = 1024 * 1024
    max_rows: int = 250_000
    max_columns: int = 702  # "ZZ"
    #: Rows x columns of a sheet's bounding box (calamine: ~32 bytes per cell).
    max_cells: int = 4_000_000
    #: Cells of all sheets together, as handed to the importer (what the app holds in memory).
    max_workbook_cells: int = 6_000_000
    #: Python memory of the cells handed to the importer (estimated by the reading process).
    max_cell_bytes: int = 160 * 1024 * 1024
    max_shared_strings: int = 2_000_000
    max_shared_strings_bytes: int = 64 * 1024 * 1024
    #: The reading child process: address space, CPU seconds, wall-clock seconds.
    max_memory_bytes: int = 512 * 1024 * 1024
    max_cpu_seconds: int = 40
    max_wall_seconds: int = 50


DEFAULT_LIMITS = Limits()


class UnreadableWorkbook(Exception):
    """The file cannot (or must not) be read; the message is French and names the file."""


@dataclass
class SheetExtent:
    """The bounding box of a sheet, as measured on its XML, and its formula cells."""

    part: str
    label: str = ""
    rows: int = 0
    columns: int = 0
    numbered_rows: int = field(default=0, repr=False)
    unnumbered_rows: int = field(default=0, repr=False)
    patterns: _SheetPatterns | None = field(default=None, repr=False, compare=False)
    #: (row, column) 1-based → whether a value was computed and saved with the formula.
    formulas: dict[tuple[int, int], bool] = field(default_factory=dict, repr=False)


@dataclass
class ArchiveReport:
    """What the checks found (kept for messages, the reader and tests)."""

    entries: int = 0
    declared_bytes: int = 0
    inflated_bytes: int = 0
    #: Sheet part → its extent; `sheet_parts` sheet name → part, in workbook order.
    sheets: dict[str, SheetExtent] = field(default_factory=dict)
    sheet_parts: dict[str, str] = field(default_factory=dict)
    shared_strings: int = 0
    #: Some text of a sheet or of the shared strings is longer than a cell can hold (calamine
    #: cuts such texts at 32,767 characters, so the reader marks the cut ones).
    long_texts: bool = False


_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_ROOT_PREFIX = re.compile(rb"<(\w+:)?worksheet\b")
_CHUNK = 1 << 20
_OVERLAP = 4096
_SMALL_PART = 8 * 1024 * 1024
_REL_OFFICE_DOCUMENT = "/officedocument"
_REL_WORKSHEET = "/worksheet"
_REL_SHARED_STRINGS = "/sharedstrings"
_MAX_FORMULAS = 100_000


def column_number(letters: str) -> int:
    """1 for "A", 27 for "AA" (any case)."""
    number = 0
    for char in letters.upper():
        number = number * 26 + ord(char) - 64
    return number


def part_key(name: str) -> str:
    """A zip entry name as OPC compares them: forward slashes, no leading slash, any case."""
    return posixpath.normpath(name.replace("\\", "/").lstrip("/")).lower()


def check_workbook_file(path: Path, limits: Limits = DEFAULT_LIMITS) -> ArchiveReport:
    """Refuse (UnreadableWorkbook) anything but a sane .xlsx/.xlsm; measures what calamine reads."""
    name = path.name
    size, head = _head(path)
    if head.startswith(OLE_SIGNATURE):
        raise UnreadableWorkbook(_ole_message(path))
    if not head.startswith(ZIP_SIGNATURES):
        raise UnreadableWorkbook(
            f"Le fichier « {name} » n'est pas un classeur Excel (.xlsx) : "
            "enregistrez-le au format « Classeur Excel (.xlsx) » et recommencez."
        )
    _check_size(name, size, limits)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, ValueError, OSError, NotImplementedError) as exc:
        raise _damaged(name) from exc
    with archive:
        return _check_archive(archive, name, limits)


def _head(path: Path) -> tuple[int, bytes]:
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            head = handle.read(8)
    except OSError as exc:
        raise UnreadableWorkbook(
            f"Le fichier « {path.name} » ne peut pas être ouvert ({_os_reason(exc)})."
        ) from exc
    if size == 0:
        raise UnreadableWorkbook(f"Le fichier « {path.name} » est vide.")
    return size, head


def _os_reason(exc: OSError) -> str:
    import errno

    reasons = {
        errno.EACCES: "accès refusé",
        errno.EPERM: "accès refusé",
        errno.ENOENT: "fichier introuvable",
        errno.EISDIR: "c'est un dossier",
    }
    return reasons.get(exc.errno or 0, "erreur du système de fichiers")


def _check_size(name: str, size: int, limits: Limits) -> None:
    if size > limits.max_file_bytes:
        raise UnreadableWorkbook(
            f"Le fichier « {name} » est trop gros ({size / 1e6:.0f} Mo, maximum "
            f"{limits.max_file_bytes / 1e6:.0f} Mo)."
        )


def _damaged(name: str, part: str | None = None) -> UnreadableWorkbook:
    if part is None:
        where = ""
    elif part.startswith("feuille "):
        where = f" ({part} illisible)"
    else:
        where = f" (élément « {part} » illisible)"
    return UnreadableWorkbook(
        f"Le fichier « {name} » est tronqué ou endommagé{where} : demandez à l'expéditeur de le "
        "renvoyer, ou ouvrez-le dans Excel ou LibreOffice et enregistrez-le à nouveau en .xlsx."
    )


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
    parts = {part_key(i.filename): i for i in infos}
    if "mimetype" in parts and "content.xml" in parts:
        raise UnreadableWorkbook(
            f"Le fichier « {name} » est au format OpenDocument (.ods) : enregistrez-le au format "
            "« Classeur Excel (.xlsx) » (Fichier › Enregistrer sous…) et recommencez."
        )
    for info in infos:
        if info.flag_bits & 0x1:
            raise UnreadableWorkbook(
                f"Le fichier « {name} » contient des éléments chiffrés : fichier refusé."
            )
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise UnreadableWorkbook(
                f"Le fichier « {name} » utilise une méthode de compression qu'Excel n'écrit pas "
                f"(méthode n° {info.compress_type} dans « {info.filename} ») : ouvrez-le dans Excel ou "
                "LibreOffice et enregistrez-le à nouveau en .xlsx."
            )
        report.declared_bytes += info.file_size
        if info.file_size > limits.ratio_floor_bytes and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            raise _bomb(name, info.file_size, ratio=info.file_size / max(info.compress_size, 1))
        if info.file_size > limits.max_entry_bytes or report.declared_bytes > limits.max_total_bytes:
            raise _bomb(name, info.file_size)
    shared = _structure(archive, parts, name, report, limits)
    budget = limits.max_total_bytes
    sheet_labels = {part: label for label, part in report.sheet_parts.items()}
    for info in infos:
        key = part_key(info.filename)
        label = sheet_labels.get(key)
        extent = SheetExtent(info.filename, label) if label is not None else None
        counter = [0] if key == shared else None
        allowed = limits.max_shared_strings_bytes if key == shared else limits.max_entry_bytes
        runs = _TextRuns() if extent is not None or key == shared else None
        inflated = _scan_part(archive, info, name, limits, extent, budget, allowed, counter, runs)
        report.long_texts = report.long_texts or bool(runs and runs.found)
        report.inflated_bytes += inflated
        budget -= inflated
        if extent is not None:
            report.sheets[key] = extent
        if counter is not None:
            report.shared_strings = counter[0]
    return report


def _read_small(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> bytes:
    """A small part (relationships, workbook), read whole under a budget and without DTD."""
    if info.file_size > _SMALL_PART:
        raise UnreadableWorkbook(
            f"Le fichier « {name} » est refusé : l'élément « {info.filename} » est anormalement gros "
            f"({info.file_size / 1e6:.0f} Mo)."
        )
    try:
        with archive.open(info) as stream:
            data = stream.read(_SMALL_PART + 1)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, zlib.error, NotImplementedError) as exc:
        raise _damaged(name, info.filename) from exc
    if len(data) > _SMALL_PART:
        raise _bomb(name, len(data))
    if _DTD.search(data):
        raise _dtd(name, info.filename)
    return data


def _xml(data: bytes, name: str, part: str) -> Any:
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    try:
        return ElementTree.fromstring(data)
    except (ElementTree.ParseError, DefusedXmlException, ValueError) as exc:
        raise _damaged(name, part) from exc


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].split(":")[-1]


def _relationships(
    archive: zipfile.ZipFile, parts: dict[str, zipfile.ZipInfo], source: str, name: str
) -> list[tuple[str, str, str]]:
    """(id, lower-case type, target part key) of the relationships of part `source` ("" = package)."""
    folder, base = posixpath.split(source)
    rels_key = part_key(posixpath.join(folder, "_rels", base + ".rels")) if source else "_rels/.rels"
    info = parts.get(rels_key)
    if info is None:
        return []
    found = []
    for element in _xml(_read_small(archive, info, name), name, info.filename).iter():
        if _local(element.tag) != "Relationship":
            continue
        target = (element.get("Target") or "").replace("\\", "/")
        if element.get("TargetMode", "").lower() == "external" or not target:
            continue
        joined = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
        found.append((element.get("Id") or "", (element.get("Type") or "").lower(), part_key(joined)))
    return found


def _structure(
    archive: zipfile.ZipFile,
    parts: dict[str, zipfile.ZipInfo],
    name: str,
    report: ArchiveReport,
    limits: Limits,
) -> str | None:
    """The workbook part and its sheets (by name) and shared strings, through relationships."""
    office = [
        t for _id, kind, t in _relationships(archive, parts, "", name) if kind.endswith(_REL_OFFICE_DOCUMENT)
    ]
    workbook = next((t for t in office if t in parts), None)
    if workbook is None:
        workbook = next((k for k in ("xl/workbook.xml", "workbook.xml") if k in parts), None)
    if workbook is None:
        if "xl/workbook.bin" in parts or any(t.endswith(".bin") for t in office):
            raise UnreadableWorkbook(
                f"Le fichier « {name} » est un classeur binaire (.xlsb) : enregistrez-le au format .xlsx."
            )
        raise UnreadableWorkbook(f"Le fichier « {name} » est une archive zip mais pas un classeur Excel.")
    if workbook.endswith(".bin"):
        raise UnreadableWorkbook(
            f"Le fichier « {name} » est un classeur binaire (.xlsb) : enregistrez-le au format .xlsx."
        )
    rels = _relationships(archive, parts, workbook, name)
    by_id = {rid: target for rid, kind, target in rels if kind.endswith(_REL_WORKSHEET)}
    shared = next((t for _id, kind, t in rels if kind.endswith(_REL_SHARED_STRINGS)), None)
    root = _xml(_read_small(archive, parts[workbook], name), name, parts[workbook].filename)
    for element in root.iter():
        if _local(element.tag) != "sheet":
            continue
        rid = next((v for k, v in element.attrib.items() if _local(k) == "id"), None)
        target = by_id.get(rid or "")
        label = element.get("name") or ""
        if target is None:
            continue  # a chart sheet or a dialog sheet: calamine lists no cells for it
        if target not in parts:
            raise UnreadableWorkbook(
                f"Le fichier « {name} » est incomplet : la feuille « {label} » n'y figure pas. "
                "Ouvrez-le dans Excel ou LibreOffice et enregistrez-le à nouveau en .xlsx."
            )
        report.sheet_parts[label] = target
    if not report.sheet_parts:
        # No relationships to follow (a hand-made package): the sheets calamine would look for.
        for key in sorted(parts):
            if re.fullmatch(r"(?:xl/)?worksheets/[^/]+\.xml", key):
                report.sheet_parts[key.rsplit("/", 1)[-1]] = key
    return shared if shared in parts else None


def _bomb(name: str, declared: int, ratio: float | None = None) -> UnreadableWorkbook:
    detail = f"taux de compression {ratio:.0f} pour 1" if ratio else f"{declared / 1e6:.0f} Mo décompressés"
    return UnreadableWorkbook(
        f"Le fichier « {name} » est refusé : son contenu décompressé serait anormalement gros "
        f"({detail}), ce qui ressemble à une « bombe zip »."
    )


def _dtd(name: str, part: str) -> UnreadableWorkbook:
    return UnreadableWorkbook(
        f"Le fichier « {name} » est refusé : il contient des déclarations XML "
        f"(DOCTYPE/ENTITY) dans « {part} », interdites dans un classeur et "
        "utilisables pour saturer la mémoire (expansion d'entités)."
    )


_SHARED_STRING = re.compile(rb"<(?:\w+:)?si\b")
_LONG_RUN = re.compile(rb">[^<]{%d,}" % (MAX_CELL_TEXT + 1))


class _TextRuns:
    """Finds a run of text (between tags) longer than a cell holds, across chunk boundaries."""

    def __init__(self) -> None:
        self.carried = 0
        self.found = False

    def feed(self, chunk: bytes) -> None:
        if self.found:
            return
        first = chunk.find(b"<")
        if self.carried + (first if first >= 0 else len(chunk)) > MAX_CELL_TEXT:
            self.found = True
        # A run longer than 2 x 16 KB holds a whole aligned 16-KB window without "<": only such
        # windows (rare) are searched with the pattern.
        step = (MAX_CELL_TEXT + 1) // 2
        for start in range(0, len(chunk), step):
            if b"<" not in chunk[start : start + step] and _LONG_RUN.search(chunk, max(0, start - step * 2)):
                self.found = True
                break
        last = chunk.rfind(b"<")
        self.carried = self.carried + len(chunk) if last < 0 else len(chunk) - chunk.find(b">", last) - 1
        if last >= 0 and chunk.find(b">", last) < 0:
            self.carried = 0


def _scan_part(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    name: str,
    limits: Limits,
    extent: SheetExtent | None,
    budget: int,
    allowed_bytes: int,
    shared_strings: list[int] | None,
    runs: _TextRuns | None = None,
) -> int:
    """Inflate one part as a stream under a byte budget; refuse DTDs; measure sheets and strings."""
    allowed = min(info.file_size, allowed_bytes, budget)
    total = 0
    tail = b""
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(_CHUNK):
                total += len(chunk)
                if total > allowed:
                    if shared_strings is not None and total > limits.max_shared_strings_bytes:
                        raise _too_many_strings(name, limits)
                    raise _bomb(name, total)
                data = tail + chunk
                if _DTD.search(data):
                    raise _dtd(name, info.filename)
                if runs is not None:
                    runs.feed(chunk)
                if extent is not None:
                    _measure(data, total == len(chunk), extent, name, limits)
                if shared_strings is not None:
                    shared_strings[0] += len(_SHARED_STRING.findall(chunk))
                    if shared_strings[0] > limits.max_shared_strings:
                        raise _too_many_strings(name, limits)
                tail = data[-_OVERLAP:]
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, zlib.error, NotImplementedError) as exc:
        raise _damaged(name, f"feuille « {extent.label} »" if extent else info.filename) from exc
    if extent is not None:
        _check_cells(name, extent.label, extent.rows, extent.columns, limits)
    return total


def _too_many_strings(name: str, limits: Limits) -> UnreadableWorkbook:
    return UnreadableWorkbook(
        f"Le fichier « {name} » est refusé : sa table de textes partagés dépasse ce que l'application "
        f"lit ({_n(limits.max_shared_strings)} textes, {_mb(limits.max_shared_strings_bytes)} Mo)."
    )


class _SheetPatterns:
    """Fast patterns for one sheet: literal tags, with the sheet's namespace prefix if any.

    Excel, LibreOffice, openpyxl and xlsxwriter write `r` as the first attribute of <row>
    and <c>; a tag written otherwise is counted as a row without number (rows) or makes the
    scan fall back to slower, attribute-order-proof patterns (cells). Only cells that hold
    something count: an empty styled cell (`<c r="A1048576" s="0"/>`, Gnumeric) is not read.
    """

    def __init__(self, prefix: bytes) -> None:
        p = re.escape(prefix)
        self.prefix = p
        self.cell_tag = b"<" + prefix + b"c "
        self.literal_cell = b"<" + prefix + b'c r="'
        self.literal_row = b"<" + prefix + b'row r="'
        self.prefix_bytes = prefix
        self.row = re.compile(
            rb"<"
            + p
            + rb'row r="(\d+)"[^>]*>(?=(?:\s*<'
            + p
            + rb"c\b[^>]*/>)*\s*<"
            + p
            + rb"c\b[^>]*(?<!/)>)"
        )
        self.row_simple = re.compile(rb"<" + p + rb'row r="(\d+)"')
        self.row_other = re.compile(rb"<" + p + rb"row\b(?!\s+r=)[^>]*(?<!/)>")
        self.cell_other = re.compile(rb"<" + p + rb"c\b(?! r=)[^>]*?\sr=")
        self.cell_no_ref = re.compile(rb"<" + p + rb"c\b(?![^>]*\sr=)[^>]*(?<!/)>")
        self.row_start = re.compile(rb"<" + p + rb"row\b")
        self.formula = re.compile(rb"<" + p + rb"f\b")
        self.set_cell_ref(rb"<" + p + rb'c r="')

    def set_cell_ref(self, cell_ref: bytes) -> None:
        self.cell_ref = cell_ref
        content = rb'"[^>]*(?<!/)>'
        self.two_letters = re.compile(cell_ref + rb"([A-Za-z]{2})\d+" + content)
        self.wide = re.compile(cell_ref + rb"[A-Za-z]{3,}\d+" + content)
        self.lettered = re.compile(cell_ref + rb"[A-Za-z]{2,}\d")

    def beyond(self, row: int) -> re.Pattern[bytes]:
        """Cell references holding something whose row number is clearly above `row`."""
        text = str(max(row, 1))
        lead = int(text[0])
        alternatives = [rb"\d{%d,}" % (len(text) + 1)]
        if lead < 9:
            alternatives.append(rb"[%d-9]\d{%d}" % (lead + 1, len(text) - 1))
        return re.compile(self.cell_ref + rb"[A-Za-z]{1,3}(" + b"|".join(alternatives) + rb')"[^>]*(?<!/)>')


def _measure(data: bytes, first: bool, extent: SheetExtent, name: str, limits: Limits) -> None:
    """Grow the sheet's known extent with one chunk of its XML (chunks overlap a little).

    Rows come from the <row r> tags of rows holding a cell with content; cells normally sit
    in their row, so a cell reference beyond the highest row seen so far is hostile or broken:
    references clearly beyond it (more digits, or a higher leading digit) are read and counted.
    Cells without `r` take the next column: they are counted per row. The bounding box is thus
    known within a factor 2 at worst, without reading every cell reference.
    """
    if first:
        root = _ROOT_PREFIX.search(data[:4096])
        extent.patterns = _SheetPatterns(root.group(1) or b"" if root else b"")
    patterns = extent.patterns
    assert patterns is not None
    # Counting tags is fast; the attribute-order-proof patterns run only when counts differ.
    p = patterns.prefix_bytes
    cells_all = data.count(b"<" + p + b"c ") + data.count(b"<" + p + b"c>")
    cells_first = data.count(patterns.literal_cell)
    rows_all = data.count(b"<" + p + b"row ") + data.count(b"<" + p + b"row>")
    odd_cells = cells_all != cells_first
    if odd_cells and patterns.cell_other.search(data):
        patterns.set_cell_ref(_CELL_ANY_ORDER)
    rows = patterns.row_simple.findall(data)
    highest = max(map(int, rows)) if rows else 0
    if highest > extent.numbered_rows:
        # The highest row counts if it holds a cell with content (Gnumeric writes styled empty
        # rows down to 1,048,576); otherwise every row of the chunk is checked.
        where = data.rfind(patterns.literal_row + b'%d"' % highest)
        if where < 0 or not patterns.row.match(data, where):
            held = patterns.row.findall(data)
            highest = max(map(int, held)) if held else 0
        extent.numbered_rows = max(extent.numbered_rows, highest)
    if rows_all != data.count(patterns.literal_row):
        extent.unnumbered_rows += len(patterns.row_other.findall(data))
    extent.rows = max(extent.rows, extent.numbered_rows + extent.unnumbered_rows)
    for found in patterns.beyond(extent.rows).findall(data):
        extent.rows = max(extent.rows, int(found))
    if extent.rows > limits.max_rows:
        raise _too_many_rows(name, extent.label, extent.rows, limits)
    if patterns.lettered.search(data):
        if patterns.wide.search(data):
            raise _too_wide(name, extent.label, limits)
        wider = patterns.two_letters if extent.columns < 27 else _wider(patterns.cell_ref, extent.columns)
        if wider.search(data):
            letters = set(wider.findall(data))
            extent.columns = max(extent.columns, *(column_number(x.decode()) for x in letters))
    if extent.columns < 26 and patterns.cell_tag in data:
        extent.columns = max(extent.columns, _widest_letter(data, patterns))
    if odd_cells and patterns.cell_no_ref.search(data):
        widest = max(len(patterns.cell_no_ref.findall(row)) for row in patterns.row_start.split(data))
        extent.columns = max(extent.columns, widest + 26)
    if extent.columns > limits.max_columns:
        raise _too_wide(name, extent.label, limits)
    _check_cells(name, extent.label, extent.rows, extent.columns, limits)  # as soon as it is known
    if patterns.formula.search(data):
        _formulas(data, extent, patterns.prefix)


_CELL_ANY_ORDER = rb'<(?:\w+:)?c\b[^>]*?\sr="'


def _widest_letter(data: bytes, patterns: _SheetPatterns) -> int:
    """The last one-letter column holding a cell in this chunk (26 when `r` is not first),
    found by halving the range of letters (a handful of scans of the chunk)."""
    if patterns.cell_ref == _CELL_ANY_ORDER:
        return 26
    low, high = 1, 26
    if not _letters(patterns.literal_cell, 1, 26).search(data):
        return 1
    while low < high:
        middle = (low + high + 1) // 2
        if _letters(patterns.literal_cell, middle, high).search(data):
            low = middle
        else:
            high = middle - 1
    return low


@lru_cache(maxsize=64)
def _wider(cell_ref: bytes, columns: int) -> re.Pattern[bytes]:
    """Two-letter cell references (holding something) beyond column number `columns` (>= 27)."""
    first, second = divmod(columns - 1, 26)  # "AA" is 27: first 1 (A), second 0 (A)

    def span(low: int) -> bytes:  # letters from number `low` (1 = A) to Z, any case
        if low > 26:
            return b""
        return b"%c-Z%c-z" % (64 + low, 96 + low)

    options = []
    if span(first + 1):
        options.append(b"[" + span(first + 1) + b"][A-Za-z]")
    if span(second + 2):
        options.append(b"[%c%c][" % (64 + first, 96 + first) + span(second + 2) + b"]")
    if not options:
        return re.compile(rb"(?!)")
    return re.compile(cell_ref + b"(" + b"|".join(options) + rb')\d+"[^>]*(?<!/)>')


@lru_cache(maxsize=256)
def _letters(cell: bytes, first: int, last: int) -> re.Pattern[bytes]:
    """Cell references whose column is one letter between `first` and `last` (any case)."""
    upper = b"%c-%c" % (64 + first, 64 + last)
    lower = b"%c-%c" % (96 + first, 96 + last)
    return re.compile(re.escape(cell) + b"[" + upper + lower + rb"]\d")


_REF = re.compile(rb'\sr\s*=\s*"([A-Za-z]{1,3})(\d+)"')


def _formulas(data: bytes, extent: SheetExtent, prefix: bytes) -> None:
    """Record the formula cells of a chunk and whether each kept its computed value."""
    cell_open = re.compile(rb"<" + prefix + rb"c\b([^>]*)>")
    cell_close = re.compile(rb"</" + prefix + rb"c>")
    value = re.compile(rb"<" + prefix + rb"v\b[^>]*?(?:/>|>([^<]*)</" + prefix + rb"v>)")
    for start in cell_open.finditer(data):
        attrs = start.group(1)
        if attrs.endswith(b"/"):
            continue
        end = cell_close.search(data, start.end())
        if end is None:
            break
        body = data[start.end() : end.start()]
        if b"f" not in body or not re.search(rb"<" + prefix + rb"f\b", body):
            continue
        ref = _REF.search(attrs)
        if ref is None or len(extent.formulas) >= _MAX_FORMULAS:
            continue
        found = value.search(body)
        kept = found is not None and (bool(found.group(1)) or b't="str"' in attrs)
        extent.formulas[(int(ref.group(2)), column_number(ref.group(1).decode()))] = kept


def _check_cells(name: str, label: str, rows: int, columns: int, limits: Limits) -> None:
    if rows * columns > limits.max_cells:
        raise UnreadableWorkbook(
            f"Le fichier « {name} » est refusé : la feuille « {label} » s'étend sur "
            f"{_n(rows)} lignes et {columns} colonnes, au-delà de ce que l'application lit "
            f"({_n(limits.max_cells)} cellules)."
        )


def _too_many_rows(name: str, label: str, rows: int, limits: Limits) -> UnreadableWorkbook:
    return UnreadableWorkbook(
        f"Le fichier « {name} » est refusé : la feuille « {label} » compte {_n(rows)} lignes, "
        f"au-delà du maximum accepté ({_n(limits.max_rows)})."
    )


def _too_wide(name: str, label: str, limits: Limits) -> UnreadableWorkbook:
    return UnreadableWorkbook(
        f"Le fichier « {name} » est refusé : la feuille « {label} » a plus de {limits.max_columns} colonnes."
    )


def _mb(size: int) -> int:
    return size // (1024 * 1024)


def _n(number: int) -> str:
    return f"{number:,}".replace(",", " ")


def assert_openpyxl_is_defused() -> None:
    """openpyxl must parse XML through defusedxml (it does when defusedxml is installed)."""
    import openpyxl.xml

    if not getattr(openpyxl.xml, "DEFUSEDXML", False):
        raise RuntimeError(
            "openpyxl n'utilise pas defusedxml : installation incomplète, lecture de classeurs refusée."
        )
