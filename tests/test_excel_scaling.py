"""Imports that stay linear, and the exchange workbook's fingerprints (issues 13 and 16).

The number of SQL statements an import runs is counted (an SQLAlchemy event listener): it must
not grow with the number of new actions, nor depend on the store's size. The workbook keeps a
fingerprint per row instead of a copy of every cell; a workbook of the previous format (a copy
in the hidden sheet) is still imported; a row whose code was renumbered since the export is
matched by its identity.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import event, func, select, update

from exports.excel import export_ars
from importers.excel import apply_import, preview_import
from importers.excel.fields import FINGERPRINT_HEADER, META_SHEET
from store import actions as action_rules
from store.database import Store
from store.tables import ACTION, ACTION_EVENT
from tests.conftest import snapshot_tables
from tests.excel_fixtures import column_of, edit_workbook, find_row, set_cell

DEPT = "09"


@contextmanager
def counted(store: Store) -> Iterator[list[str]]:
    """The SQL statements run meanwhile on the store (an executemany counts once)."""
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engines = {id(e): e for e in (store.engine, store.writer)}.values()
    for engine in engines:
        event.listen(engine, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", seen)


def new_actions_workbook(path: Path, rows: int) -> Path:
    """`rows` new actions (blank codes), titled after the file (a title already imported is skipped)."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Actions"
    sheet.append(["Code", "Intitulé", "Objectifs (codes)", "Territoires (codes)", "Statut", "Commentaire"])
    for n in range(rows):
        comment = f"Commentaire {n}" if n % 2 else None
        sheet.append(["", f"Nouvelle action {n} de {path.stem}", "E1-D4-O2", "09", "En cours", comment])
    book.save(path)
    return path


def import_counting(store: Store, path: Path) -> tuple[int, Any]:
    with counted(store) as statements:
        preview = preview_import(store, DEPT, path)
        assert not preview.rejected, [str(p) for p in preview.rejected]
        result = apply_import(store, DEPT, preview, {}, "testeur", backup=False)
    return len(statements), result


def test_creating_actions_runs_as_many_statements_for_ten_as_for_two_hundred(
    loaded_store: Store, tmp_path: Path
) -> None:
    few, result = import_counting(loaded_store, new_actions_workbook(tmp_path / "dix.xlsx", 10))
    assert result.created == {"action": 10}
    many, result = import_counting(loaded_store, new_actions_workbook(tmp_path / "deux-cents.xlsx", 200))
    assert result.created == {"action": 200}
    assert many <= few + 2, (few, many)  # a few more IN (...) lists at most, never one per row
    with loaded_store.engine.connect() as conn:
        stored = action_rules.load_actions(conn, DEPT)
    created = sorted(c for c in stored if stored[c].title.startswith("Nouvelle action"))
    assert len(created) == len(set(created)) == 210
    numbers = sorted(int(c.removeprefix("ACT-")) for c in created)
    assert numbers == list(range(numbers[0], numbers[0] + 210))  # consecutive codes, none reused
    with loaded_store.engine.connect() as conn:
        lines = action_rules.load_actions(conn, DEPT, [created[1]])
    assert lines[created[1]].objectives == ("E1-D4-O2",) and lines[created[1]].territories == ("09",)


