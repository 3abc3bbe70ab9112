"""The Actions sheet saved by Excel as text, in each of its habits, imports the same: CSV with
semicolons in Windows-1252, text with tabs in Windows-1252, « Texte Unicode » (UTF-16 with its
byte-order mark, tabs), CSV UTF-8 with its mark. A text file's own problems are said as such."""

from __future__ import annotations

from pathlib import Path

import pytest

from importers.excel import preview_import
from store.database import Store

DEPT = "09"
ROWS = [
    ["Code", "Intitulé", "Objectif", "Statut", "Avancement (%)", "Échéance"],
    ["", "Atelier répit des aidants à Foix", "E1-D4-S2", "En cours", "20", "31/12/2026"],
    ["ACT-001", "Mammobile de la CPTS Ariège Pyrénées", "E1-D4-S2", "Réalisée", "100", ""],
]

#: (file name, separator, encoding) as Excel's « Enregistrer sous » writes them.
EXCEL_SAVES = [
    ("csv-point-virgule.csv", ";", "cp1252"),
    ("texte-tabulation.txt", "\t", "cp1252"),
    ("texte-unicode.txt", "\t", "utf-16"),
    ("csv-utf8.csv", ";", "utf-8-sig"),
    ("csv-virgule.csv", ",", "utf-8"),
]


def _write(path: Path, separator: str, encoding: str, rows: list[list[str]] = ROWS) -> Path:
    path.write_bytes("".join(separator.join(row) + "\r\n" for row in rows).encode(encoding))
    return path


def _seen(store: Store, path: Path) -> tuple[list[str], list[tuple[str, list[str]]], list[str]]:
    preview = preview_import(store, DEPT, path)
    assert not preview.rejected, [str(p) for p in preview.rejected]
    changed = [(p.key, sorted(str(c) for c in p.changes)) for p in preview.changed]
    return [p.title for p in preview.new], changed, preview.warnings


@pytest.mark.parametrize(("name", "separator", "encoding"), EXCEL_SAVES)
def test_each_way_excel_saves_text_reads_the_same(
    loaded_store: Store, tmp_path: Path, name: str, separator: str, encoding: str
) -> None:
    new, changed, _ = _seen(loaded_store, _write(tmp_path / name, separator, encoding))
    assert new == ["Atelier répit des aidants à Foix"]
    assert changed == [("ACT-001", ["Avancement (%) : 50 % → 100 %", "Statut : En cours → Réalisée"])]


def test_a_text_file_is_not_said_to_miss_a_hidden_sheet(loaded_store: Store, tmp_path: Path) -> None:
    _, _, warnings = _seen(loaded_store, _write(tmp_path / "actions.csv", ";", "utf-8"))
    said = " ".join(warnings)
    assert "un fichier texte ne garde pas les données de l'export" in said
    assert "feuille cachée" not in said


def test_a_text_file_of_unknown_headers_is_refused_as_a_file(loaded_store: Store, tmp_path: Path) -> None:
    path = _write(
        tmp_path / "contacts.csv", ";", "cp1252", [["Nom", "Prénom", "Téléphone"], ["Durand", "Léa", "05"]]
    )
    preview = preview_import(loaded_store, DEPT, path)
    [problem] = preview.rejected
    assert "« contacts.csv »" in str(problem)
    assert "en-têtes non reconnus : le fichier doit reprendre les colonnes" in str(problem)
    assert not any("feuille «  »" in w for w in preview.warnings)
