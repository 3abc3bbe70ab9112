"""PostgreSQL: a record may only point to records of its own department.

Row-level security (0004) keeps a delegation from reading or changing another department's
rows, but foreign keys are checked by the server without those policies: a role bound to 09
could still set an action's lead to the id of a 31 organisation. Triggers close that gap: the
referenced row is looked up with the caller's own rights (so a row it cannot see counts as
another department's) and its department must be the record's. Link tables without
`department_code` must join two rows of one department. SQLite stores are not concerned.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 15:50:00
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

#: (table, column, referenced table) for tables that carry their own department_code.
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
)
#: Link tables: (table, first column, its table, second column, its table).
LINKS = (
    ("action_objective", "action_id", "action", "objective_id", "objective"),
    ("action_partner", "action_id", "action", "organisation_id", "organisation"),
    ("action_territory", "action_id", "action", "territory_id", "territory"),
    ("resource_territory", "resource_id", "resource", "territory_id", "territory"),
)

_REFERENCE_CHECK = """
CREATE FUNCTION suivi_sts_same_department() RETURNS trigger LANGUAGE plpgsql AS $$
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

_LINK_CHECK = """
CREATE FUNCTION suivi_sts_same_department_link() RETURNS trigger LANGUAGE plpgsql AS $$
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


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_REFERENCE_CHECK)
    op.execute(_LINK_CHECK)
    for table, column, target in REFERENCES:
        op.execute(
            f'CREATE TRIGGER "{table}_{column}_meme_departement" BEFORE INSERT OR UPDATE OF {column}, '
            f'department_code ON "{table}" FOR EACH ROW '
            f"EXECUTE FUNCTION suivi_sts_same_department('{column}', '{target}')"
        )
    for table, first, first_table, second, second_table in LINKS:
        op.execute(
            f'CREATE TRIGGER "{table}_meme_departement" BEFORE INSERT OR UPDATE ON "{table}" '
            f"FOR EACH ROW EXECUTE FUNCTION suivi_sts_same_department_link("
            f"'{first}', '{first_table}', '{second}', '{second_table}')"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column, _target in REFERENCES:
        op.execute(f'DROP TRIGGER IF EXISTS "{table}_{column}_meme_departement" ON "{table}"')
    for table, *_columns in LINKS:
        op.execute(f'DROP TRIGGER IF EXISTS "{table}_meme_departement" ON "{table}"')
    op.execute("DROP FUNCTION IF EXISTS suivi_sts_same_department_link()")
    op.execute("DROP FUNCTION IF EXISTS suivi_sts_same_department()")
