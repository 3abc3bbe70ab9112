"""Dates with their precision, unknown values, and what the reference document says beyond actions.

- action: `start_date_precision` / `due_date_precision` (year, month or day; existing rows: day),
  `progress` may be empty, status « non renseigné » (`non_renseigne`);
- resource: `source` (where in the document it comes from); resource_audience: `position`
  (the publics in the order written);
- department: the front pages' citizens' words, DATA REPÈRE figures, « enjeux en bref » and the
  measures that are not actions; challenge: the objective list of its page; objective: « Le défi
  à relever »; theme and pathway links: the name as written where the vocabulary harmonised it.

SQLite cannot alter a column's NOT NULL nor a CHECK constraint without rebuilding the table, and
rebuilding `action` would delete its links (ON DELETE CASCADE) or be refused by its journal
(RESTRICT) while foreign keys are on (they cannot be turned off inside the migration's
transaction). Both changes only loosen the table's rules, so they are made the way SQLite
documents for that case: the table's definition is edited in `sqlite_schema`
(https://sqlite.org/lang_altertable.html#otheralter), in the same transaction.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 15:30:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_OLD_STATUS = "status IN ('a_lancer', 'en_cours', 'realisee', 'reportee', 'abandonnee')"
_NEW_STATUS = "status IN ('a_lancer', 'en_cours', 'realisee', 'reportee', 'abandonnee', 'non_renseigne')"
_PRECISIONS = ("start_date_precision", "due_date_precision")
_LINKS = ("challenge_theme", "challenge_pathway", "objective_theme", "objective_pathway")
_DEPARTMENT_LISTS = ("citizen_quotes", "key_figures", "stakes_in_brief", "measures_without_action")


def _added() -> list[tuple[str, sa.Column[Any]]]:
    """(table, column) added by this revision, besides the precisions (made anew on each call)."""
    return [
        ("resource", sa.Column("source", sa.Text(), nullable=True)),
        ("resource_audience", sa.Column("position", sa.Integer(), nullable=False, server_default="0")),
        *(("department", sa.Column(name, sa.JSON(), nullable=True)) for name in _DEPARTMENT_LISTS),
        ("challenge", sa.Column("objective_list", sa.JSON(), nullable=True)),
        ("objective", sa.Column("challenge_statement", sa.Text(), nullable=True)),
        *((link, sa.Column("written_as", sa.String(), nullable=True)) for link in _LINKS),
    ]


def _precision_check(column: str) -> str:
    return f"CONSTRAINT ck_action_{column} CHECK ({column} IN ('year', 'month', 'day'))"


def _edit_sqlite_table(table: str, edits: list[tuple[str, str]]) -> None:
    """Rewrite a table's definition in sqlite_schema (each `old` text must be there once)."""
    bind = op.get_bind()
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).scalar_one()
    for old, new in edits:
        if sql.count(old) != 1:
            raise RuntimeError(f"définition inattendue de la table {table} : {old!r}")
        sql = sql.replace(old, new)
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", (sql, table))
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for column in _PRECISIONS:
        op.add_column("action", sa.Column(column, sa.String(), nullable=False, server_default="day"))
    for table, added in _added():
        op.add_column(table, added)
    if sqlite:
        _edit_sqlite_table(
            "action",
            [
                ("progress INTEGER NOT NULL,", "progress INTEGER,"),
                (
                    f"CONSTRAINT ck_action_status CHECK ({_OLD_STATUS}),",
                    f"CONSTRAINT ck_action_status CHECK ({_NEW_STATUS}), "
                    + ", ".join(_precision_check(c) for c in _PRECISIONS)
                    + ",",
                ),
            ],
        )
        return
    op.alter_column("action", "progress", existing_type=sa.Integer(), nullable=True)
    op.drop_constraint(op.f("ck_action_status"), "action", type_="check")
    op.create_check_constraint(op.f("ck_action_status"), "action", _NEW_STATUS)
    for column in _PRECISIONS:
        op.create_check_constraint(
            op.f(f"ck_action_{column}"), "action", f"{column} IN ('year', 'month', 'day')"
        )


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.execute("UPDATE action SET progress = 0 WHERE progress IS NULL")
    op.execute("UPDATE action SET status = 'a_lancer' WHERE status = 'non_renseigne'")
    if sqlite:
        _edit_sqlite_table(
            "action",
            [
                ("progress INTEGER,", "progress INTEGER NOT NULL,"),
                (
                    f"CONSTRAINT ck_action_status CHECK ({_NEW_STATUS}), "
                    + ", ".join(_precision_check(c) for c in _PRECISIONS)
                    + ",",
                    f"CONSTRAINT ck_action_status CHECK ({_OLD_STATUS}),",
                ),
            ],
        )
    else:
        for column in _PRECISIONS:
            op.drop_constraint(op.f(f"ck_action_{column}"), "action", type_="check")
        op.drop_constraint(op.f("ck_action_status"), "action", type_="check")
        op.create_check_constraint(op.f("ck_action_status"), "action", _OLD_STATUS)
        op.alter_column("action", "progress", existing_type=sa.Integer(), nullable=False)
    # SQLite ≥ 3.35 drops a column in place (no table rebuild: the links and journals stay)
    for table, added in reversed(_added()):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {added.name}")
    for name in reversed(_PRECISIONS):
        op.execute(f"ALTER TABLE action DROP COLUMN {name}")
