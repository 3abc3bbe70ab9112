"""Rows deleted from the exchange workbook since its export: the import deletes nothing, and the
preview says which actions and resources are no longer there (or how many, when it cannot be
sure which), so that nobody believes an action was removed by deleting its line."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import openpyxl
from sqlalchemy import update

from exports.excel import export_ars
from importers.excel import apply_import, preview_import
from store import resources as resource_rules
from store.actions import ActionData, create_action, load_actions, next_action_code
from store.database import Store
from store.tables import ACTION
from store.workbook_layout import FINGERPRINT_HEADER
from tests.excel_fixtures import column_of, edit_workbook, find_row

DEPT = "09"
ABSENT_ACTION = (
    "1 action exportée n'est plus dans le classeur (ACT-002 « Unité d'accueil pédiatrique Enfance en danger "
    "(UAPED) ») : l'import ne supprime aucune action ; pour en arrêter une, passez-la en « Abandonnée »."
)


def _exported(store: Store, folder: Path, codes: list[str] | None = None) -> Path:
    path = folder / "echange.xlsx"
    export_ars(store, DEPT, path, author="testeur", codes=codes)
    return path


def _without(source: Path, *rows: tuple[str, str]) -> Path:
    def delete(book: openpyxl.Workbook) -> None:
        for sheet, code in rows:
            book[sheet].delete_rows(find_row(book[sheet], code))

    return edit_workbook(source, source.with_name("sans-lignes.xlsx"), delete)


def _absent(preview: object) -> list[str]:
    return [w for w in preview.warnings if "plus dans le classeur" in w]  # type: ignore[attr-defined]


def _new_action(store: Store, title: str) -> str:
    with store.writer.begin() as conn:
        code = next_action_code(conn, DEPT)
        create_action(conn, DEPT, ActionData(code=code, title=title), author="testeur", source="écran")
    return code


def test_deleted_rows_are_named_and_nothing_is_deleted(loaded_store: Store, tmp_path: Path) -> None:
    workbook = _without(_exported(loaded_store, tmp_path), ("Actions", "ACT-002"), ("Ressources", "RES-PFR"))
    preview = preview_import(loaded_store, DEPT, workbook)
    assert _absent(preview) == [
        ABSENT_ACTION,
        "1 ressource exportée n'est plus dans le classeur (RES-PFR « Plateforme d'accompagnement et de "
        "répit ») : l'import ne supprime aucune ressource ; pour en retirer une, passez-la en « Fermée ».",
    ]
    assert not preview.rejected and not preview.has_changes
    apply_import(loaded_store, DEPT, preview, {}, "testeur", backup=False)
    with loaded_store.engine.connect() as conn:
        assert set(load_actions(conn, DEPT)) == {"ACT-001", "ACT-002"}
        assert [r.code for r in resource_rules.load_resources(conn, DEPT).values()] == ["RES-PFR"]


def test_an_untouched_workbook_and_actions_created_since_are_not_said_deleted(
    loaded_store: Store, tmp_path: Path
) -> None:
    workbook = _exported(loaded_store, tmp_path)
    _new_action(loaded_store, "Action créée après l'export")
    assert _absent(preview_import(loaded_store, DEPT, workbook)) == []
    # the new action is not named among the deleted rows either
    assert _absent(preview_import(loaded_store, DEPT, _without(workbook, ("Actions", "ACT-002")))) == [
        ABSENT_ACTION
    ]


def test_when_which_rows_is_uncertain_only_their_number_is_said(loaded_store: Store, tmp_path: Path) -> None:
    workbook = _without(_exported(loaded_store, tmp_path), ("Actions", "ACT-002"))
    # An action received since the export (a synchronisation), created earlier on another laptop.
    received = _new_action(loaded_store, "Action reçue d'un autre poste")
    with loaded_store.writer.begin() as conn:
        earlier = datetime(2020, 1, 1, tzinfo=UTC)
        conn.execute(update(ACTION).where(ACTION.c.code == received).values(created_at=earlier))
    assert _absent(preview_import(loaded_store, DEPT, workbook)) == [
        "1 action exportée n'est plus dans le classeur : l'import ne supprime aucune action ; pour en "
        "arrêter une, passez-la en « Abandonnée »."
    ]


def test_a_part_of_the_actions_exported_says_how_many_rows_went(loaded_store: Store, tmp_path: Path) -> None:
    exported = _exported(loaded_store, tmp_path, codes=["ACT-002"])
    assert _absent(preview_import(loaded_store, DEPT, exported)) == []  # ACT-001 was never in it
    preview = preview_import(loaded_store, DEPT, _without(exported, ("Actions", "ACT-002")))
    assert _absent(preview)[0].startswith("1 action exportée n'est plus dans le classeur : ")


def test_a_workbook_without_its_fingerprint_column_says_nothing_of_deleted_rows(
    loaded_store: Store, tmp_path: Path
) -> None:
    """The hidden column deleted (a sheet « cleaned »): which rows were exported is unknown."""

    def without_fingerprints(book: openpyxl.Workbook) -> None:
        sheet = book["Actions"]
        sheet.delete_cols(column_of(sheet, FINGERPRINT_HEADER))

    exported = _exported(loaded_store, tmp_path)
    workbook = edit_workbook(exported, tmp_path / "sans-empreintes.xlsx", without_fingerprints)
    assert _absent(preview_import(loaded_store, DEPT, workbook)) == []
