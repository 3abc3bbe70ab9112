"""Every cell problem is a French message with its place; Excel's habits are understood;
importing the same rows twice creates nothing twice."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import openpyxl
from sqlalchemy import func, select

from exports.excel import export_ars
from importers.excel import apply_import, preview_import
from store import actions as action_rules
from store import indicators as indicator_rules
from store import resources as resource_rules
from store.database import Store
from store.fields import ACTION as ACTION_FIELD
from store.models import ActionEvent
from tests.conftest import snapshot_tables
from tests.excel_fixtures import column_of, edit_workbook, find_row, run_cli, set_cell

DEPT = "09"


def exported(store: Store, folder: Path) -> Path:
    path = folder / "echange.xlsx"
    export_ars(store, DEPT, path)
    return path


def rewrite_sheet(source: Path, target: Path, sheet_index: int, change: Callable[[str], str]) -> Path:
    """Copy a workbook, changing the XML of its `sheet_index`-th sheet part (as another program would)."""
    part = f"xl/worksheets/sheet{sheet_index}.xml"
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename == part:
                data = change(data.decode()).encode()
            new.writestr(info, data)
    return target


def new_row(book: openpyxl.Workbook, sheet: str, values: dict[str, Any]) -> None:
    ws = book[sheet]
    row = ws.max_row + 1
    for header, value in values.items():
        ws.cell(row, column_of(ws, header)).value = value


def imported(store: Store, path: Path, **options: Any) -> Any:
    preview = preview_import(store, DEPT, path, **options)
    assert not preview.rejected, [str(p) for p in preview.rejected]
    return preview, apply_import(store, DEPT, preview, {}, "testeur", backup=False)


def counts(store: Store) -> tuple[int, int, int]:
    with store.engine.connect() as conn:
        return (
            len(action_rules.load_actions(conn, DEPT)),
            len(indicator_rules.load_indicators(conn, DEPT)),
            len(resource_rules.load_resources(conn, DEPT)),
        )


# --- cells ---------------------------------------------------------------------------------


def test_a_formula_without_computed_value_is_refused_with_its_place(
    loaded_store: Store, tmp_path: Path
) -> None:
    """A script (openpyxl) writes formulas without their value: the cell would read empty and
    silently set Avancement to 0."""
    path = edit_workbook(
        exported(loaded_store, tmp_path),
        tmp_path / "script.xlsx",
        lambda book: set_cell(book, "Actions", "ACT-001", "Avancement (%)", "=40+10"),
    )
    before = snapshot_tables(loaded_store)
    preview = preview_import(loaded_store, DEPT, path)
    assert [str(p) for p in preview.rejected] == [
        "« script.xlsx », feuille « Actions », ligne 2, colonne « Avancement (%) » (M) : formule sans "
        "valeur calculée (le fichier a été produit par un programme qui n'a pas calculé ses formules) : "
        "ouvrez-le dans Excel ou LibreOffice, enregistrez-le, et recommencez, ou remplacez la formule "
        "par sa valeur"
    ]
    assert snapshot_tables(loaded_store) == before


def test_a_row_refused_for_its_formula_is_not_said_deleted_from_the_workbook(
    loaded_store: Store, tmp_path: Path
) -> None:
    """The row is still in the workbook, one of its cells refused: the preview must not also say
    that its action « n'est plus dans le classeur » (as if the agent had deleted its line)."""
    path = edit_workbook(
        exported(loaded_store, tmp_path),
        tmp_path / "script.xlsx",
        lambda book: set_cell(book, "Actions", "ACT-001", "Avancement (%)", "=40+10"),
    )
    preview = preview_import(loaded_store, DEPT, path)
    assert len(preview.rejected) == 1
    assert not [w for w in preview.warnings if "plus dans le classeur" in w], preview.warnings


