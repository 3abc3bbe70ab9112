"""Migration 0007 takes out of `sync_state.server` the user names and passwords that older
versions stored there (the server's address as typed), without losing what was exchanged."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from store.engine import make_engine, writer
from store.schema import MIGRATIONS
from store.sync import server_identity


def _upgrade_to(path: Path, revision: str) -> None:
    engine = make_engine(path)
    with writer(engine).begin() as conn:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    engine.dispose()


def test_stored_server_addresses_lose_their_credentials(tmp_path: Path) -> None:
    path = tmp_path / "portable.sqlite"
    _upgrade_to(path, "0006")
    engine = make_engine(path)
    rows = [
        ("postgresql://dt09:s3cret@serveur:5432/suivi_sts?sslmode=verify-full", "action", "ACT-001", 3),
        ("postgresql://dt09:s3cret@serveur:5432/suivi_sts?sslmode=verify-full", "action", "ACT-002", 1),
        ("postgresql://serveur:5432/suivi_sts?sslmode=verify-full", "action", "ACT-002", 2),
        ("postgresql://autre:pw@ailleurs/suivi_sts", "ressource", "RES-1", 1),
    ]
    with writer(engine).begin() as conn:
        conn.execute(text("INSERT INTO department (code, name) VALUES ('09', 'Ariège')"))
        for server, kind, code, version in rows:
            conn.execute(
                text(
                    "INSERT INTO sync_state (department_code, server, kind, code, local_version, synced_at) "
                    "VALUES ('09', :s, :k, :c, :v, '2026-01-01 00:00:00')"
                ),
                {"s": server, "k": kind, "c": code, "v": version},
            )
    engine.dispose()
    _upgrade_to(path, "0008")  # 0009 then keys the rows by the records' identities (test_sync_team)
    engine = make_engine(path)
    with engine.connect() as conn:
        after = conn.execute(
            text("SELECT server, kind, code, local_version FROM sync_state ORDER BY kind, code")
        ).all()
    engine.dispose()
    clean = "postgresql://serveur:5432/suivi_sts?sslmode=verify-full"
    assert [tuple(r) for r in after] == [
        (clean, "action", "ACT-001", 3),
        (clean, "action", "ACT-002", 2),  # the clean row already there is kept
        ("postgresql://ailleurs/suivi_sts", "ressource", "RES-1", 1),
    ]
    assert server_identity("postgresql://dt09:s3cret@serveur:5432/suivi_sts?sslmode=verify-full") == clean
    engine = make_engine(path)
    with engine.connect() as conn:  # the WAL written back into the file
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    assert b"s3cret" not in path.read_bytes()  # not even in free pages
