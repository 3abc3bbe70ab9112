"""Export the exchange workbook, edit it as people do, import it back (SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from exports.excel import export_ars
from importers.excel import (
    KEEP_STORE,
    TAKE_WORKBOOK,
    ImportRefused,
    apply_import,
    preview_import,
)
from importers.excel.model import ConflictKey, Resolution
from store import actions as action_rules
from store import resources as resource_rules
from store.activity import last_exchanges
from store.database import Store
from store.indicators import ValueKey, load_values
from store.journal import journal_lines
from tests.conftest import snapshot_tables
from tests.excel_fixtures import column_of, edit_workbook, find_row, set_cell, store_moves_on

DEPT = "09"


def export(store: Store, folder: Path, name: str = "echange.xlsx") -> Path:
    path = folder / name
    export_ars(store, DEPT, path, author="testeur")
    return path


def actions(store: Store) -> dict[str, action_rules.ActionData]:
    with store.engine.connect() as conn:
        return action_rules.load_actions(conn, DEPT)


def run_import(store: Store, path: Path, resolutions: Any = None, *, ignore_columns: bool = False) -> Any:
    preview = preview_import(store, DEPT, path, ignore_columns=ignore_columns)
    assert not preview.rejected, [str(p) for p in preview.rejected]
    return preview, apply_import(store, DEPT, preview, resolutions or {}, "testeur", backup=False)


def test_unchanged_round_trip_changes_nothing(loaded_store: Store, tmp_path: Path) -> None:
    path = export(loaded_store, tmp_path)
    before = snapshot_tables(loaded_store)
    preview = preview_import(loaded_store, DEPT, path)
    assert not preview.rejected and not preview.conflicts and not preview.has_changes
    assert {p.key for p in preview.unchanged} >= {"ACT-001", "ACT-002", "RES-PFR", "IND-001"}
    apply_import(loaded_store, DEPT, preview, {}, "testeur", backup=False)
    assert snapshot_tables(loaded_store) == before


def test_edits_as_people_type_them_land_exactly_and_are_journaled(
    loaded_store: Store, tmp_path: Path
) -> None:
    path = export(loaded_store, tmp_path)

    def edit(book: Any) -> None:
        set_cell(book, "Actions", "ACT-001", "Statut", "terminé")
        set_cell(book, "Actions", "ACT-001", "Avancement (%)", "100 %")
        set_cell(book, "Actions", "ACT-002", "Statut", "EN COURS ")
        set_cell(book, "Actions", "ACT-002", "Avancement (%)", 0.5)
        set_cell(book, "Actions", "ACT-002", "Échéance", "30/06/2025")
        set_cell(book, "Actions", "ACT-002", "Début", "2023-02-01")
        set_cell(book, "Actions", "ACT-002", "Budget (€)", "13 000,50 €")
        set_cell(book, "Actions", "ACT-002", "Météo", "orange")

    edited = edit_workbook(path, tmp_path / "modifie.xlsx", edit)
    preview, result = run_import(loaded_store, edited)
    changed = {p.key: {c.field: c.new for c in p.changes} for p in preview.changed}
    assert changed == {
        "ACT-001": {"status": "realisee", "progress": 100},
        "ACT-002": {
            "status": "en_cours",
            "progress": 50,
            "due_date": date(2025, 6, 30),
            "start_date": date(2023, 2, 1),
            "budget_cents": 1300050,
            "weather": "orange",
        },
    }
    assert result.updated == {"action": 2}
    after = actions(loaded_store)
    assert after["ACT-001"].status == "realisee" and after["ACT-001"].progress == 100
    assert after["ACT-002"].due_date == date(2025, 6, 30) and after["ACT-002"].budget_cents == 1300050
    with loaded_store.engine.connect() as conn:
        lines = journal_lines(conn, DEPT, source="modifie.xlsx")
        exchanges = last_exchanges(conn, DEPT)
    assert sorted((line.code, line.field_name) for line in lines) == sorted(
        [("ACT-001", "status"), ("ACT-001", "progress")]
        + [
            ("ACT-002", f)
            for f in ("status", "progress", "due_date", "start_date", "budget_cents", "weather")
        ]
    )
    assert {line.author for line in lines} == {"testeur"}
    assert exchanges[0].direction == "import" and exchanges[0].file_name == "modifie.xlsx"
    assert exchanges[1].direction == "export"
    # Importing the same file again changes nothing more.
    again = preview_import(loaded_store, DEPT, edited)
    assert not again.has_changes and not again.conflicts


def test_reordered_renamed_headers_title_rows_extra_columns_blank_rows(
    loaded_store: Store, tmp_path: Path
) -> None:
    path = export(loaded_store, tmp_path)

    def edit(book: Any) -> None:
        ws = book["Actions"]
        ws.insert_rows(1, 3)
        ws["A1"] = "Suivi des actions — copie de travail"
        ws.merge_cells("A1:F1")
        ws.cell(4, column_of(ws, "Statut", 4)).value = "statut"
        ws.cell(4, column_of(ws, "Avancement (%)", 4)).value = "  AVANCEMENT  "
        ws.cell(4, column_of(ws, "Échéance", 4)).value = "echeance"
        ws.move_range(f"A4:A{ws.max_row}", cols=ws.max_column + 1)  # Code moved to the far right
        ws.cell(4, ws.max_column + 1).value = "Mes notes"
        row = find_row(ws, "ACT-002", ws.max_column - 1)
        ws.cell(row, ws.max_column).value = "à voir"
        ws.cell(row, column_of(ws, "statut", 4)).value = "Realisee"
        ws.cell(row, column_of(ws, "  AVANCEMENT  ", 4)).value = "100"
        ws.cell(row, column_of(ws, "echeance", 4)).value = "31/12/2024 "
        ws.insert_rows(row, 2)  # blank rows in the middle

    edited = edit_workbook(path, tmp_path / "bricole.xlsx", edit)
    refused = preview_import(loaded_store, DEPT, edited)
    assert [str(p) for p in refused.rejected] == [
        "« bricole.xlsx », feuille « Actions », ligne 4, colonne « Mes notes » (W) : en-tête inconnu : "
        "Renommez la colonne avec un en-tête attendu, ou relancez l'import en ignorant les colonnes "
        "inconnues (--ignore-columns, ou la case « Ignorer les colonnes inconnues » de l'écran d'import)"
    ]
    preview, _ = run_import(loaded_store, edited, ignore_columns=True)
    assert any("Mes notes" in w for w in preview.warnings)
    assert [(p.key, sorted(c.field for c in p.changes)) for p in preview.changed] == [
        ("ACT-002", ["due_date", "progress", "status"])
    ]
    assert actions(loaded_store)["ACT-002"].due_date == date(2024, 12, 31)


def test_rejections_name_sheet_row_column_and_value_and_write_nothing(
    loaded_store: Store, tmp_path: Path
) -> None:
    path = export(loaded_store, tmp_path)

    def edit(book: Any) -> None:
        set_cell(book, "Actions", "ACT-001", "Échéance", "31/02/2024")
        set_cell(book, "Actions", "ACT-001", "Objectif", "E9-D9-O9")
        set_cell(book, "Actions", "ACT-002", "Avancement (%)", 150)
        set_cell(book, "Actions", "ACT-002", "Statut", "peut-être")
        ws = book["Actions"]
        ws.cell(ws.max_row + 1, 1).value = "ACT-999"
        ws.cell(ws.max_row, 2).value = "Une action inconnue"

    edited = edit_workbook(path, tmp_path / "faux.xlsx", edit)
    before = snapshot_tables(loaded_store)
    preview = preview_import(loaded_store, DEPT, edited)
    messages = [str(p) for p in preview.rejected]
    assert len(messages) == 5, messages
    text = "\n".join(messages)
    assert (
        "« faux.xlsx », feuille « Actions », ligne 2, colonne « Échéance » (O) : cette date n'existe pas"
        in text
    )
    assert "(valeur « 31/02/2024 »)" in text
    assert (
        "colonne « Objectif » (D) : objectif inconnu : ce n'est ni un code ni un nom connu "
        "(valeur « E9-D9-O9 »)" in text
    )
    assert "ligne 3, colonne « Avancement (%) » (M)" in text and "(valeur « 150 »)" in text
    assert "statut : valeur inconnue" in text and "« peut-être »" in text
    assert "(valeur « peut-être »)" not in text  # quoted once, not twice
    assert "ligne 4, colonne « Code » (A) : code inconnu" in text and "ACT-999" in text
    with pytest.raises(ImportRefused):
        apply_import(loaded_store, DEPT, preview, {}, "testeur", backup=False)
    assert snapshot_tables(loaded_store) == before


def test_a_workbook_of_another_department_is_refused(loaded_store: Store, tmp_path: Path) -> None:
    path = export(loaded_store, tmp_path)

    def edit(book: Any) -> None:
        ws = book["_suivi_sts"]
        for row in ws.iter_rows():
            if row[0].value == "departement":
                row[1].value = "31"

    edited = edit_workbook(path, tmp_path / "autre.xlsx", edit)
    preview = preview_import(loaded_store, DEPT, edited)
    assert len(preview.rejected) == 1
    assert "exporté pour le département 31" in str(preview.rejected[0])


def test_two_offline_copies_merge_and_true_conflicts_are_listed(loaded_store: Store, tmp_path: Path) -> None:
    path = export(loaded_store, tmp_path)

    def alice(book: Any) -> None:
        set_cell(book, "Actions", "ACT-001", "Statut", "Réalisée")
        set_cell(book, "Actions", "ACT-002", "Météo", "Rouge")

    def bob(book: Any) -> None:
        # Réalisée brought ACT-001 to 100 % in the store (issue 10): 80 there is a true conflict
        set_cell(book, "Actions", "ACT-001", "Avancement (%)", 80)
        set_cell(book, "Actions", "ACT-002", "Météo", "Vert")  # same field, other value: conflict
        set_cell(book, "Actions", "ACT-002", "Financement", "FIR")

    first = edit_workbook(path, tmp_path / "alice.xlsx", alice)
    second = edit_workbook(path, tmp_path / "bob.xlsx", bob)
    run_import(loaded_store, first)
    preview = preview_import(loaded_store, DEPT, second)
    assert not preview.rejected
    assert [(c.key, c.field, c.exported, c.store, c.workbook) for c in preview.conflicts] == [
        ("ACT-001", "progress", 50, 100, 80),
        ("ACT-002", "weather", None, "rouge", "vert"),
    ]
    assert "Météo" in str(preview.conflicts[1]) and "bob.xlsx" in str(preview.conflicts[1])
    with pytest.raises(ImportRefused):
        apply_import(loaded_store, DEPT, preview, {}, "testeur", backup=False)
    keep: dict[ConflictKey, Resolution] = {conflict.id: KEEP_STORE for conflict in preview.conflicts}
    apply_import(loaded_store, DEPT, preview, keep, "testeur", backup=False)
    after = actions(loaded_store)
    assert after["ACT-001"].status == "realisee" and after["ACT-001"].progress == 100
    assert after["ACT-002"].weather == "rouge" and after["ACT-002"].funding == "FIR"


def test_a_conflict_resolved_for_the_workbook_takes_its_value(loaded_store: Store, tmp_path: Path) -> None:
    path = export(loaded_store, tmp_path)
    with loaded_store.writer.begin() as conn:
        current = action_rules.load_actions(conn, DEPT)["ACT-001"]
        action_rules.update_action(
            conn, DEPT, current, replace(current, progress=60), author="x", source="écran"
        )
    edited = edit_workbook(
        path, tmp_path / "c.xlsx", lambda b: set_cell(b, "Actions", "ACT-001", "Avancement (%)", 70)
    )
    preview = preview_import(loaded_store, DEPT, edited)
    (conflict,) = preview.conflicts
    apply_import(loaded_store, DEPT, preview, {conflict.id: TAKE_WORKBOOK}, "testeur", backup=False)
    assert actions(loaded_store)["ACT-001"].progress == 70


def test_store_changed_since_the_preview_refuses_the_apply(loaded_store: Store, tmp_path: Path) -> None:
    path = export(loaded_store, tmp_path)
    edited = edit_workbook(
        path, tmp_path / "e.xlsx", lambda b: set_cell(b, "Actions", "ACT-001", "Financement", "X")
    )
    preview = preview_import(loaded_store, DEPT, edited)
    with loaded_store.writer.begin() as conn:
        current = action_rules.load_actions(conn, DEPT)["ACT-001"]
        action_rules.update_action(
            conn, DEPT, current, replace(current, progress=61), author="x", source="écran"
        )
    before = snapshot_tables(loaded_store)
    with pytest.raises(ImportRefused, match="a changé depuis l'aperçu"):
        apply_import(loaded_store, DEPT, preview, {}, "testeur", backup=False)
    assert snapshot_tables(loaded_store) == before


def test_new_rows_comments_and_postponing(loaded_store: Store, tmp_path: Path) -> None:
    path = export(loaded_store, tmp_path)

    def edit(book: Any) -> None:
        ws = book["Actions"]
        row = ws.max_row + 1
        ws.cell(row, column_of(ws, "Intitulé")).value = "Nouvelle action de prévention"
        ws.cell(row, column_of(ws, "Objectif")).value = "e1-d4-o2"
        ws.cell(row, column_of(ws, "Statut")).value = "à faire"
        ws.cell(row, column_of(ws, "Pilote")).value = "CPAM de l'Ariège"
        ws.cell(row, column_of(ws, "Commentaire")).value = "Proposée en CTS"
        set_cell(book, "Actions", "ACT-002", "Statut", "Reportée")

    edited = edit_workbook(path, tmp_path / "n.xlsx", edit)
    preview = preview_import(loaded_store, DEPT, edited)
    assert [str(p) for p in preview.rejected] == [
        "« n.xlsx », feuille « Actions », ligne 3, colonne « Commentaire » (R) : un commentaire est "
        "obligatoire pour passer l'action en « Reportée » (remplissez la colonne Commentaire)"
    ]

    def with_comment(book: Any) -> None:
        set_cell(book, "Actions", "ACT-002", "Commentaire", "Faute de financement")

    fixed = edit_workbook(edited, tmp_path / "n2.xlsx", with_comment)
    preview, result = run_import(loaded_store, fixed)
    assert result.created == {"action": 1}
    after = actions(loaded_store)
    created = after["ACT-003"]
    assert created.title == "Nouvelle action de prévention" and created.objectives == ("E1-D4-O2",)
    assert created.lead == "CPAM-09" and created.status == "a_lancer"
    with loaded_store.engine.connect() as conn:
        lines = journal_lines(conn, DEPT, source="n2.xlsx")
    assert ("ACT-002", "status", "Faute de financement") in {(x.code, x.field_name, x.comment) for x in lines}
    assert ("ACT-003", "Proposée en CTS") in {(x.code, x.comment) for x in lines if x.kind == "commentaire"}
    # The same file again: no second action, no second comment.
    again = preview_import(loaded_store, DEPT, fixed)
    assert not again.has_changes and any("déjà importée" in w for w in again.warnings)


def test_indicator_values_and_resources(loaded_store: Store, tmp_path: Path) -> None:
    path = export(loaded_store, tmp_path)

    def edit(book: Any) -> None:
        ws = book["Indicateurs"]
        row = [
            r for r in range(2, ws.max_row + 1) if ws.cell(r, column_of(ws, "Période")).value == "2024-02"
        ][0]
        ws.cell(row, column_of(ws, "Valeur")).value = "16"
        new = ws.max_row + 1
        ws.cell(new, column_of(ws, "Code indicateur")).value = "IND-001"
        ws.cell(new, column_of(ws, "Période")).value = "03/2024"
        ws.cell(new, column_of(ws, "Valeur")).value = 20
        ws.cell(new, column_of(ws, "Ventilation : moins de 50 ans")).value = 4
        res = book["Ressources"]
        set_cell(book, "Ressources", "RES-PFR", "Téléphone", 561000000)
        set_cell(book, "Ressources", "RES-PFR", "Code INSEE", 9122)
        set_cell(book, "Ressources", "RES-PFR", "Public", "personnes agees; Tous publics")
        nr = res.max_row + 1
        res.cell(nr, column_of(res, "Nom")).value = "Halte-répit de Foix"
        res.cell(nr, column_of(res, "Type")).value = "halte repit"
        res.cell(nr, column_of(res, "Statut")).value = "ouvert"
        res.cell(nr, column_of(res, "Territoires")).value = "Couserans"

    edited = edit_workbook(path, tmp_path / "ind.xlsx", edit)
    preview, result = run_import(loaded_store, edited)
    with loaded_store.engine.connect() as conn:
        values = load_values(conn, DEPT)
        resources = resource_rules.load_resources(conn, DEPT)
        lines = journal_lines(conn, DEPT, source="ind.xlsx")
    assert values[ValueKey("IND-001", "2024-02")] == 16
    assert values[ValueKey("IND-001", "2024-03")] == 20
    assert values[ValueKey("IND-001", "2024-03", "moins de 50 ans")] == 4
    assert values[ValueKey("IND-001", "2024-01")] == 12
    assert result.values_changed == 3
    assert {line.new_value for line in lines if line.field_name == "indicateur"} >= {"IND-001 2024-02 : 16"}
    pfr = resources["RES-PFR"]
    assert pfr.phone == "0561000000" and pfr.insee_code == "09122"
    assert pfr.audiences == ("Personnes âgées", "Tous publics")
    new = [r for r in resources.values() if r.name == "Halte-répit de Foix"]
    assert new and new[0].kind == "Halte-répit" and new[0].territories == ("COUSERANS",)
    assert not preview_import(loaded_store, DEPT, edited).has_changes


def test_removing_an_exported_value_deletes_it(loaded_store: Store, tmp_path: Path) -> None:
    path = export(loaded_store, tmp_path)

    def edit(book: Any) -> None:
        ws = book["Indicateurs"]
        row = [
            r for r in range(2, ws.max_row + 1) if ws.cell(r, column_of(ws, "Période")).value == "2024-01"
        ][0]
        ws.cell(row, column_of(ws, "Ventilation : 50 ans et plus")).value = None

    run_import(loaded_store, edit_workbook(path, tmp_path / "d.xlsx", edit))
    with loaded_store.engine.connect() as conn:
        values = load_values(conn, DEPT)
    assert ValueKey("IND-001", "2024-01", "50 ans et plus") not in values
    assert values[ValueKey("IND-001", "2024-01", "moins de 50 ans")] == 2


def test_backup_is_taken_before_applying(tmp_path: Path) -> None:
    from importers.setup_store import initialise
    from store.backup import list_backups
    from tests.conftest import MINI_REFERENCE

    store = initialise(tmp_path / "s.sqlite", reference=MINI_REFERENCE).store
    try:
        path = export(store, tmp_path)
        edited = edit_workbook(
            path, tmp_path / "b.xlsx", lambda b: set_cell(b, "Actions", "ACT-001", "Météo", "rouge")
        )
        preview = preview_import(store, DEPT, edited)
        result = apply_import(store, DEPT, preview, {}, "testeur")
        assert result.backup is not None and result.backup in list_backups(tmp_path / "s.sqlite")
    finally:
        store.dispose()


def test_progress_is_reported(loaded_store: Store, tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    export_ars(loaded_store, DEPT, tmp_path / "p.xlsx", progress=lambda d, t: seen.append((d, t)))
    assert seen and seen[-1][0] == seen[-1][1]
    seen.clear()
    preview_import(loaded_store, DEPT, tmp_path / "p.xlsx", progress=lambda d, t: seen.append((d, t)))
    assert seen and seen[-1][0] == seen[-1][1]


@pytest.mark.parametrize("early_whole", [True, False], ids=["tables-entieres", "codes-nommes"])
def test_whole_tables_read_while_the_child_reads_tell_the_same(
    loaded_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, early_whole: bool
) -> None:
    """A large workbook has the store's whole tables read while its cells are read: a row changed
    in one cell, a record changed in the store since the export, and both, come out as with only
    the records it names read."""
    from importers.excel import preview as preview_module

    monkeypatch.setattr(preview_module, "EARLY_WHOLE_BYTES", 0 if early_whole else 1 << 40)
    path = export(loaded_store, tmp_path)
    store_moves_on(loaded_store, DEPT, {"ACT-001": 60, "ACT-002": 30})

    def edit(book: Any) -> None:
        set_cell(book, "Actions", "ACT-001", "Avancement (%)", 70)  # both changed it: a conflict
        set_cell(book, "Actions", "ACT-002", "Financement", "FIR")  # the store changed another field

    edited = edit_workbook(path, tmp_path / "e.xlsx", edit)
    preview = preview_import(loaded_store, DEPT, edited)
    assert not preview.rejected
    conflicts = [(c.key, c.field, c.exported, c.store, c.workbook) for c in preview.conflicts]
    assert conflicts == [("ACT-001", "progress", 50, 60, 70)]
    changed = {p.key: [(c.field, c.new) for c in p.changes] for p in preview.rows if p.changes}
    assert changed == {"ACT-002": [("funding", "FIR")]}
    assert {p.key for p in preview.unchanged} >= {"RES-PFR", "IND-001"}
    apply_import(loaded_store, DEPT, preview, {preview.conflicts[0].id: KEEP_STORE}, "testeur", backup=False)
    after = actions(loaded_store)
    assert after["ACT-001"].progress == 60
    assert after["ACT-002"].progress == 30 and after["ACT-002"].funding == "FIR"
