"""Opening a store: engine, schema check or upgrade, read-only fallback."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from store.engine import make_engine, normalise_url, sqlite_path, writer
from store.errors import NotAStoreFile, ReadOnlyStore
from store.schema import SchemaState, schema_status, upgrade

ENV_DB = "SUIVI_STS_DB"


@dataclass
class Store:
    """An open store: its engine, and whether (and why) it is read-only."""

    engine: Engine
    url: str
    read_only: bool = False
    notices: list[str] = field(default_factory=list)

    @property
    def path(self) -> Path | None:
        return sqlite_path(self.url)

    @property
    def writer(self) -> Engine:
        """The engine to write with (SQLite takes its write lock at BEGIN)."""
        if self.read_only:
            raise ReadOnlyStore("La base est ouverte en lecture seule : aucune modification possible.")
        return writer(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()


def default_store_path() -> Path:
    """The store in the user's data directory (or `SUIVI_STS_DB`)."""
    env = os.environ.get(ENV_DB)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_path

    return user_data_path("suivi-sts", appauthor=False) / "suivi-sts.sqlite"


def open_store(url_or_path: str | os.PathLike[str], *, upgrade_schema: bool = True) -> Store:
    """Open a store, creating or upgrading its schema; fall back to read-only when it must.

    A file whose schema is newer than this app, or that cannot be written, is opened
    read-only with a notice explaining why.
    """
    url = normalise_url(url_or_path)
    path = sqlite_path(url)
    if path is not None and path.exists() and not os.access(path, os.R_OK):
        raise NotAStoreFile(f"Le fichier « {path} » n'est pas lisible (droits insuffisants).")
    if path is not None and _cannot_write(path):
        return _read_only(url, "Le fichier ou son dossier est protégé en écriture : lecture seule.")
    engine = make_engine(url)
    try:
        status = schema_status(engine)
    except OperationalError as exc:
        engine.dispose()
        if path is not None and "readonly" in str(exc).replace(" ", ""):
            return _read_only(url, "Le fichier est protégé en écriture : lecture seule.")
        raise
    if status.state is SchemaState.NEWER:
        engine.dispose()
        return _read_only(
            url,
            f"Cette base a été écrite par une version plus récente de Suivi STS (schéma {status.revision}, "
            f"cette version connaît {status.head}) : elle est ouverte en lecture seule. "
            "Mettez l'application à jour pour la modifier.",
        )
    if status.state is not SchemaState.CURRENT and upgrade_schema:
        upgrade(engine)
    return Store(engine=engine, url=url)


def _cannot_write(path: Path) -> bool:
    if path.exists():
        return not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK)
    return path.parent.exists() and not os.access(path.parent, os.W_OK)


def _read_only(url: str, notice: str) -> Store:
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise NotAStoreFile(f"Le fichier « {path} » n'existe pas et son dossier est protégé en écriture.")
    engine = make_engine(url, read_only=True)
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return Store(engine=engine, url=url, read_only=True, notices=[notice])
