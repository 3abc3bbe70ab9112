"""Indexes for the dashboard: its figures read indexes instead of the whole action table.

At 100,000 actions the dashboard's counts per status, its late and due-soon lists and the
progress per engagement read every row of `action` (titles and descriptions included) and
numbered every objective link with a window function. With these indexes each of them reads
a narrow index only:

- `ix_action_deadlines` (department, due date, code): the lists, in due-date order;
- `ix_action_state` (department, status, due date, progress): the counts per status, and the
  status and progress of each action for the progress per engagement;
- `ix_action_objective_first` (action, position, objective): an action's main objective.

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
    op.create_index("ix_action_state", "action", ["department_code", "status", "due_date", "progress"])
    op.create_index(
        "ix_action_objective_first", "action_objective", ["action_id", "position", "objective_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_action_objective_first", table_name="action_objective")
    op.drop_index("ix_action_state", table_name="action")
    op.drop_index("ix_action_deadlines", table_name="action")