def test_a_boolean_cell_is_quoted_as_the_spreadsheet_shows_it(loaded_store: Store, tmp_path: Path) -> None:
    """A box ticked (TRUE) in Avancement: the refusal quotes the cell as a French spreadsheet
    shows it (VRAI), not Python's « True »."""
    path = edit_workbook(
        exported(loaded_store, tmp_path),
        tmp_path / "case.xlsx",
        lambda book: set_cell(book, "Actions", "ACT-001", "Avancement (%)", True),
    )
    preview = preview_import(loaded_store, DEPT, path)
    assert [str(p) for p in preview.rejected] == [
        "« case.xlsx », feuille « Actions », ligne 2, colonne « Avancement (%) » (M) : un pourcentage "
        "est attendu (par exemple 75 ou 75 %) (valeur « VRAI »)"
    ]


def test_a_number_in_a_percentage_format_is_read_as_it_shows(loaded_store: Store, tmp_path: Path) -> None:
    """« 100 % » typed in a spreadsheet, or the CSV export opened in LibreOffice or Excel and saved
    as .xlsx, is the number 1 in a percentage format: it reads 100 %, as the cell shows (it was read
    1 %); in the exchange workbook's own « 0" %" » format it shows « 1 % » and stays 1 %."""

    def edit(book: openpyxl.Workbook) -> None:
        sheet = book["Actions"]
        for code, value, shown in (("ACT-001", 1, "0.0%"), ("ACT-002", 1, '0" %"')):
            cell = sheet.cell(find_row(sheet, code), column_of(sheet, "Avancement (%)"))
            cell.value, cell.number_format = value, shown

    path = edit_workbook(exported(loaded_store, tmp_path), tmp_path / "pourcents.xlsx", edit)
    preview = preview_import(loaded_store, DEPT, path)
    assert not preview.rejected
    progress = {p.key: c.new for p in preview.rows for c in p.changes if c.field == "progress"}
    assert {k: progress.get(k) for k in ("ACT-001", "ACT-002")} == {"ACT-001": 100, "ACT-002": 1}


def test_a_year_typed_as_a_number_in_a_date_column_is_a_year(loaded_store: Store, tmp_path: Path) -> None:
    """2025 typed in Échéance (a number for the spreadsheet, which stores it as 2025.0), or the
    CSV export's « 2023 » opened in LibreOffice or Excel: the year 2025, not the 2025th day
    after 1899 (16/07/1905, what was imported); a real day number (45000) stays a day."""

    def edit(book: openpyxl.Workbook) -> None:
        sheet = book["Actions"]
        for code, value in (("ACT-001", 2025), ("ACT-002", 45000)):
            sheet.cell(find_row(sheet, code), column_of(sheet, "Échéance")).value = value

    preview = preview_import(
        loaded_store, DEPT, edit_workbook(exported(loaded_store, tmp_path), tmp_path / "annee.xlsx", edit)
    )
    assert not preview.rejected
    due = {
        p.key: ACTION_FIELD["due_date"].format(c.new)
        for p in preview.rows
        for c in p.changes
        if c.field == "due_date"
    }
    assert due == {"ACT-001": "2025", "ACT-002": "15/03/2023"}


def test_a_date_shown_as_a_month_or_a_year_keeps_that_precision(loaded_store: Store, tmp_path: Path) -> None:
    """« juin 2025 » typed in Excel becomes the 1st of June shown « juin-25 » (format mmm-yy): the
    month, as the cell shows it (it was imported as 01/06/2025); a date shown « 2024 » is the
    year; a date shown whole stays a day."""
    from datetime import date

    def edit(book: openpyxl.Workbook) -> None:
        sheet = book["Actions"]
        for code, header, shown in (
            ("ACT-001", "Échéance", "mmm-yy"),
            ("ACT-001", "Début", "yyyy"),
            ("ACT-002", "Échéance", "dd/mm/yyyy"),
        ):
            cell = sheet.cell(find_row(sheet, code), column_of(sheet, header))
            cell.value, cell.number_format = date(2025 if header == "Échéance" else 2024, 6, 1), shown

    path = edit_workbook(exported(loaded_store, tmp_path), tmp_path / "mois.xlsx", edit)
    preview = preview_import(loaded_store, DEPT, path)
    assert not preview.rejected
    shown = ACTION_FIELD["due_date"].format
    dates = {(p.key, c.field): shown(c.new) for p in preview.rows for c in p.changes if "date" in c.field}
    assert dates == {
        ("ACT-001", "due_date"): "juin 2025",
        ("ACT-001", "start_date"): "2024",
        ("ACT-002", "due_date"): "01/06/2025",
    }


