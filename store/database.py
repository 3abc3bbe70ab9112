"""Opening a store: health check, backups, schema check or upgrade, read-only fallback.

For a SQLite file, `open_store`:
1. refuses a file that is not readable, not SQLite, of another application or damaged
   (`StoreDamaged`, whose message lists the latest good backups) — and never writes it;
2. opens read-only, with a notice, a file or folder that cannot be written, or a schema newer
   than the app;
3. backs the store up before a schema upgrade, and at most once a day otherwise;
4. warns when the file sits on a network share.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, Engine, text

from store import backup as backups
from store import server
from store.engine import make_engine, normalise_url, sqlite_path, writer
from store.errors import NotAStoreFile, ReadOnlyStore, StoreError
from store.health import (
    AccessDenied,
    StoreDamaged,
    StoreFull,
    has_sqlite_header,
    network_notice,
    probe,
    quick_check,
)
from store.location import ENV_DB, default_store_path
from store.schema import SchemaState, schema_status, upgrade

READ_ONLY_NOTICE = (
    "Le fichier ou son dossier est protégé en écriture (clé USB verrouillée, dossier partagé en "
    "lecture ?) : la base est ouverte en LECTURE SEULE. La modification est désactivée ; "
    "les exports restent possibles."
)


@dataclass
class Store:
    """An open store: its engine, and whether (and why) it is read-only."""

    engine: Engine
    url: str
    read_only: bool = False
    notices: list[str] = field(default_factory=list)
    backups_taken: list[Path] = field(default_factory=list)

    @property
    def path(self) -> Path | None:
        return sqlite_path(self.url)

    @property
    def address(self) -> str:
        """The store as it may be shown: its file, or the server's address without password."""
        path = self.path
        return str(path) if path is not None else server.display_url(self.url)

    @property
    def writer(self) -> Engine:
        """The engine to write with (SQLite takes its write lock at BEGIN)."""
        if self.read_only:
            raise ReadOnlyStore("La base est ouverte en lecture seule : aucune modification possible.")
        return writer(self.engine)

    def backup(self, reason: str) -> Path | None:
        """A backup now (SQLite; None on a server, whose backups are the administrator's)."""
        path = self.path
        if path is None or not path.exists():
            return None
        taken = backups.backup_sqlite(path, reason)
        self.backups_taken.append(taken)
        return taken

    @contextmanager
    def import_transaction(self, reason: str = "avant-import") -> Iterator[Connection]:
        """Back the store up, then one write transaction: an import is all or nothing."""
        self.backup(reason)
        with self.writer.begin() as conn:
            yield conn

    def dispose(self) -> None:
        self.engine.dispose()


def open_store(
    url_or_path: str | os.PathLike[str], *, upgrade_schema: bool = True, daily_backup: bool = True
) -> Store:
    """Open a store, creating or upgrading its schema; fall back to read-only when it must.

    A file whose schema is newer than this app, or that cannot be written, is opened
    read-only with a notice explaining why. A damaged file raises `StoreDamaged`.
    """
    url = normalise_url(url_or_path)
    path = sqlite_path(url)
    if path is None:
        return _open_server(url, upgrade_schema=upgrade_schema)
    state = probe(path)
    notices = [n for n in [network_notice(path)] if n]
    existed = state.exists and path.stat().st_size > 0
    if existed:
        _refuse_damaged(path, immutable=not state.folder_writable)
    if state.read_only or (not state.exists and not state.folder_writable):
        return _read_only(url, READ_ONLY_NOTICE, notices, immutable=not state.folder_writable)
    engine = make_engine(url)
    try:
        status = schema_status(engine)
    except (NotAStoreFile, ReadOnlyStore):
        engine.dispose()
        raise
    if status.state is SchemaState.NEWER:
        engine.dispose()
        return _read_only(
            url,
            f"Cette base a été écrite par une version plus récente de Suivi STS (schéma {status.revision}, "
            f"cette version connaît {status.head}) : elle est ouverte en lecture seule. "
            "Mettez l'application à jour pour la modifier.",
            notices,
        )
    store = Store(engine=engine, url=url, notices=notices)
    try:
        if existed and status.state is SchemaState.OUTDATED and upgrade_schema:
            # Never migrate a user's file without a way back.
            store.backup(f"avant-migration-{status.revision}")
        elif existed and daily_backup and status.state is SchemaState.CURRENT:
            _daily_backup(store, path)
        if status.state is not SchemaState.CURRENT and upgrade_schema:
            upgrade(engine)
    except BaseException:
        engine.dispose()
        raise
    return store


