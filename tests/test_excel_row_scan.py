"""An exchange workbook's rows are compared with their fingerprints while the reading child still
sends them (`RowScan`): the preview is the same as when they are compared after (SQLite and
PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from exports.excel import export_ars
from importers.excel import KEEP_STORE, apply_import, preview_import
from importers.excel import preview as preview_module
from importers.excel.workbook import RowScan
from store import actions as action_rules
from store.database import Store
from store.indicators import ValueKey, load_values
from tests.excel_fixtures import column_of, edit_workbook, set_cell, store_moves_on

DEPT = "09"


@pytest.fixture(params=[True, False], ids=["pendant-la-lecture", "apres-la-lecture"])
def scans(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> list[RowScan]:
    """The scans the previews made (with `False`, scans given no row: all compared after)."""
    made: list[RowScan] = []

    class Spied(RowScan):
        def __init__(self) -> None:
            super().__init__()
            made.append(self)

        def add(self, name: str, rows: list[list[Any]]) -> None:
            if request.param:
                super().add(name, rows)

    monkeypatch.setattr(preview_module, "RowScan", Spied)
    return made


def test_changes_in_the_workbook_and_the_store_since_the_export_are_seen_as_without_the_scan(
    loaded_store: Store, tmp_path: Path, scans: list[RowScan]
) -> None:
    path = tmp_path / "echange.xlsx"
    export_ars(loaded_store, DEPT, path, author="testeur")
    store_moves_on(loaded_store, DEPT, {"ACT-001": 60, "ACT-002": 30})  # after the export

    def edit(book: Any) -> None:
        set_cell(book, "Actions", "ACT-001", "Avancement (%)", 70)  # both changed it: a conflict
        set_cell(book, "Actions", "ACT-002", "Financement", "FIR")  # merged with the store's change
        set_cell(book, "Ressources", "RES-PFR", "Commune", "Pamiers")  # one cell of another sheet
        ws = book["Indicateurs"]
        row = next(
            r for r in range(2, ws.max_row + 1) if ws.cell(r, column_of(ws, "Période")).value == "2024-02"
        )
        ws.cell(row, column_of(ws, "Valeur")).value = 16  # one value of an indicator's period

    edited = edit_workbook(path, tmp_path / "e.xlsx", edit)
    preview = preview_import(loaded_store, DEPT, edited)
    assert not preview.rejected
    if scans and any(s.sheets for s in scans):  # the rows were indeed compared as they arrived
        # The hidden sheet came first: each row's hash of the fields it covers was worked out.
        hashes = scans[-1].sheets["Actions"].hashes
        assert len(hashes) == sum(1 for p in preview.rows if p.kind == "action")
    conflicts = [(c.key, c.field, c.exported, c.store, c.workbook) for c in preview.conflicts]
    assert conflicts == [("ACT-001", "progress", 50, 60, 70)]
    changed = {p.key: sorted((c.field, c.new) for c in p.changes) for p in preview.rows if p.changes}
    assert changed == {
        "ACT-002": [("funding", "FIR")],
        "RES-PFR": [("commune", "Pamiers")],
        "IND-001|2024-02": [("value", 16.0)],
    }
    assert {p.key for p in preview.unchanged} >= {"IND-001"}
    apply_import(loaded_store, DEPT, preview, {preview.conflicts[0].id: KEEP_STORE}, "testeur", backup=False)
    with loaded_store.engine.connect() as conn:
        after = action_rules.load_actions(conn, DEPT)
        assert load_values(conn, DEPT)[ValueKey("IND-001", "2024-02")] == 16
    assert after["ACT-001"].progress == 60
    assert after["ACT-002"].progress == 30 and after["ACT-002"].funding == "FIR"


def test_a_row_changed_after_its_texts_were_worked_out_is_compared_again() -> None:
    """A cell the preview changes (a renumbered indicator's code) forgets the texts the scan
    worked out for its row: its hash is that of its cells now."""
    from importers.excel.headers import HeaderMap
    from importers.excel.workbook import sheet_rows
    from store.fingerprint import fingerprint, row_hash

    header = ["Code", "Intitulé", "Empreinte Suivi STS (ne pas modifier)"]
    values = ["IND-001", "Patients suivis", fingerprint(None, "u1", ["IND-001", "Patients suivis"]).dump()]
    scan = RowScan()
    scan.add("Indicateurs", [header, values])
    assert id(values) in scan.sheets["Indicateurs"].texts
    found = HeaderMap(row=0, columns={0: "code", 1: "label"}, headers=dict(enumerate(header)), cells=header)
    sheet = sheet_rows("indicator", "Indicateurs", [header, values], found, scan)
    printed = sheet.fingerprint(values)
    assert printed is not None and printed.row == sheet.row_hash(values, ["code", "label"])
    sheet.set_cell(values, 0, "IND-002")
    assert (
        sheet.row_hash(values, ["code", "label"]) == row_hash(["IND-002", "Patients suivis"]) != printed.row
    )


def test_the_rows_a_preview_scanned_are_freed_when_it_returns_without_the_cyclic_collector(
    loaded_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scan of every row is let go with the reading: a collection of the whole import's
    objects (a tenth of a second at 10,000 actions) is not left to come later."""
    import gc
    import weakref

    made: list[weakref.ref[RowScan]] = []

    class Watched(RowScan):
        def __init__(self) -> None:
            super().__init__()
            made.append(weakref.ref(self))

    monkeypatch.setattr(preview_module, "RowScan", Watched)
    path = tmp_path / "echange.xlsx"
    export_ars(loaded_store, DEPT, path, author="testeur")
    gc.collect()
    gc.disable()
    try:
        preview = preview_import(loaded_store, DEPT, path)
        assert not preview.has_changes and not preview.rejected
        assert len(made) == 1 and made[0]() is None
    finally:
        gc.enable()


def test_the_hidden_sheet_arrives_first_and_the_rows_are_hashed_as_they_arrive(
    loaded_store: Store, tmp_path: Path, scans: list[RowScan]
) -> None:
    """The reading child sends the hidden sheet before the others: the fields each row's
    fingerprint covers are known when the rows come, and each row is hashed then. A workbook
    with two columns swapped by hand is still unchanged, and one cell changed is one change."""
    path = tmp_path / "echange.xlsx"
    export_ars(loaded_store, DEPT, path, author="testeur")

    def swap(book: Any) -> None:  # « Statut » and « Météo » exchanged, header and cells
        ws = book["Actions"]
        status, weather = column_of(ws, "Statut"), column_of(ws, "Météo")
        for row in range(1, ws.max_row + 1):
            a, b = ws.cell(row, status), ws.cell(row, weather)
            a.value, b.value = b.value, a.value

    swapped = edit_workbook(path, tmp_path / "permute.xlsx", swap)
    preview = preview_import(loaded_store, DEPT, swapped)
    assert not preview.rejected and not preview.has_changes
    actions = sum(1 for p in preview.rows if p.kind == "action")
    if scans and any(s.sheets for s in scans):
        assert len(scans[-1].sheets["Actions"].hashes) == actions
        assert not scans[-1].sheets["Actions"].texts

    def swap_and_edit(book: Any) -> None:
        swap(book)
        set_cell(book, "Actions", "ACT-002", "Financement", "FIR")

    edited = edit_workbook(path, tmp_path / "permute-modifie.xlsx", swap_and_edit)
    preview = preview_import(loaded_store, DEPT, edited)
    assert not preview.rejected
    assert [(p.key, [(c.field, c.new) for c in p.changes]) for p in preview.rows if p.changes] == [
        ("ACT-002", [("funding", "FIR")])
    ]


def test_a_deleted_column_leaves_the_rows_to_be_compared_as_before(
    loaded_store: Store, tmp_path: Path, scans: list[RowScan]
) -> None:
    """A column a fingerprint covers deleted: no hash is worked out for the sheet's rows (its
    fields are not all there), and the rows are compared cell by cell, as before."""
    path = tmp_path / "echange.xlsx"
    export_ars(loaded_store, DEPT, path, author="testeur")

    def delete(book: Any) -> None:
        ws = book["Actions"]
        ws.delete_cols(column_of(ws, "Météo"))
        set_cell(book, "Actions", "ACT-002", "Financement", "FIR")

    edited = edit_workbook(path, tmp_path / "colonne-supprimee.xlsx", delete)
    preview = preview_import(loaded_store, DEPT, edited)
    assert not preview.rejected
    assert [(p.key, [(c.field, c.new) for c in p.changes]) for p in preview.rows if p.changes] == [
        ("ACT-002", [("funding", "FIR")])
    ]
    if scans and any(s.sheets for s in scans):
        assert not scans[-1].sheets["Actions"].hashes


def test_a_row_changed_after_its_hash_was_worked_out_is_compared_again() -> None:
    """The hash the scan worked out (the hidden sheet read first) is forgotten when the preview
    changes a cell of the row, and is used only for the fields and columns it was made of."""
    from importers.excel.headers import HeaderMap
    from importers.excel.workbook import sheet_rows
    from store.fingerprint import fingerprint, row_hash

    header = ["Code indicateur", "Intitulé", "Unité", "Empreinte Suivi STS (ne pas modifier)"]
    values = ["IND-001", "Patients suivis", "", fingerprint(None, "u1", ["Patients suivis", ""]).dump()]
    scan = RowScan()
    scan.add("_suivi_sts", [["format", 2.0], ["#empreinte", "indicator", "label", "unit"]])
    scan.add("Indicateurs", [header, values])
    scanned = scan.sheets["Indicateurs"]
    assert id(values) in scanned.hashes and not scanned.texts
    columns = {0: "code", 1: "label", 2: "unit"}
    found = HeaderMap(row=0, columns=columns, headers=dict(enumerate(header)), cells=header)
    sheet = sheet_rows("indicator", "Indicateurs", [header, values], found, scan)
    printed = sheet.fingerprint(values)
    assert printed is not None and printed.row == sheet.row_hash(values, ["label", "unit"])
    # Asked for other fields, the hash is worked out from the cells.
    assert sheet.row_hash(values, ["code", "label"]) == row_hash(["IND-001", "Patients suivis"])
    sheet.set_cell(values, 1, "Patients vus")
    assert sheet.row_hash(values, ["label", "unit"]) == row_hash(["Patients vus", ""]) != printed.row
    # Other columns for the fields than the scan's: the scan's hashes are not used.
    scan.sheets["Indicateurs"].hashes[id(values)] = "faux"
    swapped = {0: "code", 1: "unit", 2: "label"}
    other = HeaderMap(row=0, columns=swapped, headers=dict(enumerate(header)), cells=header)
    again = sheet_rows("indicator", "Indicateurs", [header, values], other, scan)
    assert again.row_hash(values, ["label", "unit"]) == row_hash(["", "Patients vus"])
