"""Backups (online API, rotated, daily on open) and `suivi-sts restore`, as users run them."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import closing
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import text

from importers.setup_store import initialise
from store.actions import load_actions, update_action
from store.backup import (
    BackupKind,
    backup_sqlite,
    daily_backup_due,
    describe_backup,
    list_backups,
    restore,
    verify_backup,
)
from store.database import open_store
from store.errors import StoreBusy, StoreError
from tests.conftest import MINI_REFERENCE
from tui.cli import main


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "suivi.sqlite"
    initialise(path, reference=MINI_REFERENCE).store.dispose()
    return path


def _title(path: Path) -> str:
    # closed at once: a Python 3.11 connection left to the garbage collector keeps the file open
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute("SELECT title FROM action WHERE code = 'ACT-001'").fetchone()[0]


def _set_title(path: Path, title: str) -> None:
    store = open_store(path, daily_backup=False)
    with store.writer.begin() as conn:
        before = load_actions(conn, "09", ["ACT-001"])["ACT-001"]
        update_action(conn, "09", before, replace(before, title=title), author="t", source="test")
    store.dispose()


def test_a_backup_is_a_private_checked_single_file(db: Path) -> None:
    made = backup_sqlite(db, "manuelle")
    assert made.parent.name == "sauvegardes" and made.stat().st_mode & 0o077 == 0
    checked = verify_backup(made)
    assert checked.ok and checked.revision is not None
    assert not Path(f"{made}-wal").exists()
    assert list_backups(db) == [made]


def test_a_backup_taken_while_another_process_writes_is_consistent(db: Path) -> None:
    stop = threading.Event()

    def keep_writing() -> None:
        i = 0
        while not stop.is_set():
            _set_title(db, f"titre {i}")
            i += 1

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        made = [backup_sqlite(db, f"pendant-{i}", keep=50) for i in range(5)]
    finally:
        stop.set()
        writer.join()
    assert all(verify_backup(m).ok for m in made)


def test_backups_are_rotated_keeping_the_last_n(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUIVI_STS_KEEP_BACKUPS", "3")
    made = [backup_sqlite(db, f"n{i}") for i in range(5)]
    assert list_backups(db) == made[:1:-1]


def test_at_most_one_backup_a_day_when_the_store_opens(db: Path) -> None:
    assert daily_backup_due(db)
    open_store(db).dispose()
    open_store(db).dispose()
    backups = list_backups(db)
    assert len(backups) == 1 and backups[0].name.endswith("-ouverture.sqlite")
    assert describe_backup(backups[0]).label == "automatique (quotidienne, à l'ouverture)"
    assert not daily_backup_due(db)


def test_import_transaction_backs_up_first(db: Path) -> None:
    store = open_store(db, daily_backup=False)
    with store.import_transaction() as conn:
        conn.execute(text("UPDATE action SET progress = 99 WHERE code = 'ACT-002'"))
    assert len(store.backups_taken) == 1 and "avant-import" in store.backups_taken[0].name
    store.dispose()


def test_cli_backup_then_restore_brings_the_data_back_and_saves_the_current_state(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    original = _title(db)
    assert main(["--db", str(db), "backup"]) == 0
    saved = Path(capsys.readouterr().out.split("Sauvegarde faite : ")[1].split("\n")[0])
    assert describe_backup(saved).kind is BackupKind.MANUAL  # kept until the user deletes it
    _set_title(db, "Changé après la sauvegarde")
    assert main(["--db", str(db), "restore", str(saved)]) == 0
    out = capsys.readouterr().out
    assert "Base restaurée" in out and "État précédent sauvegardé" in out
    assert _title(db) == original
    previous = [b for b in list_backups(db) if "avant-restauration" in b.name]
    assert len(previous) == 1 and _title(previous[0]) == "Changé après la sauvegarde"
    assert describe_backup(previous[0]).kind is BackupKind.AUTOMATIC
    assert main(["--db", str(db), "check"]) == 0
    assert main(["--db", str(db), "backups"]) == 0
    assert "intacte" in capsys.readouterr().out


def test_restore_refuses_a_damaged_or_foreign_backup_and_changes_nothing(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    damaged = backup_sqlite(db, "abimee")
    data = bytearray(damaged.read_bytes())
    data[4096 * 3 : 4096 * 3 + 2000] = b"\xff" * 2000
    damaged.write_bytes(bytes(data))
    foreign = tmp_path / "autre.sqlite"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE t (x)")
    before = db.read_bytes()
    for bad in (damaged, foreign):
        assert main(["--db", str(db), "restore", str(bad)]) == 1
        assert "inutilisable" in capsys.readouterr().err
    assert db.read_bytes() == before
    with pytest.raises(StoreError, match="inutilisable"):
        restore(db, foreign)


def test_restore_refuses_while_the_store_is_in_use(db: Path) -> None:
    saved = backup_sqlite(db, "x")
    _set_title(db, "en cours d'utilisation")
    in_use = open_store(db, daily_backup=False)
    with in_use.engine.connect() as conn:
        conn.execute(text("SELECT count(*) FROM action")).scalar()
        with pytest.raises(StoreBusy, match="ouverte par un autre programme"):
            restore(db, saved)
    in_use.dispose()
    assert _title(db) == "en cours d'utilisation"


def test_a_damaged_store_can_be_restored_and_is_kept_aside(db: Path) -> None:
    saved = backup_sqlite(db, "bonne")
    data = bytearray(db.read_bytes())
    data[100:4000] = b"\x00" * 3900
    db.write_bytes(bytes(data))
    result = restore(db, saved)
    assert result.previous_state is not None and result.previous_state.suffix == ".endommage"
    assert result.previous_state.read_bytes()[:4000] == bytes(data[:4000])
    store = open_store(db)
    assert not store.read_only
    store.dispose()
