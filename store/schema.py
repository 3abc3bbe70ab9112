"""Creating and upgrading a store's schema with Alembic (never `create_all` on a user's file)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

from store.engine import writer
from store.revisions import MIGRATIONS, head_revision, known_revisions

if TYPE_CHECKING:
    from alembic.config import Config


class SchemaState(StrEnum):
    EMPTY = "empty"  # no schema yet
    CURRENT = "current"  # at the app's head revision
    OUTDATED = "outdated"  # older revision: upgrade needed
    NEWER = "newer"  # written by a newer version of the app: read-only


@dataclass(frozen=True)
class SchemaStatus:
    state: SchemaState
    revision: str | None
    head: str


def _config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def current_revision(conn: Connection) -> str | None:
    """The revision a store is at (None: no schema yet)."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()


def schema_status(engine: Engine) -> SchemaStatus:
    """Where the store's schema stands compared with this version of the app."""
    head = head_revision()
    with engine.connect() as conn:
        revision = current_revision(conn)
    if revision is None:
        state = SchemaState.EMPTY
    elif revision == head:
        state = SchemaState.CURRENT
    elif revision in known_revisions():
        state = SchemaState.OUTDATED
    else:
        state = SchemaState.NEWER
    return SchemaStatus(state, revision, head)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` in one transaction: a killed upgrade changes nothing."""
    from alembic import command

    with writer(engine).begin() as conn:
        command.upgrade(_config(conn), revision)
