"""Helpers of the Excel tests: edit a workbook as a person would, and build hostile files."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zipfile
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import openpyxl

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Actions" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)
SHEET_HEAD = '<?xml version="1.0" encoding="UTF-8"?>{doctype}<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'


def edit_workbook(source: Path, target: Path, edit: Callable[[openpyxl.Workbook], None]) -> Path:
    """Open `source` with openpyxl (as Excel would), apply `edit`, save to `target`."""
    book = openpyxl.load_workbook(source)
    edit(book)
    book.save(target)
    book.close()
    return target


def find_row(sheet: Any, code: str, column: int = 1) -> int:
    """The row (1-based) whose `column` holds `code`."""
    for row in range(1, sheet.max_row + 1):
        if sheet.cell(row, column).value == code:
            return row
    raise AssertionError(f"{code} introuvable dans {sheet.title}")


def column_of(sheet: Any, header: str, row: int = 1) -> int:
    for column in range(1, sheet.max_column + 1):
        if sheet.cell(row, column).value == header:
            return column
    raise AssertionError(f"colonne {header} introuvable dans {sheet.title}")


def set_cell(book: openpyxl.Workbook, sheet: str, code: str, header: str, value: Any) -> None:
    ws = book[sheet]
    ws.cell(find_row(ws, code), column_of(ws, header)).value = value


def store_moves_on(store: Any, department: str, progress: dict[str, int]) -> None:
    """Actions of `store` changed on screen after an export (their progress), each journaled."""
    from dataclasses import replace

    from store import actions as action_rules

    with store.writer.begin() as conn:
        current = action_rules.load_actions(conn, department)
        for code, value in progress.items():
            before = current[code]
            action_rules.update_action(
                conn, department, before, replace(before, progress=value), author="x", source="écran"
            )


def raw_sheet_workbook(path: Path, sheet_xml: str, extra: Iterable[tuple[str, bytes]] = ()) -> Path:
    """A minimal .xlsx whose only sheet is `sheet_xml` (for hostile sheets)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet_xml)
        for name, data in extra:
            archive.writestr(name, data)
    return path


def sheet_xml(rows: str, *, dimension: str | None = None, doctype: str = "") -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return SHEET_HEAD.format(doctype=doctype) + f"{dim}<sheetData>{rows}</sheetData></worksheet>"


def billion_laughs_sheet() -> str:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    )
    doctype = f"<!DOCTYPE lolz [{entities}]>"
    return sheet_xml('<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>', doctype=doctype)


def million_rows_workbook(path: Path, rows: int = 1_000_000) -> Path:
    """A real sheet of `rows` rows (a few MB compressed), streamed into the archive."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as stream:
            stream.write(SHEET_HEAD.format(doctype="").encode() + b"<sheetData>")
            chunk = []
            for r in range(1, rows + 1):
                chunk.append(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>')
                if len(chunk) == 10_000:
                    stream.write("".join(chunk).encode())
                    chunk = []
            stream.write("".join(chunk).encode() + b"</sheetData></worksheet>")
    return path


def zip_bomb(path: Path, declared: int = 8 * 1024**3) -> Path:
    """A zip whose sheet declares `declared` uncompressed bytes (the data is small)."""
    raw_sheet_workbook(path, sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>'))
    data = bytearray(path.read_bytes())
    name = b"xl/worksheets/sheet1.xml"
    # Patch the uncompressed size declared in the sheet's central directory entry.
    index = 0
    while True:
        index = data.find(b"PK\x01\x02", index)
        if index < 0:
            break
        name_len = struct.unpack_from("<H", data, index + 28)[0]
        if data[index + 46 : index + 46 + name_len] == name:
            struct.pack_into("<I", data, index + 24, min(declared, 0xFFFFFFFE))
        index += 4
    path.write_bytes(bytes(data))
    return path


def ratio_bomb(path: Path, size: int = 300 * 1024 * 1024) -> Path:
    """A sheet of `size` bytes of the same character: compresses about 1000 to 1."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as stream:
            block = b" " * (1024 * 1024)
            for _ in range(size // len(block)):
                stream.write(block)
    return path


def ole_file(path: Path, *, encrypted: bool) -> Path:
    """An OLE compound file header: a legacy .xls, or an encrypted OOXML (EncryptionInfo stream)."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    body = ("EncryptionInfo" if encrypted else "Workbook").encode("utf-16-le") + b"\x00" * 2000
    path.write_bytes(header + body)
    return path


def truncated_copy(source: Path, target: Path) -> Path:
    data = source.read_bytes()
    target.write_bytes(data[: len(data) * 2 // 3])
    return target


def deflate_ratio(data: bytes) -> float:
    return len(data) / max(1, len(zlib.compress(data)))


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def libreoffice_round_trip(source: Path, folder: Path) -> Path:
    """Open and save `source` with LibreOffice headless (as a person saving from Calc)."""
    return libreoffice_convert(source, folder, "xlsx:Calc MS Excel 2007 XML")


def libreoffice_convert(source: Path, folder: Path, target: str) -> Path:
    """`source` converted by LibreOffice headless to `target` ("pdf", "xlsx:…"), in `folder`/lo."""
    binary = soffice()
    assert binary is not None
    out = folder / "lo"
    out.mkdir(exist_ok=True)
    profile = folder / "lo-profile"
    subprocess.run(
        [
            binary,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            target,
            "--outdir",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return out / f"{source.stem}.{target.split(':')[0]}"


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`suivi-sts ARGS` in its own process, as a user runs it (French output expected)."""
    from bench.cli_startup_bench import suivi_sts_command

    return subprocess.run(
        [*suivi_sts_command(), *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def package(
    path: Path,
    sheet: str | bytes,
    *,
    sheet_part: str = "xl/worksheets/sheet1.xml",
    target: str = "worksheets/sheet1.xml",
    sheet_name: str = "Actions",
    extra: Iterable[tuple[str, str, str | bytes]] = (),
) -> Path:
    """A workbook whose one sheet `sheet_name` is the part `sheet_part`, reached through the
    workbook's relationship `target`; `extra` adds (relationship type, target, data) parts."""
    rel = (
        '<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/{kind}" Target="{target}"/>'
    )
    relations = [rel.format(n=1, kind="worksheet", target=target)]
    relations += [rel.format(n=i + 2, kind=kind, target=t) for i, (kind, t, _data) in enumerate(extra)]
    workbook = WORKBOOK.replace('name="Actions"', f'name="{sheet_name}"')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", RELS)
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships">' + "".join(relations) + "</Relationships>",
        )
        archive.writestr(sheet_part, sheet)
        for _kind, target_, data in extra:
            archive.writestr("xl/" + target_, data)
    return path


def shared_strings(count: int) -> bytes:
    """A shared-strings part of `count` short texts."""
    body = b"".join(b"<si><t>%d</t></si>" % i for i in range(count))
    return (
        b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main">' + body + b"</sst>"
    )
