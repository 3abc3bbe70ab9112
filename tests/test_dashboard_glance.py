"""Issue 16: the dashboard's first figures are read on a plain sqlite3 connection before
SQLAlchemy loads (`store.glance`); they are the figures the store layer reads, by the same SQL
(`store.views.reader`), and only a current store of this app is read that way."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from store.actions import ActionData, create_action
from store.activity import record_exchange
from store.database import Store
from store.glance import glance
from store.views.dashboard import dashboard
from tests.test_figures import DEPT, TODAY, _populate


@pytest.fixture
def sqlite_store(loaded_store: Store) -> Store:
    if loaded_store.path is None:
        pytest.skip("les premiers chiffres ne se lisent que dans un fichier SQLite")
    return loaded_store


def test_the_first_figures_are_the_dashboard_the_store_layer_reads(sqlite_store: Store) -> None:
    _populate(sqlite_store)
    with sqlite_store.writer.begin() as conn:
        record_exchange(
            conn, DEPT, direction="export", kind="ars", file_name="ars.xlsx", author="test", summary="ok"
        )
    for day in (TODAY, TODAY - timedelta(days=60), TODAY + timedelta(days=400)):
        with sqlite_store.engine.connect() as conn:
            expected = dashboard(conn, DEPT, day)
        first = glance(sqlite_store.path, None, day)  # type: ignore[arg-type]
        assert first is not None
        assert first.dashboard == expected
        assert (first.department, first.title) == (DEPT, f"{expected.department_name} ({DEPT})")
    assert expected.late_count and expected.exchanges and expected.engagements


def test_the_dashboard_reads_the_same_on_postgresql(loaded_store: Store) -> None:
    """The SQL text is the same on both databases (the store_url fixture runs both)."""
    _populate(loaded_store)
    with loaded_store.engine.connect() as conn:
        board = dashboard(conn, DEPT, TODAY)
    assert board.late_count == 3 and len(board.late) == 3
    dues = [row.due_date or TODAY for row in board.late]
    assert dues == sorted(dues)  # by due date, as the actions list sorted by due date


def test_only_a_current_store_of_this_app_is_read_without_the_store_layer(
    sqlite_store: Store, tmp_path: Path
) -> None:
    path = sqlite_store.path
    assert path is not None
    sqlite_store.dispose()
    assert glance(path, None, TODAY) is not None
    assert glance(path, "31", TODAY) is None  # a department the store does not hold
    assert glance(tmp_path / "absent.sqlite", None, TODAY) is None
    (tmp_path / "empty.sqlite").write_bytes(b"")
    assert glance(tmp_path / "empty.sqlite", None, TODAY) is None
    (tmp_path / "text.sqlite").write_text("pas une base", encoding="utf-8")
    assert glance(tmp_path / "text.sqlite", None, TODAY) is None
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    assert glance(other, None, TODAY) is None  # another application's file
    with sqlite3.connect(path) as db:
        db.execute("UPDATE alembic_version SET version_num = '0001'")  # to be upgraded first
    assert glance(path, None, TODAY) is None


def test_the_dashboard_reads_indexes_not_the_whole_action_table(sqlite_store: Store) -> None:
    """At 100,000 actions, reading every row of `action` (titles, descriptions) for the counts
    and lists took most of the dashboard's time: none of them scans that table itself. (The
    progress per engagement reads the progress of every counted action: no index holds it, so
    that the regional server's indexes expose no more columns to EXPLAIN ANALYZE.)"""
    from store.views.reader import sqlite_reader

    _populate(sqlite_store)
    path = sqlite_store.path
    assert path is not None
    conn = sqlite3.connect(path)
    conn.execute("ANALYZE")  # plans as on a store of some size, whatever this one holds
    read = sqlite_reader(conn)
    plans: list[tuple[str, list[str]]] = []

    def explained(sql: str, params: dict[str, object]) -> object:
        plan = [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
        plans.append((sql, plan))
        return read(sql, params)

    dashboard(explained, DEPT, TODAY)  # type: ignore[arg-type]
    conn.close()
    assert plans
    for sql, plan in plans:
        if "action_objective" in sql:  # the progress per engagement (see above)
            continue
        for step in plan:
            whole = step.startswith("SCAN ") and step.split()[1] in ("action", "a")
            assert not whole or "COVERING INDEX" in step, (sql, plan)


def test_an_action_of_two_objectives_counts_once_under_its_first(loaded_store: Store) -> None:
    """The progress per engagement counts an action once, under its first objective, on both
    databases (the main objective read in one pass over the links)."""
    with loaded_store.engine.connect() as conn:
        before = dashboard(conn, DEPT, TODAY).engagements[0].rate
    with loaded_store.writer.begin() as conn:
        for code, objectives in (("TWO-A", ("E1-D4-S2", "E1-D4-O2")), ("TWO-B", ("E1-D4-O2", "E1-D4-S2"))):
            data = ActionData(
                code=code, title=code, objectives=objectives, territories=("09",), status="realisee"
            )
            create_action(conn, DEPT, data, author="test", source="test")
    with loaded_store.engine.connect() as conn:
        after = dashboard(conn, DEPT, TODAY).engagements[0].rate
    assert (after.counted, after.done) == (before.counted + 2, before.done + 2)
    assert after.progress_total == before.progress_total + 200  # Réalisée: 100 % each
