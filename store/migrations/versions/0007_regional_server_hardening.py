"""Regional server hardening: references bound by keys, 64-bit ids, unshadowable triggers,
a journal dated and signed by the server, no password in `sync_state`.

Both databases:
- `action_event` and `resource_event` get `origin_author` / `origin_at`: on the server the
  author and time of a delegation's row are the server's (login role, clock), and what the
  laptop said is kept there as provenance;
- `sync_state.server` loses any user name or password an older version stored in it.

PostgreSQL only:
- every `id` and every column pointing to one becomes `bigint` (and its sequence too);
- a record points only into its own department through composite foreign keys
  `(department_code, x_id) → (department_code, id)`, checked by the server itself, no name
  looked up at all (the 0005 triggers that looked names up through the caller's search path,
  which a temporary table could shadow, are dropped);
- what stays in triggers (link tables without `department_code`, and `indicator_value`, whose
  unique key must not be reached with another department's indicator) looks its tables up by
  schema-qualified names, with the functions' own `SET search_path = pg_catalog, pg_temp`;
- every function of the schema gets that fixed search path.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 15:30:00
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

#: (table, column, referenced table): references bound to the department by a composite key.
REFERENCES = (
    ("challenge", "engagement_id", "engagement"),
    ("objective", "challenge_id", "challenge"),
    ("care_offer_target", "activity_id", "care_offer_activity"),
    ("action", "lead_id", "organisation"),
    ("action_event", "action_id", "action"),
    ("indicator", "action_id", "action"),
    ("indicator", "objective_id", "objective"),
    ("indicator_value", "indicator_id", "indicator"),
    ("resource", "carrier_id", "organisation"),
    ("resource_event", "resource_id", "resource"),
)
#: Still checked before the row is written: the unique key (indicator_id, period, category)
#: must never be reached with another department's indicator (probe, or wait on its row).
CHECKED_BEFORE_WRITE = (("indicator_value", "indicator_id", "indicator"),)
#: Nullable references whose original key sets them to NULL when the target goes.
SET_NULL = frozenset({("action", "lead_id"), ("resource", "carrier_id")})
SAFE_PATH = "pg_catalog, pg_temp"
JOURNALS = ("action_event", "resource_event")


def _fk_name(table: str, column: str) -> str:
    return f"{table}_{column}_same_department_fk"


def _key_name(table: str) -> str:
    return f"{table}_department_id_key"


_REFERENCE_CHECK = """
CREATE OR REPLACE FUNCTION suivi_sts_same_department() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    target bigint := (pg_catalog.to_jsonb(NEW) OPERATOR(pg_catalog.->>) TG_ARGV[0])::bigint;
    found text;
BEGIN
    IF target IS NULL THEN
        RETURN NEW;
    END IF;
    EXECUTE pg_catalog.format('SELECT department_code FROM %I.%I WHERE id OPERATOR(pg_catalog.=) $1',
        TG_TABLE_SCHEMA, TG_ARGV[1]) INTO found USING target;
    IF found IS DISTINCT FROM NEW.department_code THEN
        RAISE EXCEPTION 'référence hors du département % : %.% = % (table %)',
            NEW.department_code, TG_TABLE_NAME, TG_ARGV[0], target, TG_ARGV[1]
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$
"""

_LINK_CHECK = """
CREATE OR REPLACE FUNCTION suivi_sts_same_department_link() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    first_id bigint := (pg_catalog.to_jsonb(NEW) OPERATOR(pg_catalog.->>) TG_ARGV[0])::bigint;
    second_id bigint := (pg_catalog.to_jsonb(NEW) OPERATOR(pg_catalog.->>) TG_ARGV[2])::bigint;
    first_department text;
    second_department text;
BEGIN
    EXECUTE pg_catalog.format('SELECT department_code FROM %I.%I WHERE id OPERATOR(pg_catalog.=) $1',
        TG_TABLE_SCHEMA, TG_ARGV[1]) INTO first_department USING first_id;
    EXECUTE pg_catalog.format('SELECT department_code FROM %I.%I WHERE id OPERATOR(pg_catalog.=) $1',
        TG_TABLE_SCHEMA, TG_ARGV[3]) INTO second_department USING second_id;
    IF first_department IS NULL OR first_department IS DISTINCT FROM second_department THEN
        RAISE EXCEPTION 'lien entre départements refusé : %.% = % et %.% = %',
            TG_TABLE_NAME, TG_ARGV[0], first_id, TG_TABLE_NAME, TG_ARGV[2], second_id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$
"""

#: A delegation's journal line is signed and dated by the server; the administrator, who owns
#: the tables (and loads reference documents with their authors), is trusted as written.
_SERVER_JOURNAL = """
CREATE FUNCTION suivi_sts_server_journal() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT pg_catalog.pg_has_role(current_user,
            (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) TG_RELID),
            'USAGE') THEN
        NEW.origin_author := COALESCE(NEW.origin_author, NEW.author);
        NEW.origin_at := COALESCE(NEW.origin_at, NEW.at);
        NEW.author := session_user;
        NEW.at := pg_catalog.now();
    END IF;
    RETURN NEW;
