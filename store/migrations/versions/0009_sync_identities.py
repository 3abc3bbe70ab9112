"""Identities for team sync: records and journal lines get a UUID, the store its own identity,
the sync state the base of the three-way merge, and conflicts wait in `sync_conflict`.

- `action.uid`, `resource.uid` (unique per department): existing records get the identity
  derived from their department and code (`reference_uid`), as records of the reference do;
- `action_event.uid`, `resource_event.uid`: lines written from now on (older ones, append-only,
  keep none and are recognised by their action, time, author and text);
- `sync_state.code` now holds the record's identity (converted from the code), `base` the record
  as both sides last agreed;
- `store_identity`: one row, this store's UUID (part of a server's identity);
- `sync_conflict`: fields changed on both sides, waiting for `suivi-sts sync resolve`.
PostgreSQL: row-level security on the new tables, and the delegations' column-level INSERT
extended to the new `uid` columns.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 16:45:00
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_NAMESPACE = uuid.UUID("6f1d7a52-3c0e-4b8e-9a57-5e0b2f3c9d11")  # store.models.identities
_RECORDS = {"action": "action", "resource": "ressource"}
_JOURNALS = ("action_event", "resource_event")
_ACCESS = "suivi_sts_access"


def _uid(department: str, kind: str, code: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{department}/{kind}/{code}"))


def _departments(write: bool) -> str:
    writable = " AND NOT a.read_only" if write else ""
    return (
        f"(department_code IN (SELECT a.department_code FROM {_ACCESS} a "
        f"WHERE a.role_name = current_user{writable}) "
        f"OR EXISTS (SELECT 1 FROM {_ACCESS} a WHERE a.role_name = current_user "
        f"AND a.department_code = '*'{writable}))"
    )


def upgrade() -> None:
    bind = op.get_bind()
    postgresql = bind.dialect.name == "postgresql"
    # Plain ALTER TABLE on both databases: a batch rebuild would lose SQLite's journal triggers.
    for table in (*_RECORDS, *_JOURNALS):
        op.add_column(table, sa.Column("uid", sa.String(length=36), nullable=True))
    for table, kind in _RECORDS.items():
        rows = bind.execute(sa.text(f"SELECT id, department_code, code FROM {table}")).all()
        for row_id, department, code in rows:
            bind.execute(
                sa.text(f"UPDATE {table} SET uid = :uid WHERE id = :id"),
                {"uid": _uid(department, kind, code), "id": row_id},
            )
        op.create_index(f"ix_{table}_department_code_uid", table, ["department_code", "uid"], unique=True)
    op.add_column("sync_state", sa.Column("base", sa.Text(), nullable=True))
    states = bind.execute(
        sa.text(
            "SELECT id, department_code, kind, code FROM sync_state WHERE kind IN ('action', 'ressource')"
        )
    ).all()
    for row_id, department, kind, code in states:
        bind.execute(
            sa.text("UPDATE sync_state SET code = :uid WHERE id = :id"),
            {"uid": _uid(department, kind, code), "id": row_id},
        )
    op.create_table(
        "store_identity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_store_identity")),
        sa.UniqueConstraint("uid", name=op.f("uq_store_identity_uid")),
    )
    bind.execute(
        sa.text("INSERT INTO store_identity (uid, created_at) VALUES (:uid, CURRENT_TIMESTAMP)"),
        {"uid": str(uuid.uuid4())},
    )
    op.create_table(
        "sync_conflict",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("department_code", sa.String(length=3), nullable=False),
        sa.Column("server", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("uid", sa.String(), nullable=False),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("field", sa.String(), nullable=False),
        sa.Column("base", sa.Text(), nullable=True),
        sa.Column("mine", sa.Text(), nullable=True),
        sa.Column("theirs", sa.Text(), nullable=True),
        sa.Column("mine_author", sa.String(), nullable=True),
        sa.Column("mine_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("theirs_author", sa.String(), nullable=True),
        sa.Column("theirs_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_code"],
            ["department.code"],
            name=op.f("fk_sync_conflict_department_code_department"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_conflict")),
        sa.UniqueConstraint(
            "server",
            "department_code",
            "kind",
            "uid",
            "field",
            name=op.f("uq_sync_conflict_server_department_code_kind_uid_field"),
        ),
    )
    op.create_index(op.f("ix_sync_conflict_department_code"), "sync_conflict", ["department_code"])
    if postgresql:
        _postgresql_upgrade(bind)


def _postgresql_upgrade(bind: sa.Connection) -> None:
    for table in ("sync_conflict", "store_identity"):  # 64-bit ids on the server, as 0007 made them
        op.execute(f'ALTER TABLE "{table}" ALTER COLUMN id TYPE bigint')
        sequence = bind.execute(sa.text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table}).scalar()
        if sequence:
            op.execute(f"ALTER SEQUENCE {sequence} AS bigint")
    read, write = _departments(False), _departments(True)
    for statement in (
        f'CREATE POLICY "sync_conflict_lecture" ON sync_conflict FOR SELECT USING {read}',
        f'CREATE POLICY "sync_conflict_ajout" ON sync_conflict FOR INSERT WITH CHECK {write}',
        f'CREATE POLICY "sync_conflict_modification" ON sync_conflict FOR UPDATE USING {write} '
        f"WITH CHECK {write}",
        f'CREATE POLICY "sync_conflict_suppression" ON sync_conflict FOR DELETE USING {write}',
        "ALTER TABLE sync_conflict ENABLE ROW LEVEL SECURITY",
        "ALTER TABLE sync_conflict FORCE ROW LEVEL SECURITY",
        'CREATE POLICY "store_identity_lecture" ON store_identity FOR SELECT USING (true)',
        "ALTER TABLE store_identity ENABLE ROW LEVEL SECURITY",
        "ALTER TABLE store_identity FORCE ROW LEVEL SECURITY",
    ):
        op.execute(statement)
    # Roles already granted (`admin grant`) may insert the new identities, and read the store's.
    for table in (*_RECORDS, *_JOURNALS):
        grantees = bind.execute(
            sa.text(
                "SELECT DISTINCT grantee FROM information_schema.column_privileges "
                "WHERE table_schema = current_schema() AND table_name = :t "
                "AND column_name = 'department_code' AND privilege_type = 'INSERT'"
            ),
            {"t": table},
        ).scalars()
        for grantee in grantees:
            if grantee != bind.execute(sa.text("SELECT current_user")).scalar_one():
                op.execute(f'GRANT INSERT (uid) ON "{table}" TO "{grantee}"')
    roles = bind.execute(sa.text(f"SELECT DISTINCT role_name FROM {_ACCESS}")).scalars().all()
    current = bind.execute(sa.text("SELECT current_user")).scalar_one()
    for role in roles:
        if (
            role != current
            and bind.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
        ):
            op.execute(f'GRANT SELECT ON store_identity TO "{role}"')


def downgrade() -> None:
    bind = op.get_bind()
    op.drop_index(op.f("ix_sync_conflict_department_code"), table_name="sync_conflict")
    op.drop_table("sync_conflict")
    op.drop_table("store_identity")
    for table, kind in _RECORDS.items():
        codes: dict[str, str] = dict(bind.execute(sa.text(f"SELECT uid, code FROM {table}")).all())
        rows = bind.execute(sa.text("SELECT id, code FROM sync_state WHERE kind = :k"), {"k": kind}).all()
        for row_id, uid in rows:
            if uid in codes:
                bind.execute(
                    sa.text("UPDATE sync_state SET code = :c WHERE id = :id"), {"c": codes[uid], "id": row_id}
                )
            else:
                bind.execute(sa.text("DELETE FROM sync_state WHERE id = :id"), {"id": row_id})
        op.drop_index(f"ix_{table}_department_code_uid", table_name=table)
    op.execute("ALTER TABLE sync_state DROP COLUMN base")
    for table in (*_JOURNALS, *_RECORDS):
        op.execute(f"ALTER TABLE {table} DROP COLUMN uid")
