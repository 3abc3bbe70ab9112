"""Engine factory: SQLite tuned for power cuts, or PostgreSQL for the regional server."""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.pool import QueuePool

from store import server
from store.errors import NotAStoreFile, ReadOnlyStore, StoreBusy, StoreError
from store.health import APPLICATION_ID as APPLICATION_ID
from store.health import AccessDenied, StoreDamaged, StoreFull, disk_is_low

#: How long a writer waits for another process to finish its transaction (SUIVI_STS_BUSY_TIMEOUT_MS).
BUSY_TIMEOUT_MS = 10_000
ENV_BUSY_TIMEOUT = "SUIVI_STS_BUSY_TIMEOUT_MS"


def busy_timeout_ms() -> int:
    """The busy timeout, in milliseconds (configurable for slow shared folders and for tests)."""
    try:
        return max(0, int(os.environ.get(ENV_BUSY_TIMEOUT, BUSY_TIMEOUT_MS)))
    except ValueError:
        return BUSY_TIMEOUT_MS


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


def make_engine(
    url_or_path: str | os.PathLike[str], *, read_only: bool = False, immutable: bool = False
) -> Engine:
    """Create an engine for a store. SQLite files are created readable by their owner only.

    `immutable` (read-only SQLite only) opens a file whose folder is write-protected, where
    SQLite could not create the shared-memory file a WAL database needs.
    Low-level errors come out as French `StoreError`s (disk full, store busy, read-only…).
    """
    url = normalise_url(url_or_path)
    path = sqlite_path(url)
    if path is None:
        return _server_engine(url)
    if not read_only:
        _create_private_file(path)
    return _sqlite_engine(path, read_only=read_only, immutable=immutable)


def _server_engine(url: str) -> Engine:
    """PostgreSQL: the app's schema alone on the search path, bounded waits, French failures."""
    # no hstore look-up: the driver's only query comparing types before the app's checks
    engine = create_engine(
        url, pool_pre_ping=True, use_native_hstore=False, connect_args=server.connect_args()
    )
    event.listen(engine, "do_connect", server.do_connect(url))
    event.listen(engine, "connect", server.on_connect(server.app_schema(url)))

    def translate(context: ExceptionContext) -> BaseException | None:
        if not isinstance(context.original_exception, Exception):
            # Ctrl+C or SIGTERM while the server works: SQLAlchemy counts it as a disconnect,
            # but it stays the interruption it is (« Interrompu. », exit code 130)
            return None
        failure = server.connection_failure(context.original_exception, url)
        if failure is None and context.is_disconnect:
            failure = server.ServerUnreachable(
                "La connexion avec le serveur a été coupée (réseau, serveur redémarré, session "
                "arrêtée par l'administrateur ?). Rien n'a été enregistré de l'opération en cours : "
                "réessayez, l'application se reconnecte."
            )
        return failure if failure is not None else _translate_error(context)

    event.listen(engine, "handle_error", translate)
    return engine


def _create_private_file(path: Path) -> None:
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(fd)


def _sqlite_engine(path: Path, *, read_only: bool, immutable: bool = False) -> Engine:
    timeout = busy_timeout_ms() / 1000
    if read_only:
        flags = "mode=ro&immutable=1" if immutable else "mode=ro"
        uri = f"file:{quote(str(path))}?{flags}"

        def connect() -> sqlite3.Connection:
            return sqlite3.connect(uri, uri=True, timeout=timeout, check_same_thread=False)

        # A URL without a file would make SQLAlchemy pick its in-memory pool: name the pool.
        engine = create_engine("sqlite+pysqlite://", creator=connect, poolclass=QueuePool)
    else:
        engine = create_engine(
            f"sqlite+pysqlite:///{path}",
            connect_args={"timeout": timeout, "check_same_thread": False},
        )
    event.listen(engine, "connect", _on_sqlite_connect(path, read_only))
    event.listen(engine, "begin", _on_sqlite_begin)
    event.listen(engine, "handle_error", _sqlite_errors(path))
    return engine


def _sqlite_errors(path: Path) -> Any:
    """`_translate_error`, knowing the file: on a full disk SQLite may fail to grow its
    shared-memory file, and says "disk I/O error" where the disk is only full."""

    def translate(context: ExceptionContext) -> BaseException | None:
        exc = context.original_exception
        if (
            isinstance(exc, sqlite3.Error)
            and "disk i/o error" in str(exc).lower()
            and disk_is_low(path.parent)
        ):
            return StoreFull(_FULL)
        return _translate_error(context)

    return translate