def test_new_actions_write_each_table_with_one_statement_for_all_their_rows(
    loaded_store: Store, tmp_path: Path
) -> None:
    preview = preview_import(loaded_store, DEPT, new_actions_workbook(tmp_path / "cent.xlsx", 100))
    writes: list[tuple[str, int]] = []

    def seen(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if statement.lstrip().upper().startswith("INSERT"):
            table = statement.split("INTO", 1)[1].split("(", 1)[0].strip().strip('"').split(".")[-1]
            writes.append((table.strip('"'), len(parameters) if many else 1))

    event.listen(loaded_store.engine, "before_cursor_execute", seen)
    try:
        result = apply_import(loaded_store, DEPT, preview, {}, "testeur", backup=False)
    finally:
        event.remove(loaded_store.engine, "before_cursor_execute", seen)
    assert result.created == {"action": 100}
    # one executemany per table, every row in it: 100 actions, their objective and territory,
    # a creation line each and a line for each of the 50 comments (and the exchange's log line)
    by_table = {table: rows for table, rows in writes if table != "exchange"}
    assert sorted(t for t, _ in writes if t != "exchange") == sorted(by_table), writes
    assert by_table == {"action": 100, "action_objective": 100, "action_territory": 100, "action_event": 150}
    with loaded_store.engine.connect() as conn:
        lines = conn.execute(
            select(ACTION_EVENT.c.kind, func.count())
            .where(ACTION_EVENT.c.source == "cent.xlsx")
            .group_by("kind")
        ).all()
    assert dict(lines) == {"creation": 100, "commentaire": 50}


def test_a_one_row_workbook_reads_the_same_whatever_the_store_size(
    loaded_store: Store, tmp_path: Path
) -> None:
    def one_row(name: str) -> Path:
        path = tmp_path / f"{name}.xlsx"
        export_ars(loaded_store, DEPT, path, author="testeur", codes=["ACT-001"])
        book = openpyxl.load_workbook(path)
        del book["Indicateurs"]
        sheet = book["Actions"]
        sheet.cell(2, column_of(sheet, "Avancement (%)")).value = 42 if name == "petit" else 43
        book.save(path)
        return path

    small, _ = import_counting(loaded_store, one_row("petit"))
    new_actions_workbook(tmp_path / "gros.xlsx", 300)
    import_counting(loaded_store, tmp_path / "gros.xlsx")
    large, _ = import_counting(loaded_store, one_row("grand"))
    assert large == small, (small, large)


def add_indicators(store: Store, count: int) -> list[str]:
    """`count` indicators on ACT-001 (target 10), written through the domain rules; their codes."""
    from store import indicators as indicator_rules
    from store.indicators import IndicatorData

    codes = []
    with store.writer.begin() as conn:
        for n in range(count):
            data = IndicatorData(
                code="", label=f"Indicateur {n}", action="ACT-001", unit="personnes", target=10.0
            )
            codes.append(indicator_rules.create_indicator(conn, DEPT, data).code)
    return codes


def targets_workbook(path: Path, codes: list[str], target: float) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Indicateurs"
    sheet.append(["Code", "Cible"])
    for code in codes:
        sheet.append([code, target])
    book.save(path)
    return path


def test_changing_indicators_runs_as_many_statements_for_five_as_for_one_hundred_fifty(
    loaded_store: Store, tmp_path: Path
) -> None:
    codes = add_indicators(loaded_store, 150)
    few, result = import_counting(loaded_store, targets_workbook(tmp_path / "cinq.xlsx", codes[:5], 20.0))
    assert result.updated == {"indicator": 5}
    many, result = import_counting(loaded_store, targets_workbook(tmp_path / "tous.xlsx", codes, 30.0))
    assert result.updated == {"indicator": 150}
    assert many <= few + 2, (few, many)  # a few more IN (...) lists at most, never one per row
    from store import indicators as indicator_rules

    with loaded_store.engine.connect() as conn:
        stored = indicator_rules.load_indicators(conn, DEPT, codes)
    assert {i.target for i in stored.values()} == {30.0}


def test_a_workbook_naming_many_records_reads_their_table_in_one_statement(
    loaded_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from importers.excel import preview as preview_module

    path = tmp_path / "echange.xlsx"
    export_ars(loaded_store, DEPT, path, author="testeur")
    with counted(loaded_store) as by_lists:
        preview = preview_import(loaded_store, DEPT, path)
    assert not preview.has_changes and not preview.rejected
    monkeypatch.setattr(preview_module, "WHOLE_TABLE", 3)  # the exchange workbook names more actions
    with counted(loaded_store) as whole:
        preview = preview_import(loaded_store, DEPT, path)
    assert not preview.has_changes and not preview.rejected, preview.summary()
    action_reads = [s for s in whole if s.lstrip().startswith("SELECT action.code, action.uid")]
    assert len(action_reads) == 1 and " IN " not in action_reads[0]
    assert len(whole) < len(by_lists)


def test_the_exchange_workbook_keeps_a_fingerprint_per_row_not_a_copy(
    loaded_store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "echange.xlsx"
    export_ars(loaded_store, DEPT, path, author="testeur")
    book = openpyxl.load_workbook(path)
    meta = book[META_SHEET]
    assert meta.max_row < 20  # the export's details and the fields fingerprinted, whatever the size
    actions = book["Actions"]
    column = column_of(actions, FINGERPRINT_HEADER)
    assert actions.column_dimensions[openpyxl.utils.get_column_letter(column)].hidden
    assert str(actions.cell(2, column).value).startswith("e1|")


def test_an_action_renumbered_since_the_export_is_matched_by_its_identity(
    loaded_store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "echange.xlsx"
    export_ars(loaded_store, DEPT, path, author="testeur")
    # Meanwhile a publish renumbered ACT-002 (a provisional code) to ACT-900.
    with loaded_store.writer.begin() as conn:
        conn.execute(
            update(ACTION)
            .where(ACTION.c.department_code == DEPT, ACTION.c.code == "ACT-002")
            .values(code="ACT-900", version=ACTION.c.version + 1)
        )
    edited = edit_workbook(
        path, tmp_path / "edite.xlsx", lambda b: set_cell(b, "Actions", "ACT-002", "Financement", "FIR")
    )
    preview = preview_import(loaded_store, DEPT, edited)
    assert not preview.rejected, [str(p) for p in preview.rejected]
    (changed,) = [p for p in preview.rows if p.status != "inchangé"]
    assert changed.key == "ACT-900"
    apply_import(loaded_store, DEPT, preview, {}, "testeur", backup=False)
    with loaded_store.engine.connect() as conn:
        assert action_rules.load_actions(conn, DEPT, ["ACT-900"])["ACT-900"].funding == "FIR"


def test_a_workbook_of_the_previous_format_is_still_imported_three_ways(
    loaded_store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "echange.xlsx"
    export_ars(loaded_store, DEPT, path, author="testeur")
    old = previous_format(path, tmp_path / "ancien.xlsx")
    before = snapshot_tables(loaded_store)
    preview = preview_import(loaded_store, DEPT, old)
    assert not preview.rejected and not preview.has_changes, [str(p) for p in preview.rejected]
    assert snapshot_tables(loaded_store) == before
    with loaded_store.writer.begin() as conn:
        current = action_rules.load_actions(conn, DEPT, ["ACT-001"])["ACT-001"]
        action_rules.update_action(
            conn, DEPT, current, replace(current, progress=60), author="x", source="écran"
        )
    edited = edit_workbook(
        old, tmp_path / "ancien-edite.xlsx", lambda b: set_cell(b, "Actions", "ACT-001", "Financement", "FIR")
    )
    preview = preview_import(loaded_store, DEPT, edited)
    assert not preview.rejected and not preview.conflicts
    apply_import(loaded_store, DEPT, preview, {}, "testeur", backup=False)
    with loaded_store.engine.connect() as conn:
        after = action_rules.load_actions(conn, DEPT, ["ACT-001"])["ACT-001"]
    assert (after.progress, after.funding) == (60, "FIR")  # the store's change kept, the workbook's applied


def previous_format(path: Path, target: Path) -> Path:
    """The workbook as format 1 wrote it: no fingerprint column, every exported cell copied into
    the hidden sheet after a "#champs" line per kind."""
    book = openpyxl.load_workbook(path)
    meta = book[META_SHEET]
    info = [
        [c.value for c in row] for row in meta.iter_rows() if row[0].value and row[0].value != "#empreinte"
    ]
    book.remove(meta)
    copy = book.create_sheet(META_SHEET)
    copy.sheet_state = "hidden"
    for row in info:
        copy.append(["format", 1] if row[0] == "format" else row)
    for kind, name in (("action", "Actions"), ("resource", "Ressources")):
        sheet = book[name]
        column = column_of(sheet, FINGERPRINT_HEADER)
        headers = [c.value for c in sheet[1]][: column - 1]
        fields = _fields(kind, headers)
        copy.append(["#champs", kind, "cle", "version", *fields.values()])
        for row in sheet.iter_rows(min_row=2, max_col=column):
            printed = str(row[column - 1].value or "")
            version = int(printed.split("|")[1]) if printed.startswith("e1|") else None
            cells = {headers[i]: row[i].value for i in range(column - 1)}
            copy.append([kind, cells[headers[0]], version, *(cells[h] for h in fields)])
        sheet.delete_cols(column)
    indicators = book["Indicateurs"]
    indicators.delete_cols(column_of(indicators, FINGERPRINT_HEADER))
    book.save(target)
    assert find_row(book["Actions"], "ACT-001")
    return target


def _fields(kind: str, headers: list[Any]) -> dict[str, str]:
    from exports.excel.ars import ACTION_COLUMNS, RESOURCE_COLUMNS

    columns = ACTION_COLUMNS if kind == "action" else RESOURCE_COLUMNS
    return {c.header: c.field for c in columns if c.field and c.header in headers}


def test_an_export_the_import_could_not_read_back_is_refused_in_french(
    loaded_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from exports.excel import ars
    from importers.excel import fields
    from importers.excel.limits import DEFAULT_LIMITS

    assert (
        DEFAULT_LIMITS.max_rows,
        DEFAULT_LIMITS.max_cells,
        DEFAULT_LIMITS.max_workbook_cells,
        fields.FINGERPRINT_HEADER,
    ) == (
        ars.IMPORT_MAX_ROWS,
        ars.IMPORT_MAX_SHEET_CELLS,
        ars.IMPORT_MAX_WORKBOOK_CELLS,
        ars.FINGERPRINT_HEADER,
    )
    path = tmp_path / "trop-grand.xlsx"
    for limit, value in (("IMPORT_MAX_ROWS", 1), ("IMPORT_MAX_SHEET_CELLS", 18)):
        # 18: the Actions sheet's columns, so its header row alone fills it (the 4-million-cell
        # sheet of ~222,000 actions was written, then refused by the import)
        with monkeypatch.context() as patch:
            patch.setattr(ars, limit, value)
            with pytest.raises(ars.ExchangeTooLarge) as refused:
                export_ars(loaded_store, DEPT, path, author="testeur")
        assert "trop grand pour être réimporté" in str(refused.value), limit
        assert "« Actions » : " in str(refused.value), str(refused.value)
        said = (
            r"l'import lit au plus [\d\s]+ lignes et [\d\s]+ cellules par feuille, [\d\s]+ cellules en tout\)"
        )
        assert re.search(said, str(refused.value)), str(refused.value)
        assert not path.exists()


def test_the_export_refuses_what_its_cells_would_weigh_in_the_import_as_the_import_counts_it(
    loaded_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows and cells alone do not tell whether the import reads an exchange workbook back: its
    texts are longer in some stores than in others (the export of 38,000 bench actions was
    written, then refused by its import: « ses cellules occuperaient plus de 160 Mo »). The
    export counts the memory its cells will take once read as the import's reading process
    counts it, to the byte, and refuses past the import's budget."""
    from python_calamine import CalamineWorkbook

    from exports.excel import ars
    from importers.excel import UnreadableWorkbook
    from importers.excel.isolated import row_bytes
    from importers.excel.limits import DEFAULT_LIMITS, Limits

    assert DEFAULT_LIMITS.max_cell_bytes == ars.IMPORT_MAX_CELL_BYTES
    path = tmp_path / "echange.xlsx"
    export_ars(loaded_store, DEPT, path, author="testeur")
    book = CalamineWorkbook.from_path(str(path))
    held = 0
    for name in book.sheet_names:
        sheet = book.get_sheet_by_name(name)
        held += sum(row_bytes(row, (sheet.start or (0, 0))[1]) for row in sheet.iter_rows())
    # That is what the import counts: its budget lets the workbook through, one byte less does not.
    assert not preview_import(loaded_store, DEPT, path, limits=Limits(max_cell_bytes=held)).rejected
    with pytest.raises(UnreadableWorkbook, match="ses cellules occuperaient plus de"):
        preview_import(loaded_store, DEPT, path, limits=Limits(max_cell_bytes=held - 1))
    monkeypatch.setattr(ars, "READ_BYTES_MARGIN", 0)
    monkeypatch.setattr(ars, "IMPORT_MAX_CELL_BYTES", held)
    export_ars(loaded_store, DEPT, tmp_path / "juste.xlsx", author="testeur")
    monkeypatch.setattr(ars, "IMPORT_MAX_CELL_BYTES", held - 1)
    refused = tmp_path / "trop-lourd.xlsx"
    with pytest.raises(ars.ExchangeTooLarge) as said:
        export_ars(loaded_store, DEPT, refused, author="testeur")
    assert "ses cellules occuperaient plus de" in str(said.value) and "Ctrl+E" in str(said.value)
    assert not refused.exists()


def test_the_garbage_collector_is_resumed_after_an_import_even_a_refused_one(
    loaded_store: Store, tmp_path: Path
) -> None:
    import gc

    from importers.excel import UnreadableWorkbook
    from store.collector import collector_paused

    assert gc.isenabled()
    (tmp_path / "vide.xlsx").write_bytes(b"")
    with pytest.raises(UnreadableWorkbook):
        preview_import(loaded_store, DEPT, tmp_path / "vide.xlsx")
    assert gc.isenabled()
    with collector_paused():
        with collector_paused():  # two imports at once: resumed when the last one ends
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # left as it was found
    finally:
        gc.enable()


def test_the_values_of_named_indicators_are_those_of_the_whole_department(loaded_store: Store) -> None:
    """`load_values` of a few codes (read from their indicators) equals the department's values
    restricted to them."""
    from store import indicators as indicator_rules
    from store.indicators import ValueChange, ValueKey

    store = loaded_store
    codes = add_indicators(store, 4)
    with store.writer.begin() as conn:
        changes = [
            ValueChange(ValueKey(code, f"{2020 + month}", category), None, float(n * 10 + month))
            for n, code in enumerate(codes)
            for month in (1, 2)
            for category in ("", "Mineurs")
        ]
        indicator_rules.write_values(conn, DEPT, changes, author="testeur", source="test")
    with store.engine.connect() as conn:
        every = indicator_rules.load_values(conn, DEPT)
        named = indicator_rules.load_values(conn, DEPT, codes[1:3])
    assert named == {k: v for k, v in every.items() if k.indicator in codes[1:3]}
    assert len(named) == 8


def test_new_actions_checked_by_the_preview_are_refused_if_their_objective_left_the_store(
    loaded_store: Store, tmp_path: Path
) -> None:
    """The apply does not run the preview's checks again on new actions, but the codes they
    refer to are read again: an objective renamed meanwhile refuses the import, nothing written."""
    from importers.excel import ImportRefused
    from store.tables import OBJECTIVE

    preview = preview_import(loaded_store, DEPT, new_actions_workbook(tmp_path / "trois.xlsx", 3))
    assert not preview.rejected, [str(p) for p in preview.rejected]
    with loaded_store.writer.begin() as conn:
        conn.execute(
            update(OBJECTIVE)
            .where(OBJECTIVE.c.department_code == DEPT, OBJECTIVE.c.code == "E1-D4-O2")
            .values(code="E1-D4-O9")
        )
    before = snapshot_tables(loaded_store)
    with pytest.raises(ImportRefused, match="ligne 2.*Objectif inconnu : « E1-D4-O2 »"):
        apply_import(loaded_store, DEPT, preview, {}, "testeur", backup=False)
    assert snapshot_tables(loaded_store) == before


def test_changing_indicator_targets_reads_no_action_but_theirs(loaded_store: Store, tmp_path: Path) -> None:
    """The indicator path checks the actions the changed indicators name (one list of codes),
    not every action code of the department."""
    codes = add_indicators(loaded_store, 5)
    with counted(loaded_store) as statements:
        preview = preview_import(loaded_store, DEPT, targets_workbook(tmp_path / "cibles.xlsx", codes, 25.0))
        assert not preview.rejected, [str(p) for p in preview.rejected]
    on_actions = [s for s in statements if "FROM action " in s or s.rstrip().endswith("FROM action")]
    assert on_actions, statements
    assert all(" IN (" in s or "action.id = " in s for s in on_actions), on_actions
    result = apply_import(loaded_store, DEPT, preview, {}, "testeur", backup=False)
    assert result.updated == {"indicator": 5}


def test_each_exported_row_fingerprint_hashes_its_cells_as_read_back(
    loaded_store: Store, tmp_path: Path
) -> None:
    """An indicator's own cells are hashed once for all its periods' rows (and the field hashes
    of a row in one go): each row's fingerprint is still, field by field, the hash of its cell
    as a spreadsheet gives it back."""
    from python_calamine import CalamineWorkbook

    from exports.excel.ars import INDICATOR_COLUMNS, breakdown_header
    from store.fingerprint import cell_hash, parse, row_hash

    path = tmp_path / "echange.xlsx"
    export_ars(loaded_store, DEPT, path, author="testeur")
    book = CalamineWorkbook.from_path(str(path))
    rows = book.get_sheet_by_name("Indicateurs").to_python()
    covered = next(
        r for r in book.get_sheet_by_name(META_SHEET).to_python() if r[:2] == ["#empreinte", "indicator"]
    )
    fields = [str(f) for f in covered[2:] if f]
    headers = {c.field: c.header for c in INDICATOR_COLUMNS}
    headers |= {f: breakdown_header(f.removeprefix("cat:")) for f in fields if f.startswith("cat:")}
    position = {field: rows[0].index(headers[field]) for field in fields}
    assert {"label", "target", "period", "value", "cat:50 ans et plus"} <= set(position)
    printed = rows[0].index(FINGERPRINT_HEADER)
    periods: dict[object, int] = {}
    for values in rows[1:]:
        print_ = parse(values[printed])
        assert print_ is not None
        cells = [values[position[f]] for f in fields]
        assert print_.hashes == "".join(cell_hash(c) for c in cells)
        assert print_.row == row_hash(cells)
        periods[values[0]] = periods.get(values[0], 0) + 1
    assert max(periods.values()) > 1  # indicators with several periods' rows
