"""Broken and hostile files: refused quickly, with a clear message, the store unchanged."""

from __future__ import annotations

import resource
import time
from pathlib import Path

import pytest

from exports.excel import export_ars
from importers.excel import UnreadableWorkbook, preview_import
from importers.excel.safety import Limits, assert_openpyxl_is_defused, check_workbook_file
from store.database import Store
from tests.conftest import MINI_REFERENCE, snapshot_tables
from tests.excel_fixtures import (
    billion_laughs_sheet,
    million_rows_workbook,
    ole_file,
    ratio_bomb,
    raw_sheet_workbook,
    sheet_xml,
    truncated_copy,
    zip_bomb,
)
from tui.cli import main


def refused(path: Path, limits: Limits | None = None) -> str:
    limits = limits or Limits()
    start = time.monotonic()
    with pytest.raises(UnreadableWorkbook) as caught:
        check_workbook_file(path, limits)
    assert time.monotonic() - start < 10
    message = str(caught.value)
    assert path.name in message
    return message


def test_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "notes.xlsx"
    path.write_text("Code;Intitulé\nACT-001;x\n", encoding="utf-8")
    assert "n'est pas un classeur Excel" in refused(path)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "vide.xlsx"
    path.write_bytes(b"")
    assert "est vide" in refused(path)


def test_truncated_file(loaded_store: Store, tmp_path: Path) -> None:
    good = tmp_path / "bon.xlsx"
    export_ars(loaded_store, "09", good)
    assert "tronqué ou endommagé" in refused(truncated_copy(good, tmp_path / "coupe.xlsx"))


def test_legacy_xls(tmp_path: Path) -> None:
    assert "Excel 97-2003 (.xls)" in refused(ole_file(tmp_path / "ancien.xls", encrypted=False))


def test_password_protected_workbook(tmp_path: Path) -> None:
    message = refused(ole_file(tmp_path / "secret.xlsx", encrypted=True))
    assert "protégé par un mot de passe" in message


def test_zip_bomb_declared_size(tmp_path: Path) -> None:
    message = refused(zip_bomb(tmp_path / "bombe.xlsx"))
    assert "bombe zip" in message


def test_zip_bomb_by_ratio(tmp_path: Path) -> None:
    path = ratio_bomb(tmp_path / "ratio.xlsx")
    assert path.stat().st_size < 2_000_000
    assert "taux de compression" in refused(path)


def test_too_many_entries(tmp_path: Path) -> None:
    path = raw_sheet_workbook(
        tmp_path / "entrees.xlsx", sheet_xml(""), extra=[(f"xl/media/i{i}.bin", b"x") for i in range(60)]
    )
    assert "trop d'éléments" in refused(path, Limits(max_entries=50))


def test_billion_laughs_is_refused_before_any_parser(tmp_path: Path) -> None:
    path = raw_sheet_workbook(tmp_path / "rires.xlsx", billion_laughs_sheet())
    message = refused(path)
    assert "(DOCTYPE/ENTITY) dans la feuille « Actions »" in message, message
    assert "sheet1.xml" not in message


def test_openpyxl_guard_is_on_and_refuses_entity_expansion(tmp_path: Path) -> None:
    assert_openpyxl_is_defused()
    import openpyxl
    from defusedxml import DefusedXmlException

    path = raw_sheet_workbook(tmp_path / "rires.xlsx", billion_laughs_sheet())
    with pytest.raises(ValueError) as caught:
        openpyxl.load_workbook(path)
    assert isinstance(caught.value.__cause__ or caught.value.__context__, DefusedXmlException)


def test_a_sheet_with_a_million_rows(tmp_path: Path) -> None:
    path = million_rows_workbook(tmp_path / "million.xlsx")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    message = refused(path)
    assert "1 000 000" in message or "lignes" in message
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 200


def test_one_cell_far_away_is_caught(tmp_path: Path) -> None:
    rows = '<row r="1"><c r="A1"><v>1</v><c r="Z999999"><v>2</v></c></c></row>'
    assert "lignes" in refused(raw_sheet_workbook(tmp_path / "loin.xlsx", sheet_xml(rows)))
    wide = '<row r="1"><c r="A1"><v>1</v></c><c r="XFD1"><v>2</v></c></row>'
    assert "colonnes" in refused(raw_sheet_workbook(tmp_path / "large.xlsx", sheet_xml(wide)))
    # Attribute order changed to dodge a naive scan: still caught.
    sneaky = '<row r="1"><c s="0" r="A900000"><v>2</v></c></row>'
    assert "lignes" in refused(raw_sheet_workbook(tmp_path / "ruse.xlsx", sheet_xml(sneaky)))


def test_open_document_file(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "calc.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<x/>")
    assert "OpenDocument (.ods)" in refused(path)


def test_cli_refuses_hostile_files_with_exit_2_and_the_store_unchanged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from store.database import open_store

    db = str(tmp_path / "s.sqlite")
    assert main(["--db", db, "init", "--reference", str(MINI_REFERENCE)]) == 0
    store = open_store(db)
    before = snapshot_tables(store)
    files = [
        ole_file(tmp_path / "ancien.xls", encrypted=False),
        ole_file(tmp_path / "secret.xlsx", encrypted=True),
        zip_bomb(tmp_path / "bombe.xlsx"),
        raw_sheet_workbook(tmp_path / "rires.xlsx", billion_laughs_sheet()),
        million_rows_workbook(tmp_path / "million.xlsx", rows=300_000),
    ]
    capsys.readouterr()
    for path in files:
        start = time.monotonic()
        assert main(["--db", db, "import", str(path)]) == 2, path
        assert time.monotonic() - start < 15
        err = capsys.readouterr().err
        assert path.name in err and "Rien n'a été écrit." in err
    assert snapshot_tables(store) == before
    store.dispose()


def test_preview_rejects_before_reading(loaded_store: Store, tmp_path: Path) -> None:
    with pytest.raises(UnreadableWorkbook):
        preview_import(loaded_store, "09", zip_bomb(tmp_path / "b.xlsx"))


def test_the_sheets_are_checked_and_read_the_hidden_sheet_first_then_the_largest_first(
    loaded_store: Store, tmp_path: Path
) -> None:
    """The hidden sheet of export data is checked (and then read) before the others, then the
    largest sheets first (the parent works on their rows while the next are read); each sheet is
    still told only once it passed, and the reader sends them in that order."""
    import zipfile

    from importers.excel import META_SHEET
    from importers.excel.reader import Reading

    path = tmp_path / "echange.xlsx"
    export_ars(loaded_store, "09", path, author="testeur")
    told: list[str | None] = []
    report = check_workbook_file(path, checked=lambda _report, sheet: told.append(sheet), first=(META_SHEET,))
    assert told == [None, *report.order] and report.order[0] == META_SHEET
    with zipfile.ZipFile(path) as archive:
        sizes = [archive.getinfo(report.sheet_parts[name]).file_size for name in report.order[1:]]
    assert sizes == sorted(sizes, reverse=True)
    assert set(report.order) == set(report.sheet_parts)
    arrived: list[str] = []
    reading = Reading(path)
    reading.on_rows = lambda name, _rows: arrived.append(name)
    book = reading.result()
    assert list(dict.fromkeys(arrived)) == report.order and book.sheet_names[-1] == META_SHEET