def _on_sqlite_connect(path: Path, read_only: bool) -> Any:
    def on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # SQLAlchemy's recipe: let us emit BEGIN ourselves, so that pysqlite never
        # commits implicitly (before DDL, for instance).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {busy_timeout_ms()}")
            cursor.execute("PRAGMA foreign_keys = ON")
            _check_application_id(cursor, path, read_only)
            if not read_only:
                cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = FULL")
        except sqlite3.DatabaseError as exc:
            if "not a database" in str(exc) or "malformed" in str(exc):
                raise StoreDamaged(
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


# --- low-level errors, explained in French ---------------------------------------------------

_FULL = (
    "Le disque est plein : la dernière modification n'a pas été enregistrée. Les données déjà "
    "enregistrées sont intactes. Libérez de la place (ou changez de support) puis recommencez."
)


#: The server's own words for what it refused, in French.
_RLS_REFUSAL = re.compile(r'new row violates row-level security policy for table "?(\w+)"?')
_PRIVILEGE_REFUSAL = re.compile(
    r"permission denied for (table|relation|sequence|schema|function|column) (\w+)"
)
_KINDS = {
    "table": "la table",
    "relation": "la table",
    "sequence": "le compteur",
    "schema": "le schéma",
    "function": "la fonction",
    "column": "la colonne",
}


def _refusal_detail(text: str) -> str:
    """The detail of a server refusal in French: our triggers already speak French, the
    server's English is translated, anything else is left out."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    if first.startswith(("lien entre départements refusé", "référence hors du département")):
        return f" : {first}."
    if found := _RLS_REFUSAL.search(first):
        return f" : ligne hors des départements de votre compte (table « {found.group(1)} »)."
    if found := _PRIVILEGE_REFUSAL.search(first):
        return f" : pas de droit sur {_KINDS[found.group(1)]} « {found.group(2)} »."
    return "."


def _translate_error(context: ExceptionContext) -> BaseException | None:
    """Turn the database's low-level errors into French `StoreError`s (SQLAlchemy raises ours)."""
    exc = context.original_exception
    text = str(exc)
    lowered = text.lower()
    if isinstance(exc, sqlite3.Error):
        if "database or disk is full" in lowered or "disk is full" in lowered:
            return StoreFull(_FULL)
        if "database is locked" in lowered or "database is busy" in lowered:
            seconds = busy_timeout_ms() / 1000
            return StoreBusy(
                f"La base est occupée par un autre programme depuis plus de {seconds:g} s "
                "(une autre fenêtre de Suivi STS, une synchronisation ?). Rien n'a été perdu : "
                "réessayez dans un moment."
            )
        if "readonly database" in lowered:
            return ReadOnlyStore(f"La base est en lecture seule : aucune modification possible ({text}).")
        if "malformed" in lowered or "not a database" in lowered:
            return StoreDamaged(
                f"La base est endommagée ({text}). Restaurez la dernière sauvegarde "
                "(suivi-sts restore FICHIER)."
            )
        if "disk i/o error" in lowered:
            return StoreError(
                f"Erreur de lecture ou d'écriture sur le disque ({text}). La dernière modification "
                "n'a pas été enregistrée ; vérifiez le support (clé USB retirée ?)."
            )
        return None
    sqlstate = getattr(exc, "sqlstate", None)
    if sqlstate == "42501" and re.search(r"permission denied for table (theme|pathway)\b", text):
        return AccessDenied(
            "Accès refusé par le serveur : les thèmes et parcours partagés par tous les départements "
            "ne sont modifiés que par l'administrateur régional (un thème ou parcours nouveau doit "
            "d'abord être chargé par lui, avec « init --reference »)."
        )
    if sqlstate == "42501":  # insufficient_privilege, also row-level security refusals
        return AccessDenied(
            "Accès refusé par le serveur : votre compte ne permet pas cette opération "
            f"(département d'une autre délégation ou accès en lecture seule){_refusal_detail(text)}"
        )
    if sqlstate == "55P03":  # lock_not_available: lock_timeout reached
        return StoreBusy(
            f"Le serveur est occupé : une autre session retient ces données depuis plus de "
            f"{server.timeout_s()} s. Rien n'a été perdu : réessayez dans un moment."
        )
    if sqlstate == "57014":  # query_canceled: statement_timeout reached
        return StoreBusy(
            f"Le serveur n'a pas répondu dans le délai ({server.statement_timeout_s()} s) : "
            "opération annulée, rien n'a été perdu. Réessayez plus tard."
        )
    if sqlstate == "53100":  # disk_full
        return StoreFull(_FULL)
    if sqlstate == "25006":  # read_only_sql_transaction
        return ReadOnlyStore(f"Le serveur n'accepte que la lecture pour ce compte ({text.strip()}).")
    return None
