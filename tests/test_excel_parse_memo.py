"""The preview reads each distinct text of a column once (importers/excel/preview.py `parse`):
property test, the same workbook previewed with and without it gives the same rows, values,
warnings and French refusals naming the same row and column."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from importers.excel import preview as preview_module
from importers.excel import preview_import
from store.database import Store

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
PROGRESS = ["50", "50 %", 0.5, 50, "", "cent", "150", "0,25", None, " 12 "]
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
        assert seen(loaded_store, path) == remembered
