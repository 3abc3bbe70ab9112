"""Creating and upgrading a store's schema with Alembic (never `create_all` on a user's file)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from store.engine import writer

MIGRATIONS = Path(__file__).with_name("migrations")


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
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest schema revision this version of the app knows."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def known_revisions() -> set[str]:
    return {rev.revision for rev in ScriptDirectory.from_config(_config()).walk_revisions()}


def schema_status(engine: Engine) -> SchemaStatus:
    """Where the store's schema stands compared with this version of the app."""
    head = head_revision()
    with engine.connect() as conn:
        revision = MigrationContext.configure(conn).get_current_revision()
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
    with writer(engine).begin() as conn:
        command.upgrade(_config(conn), revision)
