"""PostgreSQL: a delegation deletes link and list rows through one server-side function, and
holds no DELETE privilege at all.

`LOCK TABLE … IN ACCESS EXCLUSIVE MODE` is permitted to any role holding a table-level
UPDATE, DELETE or TRUNCATE privilege: with DELETE on the link and list tables a delegation
could stop the other departments' reads of them. Their DELETE goes; what the app deletes there
goes through `suivi_sts_delete_rows(table, keys)`:

- `SECURITY DEFINER` (runs as the tables' owner), `SET search_path = pg_catalog, pg_temp`,
  every table named with its schema (fixed here, at migration time), so neither a search path
  nor a temporary table nor an operator of the caller reaches it (functions and operators are
  never looked up in `pg_temp`);
- a fixed list of tables, each with the key columns it is deleted by (a key set is a JSON
  array of objects holding exactly those columns, typed by the table's own row type);
- the department check done again inside, against `session_user`'s bindings in
  `suivi_sts_access`: a session without any writable binding is refused, and only the rows of
  a department it may write are deleted (the others are left, without a word: no probing);
- EXECUTE revoked from PUBLIC, granted to writable delegations (`admin grant`, and here to the
  roles already granted).

SQLite stores are not concerned (`store/link_rows.py` deletes there directly).

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-27 05:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

ACCESS = "suivi_sts_access"
FUNCTION = "suivi_sts_delete_rows"
SIGNATURE = f"{FUNCTION}(text, jsonb)"
#: table → (key columns, parent table holding the department, the parent's column here);
#: no parent: the table has its own `department_code`. As of this revision.
TABLES: dict[str, tuple[tuple[str, ...], str | None, str | None]] = {
    "action_objective": (("action_id",), "action", "action_id"),
    "action_partner": (("action_id",), "action", "action_id"),
    "action_territory": (("action_id",), "action", "action_id"),
    "resource_audience": (("resource_id",), "resource", "resource_id"),
    "resource_territory": (("resource_id",), "resource", "resource_id"),
    "challenge_theme": (("challenge_id",), "challenge", "challenge_id"),
    "challenge_pathway": (("challenge_id",), "challenge", "challenge_id"),
    "objective_theme": (("objective_id",), "objective", "objective_id"),
    "objective_pathway": (("objective_id",), "objective", "objective_id"),
    "care_offer_activity": (("department_code",), None, None),
    "care_offer_target": (("department_code",), None, None),
    "cts_challenge": (("department_code",), None, None),
    "cnr_proposal": (("department_code",), None, None),
    "saved_filter": (("department_code", "name"), None, None),
    "indicator_value": (("indicator_id", "period", "category"), None, None),
}


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _writable(schema: str, department: str) -> str:
    """`department` is one the session's login role may write (a `*` binding: every one)."""
    access = f"{_quoted(schema)}.{ACCESS}"
    return (
        f"({department} IN (SELECT a.department_code FROM {access} a "
        "WHERE a.role_name = session_user::text AND NOT a.read_only) "
        f"OR EXISTS (SELECT 1 FROM {access} a WHERE a.role_name = session_user::text "
        "AND a.department_code = '*' AND NOT a.read_only) "
        "OR EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = session_user AND r.rolsuper))"
    )


def _branch(schema: str, table: str) -> str:
    columns, parent, link = TABLES[table]
    if parent is None:
        allowed = _writable(schema, "t.department_code")
    else:
        allowed = (
            f't."{link}" IN (SELECT p.id FROM {_quoted(schema)}."{parent}" p '
            f"WHERE {_writable(schema, 'p.department_code')})"
        )
    keys = ", ".join(_sql_text(c) for c in columns)
    return f"WHEN {_sql_text(table)} THEN key_columns := ARRAY[{keys}]; allowed := {_sql_text(allowed)};"


