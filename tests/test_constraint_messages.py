"""A database constraint that still fires reaches the user as a French message naming the record
and the field, never the driver's: unique, foreign key, check and not null, on SQLite and PostgreSQL.

The domain rules refuse bad input before the database sees it; to reach the constraints the tests
write what the rules cannot know (a code taken meanwhile) or bypass the rules on purpose.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Connection, delete, insert, update

from store import actions as action_rules
from store import resources as resource_rules
from store.actions import ActionData, create_action, load_actions, update_action
from store.constraints import constraint_messages
from store.database import Store
from store.errors import ValidationError
from store.lookups import CodeMaps, code_maps
from store.models import utcnow
from store.resources import ResourceData, create_resource
from store.tables import ACTION, CHALLENGE_THEME, RESOURCE
from tests.conftest import snapshot_tables
from tui.services import StoreService

DRIVER_WORDS = ("IntegrityError", "constraint", "violates", "UNIQUE", "FOREIGN KEY", "psycopg", "sqlite3")


@contextmanager
def refused(store: Store, code: str | None = None) -> Iterator[Connection]:
    """A write transaction whose constraint refusal must come out as a French ValidationError,
    leaving the store exactly as it was."""
    before = snapshot_tables(store)
    try:
        with constraint_messages(code=code), store.writer.begin() as conn:
            yield conn
    finally:
        assert snapshot_tables(store) == before


def french(caught: pytest.ExceptionInfo[ValidationError], field: str | None) -> str:
    message = str(caught.value)
    assert caught.value.field == field, message
    for word in DRIVER_WORDS:
        assert word not in message
    assert isinstance(caught.value.__cause__, Exception)  # the database's refusal, kept for the logs
    return message


@pytest.fixture
def no_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    """The domain rules switched off, so that a bad value reaches the database's own checks."""
    monkeypatch.setattr(action_rules, "validate", lambda *args, **kwargs: [])
    monkeypatch.setattr(resource_rules, "validate", lambda *args, **kwargs: [])


# --- unique -----------------------------------------------------------------------------------------


def test_unique_an_action_code_already_taken(loaded_store: Store) -> None:
    data = ActionData(code="ACT-001", title="Une autre action au même code")
    with pytest.raises(ValidationError) as caught, refused(loaded_store, data.code) as conn:
        create_action(conn, "09", data, author="testeur", source="test")
    assert french(caught, "code") == "Le code « ACT-001 » est déjà utilisé par une autre action."


def test_unique_a_resource_code_already_taken(loaded_store: Store) -> None:
    data = ResourceData(code="RES-PFR", name="Autre plateforme", kind="Autre")
    with pytest.raises(ValidationError) as caught, refused(loaded_store) as conn:
        create_resource(conn, "09", data, author="testeur", source="test")
    assert french(caught, "code") == "Le code « RES-PFR » est déjà utilisé par une autre ressource."


def test_unique_through_the_app_service_names_the_code(loaded_store: Store) -> None:
    before = snapshot_tables(loaded_store)
    service = StoreService(loaded_store, "09", "testeur")
    with pytest.raises(ValidationError) as caught:
        service.save_action(None, ActionData(code="ACT-002", title="Doublon tapé dans le formulaire"))
    assert french(caught, "code") == "Le code « ACT-002 » est déjà utilisé par une autre action."
    assert snapshot_tables(loaded_store) == before


def test_unique_a_link_written_twice(loaded_store: Store, no_rules: None) -> None:
    with pytest.raises(ValidationError) as caught, refused(loaded_store, "ACT-900") as conn:
        data = ActionData(code="ACT-900", title="Deux fois le même territoire", territories=("09", "09"))
        create_action(conn, "09", data, author="testeur", source="test")
    message = french(caught, "territories")
    assert message == "Territoires : une même valeur figure deux fois pour l'action « ACT-900 »."


# --- check ------------------------------------------------------------------------------------------


def test_check_progress_out_of_bounds(loaded_store: Store) -> None:
    with pytest.raises(ValidationError) as caught, refused(loaded_store) as conn:
        conn.execute(update(ACTION).where(ACTION.c.code == "ACT-001").values(progress=150))
    message = french(caught, "progress")
    assert message == "Avancement (%) : valeur refusée par la base (doit être entre 0 et 100)."


def test_check_through_update_action_names_the_action(loaded_store: Store, no_rules: None) -> None:
    with pytest.raises(ValidationError) as caught, refused(loaded_store, "ACT-001") as conn:
        before = load_actions(conn, "09")["ACT-001"]
        update_action(conn, "09", before, replace(before, weather="gris"), author="testeur", source="test")
    message = french(caught, "weather")
    assert message == (
        "Météo : valeur refusée par la base pour l'action « ACT-001 » (vert, orange, rouge ou vide)."
    )


def test_check_a_negative_capacity(loaded_store: Store) -> None:
    with pytest.raises(ValidationError) as caught, refused(loaded_store, "RES-PFR") as conn:
        conn.execute(update(RESOURCE).where(RESOURCE.c.code == "RES-PFR").values(capacity=-3))
    message = french(caught, "capacity")
    assert message == (
        "Capacité : valeur refusée par la base pour la ressource « RES-PFR » (ne peut pas être négative)."
    )


# --- not null ---------------------------------------------------------------------------------------


def test_not_null_an_action_without_title(loaded_store: Store) -> None:
    now = utcnow()
    row = {"department_code": "09", "code": "ACT-901", "title": None, "created_at": now, "updated_at": now}
    with pytest.raises(ValidationError) as caught, refused(loaded_store, "ACT-901") as conn:
        conn.execute(insert(ACTION).values(version=1, **row))
    assert french(caught, "title") == "Intitulé : une valeur est obligatoire pour l'action « ACT-901 »."


