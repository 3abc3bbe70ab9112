"""An indicator's cells are repeated on each of its periods' rows in the exchange workbook: a
target changed by hand (filled down every row) is one change of the indicator, merged with what
the store changed since the export, and two rows that disagree are refused (SQLite and
PostgreSQL)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from exports.excel import export_ars
from importers.excel import TAKE_WORKBOOK, apply_import, preview_import
from store.database import Store
from store.indicators import (
    ValueChange,
    ValueKey,
    load_indicators,
    load_values,
    update_indicator,
    write_values,
)
from tests.excel_fixtures import column_of, edit_workbook

DEPT = "09"


def _exported(store: Store, folder: Path) -> Path:
    path = folder / "echange.xlsx"
    export_ars(store, DEPT, path, author="testeur")
    return path


def _set_targets(*targets: float) -> Any:
    """An edit setting « Cible » on IND-001's rows, in order (the last target on the rows after)."""

    def edit(book: Any) -> None:
        ws = book["Indicateurs"]
        rows = [r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "IND-001"]
        assert len(rows) >= 2  # one row per period
        for n, row in enumerate(rows):
            ws.cell(row, column_of(ws, "Cible")).value = targets[min(n, len(targets) - 1)]

    return edit


def _store_value(store: Store, period: str, value: float) -> None:
    key = ValueKey("IND-001", period, "")
    with store.writer.begin() as conn:
        old = load_values(conn, DEPT).get(key)
        write_values(conn, DEPT, [ValueChange(key, old, value)], author="écran", source="test")


def _store_target(store: Store, target: float) -> None:
    with store.writer.begin() as conn:
        before = load_indicators(conn, DEPT)["IND-001"]
        update_indicator(conn, DEPT, before, replace(before, target=target))


def test_a_target_filled_down_every_period_row_is_one_change_and_keeps_the_stores_new_values(
    loaded_store: Store, tmp_path: Path
) -> None:
    path = _exported(loaded_store, tmp_path)
    _store_value(loaded_store, "2024-01", 13)  # typed on screen after the export
    edited = edit_workbook(path, tmp_path / "cibles.xlsx", _set_targets(40))
    preview = preview_import(loaded_store, DEPT, edited)
    assert not preview.rejected and not preview.conflicts
    changed = {p.key: [(c.field, c.old, c.new) for c in p.changes] for p in preview.rows if p.changes}
    assert changed == {"IND-001": [("target", None, 40.0)]}  # no value row: the workbook kept them
    apply_import(loaded_store, DEPT, preview, {}, "testeur", backup=False)
    with loaded_store.engine.connect() as conn:
        assert load_indicators(conn, DEPT)["IND-001"].target == 40
        values = load_values(conn, DEPT)
    assert values[ValueKey("IND-001", "2024-01")] == 13 and values[ValueKey("IND-001", "2024-02")] == 15


def test_a_target_changed_on_both_sides_is_one_conflict_whatever_the_rows(
    loaded_store: Store, tmp_path: Path
) -> None:
    path = _exported(loaded_store, tmp_path)
    _store_target(loaded_store, 30)
    edited = edit_workbook(path, tmp_path / "cibles.xlsx", _set_targets(40))
    preview = preview_import(loaded_store, DEPT, edited)
    assert not preview.rejected
    assert [(c.key, c.field, c.exported, c.store, c.workbook) for c in preview.conflicts] == [
        ("IND-001", "target", None, 30.0, 40.0)
    ]
    apply_import(
        loaded_store, DEPT, preview, {preview.conflicts[0].id: TAKE_WORKBOOK}, "testeur", backup=False
    )
    with loaded_store.engine.connect() as conn:
        assert load_indicators(conn, DEPT)["IND-001"].target == 40


def test_two_period_rows_giving_the_indicator_different_targets_are_refused(
    loaded_store: Store, tmp_path: Path
) -> None:
    path = _exported(loaded_store, tmp_path)
    edited = edit_workbook(path, tmp_path / "cibles.xlsx", _set_targets(40, 41))
    preview = preview_import(loaded_store, DEPT, edited)
    refusals = [str(p) for p in preview.rejected]
    assert (
        len(refusals) == 1
        and "valeur différente de celle de la ligne 2 pour le même indicateur" in refusals[0]
    )
    assert "« Indicateurs »" in refusals[0] and "ligne 3" in refusals[0] and "Cible" in refusals[0]