def _function(schema: str) -> str:
    branches = "\n        ".join(_branch(schema, t) for t in sorted(TABLES))
    qualified = f"{_quoted(schema)}.{FUNCTION}"
    return f"""
CREATE FUNCTION {qualified}(p_table text, p_keys jsonb) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    key_columns text[];
    allowed text;
    matching text;
    deleted bigint;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM {_quoted(schema)}.{ACCESS} a
                   WHERE a.role_name = session_user::text AND NOT a.read_only)
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
                       WHERE r.rolname = session_user AND r.rolsuper) THEN
        RAISE EXCEPTION 'suppression refusée : le rôle % n''écrit dans aucun département', session_user
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    CASE p_table
        {branches}
        ELSE
            RAISE EXCEPTION 'suppression refusée dans la table %', p_table
                USING ERRCODE = 'insufficient_privilege';
    END CASE;
    IF pg_catalog.jsonb_typeof(p_keys) IS DISTINCT FROM 'array' OR EXISTS (
            SELECT 1 FROM pg_catalog.jsonb_array_elements(p_keys) AS e(item)
            WHERE pg_catalog.jsonb_typeof(e.item) <> 'object'
               OR NOT e.item ?& key_columns
               OR (SELECT pg_catalog.count(*) FROM pg_catalog.jsonb_object_keys(e.item))
                  <> pg_catalog.cardinality(key_columns)) THEN
        RAISE EXCEPTION 'suppression dans % : clés attendues %', p_table, key_columns
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT pg_catalog.string_agg(pg_catalog.format('t.%1$I = k.%1$I', c), ' AND ')
        INTO matching FROM pg_catalog.unnest(key_columns) AS c;
    -- the first key column's values looked up first, through its index (the row-level
    -- security of the table is then checked on those rows only, not on every row)
    EXECUTE pg_catalog.format(
        'DELETE FROM %1$I.%2$I t USING pg_catalog.jsonb_populate_recordset(NULL::%1$I.%2$I, $1) k '
        'WHERE t.%5$I = ANY (ARRAY(SELECT f.%5$I '
        'FROM pg_catalog.jsonb_populate_recordset(NULL::%1$I.%2$I, $1) f)) AND %3$s AND %4$s',
        {_sql_text(schema)}, p_table, matching, allowed, key_columns[1])
        USING p_keys;
    GET DIAGNOSTICS deleted = ROW_COUNT;
    RETURN deleted;
END $fn$
"""


def _granted_roles(bind: sa.Connection) -> list[tuple[str, bool]]:
    """(role, writable) of the roles `admin grant` bound, but the one running this."""
    current = bind.execute(sa.text("SELECT current_user")).scalar_one()
    return [
        (role, writable)
        for role, writable in bind.execute(
            sa.text(
                f"SELECT a.role_name, bool_or(NOT a.read_only) FROM {ACCESS} a "
                "JOIN pg_catalog.pg_roles r ON r.rolname = a.role_name GROUP BY a.role_name"
            )
        ).all()
        if role != current
    ]


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    schema = bind.execute(sa.text("SELECT current_schema()")).scalar_one()
    op.execute(_function(schema))
    op.execute(f"REVOKE ALL ON FUNCTION {_quoted(schema)}.{SIGNATURE} FROM PUBLIC")
    tables = ", ".join(f"{_quoted(schema)}.{_quoted(t)}" for t in sorted(TABLES))
    for role, writable in _granted_roles(bind):
        op.execute(f"REVOKE DELETE ON {tables} FROM {_quoted(role)}")
        if writable:
            op.execute(f"GRANT EXECUTE ON FUNCTION {_quoted(schema)}.{SIGNATURE} TO {_quoted(role)}")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    schema = bind.execute(sa.text("SELECT current_schema()")).scalar_one()
    tables = ", ".join(f"{_quoted(schema)}.{_quoted(t)}" for t in sorted(TABLES))
    for role, writable in _granted_roles(bind):
        if writable:  # as `admin grant` gave it before this revision
            op.execute(f"GRANT DELETE ON {tables} TO {_quoted(role)}")
    op.execute(f"DROP FUNCTION {_quoted(schema)}.{SIGNATURE}")
