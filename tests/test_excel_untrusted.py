"""Untrusted workbooks: each is refused with a French message naming the file and the sheet,
or read, never aborting the app; the reader runs in a child process under OS limits."""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from importers.excel import UnreadableWorkbook, preview_import
from importers.excel.reader import open_workbook
from importers.excel.safety import Limits
from store.database import Store, open_store
from tests.conftest import MINI_REFERENCE, snapshot_tables
from tests.excel_fixtures import package, raw_sheet_workbook, run_cli, shared_strings, sheet_xml
from tui.cli import main

REAL_FILES = Path(__file__).parent / "fixtures" / "autres_producteurs"
ENGLISH = ("Traceback", "Error", "error:", "memory allocation", "File is not", "not supported", "panicked")
HEAD = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>Code</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>Intitulé</t></is></c></row>'
)


def lower_case_far_cell(path: Path) -> Path:
    """29-KB class of file: a lower-case reference at Excel's last cell."""
    return package(path, sheet_xml(HEAD + '<row r="2"><c r="xfd1048576"><v>1</v></c></row>'))


def lower_case_wide(path: Path) -> Path:
    return package(path, sheet_xml(HEAD + '<row r="2"><c r="zz60000"><v>1</v></c></row>'))


def sheet_outside_worksheets(path: Path) -> Path:
    """The sheet part lives elsewhere, reached only through the workbook's relationships."""
    sheet = sheet_xml(HEAD + '<row r="2"><c r="xfd1048576"><v>1</v></c></row>')
    return package(path, sheet, sheet_part="donnees/feuille.bin", target="../donnees/feuille.bin")


def cells_without_reference(path: Path) -> Path:
    """700 cells without `r` in one row, then a cell far below: a 175-million-cell box."""
    rows = "<row>" + "<c><v>1</v></c>" * 700 + '</row><row r="240000"><c r="A240000"><v>1</v></c></row>'
    return package(path, sheet_xml(rows))


def formula_without_reference(path: Path) -> Path:
    """A formula without its value, and an Excel error, in cells without `r`: their place is
    unknown, so neither could be said with its column; they would read as empty cells."""
    rows = (
        '<row r="2"><c r="A2" t="inlineStr"><is><t>ACT-001</t></is></c>'
        '<c><f>VLOOKUP(A2,X!A:B,2,0)</f></c><c t="e"><v>#N/A</v></c></row>'
    )
    return package(path, sheet_xml(HEAD + rows))


def too_many_shared_strings(path: Path) -> Path:
    sheet = sheet_xml(HEAD + '<row r="2"><c r="A2" t="s"><v>5</v></c></row>')
    return package(path, sheet, extra=[("sharedStrings", "sharedStrings.xml", shared_strings(2_100_000))])


HOSTILE: dict[str, tuple[Callable[[Path], Path], str]] = {
    "minuscules.xlsx": (lower_case_far_cell, "la feuille « Actions » compte 1 048 576 lignes"),
    "large.xlsx": (
        lower_case_wide,
        "la feuille « Actions » s'étend sur au moins 60 000 lignes et 702 colonnes",
    ),
    "ailleurs.xlsx": (sheet_outside_worksheets, "la feuille « Actions » compte 1 048 576 lignes"),
    "sans_r.xlsx": (cells_without_reference, "la feuille « Actions » a plus de 702 colonnes"),
    "textes.xlsx": (too_many_shared_strings, "table de textes partagés"),
    "formule_sans_r.xlsx": (
        formula_without_reference,
        "la feuille « Actions » contient une formule ou une erreur d'Excel dans une cellule sans référence",
    ),
}


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "base.sqlite")
    assert main(["--db", path, "init", "--reference", str(MINI_REFERENCE)]) == 0
    return path


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_file_is_refused_in_french_naming_its_sheet(db: str, tmp_path: Path, name: str) -> None:
    build, expected = HOSTILE[name]
    path = build(tmp_path / name)
    store = open_store(db)
    before = snapshot_tables(store)
    for extra in (["--dry-run"], []):
        done = run_cli("--db", db, "import", str(path), *extra)
        assert done.returncode == 2, done.stderr
        assert f"Le fichier « {name} » est refusé" in done.stderr and expected in done.stderr, done.stderr
        assert "Rien n'a été écrit." in done.stderr
        assert not any(word in done.stderr + done.stdout for word in ENGLISH), done.stderr
    assert snapshot_tables(store) == before
    store.dispose()


