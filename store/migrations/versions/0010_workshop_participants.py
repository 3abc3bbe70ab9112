"""Workshop participants for the minutes: who took part, asked when the session opens.

`workshop_session.participants`: the names as typed, in order (JSON list; NULL in the sessions
held before, read as « not recorded »).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 16:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("workshop_session", sa.Column("participants", sa.JSON(), nullable=True))


def downgrade() -> None:
    # SQLite ≥ 3.35 drops a column in place (no table rebuild), as PostgreSQL does.
    op.execute("ALTER TABLE workshop_session DROP COLUMN participants")
