"""The Excel commands as users run them: exit codes, messages, files written, reports' contents."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from store.database import open_store
from tests.conftest import MINI_REFERENCE, snapshot_tables
from tests.excel_fixtures import edit_workbook, set_cell
from tui.cli import main


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "s.sqlite")
    assert main(["--db", path, "init", "--reference", str(MINI_REFERENCE)]) == 0
    return path


def test_export_then_import_unchanged_exits_0_with_nothing_to_do(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "echange.xlsx"
    assert main(["--db", db, "export", "ars", str(out)]) == 0
    assert out.exists() and not list(tmp_path.glob(".echange.xlsx.*"))
    capsys.readouterr()
    assert main(["--db", db, "import", str(out)]) == 0
    printed = capsys.readouterr()
    assert "0 nouveau(x), 0 modifié(s), 4 inchangé(s)" in printed.out
    assert "Rien à importer" in printed.out
    assert "Lecture : 5/5 (100 %)" in printed.err


def test_the_import_reads_the_workbook_while_it_opens_the_store(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The reading child starts before the store is opened (both go on at once), and the
    preview collects that reading instead of starting another."""
    from importers.excel import reader
    from tui import cli_excel

    out = tmp_path / "echange.xlsx"
    assert main(["--db", db, "export", "ars", str(out)]) == 0
    events: list[str] = []
    started = reader.Reading.__init__
    opened = cli_excel.open_existing

    def reading(self: reader.Reading, *args: Any, **options: Any) -> None:
        events.append("lecture")
        started(self, *args, **options)

    def store(target: str) -> Any:
        events.append("base")
        return opened(target)

    monkeypatch.setattr(reader.Reading, "__init__", reading)
    monkeypatch.setattr(cli_excel, "open_existing", store)
    capsys.readouterr()
    assert main(["--db", db, "import", str(out)]) == 0
    assert events == ["lecture", "base"]
    assert "4 inchangé(s)" in capsys.readouterr().out