def test_an_excel_error_in_a_cell_is_refused_instead_of_clearing_the_field(
    loaded_store: Store, tmp_path: Path
) -> None:
    """A VLOOKUP that found nothing (#N/A), or an error typed over a value, reads as an empty cell:
    it would silently clear Avancement."""
    source = exported(loaded_store, tmp_path)
    sheet = openpyxl.load_workbook(source)["Actions"]
    row = find_row(sheet, "ACT-001")
    k = next(c.column_letter for c in sheet[1] if c.value == "Avancement (%)")
    for name, error in (
        ("recherche.xlsx", "<f>VLOOKUP(A2,Listes!A:B,2,0)</f><v>#N/A</v>"),
        ("na.xlsx", "<v>#N/A</v>"),
    ):
        cell = rf'<c r="{k}{row}"\1 t="e">{error}'
        path = rewrite_sheet(
            source,
            tmp_path / name,
            2,
            partial(re.sub, rf'<c r="{k}{row}"([^>]*)><v>50</v>', cell),
        )
        before = snapshot_tables(loaded_store)
        preview = preview_import(loaded_store, DEPT, path)
        assert [str(p) for p in preview.rejected] == [
            f"« {name} », feuille « Actions », ligne {row}, colonne « Avancement (%) » ({k}) : la cellule "
            "contient une erreur d'Excel (une formule qui n'a pas abouti) : elle se lirait vide et "
            "effacerait le champ ; corrigez la formule, ou remplacez-la par une valeur (valeur « #N/A »)"
        ]
        assert not preview.changed  # the refused cell is not also shown as "Avancement : 50 % → (vide)"
        assert snapshot_tables(loaded_store) == before


def test_a_formula_with_its_value_is_imported_and_listed(loaded_store: Store, tmp_path: Path) -> None:
    source = exported(loaded_store, tmp_path)
    book = openpyxl.load_workbook(source)
    row = find_row(book["Actions"], "ACT-001")
    path = rewrite_sheet(
        source,
        tmp_path / "calcule.xlsx",
        2,  # Lisez-moi, then Actions
        lambda xml: re.sub(rf'(<c r="M{row}"[^>]*>)<v>50</v>', r"\1<f>30+30</f><v>60</v>", xml),
    )
    preview, result = imported(loaded_store, path)
    assert any(
        "feuille « Actions » : 1 cellule(s) contiennent une formule, dont la valeur calculée lors du "
        f"dernier enregistrement est importée : M{row}." in w
        for w in preview.warnings
    ), preview.warnings
    assert result.updated == {"action": 1}
    with loaded_store.engine.connect() as conn:
        assert action_rules.load_actions(conn, DEPT)["ACT-001"].progress == 60


def test_an_unknown_header_is_refused_with_the_nearest_known_one(loaded_store: Store, tmp_path: Path) -> None:
    def rename(book: openpyxl.Workbook) -> None:
        ws = book["Actions"]
        ws.cell(1, column_of(ws, "Échéance")).value = "Date échéance"

    path = edit_workbook(exported(loaded_store, tmp_path), tmp_path / "renomme.xlsx", rename)
    preview = preview_import(loaded_store, DEPT, path)
    assert [str(p) for p in preview.rejected] == [
        "« renomme.xlsx », feuille « Actions », ligne 1, colonne « Date échéance » (O) : en-tête inconnu : "
        "vouliez-vous dire « Échéance » ? Renommez la colonne avec un en-tête attendu, ou relancez "
        "l'import en ignorant les colonnes inconnues (--ignore-columns, ou la case "
        "« Ignorer les colonnes inconnues » de l'écran d'import)"
    ]
    ignored = preview_import(loaded_store, DEPT, path, ignore_columns=True)
    assert not ignored.rejected
    assert "feuille « Actions » : colonne(s) ignorée(s) à votre demande : Date échéance." in ignored.warnings