def test_what_the_checks_let_through_is_held_by_the_child_process_limits(tmp_path: Path) -> None:
    # Two cells 150,000 rows apart: within the documented limits (3.9 million cells), so
    # calamine allocates the whole box (about 125 MB): under a 64 MB limit it aborts.
    path = raw_sheet_workbook(
        tmp_path / "loin.xlsx",
        sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row><row r="150000"><c r="Z150000"><v>2</v></c></row>'),
    )
    with pytest.raises(UnreadableWorkbook) as caught:
        open_workbook(path, Limits(max_memory_bytes=64 * 1024 * 1024))
    assert "« loin.xlsx » est refusé : sa lecture demanderait plus que les 64 Mo de mémoire permis" in str(
        caught.value
    )
    assert len(open_workbook(path).read("Actions")) == 150_000  # the app's own limits hold it


def test_a_reading_that_takes_too_long_is_stopped(tmp_path: Path) -> None:
    # Twenty cells a row on 190,000 rows (within the app's limits): about 2.5 s of reading on a
    # 2026 server core, well over the second allowed (120,000 rows of ten cells took less there).
    cells = "".join(f'<c r="{letter}{{r}}"><v>{{r}}</v></c>' for letter in "BCDEFGHIJKLMNOPQRS")
    rows = "".join(
        f'<row r="{r}"><c r="A{r}"><v>{r}</v></c>{cells.format(r=r)}<c r="T{r}"><v>1</v></c></row>'
        for r in range(1, 190_001)
    )
    path = raw_sheet_workbook(tmp_path / "lent.xlsx", sheet_xml(rows))
    with pytest.raises(
        UnreadableWorkbook, match="« lent.xlsx » est refusé : sa lecture dépasse le temps permis"
    ):
        open_workbook(path, Limits(max_cpu_seconds=1))