def _daily_backup(store: Store, path: Path) -> None:
    if not backups.daily_backup_due(path):
        return
    try:
        store.backup("ouverture")
    except StoreError as exc:  # the app still opens; the user is told
        store.notices.append(f"Sauvegarde quotidienne impossible : {exc}")


def _refuse_damaged(path: Path, *, immutable: bool) -> None:
    """Check the file before anything writes to it; a damaged one is left as found."""
    if not has_sqlite_header(path):
        raise StoreDamaged(
            f"Le fichier « {path} » n'est pas une base Suivi STS lisible (fichier endommagé ou "
            "d'un autre type : ce n'est pas un fichier SQLite).",
            backups.latest_good_backups(path),
        )
    problems = quick_check(path, immutable=immutable)
    if problems:
        raise StoreDamaged(
            f"Le fichier « {path} » n'est pas une base Suivi STS lisible : la base est endommagée "
            f"({'; '.join(problems[:3])}).",
            backups.latest_good_backups(path),
        )


def _open_server(url: str, *, upgrade_schema: bool) -> Store:
    engine = make_engine(url)
    try:
        _check_server(engine, url, upgrade_schema=upgrade_schema)
    except BaseException:
        engine.dispose()
        raise
    status = schema_status(engine)
    if status.state is SchemaState.NEWER:
        return Store(
            engine=engine,
            url=url,
            read_only=True,
            notices=[
                f"Le serveur a un schéma plus récent ({status.revision}) que cette version de "
                f"Suivi STS ({status.head}) : lecture seule. Mettez l'application à jour."
            ],
        )
    if status.state is not SchemaState.CURRENT and upgrade_schema:
        try:
            upgrade(engine)
        except AccessDenied as exc:
            engine.dispose()
            raise StoreError(
                "Le schéma du serveur doit être mis à niveau par l'administrateur régional "
                f"(suivi-sts --db … init avec le compte propriétaire). {exc}"
            ) from exc
    role = _read_only_role(engine)
    if role is not None:  # said and disabled up front, not refused at the first save
        notice = (
            f"Le compte « {role} » est en lecture seule sur le serveur : la modification est "
            "désactivée ; les exports restent possibles."
        )
        return Store(engine=engine, url=url, read_only=True, notices=[notice])
    return Store(engine=engine, url=url)


def _read_only_role(engine: Engine) -> str | None:
    """The connected role's name when none of its bindings (`admin grant`) may write."""
    with engine.connect() as conn:
        role, superuser, readable = conn.execute(
            text(
                "SELECT r.rolname, r.rolsuper, "
                "pg_catalog.has_table_privilege(pg_catalog.to_regclass('suivi_sts_access'), 'SELECT') "
                "FROM pg_catalog.pg_roles r WHERE r.rolname = current_user"
            )
        ).one()
        if superuser or not readable:
            return None
        writes = conn.execute(
            text(
                "SELECT EXISTS (SELECT 1 FROM suivi_sts_access "
                "WHERE role_name = current_user AND NOT read_only)"
            )
        ).scalar_one()
    return None if writes else str(role)


def _check_server(engine: Engine, url: str, *, upgrade_schema: bool) -> None:
    """The app's schema exists (created by the administrator) and nobody else may write to it."""
    schema = server.app_schema(url)
    with engine.begin() as conn:
        if upgrade_schema:
            server.ensure_schema(conn, schema)
        server.check_search_path(conn, schema)


def _read_only(url: str, notice: str, notices: list[str], *, immutable: bool = False) -> Store:
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise NotAStoreFile(f"Le fichier « {path} » n'existe pas et son dossier est protégé en écriture.")
    engine = make_engine(url, read_only=True, immutable=immutable)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except BaseException:
        engine.dispose()
        raise
    return Store(engine=engine, url=url, read_only=True, notices=[notice, *notices])


__all__ = ["ENV_DB", "Store", "StoreDamaged", "StoreFull", "default_store_path", "open_store"]
