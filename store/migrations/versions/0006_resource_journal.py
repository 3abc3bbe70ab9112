"""The journal of aidant / répit resources: who changed which field, when, from what to what.

Like the actions' journal it is append-only (triggers refuse UPDATE and DELETE); on
PostgreSQL it gets the row-level security of the other department tables (0004) and may only
point to a resource of its own department (0005).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLE = "resource_event"
ACCESS = "suivi_sts_access"


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
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("field", sa.String(), nullable=True),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('creation', 'modification', 'commentaire')", name=op.f("ck_resource_event_kind")
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resource.id"],
            name=op.f("fk_resource_event_resource_id_resource"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["department_code"],
            ["department.code"],
            name=op.f("fk_resource_event_department_code_department"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_event")),
    )
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resource_event_resource_id"), ["resource_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_resource_event_department_code"), ["department_code"], unique=False
        )
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {TABLE}_no_{verb.lower()} BEFORE {verb} ON {TABLE} "
                "BEGIN SELECT RAISE(ABORT, 'le journal des ressources ne se modifie pas'); END"
            )
        return
    op.execute(
        "CREATE FUNCTION suivi_sts_refuse_resource_journal_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION 'le journal des ressources ne se modifie pas'; END $$"
    )
    op.execute(
        f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION suivi_sts_refuse_resource_journal_change()"
    )
    read, write = _departments(write=False), _departments(write=True)
    for statement in (
        f'CREATE POLICY "{TABLE}_lecture" ON "{TABLE}" FOR SELECT USING {read}',
        f'CREATE POLICY "{TABLE}_ajout" ON "{TABLE}" FOR INSERT WITH CHECK {write}',
        f'CREATE POLICY "{TABLE}_modification" ON "{TABLE}" FOR UPDATE USING {write} WITH CHECK {write}',
        f'CREATE POLICY "{TABLE}_suppression" ON "{TABLE}" FOR DELETE USING {write}',
        f'ALTER TABLE "{TABLE}" ENABLE ROW LEVEL SECURITY',
        f'ALTER TABLE "{TABLE}" FORCE ROW LEVEL SECURITY',
    ):
        op.execute(statement)
    op.execute(
        f'CREATE TRIGGER "{TABLE}_resource_id_meme_departement" BEFORE INSERT OR UPDATE OF resource_id, '
        f'department_code ON "{TABLE}" FOR EACH ROW '
        "EXECUTE FUNCTION suivi_sts_same_department('resource_id', 'resource')"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_{verb}")
    else:
        op.execute(f'DROP TRIGGER IF EXISTS "{TABLE}_resource_id_meme_departement" ON "{TABLE}"')
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}")
        op.execute("DROP FUNCTION IF EXISTS suivi_sts_refuse_resource_journal_change()")
        for suffix in ("lecture", "ajout", "modification", "suppression"):
            op.execute(f'DROP POLICY IF EXISTS "{TABLE}_{suffix}" ON "{TABLE}"')
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resource_event_department_code"))
        batch_op.drop_index(batch_op.f("ix_resource_event_resource_id"))
    op.drop_table(TABLE)