END $$
"""

# As 0005 wrote them, for the downgrade.
_OLD_REFERENCE_CHECK = """
CREATE OR REPLACE FUNCTION suivi_sts_same_department() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    target bigint := (to_jsonb(NEW) ->> TG_ARGV[0])::bigint;
    found text;
BEGIN
    IF target IS NULL THEN
        RETURN NEW;
    END IF;
    EXECUTE format('SELECT department_code FROM %I WHERE id = $1', TG_ARGV[1]) INTO found USING target;
    IF found IS DISTINCT FROM NEW.department_code THEN
        RAISE EXCEPTION 'référence hors du département % : %.% = % (table %)',
            NEW.department_code, TG_TABLE_NAME, TG_ARGV[0], target, TG_ARGV[1]
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$
"""

_OLD_LINK_CHECK = """
CREATE OR REPLACE FUNCTION suivi_sts_same_department_link() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    first_id bigint := (to_jsonb(NEW) ->> TG_ARGV[0])::bigint;
    second_id bigint := (to_jsonb(NEW) ->> TG_ARGV[2])::bigint;
    first_department text;
    second_department text;
BEGIN
    EXECUTE format('SELECT department_code FROM %I WHERE id = $1', TG_ARGV[1])
        INTO first_department USING first_id;
    EXECUTE format('SELECT department_code FROM %I WHERE id = $1', TG_ARGV[3])
        INTO second_department USING second_id;
    IF first_department IS NULL OR first_department IS DISTINCT FROM second_department THEN
        RAISE EXCEPTION 'lien entre départements refusé : %.% = % et %.% = %',
            TG_TABLE_NAME, TG_ARGV[0], first_id, TG_TABLE_NAME, TG_ARGV[2], second_id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$
"""

#: Functions of 0001 / 0006 that look nothing up, given a fixed search path all the same.
_PLAIN_FUNCTIONS = ("suivi_sts_refuse_change", "suivi_sts_refuse_resource_journal_change")


def _reference_trigger(table: str, column: str, target: str) -> str:
    return (
        f'CREATE TRIGGER "{table}_{column}_meme_departement" BEFORE INSERT OR UPDATE OF {column}, '
        f'department_code ON "{table}" FOR EACH ROW '
        f"EXECUTE FUNCTION suivi_sts_same_department('{column}', '{target}')"
    )


# --- both databases ------------------------------------------------------------------------------


def _journal_provenance(add: bool) -> None:
    # Plain ALTER TABLE on both databases: a batch rebuild would lose SQLite's journal triggers.
    for table in JOURNALS:
        if add:
            op.add_column(table, sa.Column("origin_author", sa.Text(), nullable=True))
            op.add_column(table, sa.Column("origin_at", sa.DateTime(timezone=True), nullable=True))
        else:
            op.execute(f"ALTER TABLE {table} DROP COLUMN origin_at")
            op.execute(f"ALTER TABLE {table} DROP COLUMN origin_author")


_CREDENTIALS = re.compile(r"^([a-z0-9+.-]+://)[^/@?#]*@", re.IGNORECASE)


def _strip_sync_credentials() -> None:
    """`sync_state.server` without user name nor password (older versions stored the URL)."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":  # the old text zeroed, not left in free pages (nor backups)
        bind.exec_driver_sql("PRAGMA secure_delete = ON")
    state = sa.table(
        "sync_state",
        sa.column("id", sa.Integer),
        sa.column("server", sa.String),
        sa.column("department_code", sa.String),
        sa.column("kind", sa.String),
        sa.column("code", sa.String),
    )
    rows = bind.execute(
        sa.select(state.c.id, state.c.server, state.c.department_code, state.c.kind, state.c.code)
    )
    taken = set()
    dirty = []
    for row_id, server, dept, kind, code in rows:
        clean = _CREDENTIALS.sub(r"\1", server)
        clean = re.sub(r"([?&])password=[^&]*&?", r"\1", clean).rstrip("?&")
        if clean == server:
            taken.add((server, dept, kind, code))
        else:
            dirty.append((row_id, clean, dept, kind, code))
    for row_id, clean, dept, kind, code in dirty:
        if (clean, dept, kind, code) in taken:
            bind.execute(sa.delete(state).where(state.c.id == row_id))
        else:
            taken.add((clean, dept, kind, code))
            bind.execute(sa.update(state).where(state.c.id == row_id).values(server=clean))


# --- PostgreSQL ----------------------------------------------------------------------------------


def _policies(bind: sa.Connection) -> list[tuple[str, str, str, str, str | None, str | None]]:
    return [
        tuple(r)
        for r in bind.execute(
            sa.text(
                "SELECT tablename, policyname, permissive, cmd, qual, with_check FROM pg_policies "
                "WHERE schemaname = current_schema() ORDER BY 1, 2"
            )
        )
    ]


