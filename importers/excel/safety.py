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
* each sheet's extent (``extent.py``: rows and columns holding a value, cell references in
  any case, rows and cells without ``r``) against row, column and cell limits, and its formulas;
* the shared strings, counted and sized.

The reader itself runs in a child process under operating-system limits (``isolated.py``):
these checks give the precise French message, the limits guarantee the budget. The sheets are
checked last (those the reader asks for first, then the largest first), each announced as soon
as it passes: the child reads a sheet while the next one is checked, never one that has not
passed.
Every refusal is an :class:`UnreadableWorkbook` with a French message naming the file.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

from importers.excel.extent import (
    BUILT_IN_SHOWN,
    SheetExtent,
    TextRuns,
    check_cells,
    column_number,
    measure,
    shown_kind,
)
from importers.excel.limits import (
    DEFAULT_LIMITS,
    MAX_CELL_TEXT,
    Limits,
    UnreadableWorkbook,
    spaced,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (the reading child)
if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

__all__ = [
    "DEFAULT_LIMITS",
    "MAX_CELL_TEXT",
    "ArchiveReport",
    "Limits",
    "SheetExtent",
    "UnreadableWorkbook",
    "check_workbook_file",
    "column_number",
]

#: Signatures of the files people send instead of an .xlsx.
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")


class ArchiveReport:
    """What the checks found (kept for messages, the reader and tests; a plain class: the
    reading child does not import `dataclasses`)."""

    def __init__(self) -> None:
        self.entries = 0
        self.declared_bytes = 0
        self.inflated_bytes = 0
        #: Sheet part → its extent; `sheet_parts` sheet name → part, in workbook order.
        self.sheets: dict[str, SheetExtent] = {}
        self.sheet_parts: dict[str, str] = {}
        #: The sheets' names in the order they are checked (known when every other part passed).
        self.order: list[str] = []
        self.shared_strings = 0
        #: Some text of a sheet or of the shared strings is longer than a cell can hold (calamine
        #: cuts such texts at 32,767 characters, so the reader marks the cut ones). While the
        #: sheets are checked: of the shared strings and the sheets checked so far.
        self.long_texts = False
        #: Cell styles whose number format shows less than the number (`styles.xml`): index → kind.
        self.shown_styles: dict[int, str] = {}


_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_CHUNK = 1 << 20
_OVERLAP = 4096
_SMALL_PART = 8 * 1024 * 1024
_REL_OFFICE_DOCUMENT = "/officedocument"
_REL_WORKSHEET = "/worksheet"
_REL_SHARED_STRINGS = "/sharedstrings"
_REL_STYLES = "/styles"


def part_key(name: str) -> str:
    """A zip entry name as OPC compares them: forward slashes, no leading slash, any case."""
    return posixpath.normpath(name.replace("\\", "/").lstrip("/")).lower()


#: Told (the report so far, None) once every part but the sheets has passed, then (the report,
#: a sheet's name) once that sheet has.
Checked = Callable[["ArchiveReport", str | None], None]


def check_workbook_file(
    path: Path,
    limits: Limits = DEFAULT_LIMITS,
    checked: Checked | None = None,
    first: tuple[str, ...] = (),
) -> ArchiveReport:
    """Refuse (UnreadableWorkbook) anything but a sane .xlsx/.xlsm; measures what calamine reads.

    `checked` is told as the parts pass (see `Checked`): what it is told has passed. The sheets
    named in `first` are checked before the others, then the largest first (`report.order`: the
    reader reads them in that order)."""
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
        return _check_archive(archive, name, limits, checked, first)


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


def _check_archive(
    archive: zipfile.ZipFile,
    name: str,
    limits: Limits,
    checked: Checked | None = None,
    first: tuple[str, ...] = (),
) -> ArchiveReport:
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
    labels: dict[str, list[str]] = {}
    for label, part in report.sheet_parts.items():
        labels.setdefault(part, []).append(label)
    # The parts of the sheets named in `first`, then the largest first (the reader sends a sheet's
    # rows while it reads the next: the parent works on the most rows meanwhile); the workbook's
    # order between parts of the same size.
    ordered = sorted(
        labels, key=lambda part: (not any(label in first for label in labels[part]), -parts[part].file_size)
    )
    position = {part: n for n, part in enumerate(ordered)}
    report.order = [label for part in ordered for label in labels[part]]
    sheets = sorted(
        (i for i in infos if part_key(i.filename) in position), key=lambda i: position[part_key(i.filename)]
    )
    # Every other part first (the reader opens the workbook once they passed), then the sheets
    # in `report.order`, each told as soon as it passed.
    for info in infos:
        if part_key(info.filename) not in position:
            _check_part(archive, info, name, limits, report, shared, None)
    if checked is not None:
        checked(report, None)
    for n, info in enumerate(sheets):
        key = part_key(info.filename)
        names = labels[key]
        _check_part(archive, info, name, limits, report, shared, names[-1])
        # Told once every entry of the part passed (a zip may hold one name twice).
        if checked is not None and (n + 1 == len(sheets) or part_key(sheets[n + 1].filename) != key):
            for label in names:
                checked(report, label)
    return report


def _check_part(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    name: str,
    limits: Limits,
    report: ArchiveReport,
    shared: str | None,
    label: str | None,
) -> None:
    """Scan one part (a sheet when `label` is its name) into the report, under what is left of
    the budget of inflated bytes."""
    key = part_key(info.filename)
    extent = SheetExtent(info.filename, label) if label is not None else None
    if extent is not None:
        extent.shown_styles = report.shown_styles
    counter = [0] if key == shared else None
    allowed = limits.max_shared_strings_bytes if key == shared else limits.max_entry_bytes
    runs = TextRuns() if extent is not None or key == shared else None
    budget = limits.max_total_bytes - report.inflated_bytes
    inflated = _scan_part(archive, info, name, limits, extent, budget, allowed, counter, runs)
    report.long_texts = report.long_texts or bool(runs and runs.found)
    report.inflated_bytes += inflated
    if extent is not None:
        report.sheets[key] = extent
    if counter is not None:
        report.shared_strings = counter[0]


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


def _xml(data: bytes, name: str, part: str) -> Element:
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
    styles = next((t for _id, kind, t in rels if kind.endswith(_REL_STYLES)), None)
    if styles in parts:
        info = parts[styles]
        report.shown_styles = _shown_styles(_xml(_read_small(archive, info, name), name, info.filename))
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


def _shown_styles(root: Element) -> dict[int, str]:
    """The cell styles (`cellXfs`, by index) whose number format shows a percentage, a month or
    a year (`shown_kind`)."""
    kinds = dict(BUILT_IN_SHOWN)
    for element in root.iter():
        if _local(element.tag) == "numFmt":
            number, kind = element.get("numFmtId") or "", shown_kind(element.get("formatCode") or "")
            if number.isdigit() and len(number) < 10:
                if kind is None:
                    kinds.pop(int(number), None)  # a built-in number redefined
                else:
                    kinds[int(number)] = kind
    cell_styles = next((e for e in root.iter() if _local(e.tag) == "cellXfs"), None)
    if cell_styles is None:
        return {}
    formats = [(e.get("numFmtId") or "") for e in cell_styles if _local(e.tag) == "xf"]
    return {
        n: kinds[int(number)]
        for n, number in enumerate(formats)
        if number.isdigit() and len(number) < 10 and int(number) in kinds
    }


def _bomb(name: str, declared: int, ratio: float | None = None) -> UnreadableWorkbook:
    detail = f"taux de compression {ratio:.0f} pour 1" if ratio else f"{declared / 1e6:.0f} Mo décompressés"
    return UnreadableWorkbook(
        f"Le fichier « {name} » est refusé : son contenu décompressé serait anormalement gros "
        f"({detail}), ce qui ressemble à une « bombe zip »."
    )


def _dtd(name: str, part: str, extent: SheetExtent | None = None) -> UnreadableWorkbook:
    where = f"la feuille « {extent.label} »" if extent is not None else f"« {part} »"
    return UnreadableWorkbook(
        f"Le fichier « {name} » est refusé : il contient des déclarations XML "
        f"(DOCTYPE/ENTITY) dans {where}, interdites dans un classeur et "
        "utilisables pour saturer la mémoire (expansion d'entités)."
    )


_SHARED_STRING = re.compile(rb"<(?:\w+:)?si\b")


def _scan_part(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    name: str,
    limits: Limits,
    extent: SheetExtent | None,
    budget: int,
    allowed_bytes: int,
    shared_strings: list[int] | None,
    runs: TextRuns | None = None,
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
                if b"!" in data and _DTD.search(data):  # "!" is rare: one quick scan
                    raise _dtd(name, info.filename, extent)
                if runs is not None:
                    runs.feed(chunk)
                if extent is not None:
                    measure(data, total == len(chunk), extent, name, limits)
                if shared_strings is not None:
                    shared_strings[0] += len(_SHARED_STRING.findall(chunk))
                    if shared_strings[0] > limits.max_shared_strings:
                        raise _too_many_strings(name, limits)
                tail = data[-_OVERLAP:]
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, zlib.error, NotImplementedError) as exc:
        raise _damaged(name, f"feuille « {extent.label} »" if extent else info.filename) from exc
    if extent is not None:
        check_cells(name, extent.label, extent.rows, extent.columns, limits)
    return total


def _too_many_strings(name: str, limits: Limits) -> UnreadableWorkbook:
    return UnreadableWorkbook(
        f"Le fichier « {name} » est refusé : sa table de textes partagés dépasse ce que l'application "
        f"lit ({spaced(limits.max_shared_strings)} textes, {_mb(limits.max_shared_strings_bytes)} Mo)."
    )


def _mb(size: int) -> int:
    return size // (1024 * 1024)


def assert_openpyxl_is_defused() -> None:
    """openpyxl must parse XML through defusedxml (it does when defusedxml is installed)."""
    import openpyxl.xml

    if not getattr(openpyxl.xml, "DEFUSEDXML", False):
        raise RuntimeError(
            "openpyxl n'utilise pas defusedxml : installation incomplète, lecture de classeurs refusée."
        )
