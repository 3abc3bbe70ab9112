"""PostgreSQL: each login role sees and changes only its own department(s) — row-level security.

`suivi_sts_access` binds a login role to a department ("*" = every department, for the regional
administrators; the role that runs this migration gets "*"). Every department-scoped table gets
policies that compare its `department_code` with the current role's rows there, FORCEd so that
even the tables' owner goes through them; link tables without `department_code` are guarded
through their parents. Privileges (read-only or read-write) are granted by
`suivi-sts admin grant` (store/access.py). SQLite stores are not concerned.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 15:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ACCESS = "suivi_sts_access"
#: Tables every department shares (vocabularies) or that describe the schema itself.
SHARED = frozenset({"theme", "pathway", "alembic_version", ACCESS})


def _departments(column: str, *, write: bool) -> str:
    writable = " AND NOT a.read_only" if write else ""
    return (
        f"({column} IN (SELECT a.department_code FROM {ACCESS} a "
        f"WHERE a.role_name = current_user{writable}) "
        f"OR EXISTS (SELECT 1 FROM {ACCESS} a WHERE a.role_name = current_user "
        f"AND a.department_code = '*'{writable}))"
    )


def _policies(table: str, read: str, write: str) -> list[str]:
    return [
        f'CREATE POLICY "{table}_lecture" ON "{table}" FOR SELECT USING {read}',
        f'CREATE POLICY "{table}_ajout" ON "{table}" FOR INSERT WITH CHECK {write}',
        f'CREATE POLICY "{table}_modification" ON "{table}" FOR UPDATE USING {write} WITH CHECK {write}',
        f'CREATE POLICY "{table}_suppression" ON "{table}" FOR DELETE USING {write}',
        f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY',
        f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY',
    ]


def protected_tables(bind: sa.Connection) -> dict[str, tuple[str, str]]:
    """The read and write conditions of every table but the shared ones."""
    inspector = sa.inspect(bind)
    tables = [t for t in inspector.get_table_names() if t not in SHARED]
    scoped = {t for t in tables if any(c["name"] == "department_code" for c in inspector.get_columns(t))}
    conditions: dict[str, tuple[str, str]] = {}
    for table in tables:
        if table == "department":
            conditions[table] = (_departments("code", write=False), _departments("code", write=True))
        elif table in scoped:
            conditions[table] = (
                _departments("department_code", write=False),
                _departments("department_code", write=True),
            )
        else:
            parents = [
                (fk["constrained_columns"][0], fk["referred_table"], fk["referred_columns"][0])
                for fk in inspector.get_foreign_keys(table)
                if fk["referred_table"] in scoped
            ]
            if not parents:
                raise RuntimeError(f"table {table} : ni department_code ni table parente d'un département")
            read = " AND ".join(
                f'("{col}" IN (SELECT "{ref}" FROM "{parent}"))' for col, parent, ref in parents
            )
            write = " AND ".join(
                f'("{col}" IN (SELECT p."{ref}" FROM "{parent}" p WHERE '
                f"{_departments('p.department_code', write=True)}))"
                for col, parent, ref in parents
            )
            conditions[table] = (f"({read})", f"({write})")
    return conditions


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute(
        f"""CREATE TABLE {ACCESS} (
            role_name text NOT NULL,
            department_code varchar(3) NOT NULL,
            read_only boolean NOT NULL DEFAULT false,
            CONSTRAINT pk_{ACCESS} PRIMARY KEY (role_name, department_code)
        )"""
    )
    op.execute(
        f"COMMENT ON TABLE {ACCESS} IS 'Suivi STS : département(s) de chaque rôle de connexion (* = tous)'"
    )
    op.execute(f"ALTER TABLE {ACCESS} ENABLE ROW LEVEL SECURITY")
    op.execute(f'CREATE POLICY "{ACCESS}_soi" ON {ACCESS} FOR SELECT USING (role_name = current_user)')
    op.execute(
        f"INSERT INTO {ACCESS} (role_name, department_code, read_only) VALUES (current_user, '*', false)"
    )
    for table, (read, write) in protected_tables(bind).items():
        for statement in _policies(table, read, write):
            op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for table in protected_tables(bind):
        op.execute(f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY')
        op.execute(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY')
        for suffix in ("lecture", "ajout", "modification", "suppression"):
            op.execute(f'DROP POLICY IF EXISTS "{table}_{suffix}" ON "{table}"')
    op.execute(f"DROP TABLE {ACCESS}")
