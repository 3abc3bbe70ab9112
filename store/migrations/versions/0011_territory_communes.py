"""The towns the reference document places in a bassin (territory.communes).

`territory.communes`: JSON list of {nom, source}, NULL in the territories loaded before (read as
none). A resource search by one of these towns finds the bassin's resources.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 19:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("territory", sa.Column("communes", sa.JSON(), nullable=True))


def downgrade() -> None:
    # SQLite ≥ 3.35 drops a column in place (no table rebuild), as PostgreSQL does.
    op.execute("ALTER TABLE territory DROP COLUMN communes")
