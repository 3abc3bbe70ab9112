"""Files saved by LibreOffice Calc (headless `soffice --convert-to xlsx`), when it is installed.

LibreOffice rewrites the whole file: shared strings, its own styles, dimension, dates as
serial numbers with its formats, hidden sheet kept. The import must see exactly the edits.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from exports.excel import export_ars
from importers.excel import apply_import, preview_import
from store import actions as action_rules
from store.database import Store
from tests.conftest import MINI_REFERENCE, snapshot_tables
from tests.excel_fixtures import edit_workbook, libreoffice_round_trip, set_cell, soffice

pytestmark = pytest.mark.skipif(soffice() is None, reason="LibreOffice (soffice) n'est pas installé")


@pytest.fixture
def store(tmp_path: Path) -> Any:
    from importers.setup_store import initialise

    result = initialise(tmp_path / "s.sqlite", reference=MINI_REFERENCE)
    yield result.store
    result.store.dispose()


def test_unchanged_after_libreoffice_changes_nothing(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "echange.xlsx"
    export_ars(store, "09", path)
    saved = libreoffice_round_trip(path, tmp_path)
    before = snapshot_tables(store)
    preview = preview_import(store, "09", saved)
    assert not preview.rejected and not preview.conflicts and not preview.has_changes, preview.report_lines()
    assert snapshot_tables(store) == before


def test_edits_saved_by_libreoffice_land_exactly(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "echange.xlsx"
    export_ars(store, "09", path)

    def edit(book: Any) -> None:
        set_cell(book, "Actions", "ACT-001", "Statut", "Terminé")
        set_cell(book, "Actions", "ACT-001", "Avancement (%)", "100%")
        set_cell(book, "Actions", "ACT-002", "Échéance", date(2025, 3, 31))
        set_cell(book, "Actions", "ACT-002", "Début", "15/01/2023")
        set_cell(book, "Actions", "ACT-002", "Pilote", "CPAM de l'Ariège")  # a name from the list

    edited = edit_workbook(path, tmp_path / "travail.xlsx", edit)
    saved = libreoffice_round_trip(edited, tmp_path)
    preview = preview_import(store, "09", saved)
    assert not preview.rejected, preview.report_lines()
    changes = {(p.key, c.field, c.new) for p in preview.changed for c in p.changes}
    assert changes == {
        ("ACT-001", "status", "realisee"),
        ("ACT-001", "progress", 100),
        ("ACT-002", "due_date", date(2025, 3, 31)),
        ("ACT-002", "start_date", date(2023, 1, 15)),
        ("ACT-002", "lead", "CPAM-09"),
    }
    apply_import(store, "09", preview, {}, "testeur", backup=False)
    with store.engine.connect() as conn:
        after = action_rules.load_actions(conn, "09")
    assert after["ACT-002"].due_date == date(2025, 3, 31)
    again = preview_import(store, "09", saved)
    assert not again.has_changes
