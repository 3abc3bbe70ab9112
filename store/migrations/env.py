"""Alembic environment: runs on the connection handed over by `store.schema`."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from sqlmodel.sql.sqltypes import AutoString

import store.models  # noqa: F401  (registers every table on the metadata)
from store import server_schema
from store.models.base import UTCDateTime, metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only with the alembic command line
    raise RuntimeError("Lancez les migrations via « suivi-sts init » (store.schema.upgrade).")


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Write plain SQLAlchemy types in migrations, never the app's own classes."""
    if type_ == "type" and isinstance(obj, AutoString):
        return "sa.String()"
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


context.configure(
    connection=connection,
    include_object=server_schema.include_object,  # PostgreSQL-only access rules and keys
    render_item=render_item,
    target_metadata=metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things: rebuild tables in batch mode
    compare_type=server_schema.compare_type,
    transaction_per_migration=False,
)
context.run_migrations()
