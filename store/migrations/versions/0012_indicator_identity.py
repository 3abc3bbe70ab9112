"""Identities for indicators: `indicator.uid`, as actions and resources got in 0009.

Two laptops that each create « IND-0042 » offline made two different indicators with one code;
sync matched them by code and merged them into one. Now an indicator is matched by its identity
and a laptop's new indicator whose code the server gives to another is renumbered.

- `indicator.uid` (unique per department): existing indicators get the identity derived from
  their department and code (`reference_uid`), as the reference's indicators do;
- `sync_state` and `sync_conflict` rows of kind `indicateur` are keyed by that identity instead
  of the code.
PostgreSQL: delegations already granted may insert the new column.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26 22:45:00
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_NAMESPACE = uuid.UUID("6f1d7a52-3c0e-4b8e-9a57-5e0b2f3c9d11")  # store.models.identities
_KIND = "indicateur"


def _uid(department: str, code: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{department}/{_KIND}/{code}"))


def upgrade() -> None:
    bind = op.get_bind()
    # Plain ALTER TABLE on both databases, as in 0009.
    op.add_column("indicator", sa.Column("uid", sa.String(length=36), nullable=True))
    rows = bind.execute(sa.text("SELECT id, department_code, code FROM indicator")).all()
    if rows:
        bind.execute(
            sa.text("UPDATE indicator SET uid = :uid WHERE id = :id"),
            [{"uid": _uid(department, code), "id": row_id} for row_id, department, code in rows],
        )
    op.create_index("ix_indicator_department_code_uid", "indicator", ["department_code", "uid"], unique=True)
    states = bind.execute(
        sa.text("SELECT id, department_code, code FROM sync_state WHERE kind = :k"), {"k": _KIND}
    ).all()
    if states:
        bind.execute(
            sa.text("UPDATE sync_state SET code = :uid WHERE id = :id"),
            [{"uid": _uid(department, code), "id": row_id} for row_id, department, code in states],
        )
    waiting = bind.execute(
        sa.text("SELECT id, department_code, uid FROM sync_conflict WHERE kind = :k"), {"k": _KIND}
    ).all()
    if waiting:
        bind.execute(
            sa.text("UPDATE sync_conflict SET uid = :uid WHERE id = :id"),
            [{"uid": _uid(department, code), "id": row_id} for row_id, department, code in waiting],
        )
    if bind.dialect.name == "postgresql":
        current = bind.execute(sa.text("SELECT current_user")).scalar_one()
        grantees = bind.execute(
            sa.text(
                "SELECT DISTINCT grantee FROM information_schema.column_privileges "
                "WHERE table_schema = current_schema() AND table_name = 'indicator' "
                "AND column_name = 'department_code' AND privilege_type = 'INSERT'"
            )
        ).scalars()
        for grantee in grantees:
            if grantee != current:
                op.execute(f'GRANT INSERT (uid), UPDATE (uid) ON "indicator" TO "{grantee}"')


def downgrade() -> None:
    bind = op.get_bind()
    codes: dict[str, str] = dict(bind.execute(sa.text("SELECT uid, code FROM indicator")).all())
    for row_id, uid in bind.execute(
        sa.text("SELECT id, code FROM sync_state WHERE kind = :k"), {"k": _KIND}
    ).all():
        if uid in codes:
            bind.execute(
                sa.text("UPDATE sync_state SET code = :c WHERE id = :id"), {"c": codes[uid], "id": row_id}
            )
        else:
            bind.execute(sa.text("DELETE FROM sync_state WHERE id = :id"), {"id": row_id})
    for row_id, uid in bind.execute(
        sa.text("SELECT id, uid FROM sync_conflict WHERE kind = :k"), {"k": _KIND}
    ).all():
        bind.execute(
            sa.text("UPDATE sync_conflict SET uid = :c WHERE id = :id"),
            {"c": codes.get(uid, uid), "id": row_id},
        )
    op.drop_index("ix_indicator_department_code_uid", table_name="indicator")
    op.execute("ALTER TABLE indicator DROP COLUMN uid")
