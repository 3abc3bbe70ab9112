"""Creating and upgrading a store's schema with Alembic (never `create_all` on a user's file)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

from store.engine import writer

if TYPE_CHECKING:
    from alembic.config import Config

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
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


_REVISION = re.compile(r"^revision\s*=\s*['\"]([^'\"]+)['\"]", re.M)
_DOWN = re.compile(r"^down_revision\s*=\s*(?:['\"]([^'\"]+)['\"]|None)", re.M)


@lru_cache(maxsize=1)
def _revisions() -> dict[str, str | None]:
    """revision → down_revision, read from the migration files without importing Alembic
    (opening a store must stay fast; Alembic is loaded only to upgrade)."""
    graph: dict[str, str | None] = {}
    for script in (MIGRATIONS / "versions").glob("*.py"):
        source = script.read_text(encoding="utf-8")
        revision, down = _REVISION.search(source), _DOWN.search(source)
        if revision and down:
            graph[revision.group(1)] = down.group(1)
    return graph


def head_revision() -> str:
    """The newest schema revision this version of the app knows."""
    graph = _revisions()
    heads = set(graph) - {down for down in graph.values() if down}
    assert len(heads) == 1, f"migrations with several heads: {sorted(heads)}"
    return heads.pop()


def known_revisions() -> set[str]:
    return set(_revisions())


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
