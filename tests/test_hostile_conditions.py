"""The store in hostile conditions: damaged file, write-protected media, full disk, busy store,
two writers at once, network share."""

from __future__ import annotations

import multiprocessing
import shutil
import sqlite3
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import event, text

from importers.setup_store import initialise
from store.actions import load_actions, update_action
from store.backup import backup_sqlite
from store.database import open_store
from store.errors import ReadOnlyStore, StoreBusy
from store.health import StoreDamaged, StoreFull, filesystem_type, network_notice
from store.reference import read_reference
from tests import crash_workers
from tests.conftest import MINI_REFERENCE, snapshot_tables
from tests.storage_support import show_in_test_output, write_protected


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "suivi.sqlite"
    initialise(path, reference=MINI_REFERENCE).store.dispose()
    return path


def _save(store_writer: object, progress: int, description: str | None = None) -> None:
    with store_writer.begin() as conn:  # type: ignore[attr-defined]
        before = load_actions(conn, "09", ["ACT-001"])["ACT-001"]
        after = replace(before, progress=progress, description=description or before.description)
        update_action(conn, "09", before, after, author="t", source="test")


# --- damaged files ------------------------------------------------------------------------------


def test_a_damaged_store_is_refused_in_french_with_the_latest_good_backups_and_left_untouched(
    db: Path,
) -> None:
    good = backup_sqlite(db, "hier")
    data = bytearray(db.read_bytes())
    for page in range(2, len(data) // 4096, 3):
        data[page * 4096 + 8 : page * 4096 + 200] = b"\xa5" * 192
    db.write_bytes(bytes(data))
    with pytest.raises(StoreDamaged) as caught:
        open_store(db)
    message = str(caught.value)
    assert "endommagée" in message and "n'a pas été modifié" in message
    assert caught.value.backups == [good] and str(good) in message and "suivi-sts restore" in message
    assert db.read_bytes() == bytes(data)
    wal = Path(f"{db}-wal")
    assert not wal.exists() or wal.stat().st_size == 0  # nothing waiting to be written into it


def test_a_file_that_is_not_sqlite_offers_the_backups(db: Path) -> None:
    good = backup_sqlite(db, "hier")
    db.write_bytes(b"PK\x03\x04 classeur Excel enregistre par erreur sous ce nom" * 100)
    before = db.read_bytes()
    with pytest.raises(StoreDamaged, match="n'est pas une base Suivi STS") as caught:
        open_store(db)
    assert caught.value.backups == [good]
    assert db.read_bytes() == before


# --- write-protected media ----------------------------------------------------------------------


def _assert_read_only_but_exportable(path: Path) -> None:
    store = open_store(path)
    try:
        assert store.read_only
        assert "LECTURE SEULE" in store.notices[0] and "exports restent possibles" in store.notices[0]
        with pytest.raises(ReadOnlyStore):
            _ = store.writer
        with store.engine.connect() as conn:
            assert read_reference(conn, "09")["actions"]
            with pytest.raises(ReadOnlyStore, match="lecture seule"):
                conn.execute(text("UPDATE action SET progress = 1"))
    finally:
        store.dispose()


def test_a_write_protected_file_opens_read_only_with_exports_working(db: Path) -> None:
    before = db.read_bytes()
    with write_protected(db):
        _assert_read_only_but_exportable(db)
    assert db.read_bytes() == before


def test_a_write_protected_folder_opens_read_only_with_exports_working(db: Path) -> None:
    with write_protected(db.parent):
        _assert_read_only_but_exportable(db)


# --- full disk ----------------------------------------------------------------------------------


def test_a_full_disk_gives_a_clear_message_and_loses_nothing_already_saved(db: Path) -> None:
    store = open_store(db, daily_backup=False)
    _save(store.writer, 42)
    with store.engine.connect() as conn:
        pages = conn.execute(text("PRAGMA page_count")).scalar_one()
    saved = snapshot_tables(store)

    @event.listens_for(store.engine, "connect")
    def almost_full(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages + 2}")

    store.engine.dispose()
    with pytest.raises(StoreFull, match="disque est plein.*déjà\\s+enregistrées sont intactes"):
        _save(store.writer, 43, description="x" * 200_000)
    store.dispose()

    reopened = open_store(db, daily_backup=False)
    assert snapshot_tables(reopened) == saved
    with reopened.engine.connect() as conn:
        assert conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
        assert load_actions(conn, "09")["ACT-001"].progress == 42
    _save(reopened.writer, 44, description="y" * 200_000)  # room again: it works
    reopened.dispose()


# --- a busy store -------------------------------------------------------------------------------


def test_a_store_in_use_waits_then_says_so_in_french(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUIVI_STS_BUSY_TIMEOUT_MS", "400")
    store = open_store(db, daily_backup=False)
    other = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    started = time.monotonic()
    with pytest.raises(StoreBusy, match="occupée par un autre programme.*Rien n'a été perdu"):
        _save(store.writer, 7)
    assert time.monotonic() - started >= 0.35
    # the other program finishes within the wait: the save simply waits for it
    threading.Timer(0.2, lambda: other.execute("ROLLBACK")).start()
    _save(store.writer, 8)
    other.close()
    with store.engine.connect() as conn:
        assert load_actions(conn, "09")["ACT-001"].progress == 8
    store.dispose()


def test_two_processes_writing_1000_changes_each_lose_none(db: Path, request: pytest.FixtureRequest) -> None:
    with sqlite3.connect(db) as conn:
        version0 = conn.execute("SELECT version FROM action WHERE code = 'ACT-001'").fetchone()[0]
    ctx = multiprocessing.get_context("forkserver")
    pipes = [ctx.Pipe(duplex=False) for _ in range(2)]
    workers = [
        ctx.Process(target=crash_workers.saves, args=(str(db), f"poste{i}", 1000, pipes[i][1]))
        for i in range(2)
    ]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    received: list[list[str]] = [[], []]
    for worker, (receiver, sender), messages in zip(workers, pipes, received, strict=True):
        sender.close()
        while True:
            try:
                messages.append(receiver.recv())
            except EOFError:
                break
        worker.join(300)
    elapsed = time.monotonic() - started
    assert [w.exitcode for w in workers] == [0, 0], received
    assert [sum(m.startswith("saved") for m in ms) for ms in received] == [1000, 1000]
    with sqlite3.connect(db) as conn:
        version = conn.execute("SELECT version FROM action WHERE code = 'ACT-001'").fetchone()[0]
        per_author = dict(
            conn.execute(
                "SELECT author, count(*) FROM action_event WHERE field = 'description' GROUP BY author"
            ).fetchall()
        )
    assert version == version0 + 2000
    assert per_author == {"poste0": 1000, "poste1": 1000}
    show_in_test_output(request, f"[concurrence] 2 × 1000 enregistrements en {elapsed:.1f} s, aucun perdu")


# --- network file systems -----------------------------------------------------------------------


def test_a_store_on_a_network_share_is_detected_and_warned_about(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mounts = tmp_path / "mounts"
    mounts.write_text(
        "/dev/vda / ext4 rw,relatime 0 0\n"
        f"//serveur/partage {db.parent} cifs rw,vers=3.0 0 0\n"
        f"serveur:/export {tmp_path}/ailleurs nfs4 rw 0 0\n"
    )
    assert filesystem_type(db, mounts) == "cifs"
    assert filesystem_type(Path("/usr/bin"), mounts) == "ext4"
    assert network_notice(tmp_path.parent / "x.sqlite", mounts) is None
    monkeypatch.setattr("store.health.MOUNTS", mounts)
    store = open_store(db, daily_backup=False)
    assert any("partage réseau (cifs)" in n for n in store.notices)
    store.dispose()
    shutil.rmtree(tmp_path / "sauvegardes", ignore_errors=True)