# --- foreign key ------------------------------------------------------------------------------------


def test_foreign_key_a_lead_that_no_longer_exists(loaded_store: Store, no_rules: None) -> None:
    """The form chose an organisation deleted meanwhile (its id no longer exists)."""
    with pytest.raises(ValidationError) as caught, refused(loaded_store, "ACT-902") as conn:
        maps = code_maps(conn, "09")
        ghost = CodeMaps(maps.objectives, {**maps.organisations, "FANTOME": 999_999}, maps.territories)
        data = ActionData(code="ACT-902", title="Pilotée par une organisation disparue", lead="FANTOME")
        create_action(conn, "09", data, author="testeur", source="test", maps=ghost)
    message = french(caught, "lead")
    # PostgreSQL's same-department triggers (migration 0005) see it before the foreign key.
    assert message.startswith("Pilote : l'organisation désignée n'existe pas (ou plus)")
    assert message.endswith("; l'action « ACT-902 » n'a pas été enregistrée.")


def test_foreign_key_a_link_to_a_missing_record(loaded_store: Store) -> None:
    with pytest.raises(ValidationError) as caught, refused(loaded_store, "E1-D4") as conn:
        conn.execute(insert(CHALLENGE_THEME).values(challenge_id=_id(conn, "E1-D4"), theme_id=999_999))
    message = french(caught, "themes")
    assert (
        message
        == "Thèmes : le thème désigné n'existe pas (ou plus) ; le défi « E1-D4 » n'a pas été enregistré."
    )


def test_foreign_key_deleting_an_action_that_has_a_journal(loaded_store: Store) -> None:
    with pytest.raises(ValidationError) as caught, refused(loaded_store, "ACT-001") as conn:
        conn.execute(delete(ACTION).where(ACTION.c.code == "ACT-001"))
    message = french(caught, None)
    assert message.startswith("L'action « ACT-001 » ne peut pas être supprimée : ")
    assert message.endswith(" y font encore référence.")


def _id(conn: Connection, challenge: str) -> int:
    from store.tables import CHALLENGE

    found = conn.execute(CHALLENGE.select().where(CHALLENGE.c.code == challenge)).mappings().one()
    return int(found["id"])


# --- the message table itself -------------------------------------------------------------------


def test_every_check_constraint_of_the_schema_has_a_french_rule() -> None:
    from store.constraints import CHECKS
    from store.models import metadata

    names = set()
    for table in metadata.tables.values():
        for constraint in table.constraints:
            if constraint.__class__.__name__ == "CheckConstraint":
                names.add((table.name, str(constraint.name).removeprefix(f"ck_{table.name}_")))
    assert names <= set(CHECKS)


def test_every_table_has_a_french_record_name() -> None:
    from store.constraints import LINKS, RECORDS
    from store.models import metadata

    assert set(metadata.tables) - set(LINKS) - {"alembic_version"} <= set(RECORDS)


def test_an_unrecognised_refusal_still_gets_a_french_message() -> None:
    import sqlite3

    from sqlalchemy.exc import IntegrityError

    from store.constraints import explain

    error = explain(IntegrityError("INSERT INTO x VALUES (1)", (), sqlite3.IntegrityError("something new")))
    assert "rien n'a été enregistré" in str(error) and "something" not in str(error)


def test_an_access_refusal_that_is_no_reference_is_left_alone() -> None:
    from store.constraints import explain_reference_refusal

    assert explain_reference_refusal("new row violates row-level security policy for table action") is None


def test_the_stored_rows_are_untouched_by_a_refused_service_save(loaded_store: Store) -> None:
    """The transaction is rolled back before the message is built: nothing half-written."""
    service = StoreService(loaded_store, "09", "testeur")
    before = snapshot_tables(loaded_store)
    with pytest.raises(ValidationError):
        service.save_action(None, ActionData(code="ACT-001", title="x", objectives=("E1-D4-O2",)))
    assert snapshot_tables(loaded_store) == before


# --- where the app and the importers write --------------------------------------------------------


def test_an_excel_import_whose_new_code_is_taken_meanwhile_is_refused_in_french(
    loaded_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new row gets the next free code when applied; another writer (a second PostgreSQL session)
    may take it in between: simulated by handing out a code already in use."""
    from typing import Any

    from exports.excel import export_ars
    from importers.excel import ImportRefused, apply_import, preview_import
    from tests.excel_fixtures import column_of, edit_workbook

    exported = tmp_path / "echange.xlsx"
    export_ars(loaded_store, "09", exported, author="testeur")

    def add_row(book: Any) -> None:
        ws = book["Actions"]
        row = ws.max_row + 1
        ws.cell(row, column_of(ws, "Intitulé")).value = "Nouvelle action du classeur"
        ws.cell(row, column_of(ws, "Objectif")).value = "E1-D4-O2"
        ws.cell(row, column_of(ws, "Statut")).value = "à faire"

    edited = edit_workbook(exported, tmp_path / "nouvelle.xlsx", add_row)
    preview = preview_import(loaded_store, "09", edited)
    assert not preview.rejected, [str(p) for p in preview.rejected]
    monkeypatch.setattr(action_rules, "next_action_code", lambda conn, department: "ACT-002")
    before = snapshot_tables(loaded_store)
    with pytest.raises(ImportRefused) as caught:
        apply_import(loaded_store, "09", preview, {}, "testeur", backup=False)
    message = str(caught.value)
    assert "Le code « ACT-002 » est déjà utilisé par une autre action." in message
    assert "nouvelle.xlsx" in message and "ligne " in message
    for word in DRIVER_WORDS:
        assert word not in message
    assert snapshot_tables(loaded_store) == before