def test_a_reading_child_that_hangs_is_stopped_at_the_wall_clock_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess
    import sys
    import time

    from importers.excel import reader

    started = subprocess.Popen

    def hanging(command: list[str], **options: object) -> subprocess.Popen[bytes]:
        # A child that waits without computing: only the wall-clock limit can stop it.
        return started([sys.executable, "-c", "import time; time.sleep(60)"], **options)  # type: ignore[call-overload]

    monkeypatch.setattr(reader.subprocess, "Popen", hanging)
    path = raw_sheet_workbook(tmp_path / "bloque.xlsx", sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>'))
    start = time.monotonic()
    with pytest.raises(UnreadableWorkbook, match="« bloque.xlsx » est refusé : sa lecture dépasse 1 s"):
        open_workbook(path, Limits(max_wall_seconds=1))
    assert time.monotonic() - start < 30


@pytest.mark.parametrize(
    ("name", "sheet", "first_row"),
    [
        ("issue_174.xlsx", "Sheet1", ["Your Ref #", "Contact Name", "Contact Number"]),
        ("minimal_package.xlsx", "Sheet1", ["ARREST BOOKINGS for 01/30/17", "", ""]),
        ("issue_530.xlsx", "出勤分类组织汇总表", ["报表导出人：", "于国栋", ""]),
        ("strict_iso_paths.xlsx", "ml_out", ["Item", "Thickness", "Number Off Bends"]),
    ],
)
def test_files_from_other_producers_open(name: str, sheet: str, first_row: list[str]) -> None:
    """Gnumeric's styled empty rows to 1,048,576, parts at the zip root, backslash paths,
    strict OOXML: read as calamine reads them."""
    book = open_workbook(REAL_FILES / name)
    assert book.sheet_names == [sheet]
    assert book.read(sheet)[0][:3] == first_row


def test_a_foreign_file_is_not_refused_as_unreadable_but_said_unknown(
    loaded_store: Store, tmp_path: Path
) -> None:
    path = shutil.copy(REAL_FILES / "issue_174.xlsx", tmp_path / "gnumeric.xlsx")
    preview = preview_import(loaded_store, "09", Path(path))
    assert [p.message for p in preview.rejected] == [
        "aucune feuille reconnue : le classeur doit contenir une feuille « Actions », « Indicateurs » ou "
        "« Ressources » (ou utilisez --mapping pour un autre modèle)"
    ]


def test_a_declared_dimension_is_not_what_is_read(tmp_path: Path) -> None:
    """Gnumeric declares A1:XFD1048576 for two rows: the cells decide, not the declaration."""
    path = raw_sheet_workbook(
        tmp_path / "dimension.xlsx",
        sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>', dimension="A1:XFD1048576"),
    )
    assert open_workbook(path).read("Actions") == [[1.0]]


def test_causes_are_said_in_french_without_the_libraries_words(tmp_path: Path) -> None:
    from importers.excel.safety import check_workbook_file

    bzip = tmp_path / "bzip.xlsx"
    with zipfile.ZipFile(bzip, "w", zipfile.ZIP_BZIP2) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(UnreadableWorkbook) as caught:
        check_workbook_file(bzip)
    assert "« bzip.xlsx » utilise une méthode de compression qu'Excel n'écrit pas (méthode n° 12" in str(
        caught.value
    )
    cut = tmp_path / "coupe.xlsx"
    cut.write_bytes(package(tmp_path / "entier.xlsx", sheet_xml(HEAD)).read_bytes()[:-60])
    with pytest.raises(UnreadableWorkbook) as caught:
        check_workbook_file(cut)
    message = str(caught.value)
    assert message.startswith("Le fichier « coupe.xlsx » est tronqué ou endommagé")
    assert not any(word in message for word in (*ENGLISH, "zip file", "Bad"))


def test_a_sheet_the_reader_cannot_reach_is_said_so(tmp_path: Path) -> None:
    """A relationship that climbs out of the workbook's folder ("../"): calamine does not follow
    it; the refusal names that cause, not a "structure" that is fine."""
    path = package(
        tmp_path / "remonte.xlsx",
        sheet_xml(HEAD),
        sheet_part="Autre/Feuille.xml",
        target="../Autre/Feuille.xml",
    )
    with pytest.raises(UnreadableWorkbook) as caught:
        open_workbook(path)
    assert str(caught.value).startswith(
        "Le fichier « remonte.xlsx » est illisible (feuille « Actions ») : la partie de cette feuille est "
        "introuvable à l'emplacement que déclare le classeur."
    ), str(caught.value)


def test_a_preview_past_its_time_budget_is_refused_in_french(loaded_store: Store, tmp_path: Path) -> None:
    """The 4-million-cell sheet read in 40 s on a loaded machine, then its preview took the command
    to 70 s: the preview stops at its own budget instead."""
    from exports.excel import export_ars

    path = tmp_path / "lent.xlsx"
    export_ars(loaded_store, "09", path)
    before = snapshot_tables(loaded_store)
    with pytest.raises(UnreadableWorkbook) as caught:
        preview_import(loaded_store, "09", path, limits=Limits(max_preview_seconds=0))
    assert str(caught.value).startswith("Le fichier « lent.xlsx » est refusé : son examen dépasse 0 s ("), (
        str(caught.value)
    )
    assert snapshot_tables(loaded_store) == before


def test_a_hostile_sheet_after_a_sane_one_is_refused_before_the_reader_sees_it(tmp_path: Path) -> None:
    """The checks run while the sheets that passed are read: the second sheet, whose cell at
    XFD1048576 after 100,000 plain rows would make calamine allocate 17 billion cells (and
    abort), is refused by them with its name, never handed to the reader meanwhile."""
    import openpyxl

    source = tmp_path / "source.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "Actions"
    book.active.append(["Code", "Intitulé"])
    book.create_sheet("Loin")
    book.save(source)
    path = tmp_path / "deux.xlsx"
    with zipfile.ZipFile(source) as archive, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in archive.infolist():
            data = archive.read(info)
            if info.filename == "xl/worksheets/sheet2.xml":
                filler = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, 100_001))
                data = sheet_xml(filler + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>').encode()
            target.writestr(info, data)
    with pytest.raises(UnreadableWorkbook) as caught:
        open_workbook(path)
    assert "« deux.xlsx » est refusé : la feuille « Loin » compte 1 048 576 lignes" in str(caught.value)


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_the_reading_child_imports_neither_the_store_nor_the_typing_machinery(
    tmp_path: Path, suffix: str
) -> None:
    """Its start-up is most of what reading a small file costs: it imports what it reads with
    (the standard library, the checks, python-calamine; store.vocab for a CSV file), not the
    store, SQLAlchemy, typing or dataclasses, and runs isolated (-I: no current folder)."""
    import marshal
    import os
    import subprocess
    import sys

    from importers.excel import reader

    if suffix == ".csv":
        path = tmp_path / "petit.csv"
        path.write_text("Code;Intitulé\nA1;Une action\n", encoding="utf-8")
    else:
        path = package(tmp_path / "petit.xlsx", sheet_xml(HEAD))
    (tmp_path / "zipfile.py").write_text("raise SystemExit('dossier courant importé')\n")  # -I: not read
    config = {"limits": Limits().as_dict(), **({"csv": []} if suffix == ".csv" else {})}
    probe = (
        "import os, sys; sys.path[:0] = sys.argv[1].split(os.pathsep); "
        "from importers.excel.isolated import main; code = main(sys.argv[2:]); "
        "print('MODULES', ' '.join(sorted(sys.modules)), file=sys.stderr); sys.exit(code)"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", probe, os.pathsep.join(reader._child_path()), str(path)]
        + [marshal.dumps(config).hex()],
        capture_output=True,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.endswith(b"\x85\x94."), done.stdout[-40:]  # the ("end",) frame, last
    modules = set(done.stderr.decode().split("MODULES ", 1)[1].split())
    assert "importers.excel.isolated" in modules
    assert ("python_calamine" in modules) == (suffix == ".xlsx")
    unwanted = {"sqlalchemy", "store.database", "store.models", "typing", "dataclasses", "json", "inspect"}
    assert not modules & unwanted, modules & unwanted


def test_a_reading_not_wanted_any_more_stops_its_child(tmp_path: Path) -> None:
    from importers.excel.reader import Reading

    reading = Reading(package(tmp_path / "petit.xlsx", sheet_xml(HEAD)))
    reading.cancel()
    assert reading._process.poll() is not None


def test_a_sheet_whose_name_the_zip_holds_twice_is_read_only_once_both_passed(tmp_path: Path) -> None:
    """A zip may hold one name twice: the sheet is announced to the reader only once every entry
    of that name passed the checks (the second, hostile, is refused)."""
    import warnings

    path = raw_sheet_workbook(tmp_path / "double.xlsx", sheet_xml(HEAD))
    filler = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, 100_001))
    with warnings.catch_warnings(), zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        warnings.simplefilter("ignore")  # "Duplicate name": the point of the file
        archive.writestr(
            "xl/worksheets/sheet1.xml",
            sheet_xml(filler + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'),
        )
    with pytest.raises(UnreadableWorkbook) as caught:
        open_workbook(path)
    assert "« double.xlsx » est refusé : la feuille « Actions » compte 1 048 576 lignes" in str(caught.value)
