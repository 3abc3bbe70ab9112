"""Engine factory: SQLite tuned for power cuts, or PostgreSQL for the regional server."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from store.errors import NotAStoreFile

#: Stamped in every Suivi STS file (`PRAGMA application_id`): "STS1".
APPLICATION_ID = 0x53545331
BUSY_TIMEOUT_MS = 10_000


def sqlite_url(path: str | os.PathLike[str]) -> str:
    """The SQLAlchemy URL of a SQLite store file."""
    return f"sqlite+pysqlite:///{Path(path).expanduser().resolve()}"


def normalise_url(url_or_path: str | os.PathLike[str]) -> str:
    """Accept a plain path or a URL; `postgresql://` uses the psycopg 3 driver."""
    text = os.fspath(url_or_path)
    if text.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + text.split("://", 1)[1]
    if "://" in text:
        return text
    return sqlite_url(text)


def is_sqlite(url: str) -> bool:
    return make_url(normalise_url(url)).get_backend_name() == "sqlite"


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL (None for other databases or in-memory ones)."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def make_engine(url_or_path: str | os.PathLike[str], *, read_only: bool = False) -> Engine:
    """Create an engine for a store. SQLite files are created readable by their owner only."""
    url = normalise_url(url_or_path)
    path = sqlite_path(url)
    if path is None:
        return create_engine(url, pool_pre_ping=True)
    if not read_only:
        _create_private_file(path)
    return _sqlite_engine(path, read_only=read_only)


def _create_private_file(path: Path) -> None:
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(fd)


def _sqlite_engine(path: Path, *, read_only: bool) -> Engine:
    url = f"sqlite+pysqlite:///file:{path}?mode=ro&uri=true" if read_only else f"sqlite+pysqlite:///{path}"
    engine = create_engine(
        url,
        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
    )
    event.listen(engine, "connect", _on_sqlite_connect(path, read_only))
    event.listen(engine, "begin", _on_sqlite_begin)
    return engine


def _on_sqlite_connect(path: Path, read_only: bool) -> Any:
    def on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # SQLAlchemy's recipe: let us emit BEGIN ourselves, so that pysqlite never
        # commits implicitly (before DDL, for instance).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys = ON")
            _check_application_id(cursor, path, read_only)
            if not read_only:
                cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = FULL")
        except sqlite3.DatabaseError as exc:
            if "not a database" in str(exc) or "malformed" in str(exc):
                raise NotAStoreFile(
                    f"Le fichier « {path} » n'est pas une base Suivi STS lisible "
                    f"(fichier endommagé ou d'un autre type) : {exc}."
                ) from exc
            raise
        finally:
            cursor.close()

    return on_connect


def _check_application_id(cursor: sqlite3.Cursor, path: Path, read_only: bool) -> None:
    app_id = cursor.execute("PRAGMA application_id").fetchone()[0]
    if app_id == APPLICATION_ID:
        return
    has_tables = cursor.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
    if app_id == 0 and not has_tables:
        if not read_only:
            cursor.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        return
    raise NotAStoreFile(
        f"Le fichier « {path} » est une base SQLite d'une autre application : "
        "Suivi STS refuse de l'ouvrir pour ne pas l'abîmer."
    )


def _on_sqlite_begin(conn: Any) -> None:
    mode = "IMMEDIATE" if conn.get_execution_options().get("sqlite_immediate") else "DEFERRED"
    conn.exec_driver_sql(f"BEGIN {mode}")


def writer(engine: Engine) -> Engine:
    """The same engine, but whose SQLite transactions take the write lock at once.

    Taking it at BEGIN (instead of at the first write) lets the busy timeout apply,
    so concurrent writers wait instead of failing with "database is locked".
    """
    if engine.dialect.name != "sqlite":
        return engine
    return engine.execution_options(sqlite_immediate=True)
