"""A resource's journal: who changed which field, when, from what to what — as people read it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from exports.excel import export_ars
from importers.excel import preview_import
from store import resources as resource_rules
from store.database import Store
from store.journal import resource_journal_lines

DEPT = "09"


def _pfr(store: Store) -> resource_rules.ResourceData:
    with store.engine.connect() as conn:
        return resource_rules.load_resources(conn, DEPT, ["RES-PFR"])["RES-PFR"]


def test_each_changed_field_is_journaled_with_who_when_and_what(loaded_store: Store) -> None:
    before = _pfr(loaded_store)
    after = replace(
        before,
        capacity=12,
        territories=("COUSERANS", "HAUTE-ARIEGE"),
        verified_on=date(2026, 11, 2),
        carrier="CPAM-09",
    )
    with loaded_store.writer.begin() as conn:
        changed = resource_rules.update_resource(
            conn, DEPT, before, after, author="Mme Durand", source="Saisie à l'écran", comment="visite"
        )
    assert set(changed) == {"capacity", "territories", "verified_on", "carrier"}
    with loaded_store.engine.connect() as conn:
        lines = resource_journal_lines(conn, DEPT, resource_id=before.id)
    shown = {line.what: (line.old_text, line.new_text) for line in lines if line.kind == "modification"}
    assert shown == {
        "Porteur": ("", "CPAM de l'Ariège"),
        "Territoires": ("Ariège (tout le département)", "Couserans, Haute-Ariège"),
        "Capacité": ("", "12"),
        "Vérifié le": ("", "02/11/2026"),
    }
    assert {line.author for line in lines if line.kind == "modification"} == {"Mme Durand"}
    assert [line.comment for line in lines if line.comment] == ["visite"]
    assert lines[0].kind == "creation" and lines[0].new_text == before.name


def test_the_resource_journal_cannot_be_rewritten(loaded_store: Store) -> None:
    with loaded_store.writer.begin() as conn:
        resource_rules.add_comment(conn, DEPT, _pfr(loaded_store), "appel du 3 mars", author="x", source="y")
    for statement in ("UPDATE resource_event SET author = 'faussaire'", "DELETE FROM resource_event"):
        refused = pytest.raises(DBAPIError, match="le journal des ressources ne se modifie pas")
        with refused, loaded_store.writer.begin() as conn:
            conn.execute(text(statement))


def test_the_exchange_workbook_carries_the_resource_journal_and_imports_back_quietly(
    loaded_store: Store, tmp_path: Path
) -> None:
    before = _pfr(loaded_store)
    with loaded_store.writer.begin() as conn:
        resource_rules.update_resource(
            conn, DEPT, before, replace(before, finess="090001234"), author="Mme Durand", source="écran"
        )
    path = tmp_path / "echange.xlsx"
    export_ars(loaded_store, DEPT, path, author="testeur")
    sheet = openpyxl.load_workbook(path, read_only=True)["Journal des ressources"]
    rows = [tuple(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][:5] == ("Quand", "Qui", "Ressource", "Nom", "Quoi")
    assert ("Mme Durand", "RES-PFR", before.name, "FINESS", None, "090001234") in {r[1:7] for r in rows}
    preview = preview_import(loaded_store, DEPT, path)
    assert not preview.rejected and not preview.has_changes
    assert not [w for w in preview.warnings if "Journal" in w]