def test_a_second_column_for_the_same_field_is_refused_naming_both(
    loaded_store: Store, tmp_path: Path
) -> None:
    """Two « Statut » columns: only the first would be read, and what was typed in the second lost."""

    def add(book: openpyxl.Workbook) -> None:
        ws = book["Actions"]
        column = ws.max_column + 1
        ws.cell(1, column).value = "Statut"
        ws.cell(find_row(ws, "ACT-001"), column).value = "Réalisée"

    path = edit_workbook(exported(loaded_store, tmp_path), tmp_path / "double.xlsx", add)
    before = snapshot_tables(loaded_store)
    preview = preview_import(loaded_store, DEPT, path)
    [problem] = [str(p) for p in preview.rejected]
    assert problem.startswith("« double.xlsx », feuille « Actions », ligne 1, colonne « Statut » (U) : ")
    assert "la colonne « Statut » (K) porte déjà ce champ" in problem and "--ignore-columns" in problem
    ignored = preview_import(loaded_store, DEPT, path, ignore_columns=True)
    assert not ignored.rejected
    warning = "feuille « Actions » : colonne(s) en double ignorée(s) à votre demande : Statut."
    assert warning in ignored.warnings
    assert snapshot_tables(loaded_store) == before


def test_an_emptied_title_of_a_new_row_is_a_refusal_not_a_traceback(
    loaded_store: Store, tmp_path: Path
) -> None:
    def add(book: openpyxl.Workbook) -> None:
        new_row(book, "Actions", {"Description": "Sans intitulé", "Statut": "En cours"})
        new_row(book, "Ressources", {"Type": "Accueil de jour"})

    path = edit_workbook(exported(loaded_store, tmp_path), tmp_path / "vide.xlsx", add)
    messages = [str(p) for p in preview_import(loaded_store, DEPT, path).rejected]
    assert messages == [
        "« vide.xlsx », feuille « Actions », ligne 4, colonne « Intitulé » (B) : intitulé obligatoire pour "
        "créer une nouvelle action (la cellule est vide)",
        "« vide.xlsx », feuille « Ressources », ligne 3, colonne « Nom » (B) : nom obligatoire pour créer "
        "une nouvelle ressource (la cellule est vide)",
    ]


def test_a_text_longer_than_excel_keeps_is_refused(loaded_store: Store, tmp_path: Path) -> None:
    """Excel and openpyxl cut such texts; another program may not: the reader would cut it."""
    source = exported(loaded_store, tmp_path)
    row = find_row(openpyxl.load_workbook(source)["Actions"], "ACT-001")
    path = rewrite_sheet(
        source,
        tmp_path / "long.xlsx",
        2,
        lambda xml: re.sub(
            rf'<c r="C{row}"[^>]*?(/>|>.*?</c>)',
            f'<c r="C{row}" t="inlineStr"><is><t>{"x" * 40_000}</t></is></c>',
            xml,
            count=1,
        ),
    )
    [problem] = preview_import(loaded_store, DEPT, path).rejected
    assert str(problem).startswith(
        "« long.xlsx », feuille « Actions », ligne 2, colonne « Description » (C) : texte de plus de "
        "32 767 caractères, ce qu'une cellule Excel peut contenir au plus : il serait coupé au prochain "
        "export (valeur « xxx"
    )
    assert len(str(problem)) < 400  # the value is quoted, not printed whole


def test_refusals_are_summarised(loaded_store: Store, tmp_path: Path) -> None:
    def add(book: openpyxl.Workbook) -> None:
        for number in range(60):
            new_row(
                book, "Actions", {"Intitulé": f"Action {number}", "Statut": "En cours", "Avancement (%)": 500}
            )

    path = edit_workbook(exported(loaded_store, tmp_path), tmp_path / "beaucoup.xlsx", add)
    preview = preview_import(loaded_store, DEPT, path)
    lines = preview.report_lines()
    assert len(preview.rejected) == 60
    assert sum(line.startswith("✗ Refusé") for line in lines) == 50
    assert lines[-1] == "… et 10 autre(s) problème(s) non affiché(s)."


