"""The preview reads each distinct text or number of a column once (importers/excel/preview.py
`parse`) and asks each field's rule once per value (`store.actions.validate`'s memo): property
test, the same workbook previewed with and without them gives the same rows, values, warnings
and French refusals naming the same row and column; imported, the same actions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from importers.excel import preview as preview_module
from importers.excel import preview_import
from store import actions as action_rules
from store.database import Store, open_store

DEPT = "09"
HEADERS = [
    "Code",
    "Intitulé",
    "Objectifs (codes)",
    "Territoires (codes)",
    "Statut",
    "Avancement (%)",
    "Échéance",
]
#: Cells people write, repeated from row to row: good, odd, blank and refused ones.
STATUSES = ["En cours", "en cours", " EN COURS ", "Réalisée", "terminé", "À lancer", "", "   ", "inconnu", 3]
OBJECTIVES = ["E1-D4-O2", "e1-d4-o2", "E1-D4-O2, E1-D4-O2", "", "X-9", "E1-D4-O2;E1-D4-O2", 7]
TERRITORIES = ["09", "9", 9, "Ariège", "", "  ", "31", "09\n09", 9.0]
PROGRESS = ["50", "50 %", 0.5, 50, "", "cent", "150", "0,25", None, " 12 ", 0.0, -0.0, 12.5, 150.0, 1.0, True]
DUE = ["31/12/2026", "2026", "décembre 2026", "", "31/02/2026", "2026-12-31", "demain", 46022]


def workbook(path: Path, rows: list[list[Any]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Actions"
    sheet.append(HEADERS)
    for n, cells in enumerate(rows):
        sheet.append(["", f"Action {n} du test", *cells])
    book.save(path)
    return path


def seen(store: Store, path: Path) -> tuple[list[Any], list[str], list[str]]:
    preview = preview_import(store, DEPT, path)
    rows = [(r.key, r.status, r.location, r.proposed, [str(c) for c in r.changes]) for r in preview.rows]
    return rows, [str(p) for p in preview.rejected], list(preview.warnings)


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(OBJECTIVES),
            st.sampled_from(TERRITORIES),
            st.sampled_from(STATUSES),
            st.sampled_from(PROGRESS),
            st.sampled_from(DUE),
        ).map(list),
        min_size=1,
        max_size=40,
    )
)
def test_a_text_read_once_per_column_gives_what_reading_it_each_time_gives(
    loaded_store: Store, tmp_path_factory: pytest.TempPathFactory, rows: list[list[Any]]
) -> None:
    path = workbook(tmp_path_factory.mktemp("memo") / "actions.xlsx", rows)
    remembered = seen(loaded_store, path)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(preview_module, "_KNOWN_TEXTS", 0)  # every cell read again
        patch.setattr(action_rules, "_MEMO", 0)  # every field's rule asked again
        assert seen(loaded_store, path) == remembered


def _written(store: Store) -> list[tuple[Any, ...]]:
    """The imported actions, their links and journal as written (identities and times left out)."""
    mine = "WHERE a.title LIKE 'Action % du test'"
    with store.engine.connect() as conn:
        return [
            *conn.exec_driver_sql(
                "SELECT code, title, status, progress, due_date, due_date_precision, lead_id, version "
                f"FROM action a {mine} ORDER BY code"
            ).all(),
            *conn.exec_driver_sql(
                "SELECT a.code, o.objective_id, o.position FROM action_objective o "
                f"JOIN action a ON a.id = o.action_id {mine} ORDER BY a.code, o.position"
            ).all(),
            *conn.exec_driver_sql(
                "SELECT a.code, t.territory_id FROM action_territory t "
                f"JOIN action a ON a.id = t.action_id {mine} ORDER BY a.code, t.territory_id"
            ).all(),
            *conn.exec_driver_sql(
                "SELECT a.code, e.kind, e.new_value, e.comment, e.author, e.source FROM action_event e "
                f"JOIN action a ON a.id = e.action_id {mine} ORDER BY a.code, e.kind"
            ).all(),
        ]


def test_the_actions_written_are_those_written_without_the_memos(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from importers.excel import apply_import
    from importers.setup_store import initialise
    from tests.conftest import MINI_REFERENCE

    rows = [
        [OBJECTIVES[n % 2], TERRITORIES[n % 3], ["En cours", "À lancer", "Réalisée"][n % 3], p, "31/12/2026"]
        for n, p in enumerate([0.5, 50, "50 %", 12.5, 12.5, 0.0, -0.0, 1.0, " 12 ", 12.5] * 3)
    ]
    path = workbook(tmp_path / "actions.xlsx", rows)
    written = []
    for slow in (False, True):
        if slow:
            monkeypatch.setattr(preview_module, "_KNOWN_TEXTS", 0)
            monkeypatch.setattr(action_rules, "_MEMO", 0)
        initialise(tmp_path / f"store-{slow}.sqlite", reference=MINI_REFERENCE).store.dispose()
        store = open_store(tmp_path / f"store-{slow}.sqlite")
        preview = preview_import(store, DEPT, path)
        assert not preview.rejected, [str(p) for p in preview.rejected]
        apply_import(store, DEPT, preview, {}, "test", backup=False)
        written.append(_written(store))
        store.dispose()
    assert len(written[0]) == 4 * len(rows)  # each action, its objective, territory, creation
    assert written[0] == written[1]


def test_a_refused_number_far_down_a_large_import_refuses_it_with_its_row_and_column(
    loaded_store: Store, tmp_path: Path
) -> None:
    """The same number read on thousands of rows is read once, but a refused one is refused on
    each row that holds it (here the 3,700th and 4,900th of 5,000), and nothing is written."""
    import xlsxwriter

    from importers.excel import ImportRefused, apply_import
    from tests.conftest import snapshot_tables

    path = tmp_path / "grand.xlsx"
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("Actions")
    sheet.write_row(0, 0, HEADERS[:6])
    for n in range(5000):
        progress = 150.0 if n in (3699, 4899) else float(n % 100)
        sheet.write_row(n + 1, 0, ["", f"Action {n}", "E1-D4-O2", "09", "En cours", progress])
    book.close()
    before = snapshot_tables(loaded_store)
    preview = preview_import(loaded_store, DEPT, path)
    refused = [str(p) for p in preview.rejected]
    assert len(refused) == 2, refused
    assert "ligne 3701, colonne « Avancement (%) » (F)" in refused[0] and "« 150 »" in refused[0]
    assert "ligne 4901" in refused[1] and "150" in refused[1]
    with pytest.raises(ImportRefused, match="2 problème"):
        apply_import(loaded_store, DEPT, preview, {}, "test", backup=False)
    assert snapshot_tables(loaded_store) == before
