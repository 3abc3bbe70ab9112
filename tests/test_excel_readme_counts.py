"""The exchange workbook as the ARS reads and fills it: a « Lisez-moi » whose counts are the sheets'
rows, organisations by name (the code kept beside), a prompt on every column people fill, and
the re-import of a workbook where a pilot was chosen by name from the list."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import openpyxl
from python_calamine import CalamineWorkbook

from exports.excel import export_ars
from exports.excel.ars import (
    ACTION_COLUMNS,
    CARRIER_CODE,
    LEAD_CODE,
    PARTNER_CODES,
    RESOURCE_COLUMNS,
    TERRITORY_CODES,
    organisation_labels,
)
from importers.excel import apply_import, preview_import
from importers.excel.resolve import CodeIndex
from store import actions as action_rules
from store import indicators as indicator_rules
from store.database import Store
from tests.excel_fixtures import edit_workbook, set_cell
from tests.pdf_support import add_post_covid_indicator

DEPT = "09"


def _rows(path: Path, sheet: str) -> list[list[Any]]:
    return [r for r in CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()]


def test_the_readme_counts_the_rows_of_each_sheet(loaded_store: Store, tmp_path: Path) -> None:
    add_post_covid_indicator(loaded_store, DEPT, action="ACT-001")  # 6 months, by minors, men, women
    path = tmp_path / "echange.xlsx"
    export_ars(loaded_store, DEPT, path)
    actions = [r for r in _rows(path, "Actions")[1:] if r and r[0]]
    indicators = [r for r in _rows(path, "Indicateurs")[1:] if r and r[0]]
    resources = [r for r in _rows(path, "Ressources")[1:] if r and r[0]]
    readme = " ".join(str(c) for row in _rows(path, "Lisez-moi") for c in row)
    with loaded_store.engine.connect() as conn:
        stored = indicator_rules.load_indicators(conn, DEPT)
        values = indicator_rules.load_values(conn, DEPT)
    # the mini scheme's indicator (2 periods) and the post-COVID one (6 months)
    assert (len(actions), len(indicators), len(resources), len(stored)) == (2, 8, 1, 2)
    assert f"« Actions » : {len(actions)} lignes, une par action." in readme
    assert f"« Indicateurs » : {len(indicators)} lignes pour {len(stored)} indicateurs" in readme
    assert f"{len(values)} valeurs en tout" in readme
    assert f"« Ressources » : {len(resources)} ligne, une par ressource" in readme


def test_organisations_and_territories_are_named_with_their_code_beside_and_every_column_has_a_prompt(
    loaded_store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "echange.xlsx"
    export_ars(loaded_store, DEPT, path)
    book = openpyxl.load_workbook(path)
    sheet = book["Actions"]
    headers = [c.value for c in sheet[1]]
    lead = headers.index("Pilote")
    assert headers[lead + 1] == LEAD_CODE
    cells = {row[0].value: (row[lead].value, row[lead + 1].value) for row in sheet.iter_rows(min_row=2)}
    assert cells["ACT-001"] == ("CPTS Ariège Pyrénées", "CPTS-AP")
    assert cells["ACT-002"] == ("GHT des Pyrénées Ariégeoises", "GHT-PA")
    # Partners and territories too, by name, their codes beside (Actions and Ressources).
    for sheet_name, key in (("Actions", "ACT-001"), ("Ressources", "RES-PFR")):
        ws = book[sheet_name]
        heads = [c.value for c in ws[1]]
        row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == key)
        named = {
            h: (row[i].value, row[i + 1].value)
            for i, h in enumerate(heads)
            if h in ("Partenaires", "Territoires")
        }
        assert heads[heads.index("Territoires") + 1] == TERRITORY_CODES
        assert named["Territoires"] == ("Ariège (tout le département)", "09")
        if sheet_name == "Actions":
            assert heads[heads.index("Partenaires") + 1] == PARTNER_CODES
            assert named["Partenaires"] == ("CPAM de l'Ariège", "CPAM-09")

    # The Pilote drop-down lists the organisations' names (Listes), their codes in the next column.
    lists = book["Listes"]
    list_headers = [c.value for c in lists[1]]
    names_column = list_headers.index("Organisation")
    assert list_headers[names_column + 1] == "Organisation (code)"
    names = [r[names_column].value for r in lists.iter_rows(min_row=2) if r[names_column].value]
    assert names == ["CPAM de l'Ariège", "CPTS Ariège Pyrénées", "GHT des Pyrénées Ariégeoises"]

    for sheet_name, columns, code_column in (
        ("Actions", ACTION_COLUMNS, LEAD_CODE),
        ("Ressources", RESOURCE_COLUMNS, CARRIER_CODE),
    ):
        ws = book[sheet_name]
        letters = {c.value: c.column_letter for c in ws[1]}
        validations = {
            str(ref).split(":")[0].rstrip("0123456789"): v
            for v in ws.data_validations.dataValidation
            for ref in v.sqref.ranges
        }
        for column in columns:
            found = validations.get(letters[column.header])
            if column.style == "readonly":
                assert found is None or not found.prompt, column.header
                continue
            assert found is not None and found.showInputMessage, f"{sheet_name} : {column.header}"
            assert found.promptTitle and len(found.promptTitle) <= 32
            assert found.prompt and 10 < len(found.prompt) <= 255
            assert not re.search(r"\b(the|and|please|choose)\b", found.prompt), found.prompt  # French
        assert code_column in letters
        lead_validation = validations[letters["Pilote" if sheet_name == "Actions" else "Porteur"]]
        assert lead_validation.type == "list"
        column_letter = openpyxl.utils.get_column_letter(names_column + 1)
        assert lead_validation.formula1 == f"Listes!${column_letter}$2:${column_letter}$4"


def test_pilots_partners_and_territories_given_by_name_are_imported(
    loaded_store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "echange.xlsx"
    export_ars(loaded_store, DEPT, path)
    untouched = preview_import(loaded_store, DEPT, path)
    assert not untouched.rejected and not untouched.has_changes, untouched.report_lines()

    def edit(book: Any) -> None:
        set_cell(book, "Actions", "ACT-001", "Pilote", "CPAM de l'Ariège")  # from the list
        set_cell(book, "Actions", "ACT-002", "Pilote", "cpts ariege pyrenees")  # typed by hand
        set_cell(book, "Actions", "ACT-002", "Partenaires", "CPAM de l'Ariège, CPTS Ariège Pyrénées")
        set_cell(book, "Actions", "ACT-002", "Territoires", "Couserans, Haute-Ariège")

    edited = edit_workbook(path, tmp_path / "pilotes.xlsx", edit)
    preview = preview_import(loaded_store, DEPT, edited)
    assert not preview.rejected, preview.report_lines()
    changes = {(p.key, c.field, c.new) for p in preview.changed for c in p.changes}
    assert changes == {
        ("ACT-001", "lead", "CPAM-09"),
        ("ACT-002", "lead", "CPTS-AP"),
        ("ACT-002", "partners", ("CPAM-09", "CPTS-AP")),
        ("ACT-002", "territories", ("COUSERANS", "HAUTE-ARIEGE")),
    }
    apply_import(loaded_store, DEPT, preview, {}, "testeur", backup=False)
    with loaded_store.engine.connect() as conn:
        after = action_rules.load_actions(conn, DEPT)
    assert (after["ACT-001"].lead, after["ACT-002"].lead) == ("CPAM-09", "CPTS-AP")
    assert not preview_import(loaded_store, DEPT, edited).has_changes


def test_ambiguous_names_carry_their_code_and_are_read_back() -> None:
    organisations = [
        ("CPTS-A", "CPTS du Couserans"),
        ("CPTS-B", "CPTS du Couserans"),
        ("ARS", "Agence"),
        ("X", "ARS"),  # a name that is another organisation's code
        ("SANS-NOM", None),
    ]
    labels = organisation_labels(organisations)
    assert labels == {
        "CPTS-A": "CPTS du Couserans (CPTS-A)",
        "CPTS-B": "CPTS du Couserans (CPTS-B)",
        "ARS": "Agence",
        "X": "ARS (X)",
        "SANS-NOM": "SANS-NOM",
    }
    index = CodeIndex.build("organisation inconnue", organisations)
    assert {code: index.find(label) for code, label in labels.items()} == {c: c for c, _ in organisations}