def test_dry_run_shows_the_preview_and_writes_nothing(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "e.xlsx"
    assert main(["--db", db, "export", "ars", str(out)]) == 0
    edited = edit_workbook(
        out, tmp_path / "m.xlsx", lambda b: set_cell(b, "Actions", "ACT-001", "Statut", "fait")
    )
    store = open_store(db)
    before = snapshot_tables(store)
    capsys.readouterr()
    assert main(["--db", db, "import", "--dry-run", str(edited)]) == 0
    printed = capsys.readouterr().out
    assert "~ Modifié : action ACT-001" in printed and "Statut : En cours → Réalisée" in printed
    assert "rien n'a été écrit" in printed
    assert snapshot_tables(store) == before
    assert main(["--db", db, "import", str(edited)]) == 0
    assert "Import appliqué : 1 action(s) modifié(e)s" in capsys.readouterr().out
    assert snapshot_tables(store) != before
    store.dispose()


def test_rejected_rows_and_conflicts_exit_1(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "e.xlsx"
    assert main(["--db", db, "export", "ars", str(out)]) == 0
    bad = edit_workbook(
        out, tmp_path / "faux.xlsx", lambda b: set_cell(b, "Actions", "ACT-001", "Début", "32/01/2024")
    )
    capsys.readouterr()
    assert main(["--db", db, "import", str(bad)]) == 1
    printed = capsys.readouterr()
    assert "✗ Refusé : « faux.xlsx », feuille « Actions », ligne 2, colonne « Début » (N)" in printed.out
    assert "Rien n'a été écrit." in printed.err
    first = edit_workbook(
        out, tmp_path / "a.xlsx", lambda b: set_cell(b, "Actions", "ACT-001", "Météo", "rouge")
    )
    second = edit_workbook(
        out, tmp_path / "b.xlsx", lambda b: set_cell(b, "Actions", "ACT-001", "Météo", "orange")
    )
    assert main(["--db", db, "import", str(first)]) == 0
    capsys.readouterr()
    assert main(["--db", db, "import", str(second)]) == 1
    printed = capsys.readouterr()
    assert "! Conflit :" in printed.out and "Météo" in printed.out
    assert "1 conflit(s)" in printed.err


def test_missing_file_exits_2(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", db, "import", str(tmp_path / "absent.xlsx")]) == 2
    assert "introuvable" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("command", "what"),
    [(["import"], "le fichier"), (["restore"], "la sauvegarde"), (["init", "--reference"], "le fichier")],
)
def test_a_folder_given_for_a_file_is_said_to_be_a_folder(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str], what: str
) -> None:
    folder = tmp_path / "Mes documents"
    folder.mkdir()
    assert main(["--db", db, *command, str(folder)]) == 2
    assert capsys.readouterr().err == f"Erreur : {what} « {folder} » est un dossier, pas un fichier.\n"


def test_cts_report_layout_and_contacts(db: str, tmp_path: Path) -> None:
    from dataclasses import replace

    from store import resources as resource_rules

    store = open_store(db)
    with store.writer.begin() as conn:
        r = resource_rules.load_resources(conn, "09")["RES-PFR"]
        resource_rules.update_resource(
            conn,
            "09",
            r,
            replace(r, phone="0561000000", email="pfr@exemple.fr", contact_name="Mme Durand"),
            author="testeur",
            source="test",
        )
    store.dispose()
    plain, full = tmp_path / "cts.xlsx", tmp_path / "cts-contacts.xlsx"
    assert main(["--db", db, "export", "cts", str(plain)]) == 0
    assert main(["--db", db, "export", "cts", "--with-contacts", str(full)]) == 0
    book = openpyxl.load_workbook(plain)
    assert book.sheetnames == [
        "Synthèse",
        "Graphique",
        "Actions par objectif",
        "Indicateurs",
        "Aidants-répit",
        "Offre de soins",
    ]
    for sheet in book.worksheets:
        one_page = sheet.title in ("Synthèse", "Graphique")
        assert sheet.page_setup.orientation == "landscape"
        assert sheet.page_setup.fitToWidth in (None, 1)
        assert sheet.page_setup.fitToHeight in ((None, 1) if one_page else (0,))
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.print_title_rows or sheet.title == "Graphique"
        assert "Ariège" in sheet.oddHeader.left.text
    synthesis = book["Synthèse"]
    values = [[c.value for c in row] for row in synthesis.iter_rows()]
    total = next(row for row in values if row[0] == "Total")
    assert total[2] == 2  # actions
    assert synthesis.conditional_formatting
    with zipfile.ZipFile(plain) as archive:
        assert any(n.startswith("xl/charts/chart") for n in archive.namelist())

    def texts(path: Path) -> str:
        b = openpyxl.load_workbook(path)
        return " ".join(str(c.value) for s in b.worksheets for row in s.iter_rows() for c in row if c.value)

    assert (
        "Mme Durand" not in texts(plain) and "0561000000" not in texts(plain) and "pfr@" not in texts(plain)
    )
    assert "Mme Durand" in texts(full) and "0561000000" in texts(full)


def test_exchange_workbook_layout(db: str, tmp_path: Path) -> None:
    out = tmp_path / "e.xlsx"
    assert main(["--db", db, "export", "ars", str(out)]) == 0
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == [
        "Lisez-moi",
        "Actions",
        "Indicateurs",
        "Ressources",
        "Objectifs",
        "Journal des ressources",
        "Listes",
        "_suivi_sts",
    ]
    assert book["_suivi_sts"].sheet_state == "hidden"
    actions = book["Actions"]
    headers = [c.value for c in actions[1]]
    expected = ["Code", "Intitulé", "Objectif", "Pilote", "Partenaires", "Territoires", "Statut", "Météo"]
    expected += ["Avancement (%)", "Début", "Échéance", "Budget (€)", "Financement", "Commentaire"]
    for name in expected:
        assert name in headers
    resources_headers = [c.value for c in book["Ressources"][1]]
    for name in (
        "Code",
        "Nom",
        "Type",
        "Public",
        "Porteur",
        "Territoires",
        "Statut",
        "Adresse",
        "Téléphone",
        "Courriel",
    ):
        assert name in resources_headers
    assert actions.freeze_panes == "B2" and actions.auto_filter.ref
    assert actions.protection.sheet and not actions.protection.password
    code_cell = actions["A2"]
    assert code_cell.protection.locked
    status = actions.cell(2, headers.index("Statut") + 1)
    assert not status.protection.locked
    due = actions.cell(3, headers.index("Échéance") + 1)
    assert due.number_format == "dd/mm/yyyy" and due.is_date
    validations = {str(dv.sqref).split(":")[0]: dv for dv in actions.data_validations.dataValidation}
    letter = openpyxl.utils.get_column_letter(headers.index("Statut") + 1)
    assert validations[f"{letter}2"].type == "list" and "Listes" in validations[f"{letter}2"].formula1
    assert book["Objectifs"].protection.sheet and book["Listes"].protection.sheet
    assert actions.column_dimensions["B"].width > 20


def test_workshop_export(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from dataclasses import replace

    from store import actions as action_rules
    from store.activity import start_workshop

    assert main(["--db", db, "export", "atelier", str(tmp_path / "w.xlsx")]) == 2
    assert "Aucun atelier" in capsys.readouterr().err
    store = open_store(db)
    with store.writer.begin() as conn:
        session = start_workshop(
            conn, "09", scope_kind="defi", scope_code="E1-D4", scope_label="Dépistage", author="a"
        )
        a = action_rules.load_actions(conn, "09")["ACT-002"]
        action_rules.update_action(
            conn, "09", a, replace(a, progress=30, status="en_cours"), author="a", source=session.source
        )
    store.dispose()
    assert (
        main(["--db", db, "export", "atelier", "--session", str(session.id), str(tmp_path / "w.xlsx")]) == 0
    )
    book = openpyxl.load_workbook(tmp_path / "w.xlsx")
    lines = [[c.value for c in row] for row in book["Atelier"].iter_rows(min_row=6)]
    assert {(r[0], r[4], r[5], r[6]) for r in lines} >= {("ACT-002", "Avancement (%)", "0 %", "30 %")}
    assert [c.value for c in book["Actions modifiées"]["A"]][1:] == ["ACT-002"]


def test_excel_libraries_are_not_imported_by_the_cli_module() -> None:
    code = (
        "import sys, tui.cli, tui.cli_excel, importers.excel, exports.excel;"
        "bad = [m for m in ('python_calamine', 'xlsxwriter', 'openpyxl', 'textual') if m in sys.modules];"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
