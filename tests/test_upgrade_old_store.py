"""Last year's store file opens with the current app: backed up, migrated, nothing lost."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

from store.backup import list_backups, verify_backup
from store.database import open_store
from store.integrity import check
from store.models.identities import reference_uid
from store.schema import SchemaState, head_revision, schema_status

OLD_STORE = Path(__file__).with_name("fixtures") / "store_rev0001.sqlite"


def dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of the file (read with plain sqlite3)."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                "AND name != 'alembic_version' ORDER BY name"
            )
        ]
        return {t: sorted(conn.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}


def test_the_fixture_is_a_revision_0001_store() -> None:
    with sqlite3.connect(f"file:{OLD_STORE}?mode=ro", uri=True) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("0001",)]
        assert conn.execute("SELECT count(*) FROM action").fetchone()[0] == 2


def test_an_old_store_is_backed_up_then_migrated_and_keeps_every_row(tmp_path: Path) -> None:
    path = tmp_path / "suivi-2025.sqlite"
    shutil.copyfile(OLD_STORE, path)
    before = dump(path)
    assert sum(len(rows) for rows in before.values()) > 40

    store = open_store(path)
    assert schema_status(store.engine).state is SchemaState.CURRENT
    assert check(store.engine).ok
    store.dispose()

    after = dump(path)
    for table, rows in before.items():  # columns added later come last: the old ones are intact
        width = len(rows[0]) if rows else 0
        assert [row[:width] for row in after[table]] == rows, f"table {table} modifiée par la migration"
    # 0007: the (empty) provenance columns of the journal, origin_author and origin_at
    # 0009: then the line's identity (none for the lines written before: append-only)
    assert all(r[-3:] == (None, None, None) for r in after["action_event"])
    # 0008: dates of existing actions are precise to the day, the publics keep a position
    assert {row[-3:-1] for row in after["action"]} == {("day", "day")}
    # 0009: each action has an identity derived from its department and code
    assert {row[-1] for row in after["action"]} == {
        reference_uid(row[1], "action", row[2]) for row in after["action"]
    }
    # 0012: and each indicator an identity derived the same way
    indicators = after.get("indicator") or []
    assert {row[-1] for row in indicators} == {
        reference_uid(row[1], "indicateur", row[2]) for row in indicators
    }
    assert set(after) - set(before) == {
        "exchange",
        "saved_filter",
        "workshop_session",
        "sync_state",
        "sync_conflict",
        "store_identity",
        "resource_event",
        "reference_event",
    }
    assert all(not after[t] for t in set(after) - set(before) - {"store_identity"})
    assert len(after["store_identity"]) == 1

    backups = list_backups(path)
    assert len(backups) == 1 and "avant-migration-0001" in backups[0].name
    checked = verify_backup(backups[0])
    assert checked.ok and checked.revision == "0001"
    assert dump(backups[0]) == before

    # opened again (same day): current schema, no second backup
    open_store(path).dispose()
    assert len(list_backups(path)) == 1
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(head_revision(),)]
