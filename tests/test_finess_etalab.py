"""The public FINESS extract (etalab) imports as it is published: CSV without header row,
"structureet" and "geolocalisation" lines, through the shipped mapping by column position,
filtered by department and category, matched by FINESS number; also once converted to .xlsx."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl

from importers.excel import apply_import, preview_import
from store import resources as resource_rules
from store.database import Store, open_store
from tests.conftest import MINI_REFERENCE
from tests.excel_fixtures import run_cli
from tui.cli import main

EXTRACT = Path(__file__).parent / "fixtures" / "finess_etalab_extrait.csv"
MAPPING = Path(__file__).parents[1] / "importers" / "mappings" / "finess_etalab_etablissements.yaml"
DEPT = "09"


def by_finess(store: Store) -> dict[str, resource_rules.ResourceData]:
    with store.engine.connect() as conn:
        return {r.finess: r for r in resource_rules.load_resources(conn, DEPT).values() if r.finess}


def test_the_published_extract_imports_through_the_cli(tmp_path: Path) -> None:
    db = str(tmp_path / "base.sqlite")
    assert main(["--db", db, "init", "--reference", str(MINI_REFERENCE)]) == 0
    done = run_cli("--db", db, "import", str(EXTRACT), "--mapping", str(MAPPING))
    assert done.returncode == 0, done.stderr
    assert "Import appliqué : 1 ressource(s) créé(e)s." in done.stdout
    store = open_store(db)
    created = by_finess(store)["090002011"]
    assert (created.name, created.kind, created.phone) == (
        'CENTRE DE JOUR "LES PIBOULES"',
        "Accueil de jour",
        "0561600000",
    )
    assert created.territories == ("09",) and created.audiences == ("Personnes âgées",)
    assert set(by_finess(store)) == {"090002011"}  # the hospital, Toulouse, Ajaccio, the EHPAD: not created
    again = run_cli("--db", db, "import", str(EXTRACT), "--mapping", str(MAPPING))
    assert again.returncode == 0 and "Rien à importer" in again.stdout
    store.dispose()


def test_known_establishments_are_updated_by_their_finess_number(loaded_store: Store, tmp_path: Path) -> None:
    first = preview_import(loaded_store, DEPT, EXTRACT, MAPPING)
    apply_import(loaded_store, DEPT, first, {}, "testeur", backup=False)
    lines = EXTRACT.read_text(encoding="utf-8").replace("0561600000", "0561600099")
    changed = tmp_path / "etalab-cs1100507-stock-20260601-0400.csv"
    changed.write_text(lines, encoding="utf-8")
    preview = preview_import(loaded_store, DEPT, changed, MAPPING)
    assert [(p.key, [str(c) for c in p.changes]) for p in preview.changed] == [
        (by_finess(loaded_store)["090002011"].code, ["Téléphone : 0561600000 → 0561600099"])
    ]
    assert not preview.new and not preview.rejected


def test_a_latin_1_copy_reads_the_same(loaded_store: Store, tmp_path: Path) -> None:
    copy = tmp_path / "finess.csv"
    copy.write_bytes(EXTRACT.read_text(encoding="utf-8").encode("cp1252"))
    preview = preview_import(loaded_store, DEPT, copy, MAPPING)
    assert [p.title for p in preview.new] == ['CENTRE DE JOUR "LES PIBOULES"']


def test_the_extract_converted_to_xlsx_imports_the_same(loaded_store: Store, tmp_path: Path) -> None:
    """Opened in a spreadsheet and saved as .xlsx: "09" became 9, FINESS numbers lost their zero."""
    book = openpyxl.Workbook()
    sheet = book.active
    with open(EXTRACT, encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle, delimiter=";"):
            sheet.append([int(v) if v.isdigit() else v for v in row])
    path = tmp_path / "finess.xlsx"
    book.save(path)
    preview = preview_import(loaded_store, DEPT, path, MAPPING)
    assert not preview.rejected, [str(p) for p in preview.rejected]
    [new] = preview.new
    assert new.title == 'CENTRE DE JOUR "LES PIBOULES"'
    assert any(str(c) == "FINESS : (vide) → 090002011" for c in new.changes), [str(c) for c in new.changes]


def test_lines_copied_from_the_published_file_fit_the_shipped_mapping(tmp_path: Path) -> None:
    """Four structureet lines copied verbatim from the published extract: 32 columns each, read
    where the mapping says (quoted names, apostrophes, overseas departments)."""
    from importers.excel.mapping import load_mapping
    from importers.excel.reader import open_workbook

    published = Path(__file__).parent / "fixtures" / "finess_etalab_lignes_publiees.csv"
    mapping = load_mapping(MAPPING)
    assert mapping.positions is not None
    column = {
        name: mapping.positions.index(name) for name in ("nofinesset", "rs", "departement", "categetab")
    }
    rows = open_workbook(published).read("")
    assert rows[0][:3] == ["finess", "etalab", "111"]
    lines = [r for r in rows[1:] if r]
    assert all(len(r) >= len(mapping.positions) and r[0] == "structureet" for r in lines)
    read = [tuple(r[column[n]] for n in ("nofinesset", "rs", "departement", "categetab")) for r in lines]
    assert read == [
        ("010000024", "CH DE FLEYRIAT", "01", "355"),
        ("980501506", 'LIEU DE VIE "MAVOUNA MEMA 1"', "9F", "462"),
        ("970302287", "E.H.P.A.D. EDMAR LAMA DE CAYENNE", "9C", "500"),
        ("980600027", "HOPITAL DE SIA", "9J", "355"),
    ]
    db = str(tmp_path / "base.sqlite")
    assert main(["--db", db, "init", "--reference", str(MINI_REFERENCE)]) == 0
    done = run_cli("--db", db, "import", str(published), "--mapping", str(MAPPING))
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert "Rien à importer : aucune ligne du fichier n'est retenue." in done.stdout  # none is in Ariège