def test_a_duplicated_sheet_is_reported_as_a_copy(loaded_store: Store, tmp_path: Path) -> None:
    def duplicate(book: openpyxl.Workbook) -> None:
        copy = book.copy_worksheet(book["Actions"])
        copy.title = "Actions (2)"  # what Excel names a duplicated sheet

    path = edit_workbook(exported(loaded_store, tmp_path), tmp_path / "copie.xlsx", duplicate)
    preview = preview_import(loaded_store, DEPT, path)
    assert [str(p) for p in preview.rejected] == [
        "« copie.xlsx », feuille « Actions (2) » : cette feuille est une copie de la feuille « Actions » "
        "(Excel nomme ainsi une feuille dupliquée) : une seule feuille par sorte de données est lue ; "
        "supprimez la copie, ou recopiez ses lignes dans la feuille d'origine"
    ]


def test_one_renamed_sheet_is_read_by_its_headers_and_a_renamed_copy_is_refused(
    loaded_store: Store, tmp_path: Path
) -> None:
    """Only Actions renamed ("Suivi 2025"): its changes are read, not dropped with a warning while
    the other sheets import; a second sheet with its headers is refused as a copy."""

    def rename(book: openpyxl.Workbook) -> None:
        set_cell(book, "Actions", "ACT-001", "Avancement (%)", 80)
        book["Actions"].title = "Suivi 2025"

    path = edit_workbook(exported(loaded_store, tmp_path), tmp_path / "renomme.xlsx", rename)
    preview = preview_import(loaded_store, DEPT, path)
    assert not preview.rejected, [str(p) for p in preview.rejected]
    assert [(p.key, [str(c) for c in p.changes]) for p in preview.changed] == [
        ("ACT-001", ["Avancement (%) : 50 % → 80 %"])
    ]

    def copy(book: openpyxl.Workbook) -> None:
        book.copy_worksheet(book["Actions"]).title = "À relancer"

    path = edit_workbook(exported(loaded_store, tmp_path), tmp_path / "filtre.xlsx", copy)
    assert [str(p) for p in preview_import(loaded_store, DEPT, path).rejected] == [
        "« filtre.xlsx », feuille « À relancer » : cette feuille a les en-têtes de la feuille « Actions », "
        "déjà lue : une seule feuille par sorte de données est lue ; supprimez-la, ou recopiez ses lignes "
        "dans la feuille « Actions »"
    ]


# --- Excel's habits ------------------------------------------------------------------------------


def test_codes_typed_as_numbers_or_names_are_understood(loaded_store: Store, tmp_path: Path) -> None:
    def habits(book: openpyxl.Workbook) -> None:
        set_cell(book, "Actions", "ACT-001", "Territoires", 9)  # "09" typed in a General cell
        set_cell(book, "Actions", "ACT-002", "Territoires", "ariege, couserans")
        set_cell(book, "Actions", "ACT-002", "Pilote", "cpts ariege pyrenees")
        set_cell(book, "Actions", "ACT-001", "Budget (€)", 12500.5)

    path = edit_workbook(exported(loaded_store, tmp_path), tmp_path / "habitudes.xlsx", habits)
    preview, _ = imported(loaded_store, path)
    assert "    Budget (€) : (vide) → 12 500,50 €" in preview.report_lines()
    with loaded_store.engine.connect() as conn:
        actions = action_rules.load_actions(conn, DEPT)
    assert actions["ACT-001"].territories == ("09",)
    assert set(actions["ACT-002"].territories) == {"09", "COUSERANS"}
    assert actions["ACT-002"].lead == "CPTS-AP"