def _recreate_policy(
    table: str, name: str, permissive: str, cmd: str, qual: str | None, check: str | None
) -> None:
    statement = f'CREATE POLICY "{name}" ON "{table}" AS {permissive} FOR {cmd}'
    if qual is not None:
        statement += f" USING ({qual})"
    if check is not None:
        statement += f" WITH CHECK ({check})"
    op.execute(statement)


def _id_columns(bind: sa.Connection) -> dict[str, list[str]]:
    """Per table, `id` and every column with a foreign key to an `id`."""
    inspector = sa.inspect(bind)
    found: dict[str, list[str]] = {}
    for table in inspector.get_table_names():
        if table in {"alembic_version", "suivi_sts_access"}:
            continue
        columns = [c["name"] for c in inspector.get_columns(table) if c["name"] == "id"]
        for fk in inspector.get_foreign_keys(table):
            if fk["referred_columns"] == ["id"]:
                columns.extend(c for c in fk["constrained_columns"] if c not in columns)
        if columns:
            found[table] = columns
    return found


def _set_id_type(bind: sa.Connection, type_name: str) -> None:
    """Every id column to `type_name` (policies that read them are set aside meanwhile)."""
    policies = _policies(bind)
    for table, name, *_rest in policies:
        op.execute(f'DROP POLICY "{name}" ON "{table}"')
    for table, columns in _id_columns(bind).items():
        changes = ", ".join(f'ALTER COLUMN "{c}" TYPE {type_name}' for c in columns)
        op.execute(f'ALTER TABLE "{table}" {changes}')
        if "id" in columns:
            sequence = bind.execute(
                sa.text("SELECT pg_get_serial_sequence(quote_ident(:t), 'id')"), {"t": table}
            ).scalar()
            if sequence:
                op.execute(f"ALTER SEQUENCE {sequence} AS {type_name}")
    for policy in policies:
        _recreate_policy(*policy)


def _server_upgrade(bind: sa.Connection) -> None:
    for table, column, _target in REFERENCES:
        op.execute(f'DROP TRIGGER IF EXISTS "{table}_{column}_meme_departement" ON "{table}"')
    _set_id_type(bind, "bigint")
    with_columns = (
        bind.execute(sa.text("SELECT current_setting('server_version_num')::int")).scalar_one() >= 150000
    )
    for target in sorted({t for _table, _column, t in REFERENCES}):
        op.execute(
            f'ALTER TABLE "{target}" ADD CONSTRAINT "{_key_name(target)}" UNIQUE (department_code, id)'
        )
    for table, column, target in REFERENCES:
        if (table, column) in SET_NULL:  # PostgreSQL 13-14: NO ACTION (refused while referenced)
            on_delete = f" ON DELETE SET NULL ({column})" if with_columns else ""
        elif table in JOURNALS:
            on_delete = " ON DELETE RESTRICT"
        else:
            on_delete = " ON DELETE CASCADE"
        op.execute(
            f'ALTER TABLE "{table}" ADD CONSTRAINT "{_fk_name(table, column)}" FOREIGN KEY '
            f'(department_code, "{column}") REFERENCES "{target}" (department_code, id){on_delete}'
        )
    op.execute(_REFERENCE_CHECK)
    op.execute(_LINK_CHECK)
    for table, column, target in CHECKED_BEFORE_WRITE:
        op.execute(_reference_trigger(table, column, target))
    for name in _PLAIN_FUNCTIONS:
        op.execute(f"ALTER FUNCTION {name}() SET search_path = {SAFE_PATH}")
    op.execute(_SERVER_JOURNAL)
    for table in JOURNALS:
        op.execute(
            f'CREATE TRIGGER "{table}_server_signed" BEFORE INSERT ON "{table}" '
            "FOR EACH ROW EXECUTE FUNCTION suivi_sts_server_journal()"
        )


def _server_downgrade(bind: sa.Connection) -> None:
    for table in JOURNALS:
        op.execute(f'DROP TRIGGER IF EXISTS "{table}_server_signed" ON "{table}"')
    op.execute("DROP FUNCTION IF EXISTS suivi_sts_server_journal()")
    for name in _PLAIN_FUNCTIONS:
        op.execute(f"ALTER FUNCTION {name}() RESET search_path")
    for table, column, _target in CHECKED_BEFORE_WRITE:
        op.execute(f'DROP TRIGGER IF EXISTS "{table}_{column}_meme_departement" ON "{table}"')
    op.execute(_OLD_REFERENCE_CHECK)
    op.execute(_OLD_LINK_CHECK)
    for table, column, _target in REFERENCES:
        op.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{_fk_name(table, column)}"')
    for target in sorted({t for _table, _column, t in REFERENCES}):
        op.execute(f'ALTER TABLE "{target}" DROP CONSTRAINT "{_key_name(target)}"')
    _set_id_type(bind, "integer")
    for table, column, target in REFERENCES:  # as 0005 and 0006 made them
        op.execute(_reference_trigger(table, column, target))


def upgrade() -> None:
    bind = op.get_bind()
    _journal_provenance(add=True)
    _strip_sync_credentials()
    if bind.dialect.name == "postgresql":
        _server_upgrade(bind)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        _server_downgrade(bind)
    _journal_provenance(add=False)
