"""The journal of reference records (`reference_event`): who changed a territory, an
organisation, an engagement, a défi, an objective or a document-wide list, when, from what to
what — so that a conflict on such a record says who changed each side and when.

Append-only like the other journals (triggers refuse UPDATE and DELETE). PostgreSQL: 64-bit
ids, the departments' row-level security, the line signed and dated by the server
(`suivi_sts_server_journal`, 0007), and delegations already granted may read and add to it.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

TABLE = "reference_event"
ACCESS = "suivi_sts_access"
SAFE_PATH = "pg_catalog, pg_temp"  # as 0007 gives every function of the schema
_REFUSE = "suivi_sts_refuse_reference_journal_change"


def _departments(*, write: bool) -> str:
    writable = " AND NOT a.read_only" if write else ""
    return (
        f"(department_code IN (SELECT a.department_code FROM {ACCESS} a "
        f"WHERE a.role_name = current_user{writable}) "
        f"OR EXISTS (SELECT 1 FROM {ACCESS} a WHERE a.role_name = current_user "
        f"AND a.department_code = '*'{writable}))"
    )


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("department_code", sa.String(length=3), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("field", sa.String(), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("origin_author", sa.Text(), nullable=True),
        sa.Column("origin_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("uid", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["department_code"],
            ["department.code"],
            name=op.f("fk_reference_event_department_code_department"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reference_event")),
    )
    op.create_index(op.f("ix_reference_event_department_code"), TABLE, ["department_code"])
    op.create_index("ix_reference_event_record", TABLE, ["department_code", "kind", "code", "field"])
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {TABLE}_no_{verb.lower()} BEFORE {verb} ON {TABLE} "
                "BEGIN SELECT RAISE(ABORT, 'le journal du référentiel ne se modifie pas'); END"
            )
        return
    op.execute(f'ALTER TABLE "{TABLE}" ALTER COLUMN id TYPE bigint')
    sequence = bind.execute(sa.text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": TABLE}).scalar()
    if sequence:
        op.execute(f"ALTER SEQUENCE {sequence} AS bigint")
    op.execute(
        f"CREATE FUNCTION {_REFUSE}() RETURNS trigger LANGUAGE plpgsql SET search_path = {SAFE_PATH} AS $$ "
        "BEGIN RAISE EXCEPTION 'le journal du référentiel ne se modifie pas'; END $$"
    )
    read, write = _departments(write=False), _departments(write=True)
    for statement in (
        f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
        f"FOR EACH ROW EXECUTE FUNCTION {_REFUSE}()",
        f'CREATE TRIGGER "{TABLE}_server_signed" BEFORE INSERT ON "{TABLE}" '
        "FOR EACH ROW EXECUTE FUNCTION suivi_sts_server_journal()",
        f'CREATE POLICY "{TABLE}_lecture" ON "{TABLE}" FOR SELECT USING {read}',
        f'CREATE POLICY "{TABLE}_ajout" ON "{TABLE}" FOR INSERT WITH CHECK {write}',
        f'ALTER TABLE "{TABLE}" ENABLE ROW LEVEL SECURITY',
        f'ALTER TABLE "{TABLE}" FORCE ROW LEVEL SECURITY',
    ):
        op.execute(statement)
    # Roles already granted (`admin grant`) get what a new grant gives on a journal.
    current = bind.execute(sa.text("SELECT current_user")).scalar_one()
    columns = ", ".join(
        f'"{c}"'
        for c in (
            "department_code",
            "kind",
            "code",
            "field",
            "old_value",
            "new_value",
            "at",
            "author",
            "source",
            "origin_author",
            "origin_at",
            "uid",
        )
    )
    for role, read_only in bind.execute(
        sa.text(f"SELECT role_name, bool_and(read_only) FROM {ACCESS} GROUP BY role_name")
    ).all():
        if (
            role == current
            or not bind.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
        ):
            continue
        op.execute(f'GRANT SELECT ON "{TABLE}" TO "{role}"')
        if not read_only:
            op.execute(f'GRANT INSERT ({columns}) ON "{TABLE}" TO "{role}"')


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_{verb}")
    else:
        op.execute(f'DROP TRIGGER IF EXISTS "{TABLE}_server_signed" ON "{TABLE}"')
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}")
        op.execute(f"DROP FUNCTION IF EXISTS {_REFUSE}()")
        for suffix in ("lecture", "ajout"):
            op.execute(f'DROP POLICY IF EXISTS "{TABLE}_{suffix}" ON "{TABLE}"')
    op.drop_index("ix_reference_event_record", table_name=TABLE)
    op.drop_index(op.f("ix_reference_event_department_code"), table_name=TABLE)
    op.drop_table(TABLE)
