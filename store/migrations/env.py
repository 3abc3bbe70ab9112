"""Alembic environment: runs on the connection handed over by `store.schema`."""

from __future__ import annotations

from alembic import context

import store.models  # noqa: F401  (registers every table on the metadata)
from store.models.base import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only with the alembic command line
    raise RuntimeError("Lancez les migrations via « suivi-sts init » (store.schema.upgrade).")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things: rebuild tables in batch mode
    compare_type=True,
    transaction_per_migration=False,
)
context.run_migrations()
