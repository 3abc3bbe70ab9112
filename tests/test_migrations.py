"""The migrations and the models describe one schema, and every migration goes down and up again.

Both run on a SQLite file and on PostgreSQL (`store_url`), through the same Alembic environment
as the app (`store/migrations/env.py`: batch mode, one transaction per command).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import CheckConstraint, Connection, Engine, inspect, text

import store.models  # noqa: F401  (registers every table on the metadata)
from store import server_schema
from store.engine import make_engine, writer
from store.models.base import metadata
from store.schema import MIGRATIONS, head_revision, upgrade

#: Made by hand-written PostgreSQL-only SQL in 0004 (which roles see which department): not a
#: model on purpose, and hidden from autogenerate by env.py's `include_object` for the same reason.
UNMODELLED_TABLES = frozenset({"suivi_sts_access"})


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    made = make_engine(store_url)
    yield made
    made.dispose()


def _config(conn: Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    return cfg


def _revisions() -> list[tuple[str, str]]:
    """(revision, the one below it or "base"), oldest first."""
    script = ScriptDirectory(str(MIGRATIONS))
    steps = [(rev.revision, rev.down_revision or "base") for rev in script.walk_revisions()]
    return [(rev, str(down)) for rev, down in reversed(steps)]


def _migrate(engine: Engine, verb: str, revision: str) -> None:
    """One Alembic command in one transaction, as `store.schema.upgrade` runs it."""
    with writer(engine).begin() as conn:
        getattr(command, verb)(_config(conn), revision)


# --- models == migrations ----------------------------------------------------------------------


def _drift(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": server_schema.compare_type,
                "compare_server_default": True,
                "include_object": server_schema.include_object,
            },
        )
        differences = compare_metadata(context, metadata)
    return [
        diff for diff in differences if not (diff[0] == "remove_table" and diff[1].name in UNMODELLED_TABLES)
    ]


def test_the_migrations_build_the_schema_the_models_describe(engine: Engine) -> None:
    upgrade(engine)
    assert _drift(engine) == []


def test_check_constraints_match_too(engine: Engine) -> None:
    """compare_metadata ignores CHECK constraints: compare them here. SQLite keeps their text as
    written (compared too); PostgreSQL rewrites it (`IN` → `= ANY (ARRAY[…])`), so names only."""
    upgrade(engine)
    inspector = inspect(engine)
    compare_text = engine.dialect.name == "sqlite"
    for table in metadata.sorted_tables:
        modelled = {
            str(c.name): " ".join(str(c.sqltext).split()) if compare_text else ""
            for c in table.constraints
            if isinstance(c, CheckConstraint)
        }
        migrated = {
            str(c["name"]): " ".join(c["sqltext"].split()) if compare_text else ""
            for c in inspector.get_check_constraints(table.name)
        }
        assert migrated == modelled, table.name


def test_a_model_change_without_migration_is_caught(engine: Engine) -> None:
    """The drift test is not blind: an index the models declare but the store lacks shows up."""
    upgrade(engine)
    with writer(engine).begin() as conn:
        conn.execute(text("DROP INDEX ix_action_status"))
    assert [diff[0] for diff in _drift(engine)] == ["add_index"]


# --- stairway: every revision up, down, up ----------------------------------------------------


def _schema(engine: Engine) -> dict[str, Any]:
    """Everything a migration may create, for "the downgrade undid it all" assertions.

    `alembic_version` is left out: Alembic keeps it (empty) after a downgrade to base."""
    with engine.connect() as conn:
        inspector = inspect(conn)
        tables = sorted(set(inspector.get_table_names()) - {"alembic_version"})
        shape: dict[str, Any] = {
            table: (
                [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)],
                sorted(map(repr, inspector.get_indexes(table))),
                sorted(map(repr, inspector.get_foreign_keys(table))),
                sorted(map(repr, inspector.get_unique_constraints(table))),
                sorted(map(repr, inspector.get_check_constraints(table))),
            )
            for table in tables
        }
        if engine.dialect.name == "sqlite":
            shape["sqlite_master"] = conn.execute(
                text(
                    "SELECT type, name, sql FROM sqlite_master "
                    "WHERE name NOT LIKE 'sqlite_%' AND name != 'alembic_version' ORDER BY name"
                )
            ).all()
            return shape
        # what the inspector does not see: triggers, functions, row-level security and policies
        shape["triggers"] = conn.execute(
            text(
                "SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
                "JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal "
                "ORDER BY 1, 2"
            )
        ).all()
        shape["functions"] = conn.execute(
            text(
                "SELECT proname, pg_get_functiondef(oid) FROM pg_proc "
                "WHERE pronamespace = current_schema()::regnamespace ORDER BY 1"
            )
        ).all()
        shape["policies"] = conn.execute(
            text(
                "SELECT tablename, policyname, cmd, qual, with_check FROM pg_policies "
                "WHERE schemaname = current_schema() ORDER BY 1, 2"
            )
        ).all()
        shape["row_security"] = conn.execute(
            text(
                "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
                "WHERE relnamespace = current_schema()::regnamespace AND relkind = 'r' "
                "AND relname != 'alembic_version' ORDER BY 1"
            )
        ).all()
        return shape


def test_the_revisions_form_one_line_to_the_app_head() -> None:
    revisions = _revisions()
    assert revisions[0][1] == "base"
    assert [down for _rev, down in revisions[1:]] == [rev for rev, _down in revisions[:-1]]
    assert revisions[-1][0] == head_revision()


def test_stairway_every_revision_goes_up_down_and_up_again(engine: Engine) -> None:
    for revision, below in _revisions():
        before = _schema(engine)
        _migrate(engine, "upgrade", revision)
        after = _schema(engine)
        _migrate(engine, "downgrade", below)
        assert _schema(engine) == before, f"{revision} : la migration inverse ne défait pas tout"
        _migrate(engine, "upgrade", revision)
        assert _schema(engine) == after, f"{revision} : remontée après descente différente"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == head_revision()
