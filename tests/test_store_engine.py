"""The store file: private, stamped, durable, refusing what is not ours."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from store.database import open_store
from store.engine import APPLICATION_ID
from store.errors import NotAStoreFile, ReadOnlyStore
from store.schema import SchemaState, head_revision, schema_status


def test_new_store_file_is_private_stamped_and_durable(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "suivi.sqlite"
    store = open_store(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA application_id")).scalar() == APPLICATION_ID
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar_one() >= 5000
    assert schema_status(store.engine).state is SchemaState.CURRENT
    store.dispose()


def test_a_file_that_is_not_sqlite_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite"
    path.write_bytes(b"Compte rendu du CTS\n" * 200)
    before = path.read_bytes()
    with pytest.raises(NotAStoreFile, match="n'est pas une base Suivi STS"):
        open_store(path)
    assert path.read_bytes() == before


def test_a_sqlite_file_of_another_application_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "autre.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (x)")
    with pytest.raises(NotAStoreFile, match="autre application"):
        open_store(path)


def test_a_store_written_by_a_newer_app_opens_read_only(tmp_path: Path) -> None:
    path = tmp_path / "futur.sqlite"
    open_store(path).dispose()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    store = open_store(path)
    assert store.read_only
    assert "version plus récente" in store.notices[0]
    with pytest.raises(ReadOnlyStore):
        _ = store.writer
    with store.engine.connect() as conn, pytest.raises(Exception, match="readonly"):
        conn.execute(text("INSERT INTO department (code, name) VALUES ('31', 'Haute-Garonne')"))
    store.dispose()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == ("9999",)


def test_a_write_protected_file_opens_read_only(tmp_path: Path) -> None:
    from tests.storage_support import write_protected  # chattr +i when run as root

    path = tmp_path / "protege.sqlite"
    open_store(path).dispose()
    with write_protected(path):
        store = open_store(path)
        assert store.read_only
        assert "LECTURE SEULE" in store.notices[0]
        store.dispose()


def test_schema_is_created_by_migrations_on_both_databases(store_url: str) -> None:
    store = open_store(store_url)
    status = schema_status(store.engine)
    assert status.revision == head_revision()
    store.dispose()


def test_the_schema_revisions_read_without_alembic_match_alembic() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from store.schema import MIGRATIONS, known_revisions

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    scripts = ScriptDirectory.from_config(config)
    assert head_revision() == scripts.get_current_head()
    assert known_revisions() == {rev.revision for rev in scripts.walk_revisions()}


def test_opening_a_current_store_does_not_import_alembic(tmp_path: Path) -> None:
    import subprocess
    import sys

    open_store(tmp_path / "s.sqlite").dispose()
    code = (
        "import sys; from store.database import open_store;"
        f"open_store({str(tmp_path / 's.sqlite')!r}).dispose();"
        "assert 'alembic' not in sys.modules, 'alembic importé'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_every_server_connection_starts_with_the_safe_path_and_nothing_piles_up() -> None:
    """The session settings go in libpq's start-up options, added to the address's own, on
    every connection; SQLAlchemy hands each one the same parameters, which stay untouched."""
    from store import server

    given: list[dict[str, object]] = []

    class Dialect:
        class loaded_dbapi:  # noqa: N801 - the shape SQLAlchemy gives
            OperationalError = RuntimeError

        @staticmethod
        def connect(**params: object) -> object:
            given.append(params)
            return object()

    connect = server.do_connect("postgresql+psycopg://dt09@serveur/suivi_sts?options=-c%20work_mem%3D4MB")
    cparams: dict[str, object] = {"host": "serveur", "options": "-c work_mem=4MB"}
    for _ in range(3):
        connect(Dialect, None, (), cparams)
    assert cparams == {"host": "serveur", "options": "-c work_mem=4MB"}
    assert [p["options"] for p in given] == [given[0]["options"]] * 3
    options = str(given[0]["options"])
    assert options.startswith("-c work_mem=4MB -c search_path=")
    assert '-c search_path="suivi_sts",\\ pg_temp' in options and "-c lock_timeout=" in options