def test_budget_conflicts_are_shown_in_euros(loaded_store: Store, tmp_path: Path) -> None:
    from dataclasses import replace

    path = edit_workbook(
        exported(loaded_store, tmp_path),
        tmp_path / "budget.xlsx",
        lambda book: set_cell(book, "Actions", "ACT-001", "Budget (€)", 1000),
    )
    with loaded_store.writer.begin() as conn:
        before = action_rules.load_actions(conn, DEPT)["ACT-001"]
        action_rules.update_action(
            conn, DEPT, before, replace(before, budget_cents=250_000), author="x", source="test"
        )
    [conflict] = preview_import(loaded_store, DEPT, path).conflicts
    assert (
        "exporté « (vide) », modifié dans la base en « 2 500 € » et dans le classeur en « 1 000 € »"
        in str(conflict)
    )


# --- twice -------------------------------------------------------------------------------------


def test_rows_without_code_imported_twice_create_one_record(loaded_store: Store, tmp_path: Path) -> None:
    def add(book: openpyxl.Workbook) -> None:
        del book["_suivi_sts"]  # a hand-made workbook
        new_row(book, "Actions", {"Intitulé": "Halte-répit du Couserans", "Statut": "À lancer"})
        new_row(book, "Ressources", {"Nom": "Café des aidants de Foix", "Type": "Café des aidants"})
        new_row(
            book, "Indicateurs", {"Intitulé": "Aidants accueillis", "Action": "ACT-001", "Unité": "personnes"}
        )

    path = edit_workbook(exported(loaded_store, tmp_path), tmp_path / "e1.xlsx", add)
    start = counts(loaded_store)
    imported(loaded_store, path)
    once = counts(loaded_store)
    assert once == (start[0] + 1, start[1] + 1, start[2] + 1)
    for _ in range(2):
        preview, result = imported(loaded_store, path)
        assert result.created == {}
    assert counts(loaded_store) == once


def test_a_codeless_indicator_row_with_a_value_imported_three_times_changes_nothing_the_second_time(
    loaded_store: Store, tmp_path: Path
) -> None:
    path = edit_workbook(
        exported(loaded_store, tmp_path),
        tmp_path / "e1.xlsx",
        lambda book: new_row(
            book,
            "Indicateurs",
            {"Intitulé": "Réunions tenues", "Action": "ACT-001", "Période": "2024", "Valeur": 3},
        ),
    )
    imported(loaded_store, path)
    once = counts(loaded_store)
    for _ in range(2):
        preview = preview_import(loaded_store, DEPT, path)
        assert not preview.new and not preview.changed, preview.report_lines()
        result = apply_import(loaded_store, DEPT, preview, {}, "testeur", backup=False)
        assert result.created == {} and result.updated == {} and result.values_changed == 0
    assert counts(loaded_store) == once


def test_a_comment_is_journaled_once_whatever_the_file_name(loaded_store: Store, tmp_path: Path) -> None:
    path = edit_workbook(
        exported(loaded_store, tmp_path),
        tmp_path / "e1.xlsx",
        lambda book: set_cell(book, "Actions", "ACT-001", "Commentaire", "Réunion du 3 mars : RAS"),
    )
    renamed = tmp_path / "e1 (1).xlsx"
    renamed.write_bytes(path.read_bytes())
    imported(loaded_store, path)
    preview, result = imported(loaded_store, renamed)
    assert result.comments == 0
    ev = ActionEvent.__table__  # type: ignore[attr-defined]
    with loaded_store.engine.connect() as conn:
        journaled = conn.execute(
            select(func.count()).select_from(ev).where(ev.c.comment == "Réunion du 3 mars : RAS")
        ).scalar()
    assert journaled == 1


def test_the_cli_refuses_a_bad_cell_without_traceback(loaded_store: Store, tmp_path: Path) -> None:
    if loaded_store.path is None:
        return  # the CLI subprocess runs on the SQLite file
    path = edit_workbook(
        exported(loaded_store, tmp_path),
        tmp_path / "vide.xlsx",
        lambda book: new_row(book, "Actions", {"Description": "Sans intitulé", "Statut": "En cours"}),
    )
    done = run_cli("--db", str(loaded_store.path), "import", str(path))
    assert done.returncode == 1
    assert "colonne « Intitulé » (B) : intitulé obligatoire pour créer une nouvelle action" in done.stdout
    assert "Traceback" not in done.stderr and "Rien n'a été écrit." in done.stderr
