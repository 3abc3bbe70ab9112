"""Indexes for the dashboard: its counts and lists read indexes instead of the action table.

At 100,000 actions the dashboard's counts per status and its late and due-soon lists read
every row of `action` (titles and descriptions included). With these indexes they read a
narrow index only:

- `ix_action_deadlines` (department, due date, code): the lists, in due-date order;
- `ix_action_state` (department, status, due date): the counts per status.

Their columns are ones the regional server already indexed (status, due date, codes): an index
lets `EXPLAIN ANALYZE` count other departments' rows by its columns' values (the residual leak
docs/deployment.md lists), so no new column is exposed that way.

Revision ID: 0019
Revises: 0013
Create Date: 2026-11-27 02:10:00
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_action_deadlines", "action", ["department_code", "due_date", "code"])
    op.create_index("ix_action_state", "action", ["department_code", "status", "due_date"])


def downgrade() -> None:
    op.drop_index("ix_action_state", table_name="action")
    op.drop_index("ix_action_deadlines", table_name="action")
