# ruff: noqa: F811  (pytest fixtures imported from tests.pg_support)
"""On a real PostgreSQL server, the database itself keeps each delegation to its department.

Hand-written SQL, as any tool connected with the delegation's account could send it:
the row-level security policies of migration 0004 and the privileges of `admin grant`
refuse everything outside department 09, and every write to a read-only role.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from store import access
from store.actions import load_actions
from store.database import Store, open_store
from store.departments import list_departments
from store.health import AccessDenied
from tests.pg_support import make_role, regional_store, role_url  # noqa: F401  (fixtures)

pytestmark = pytest.mark.postgres


def _raw(url: str) -> psycopg.Connection:
    return psycopg.connect(url, autocommit=True)


def _count(conn: psycopg.Connection, query: str) -> int:
    row = conn.execute(query).fetchone()
    assert row is not None
    return int(row[0])


@pytest.fixture
def delegation(regional_store: Store, make_role: Callable[[str], str], pg_url: str) -> Iterator[str]:
    role = make_role("dt09")
    access.grant(regional_store.engine, role, "09", password="secret")
    yield role_url(pg_url, role)


def test_every_department_table_has_forced_row_level_security(regional_store: Store) -> None:
    with regional_store.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c "
                "WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'"
            )
        ).all()
    unprotected = {name for name, enabled, forced in rows if not (enabled and forced)}
    assert unprotected == {"theme", "pathway", "alembic_version", "suivi_sts_access"}


def test_a_department_09_role_cannot_read_rows_of_31_even_with_hand_written_sql(delegation: str) -> None:
    with _raw(delegation) as conn:
        departments = {r[0] for r in conn.execute("SELECT department_code FROM action")}
        assert departments == {"09"}
        assert conn.execute("SELECT count(*) FROM action WHERE department_code = '31'").fetchone() == (0,)
        assert conn.execute("SELECT code FROM department").fetchall() == [("09",)]
        # link tables are guarded through their parents
        seen = conn.execute(
            "SELECT count(*) FROM action_objective ao JOIN action a ON a.id = ao.action_id"
        ).fetchone()
        assert conn.execute("SELECT count(*) FROM action_objective").fetchone() == seen
        assert _count(conn, "SELECT count(*) FROM objective_theme") > 0
        for table in ("objective", "resource", "indicator_value", "care_offer_target", "action_event"):
            found = conn.execute(f"SELECT DISTINCT department_code FROM {table}").fetchall()
            assert found == [("09",)], table


def test_a_department_09_role_cannot_change_or_delete_rows_of_31(
    delegation: str, regional_store: Store
) -> None:
    with regional_store.engine.connect() as conn:
        before = conn.execute(text("SELECT id, title, version FROM action ORDER BY id")).all()
        ids_31 = [
            r[0] for r in conn.execute(text("SELECT id FROM action WHERE department_code = '31'")).all()
        ]
    with _raw(delegation) as conn:
        assert conn.execute("UPDATE action SET title = 'piraté' WHERE department_code = '31'").rowcount == 0
        assert conn.execute(f"UPDATE action SET title = 'piraté' WHERE id = {ids_31[0]}").rowcount == 0
        # no DELETE privilege (it would let it lock the table): the server's function deletes
        for statement in ("DELETE FROM action_objective", "DELETE FROM indicator_value"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
        removed = conn.execute(
            "SELECT suivi_sts_delete_rows('action_objective', %s::jsonb)",
            (f'[{{"action_id": {ids_31[0]}}}]',),
        ).fetchone()
        assert removed == (0,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute(
                "INSERT INTO action (department_code, code, title, status, progress, created_at, "
                "updated_at, version) VALUES ('31', 'X-1', 'intrus', 'a_lancer', 0, now(), now(), 1)"
            )
        # a delegation may not even write department_code once a row exists (column privileges)
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied for table action"):
            conn.execute("UPDATE action SET department_code = '31' WHERE department_code = '09'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO suivi_sts_access VALUES (current_user, '31', false)")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("ALTER TABLE action DISABLE ROW LEVEL SECURITY")
        # its own department stays writable
        assert conn.execute("UPDATE action SET progress = 10 WHERE department_code = '09'").rowcount > 0
    with regional_store.engine.connect() as conn:
        after = conn.execute(text("SELECT id, title, version FROM action ORDER BY id")).all()
    assert [r for r in after if r[0] in ids_31] == [r for r in before if r[0] in ids_31]


def test_a_read_only_role_cannot_write_anything(
    regional_store: Store, make_role: Callable[[str], str], pg_url: str
) -> None:
    role = make_role("lecture")
    access.grant(regional_store.engine, role, "09", read_only=True)
    with _raw(role_url(pg_url, role)) as conn:
        assert _count(conn, "SELECT count(*) FROM action") > 0
        for statement in (
            "UPDATE action SET progress = 1",
            "DELETE FROM action_objective",
            "INSERT INTO department VALUES ('09', 'x')",
            "UPDATE saved_filter SET name = 'x'",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)


def test_the_app_on_the_server_sees_only_the_bound_department(delegation: str) -> None:
    store = open_store(delegation)
    assert [d.code for d in list_departments(store.engine)] == ["09"]
    with store.engine.connect() as conn:
        assert load_actions(conn, "31") == {}
        assert load_actions(conn, "09")
    with pytest.raises(AccessDenied, match="Accès refusé"), store.writer.begin() as conn:
        conn.execute(text("INSERT INTO department (code, name) VALUES ('31', 'Haute-Garonne bis')"))
    store.dispose()


def test_granting_again_switches_to_read_only_and_revoking_removes_access(
    regional_store: Store, make_role: Callable[[str], str], pg_url: str
) -> None:
    role = make_role("bascule")
    first = access.grant(regional_store.engine, role, "09")
    again = access.grant(regional_store.engine, role, "09", read_only=True)
    assert first.created and not again.created
    assert access.bindings(regional_store.engine, role) == [(role, "09", True)]
    with _raw(role_url(pg_url, role)) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("UPDATE action SET progress = 1")
    access.revoke(regional_store.engine, role)
    refused = (psycopg.errors.InsufficientPrivilege, psycopg.errors.UndefinedTable)  # no schema usage
    with _raw(role_url(pg_url, role)) as conn, pytest.raises(refused):
        conn.execute("SELECT count(*) FROM action")


def test_a_non_superuser_owner_installs_the_schema_loads_and_grants(pg_url: str) -> None:
    """The regional set-up of docs/deployment.md: an owner role with CREATEROLE, no superuser."""
    import uuid

    from importers.setup_store import initialise
    from tests.conftest import MINI_REFERENCE, PG_URL

    assert PG_URL is not None
    owner, schema = f"t_owner_{uuid.uuid4().hex[:8]}", f"t_{uuid.uuid4().hex[:10]}"
    with _raw(PG_URL) as conn:
        conn.execute(f'CREATE ROLE "{owner}" LOGIN CREATEROLE')
        conn.execute(f'CREATE SCHEMA "{schema}" AUTHORIZATION "{owner}"')
    sep = "&" if "?" in PG_URL else "?"
    owner_url = role_url(f"{PG_URL}{sep}options=-csearch_path%3D{schema}", owner)
    try:
        installed = initialise(owner_url, reference=MINI_REFERENCE)
        role = f"t_dt09_{uuid.uuid4().hex[:8]}"
        access.grant(installed.store.engine, role, "09")
        delegation = open_store(role_url(owner_url, role))
        with delegation.engine.connect() as conn:
            assert set(load_actions(conn, "09")) == {"ACT-001", "ACT-002"}
        delegation.dispose()
        access.drop_role(installed.store.engine, role)
        installed.store.dispose()
    finally:
        with _raw(PG_URL) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
            conn.execute(f'DROP OWNED BY "{owner}"')
            conn.execute(f'DROP ROLE "{owner}"')


def test_a_department_09_role_cannot_point_its_records_at_rows_of_31(
    delegation: str, regional_store: Store
) -> None:
    with regional_store.engine.connect() as conn:
        org_31 = conn.execute(
            text("SELECT id FROM organisation WHERE department_code = '31' LIMIT 1")
        ).scalar()
        territory_31 = conn.execute(
            text("SELECT id FROM territory WHERE department_code = '31' LIMIT 1")
        ).scalar()
        action_09 = conn.execute(text("SELECT id FROM action WHERE department_code = '09' LIMIT 1")).scalar()
        org_09 = conn.execute(
            text("SELECT id FROM organisation WHERE department_code = '09' LIMIT 1")
        ).scalar()
    with _raw(delegation) as conn:
        # the composite key (department_code, lead_id) → organisation (department_code, id), 0007
        with pytest.raises(psycopg.errors.ForeignKeyViolation, match="same_department"):
            conn.execute("UPDATE action SET lead_id = %s WHERE id = %s", (org_31, action_09))
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="entre départements"):
            conn.execute("INSERT INTO action_partner VALUES (%s, %s, 9)", (action_09, org_31))
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="entre départements"):
            conn.execute("INSERT INTO action_territory VALUES (%s, %s)", (action_09, territory_31))
        # its own department's references still work
        assert conn.execute("UPDATE action SET lead_id = %s WHERE id = %s", (org_09, action_09)).rowcount == 1


def test_migration_0020_takes_delete_from_the_roles_already_granted(
    regional_store: Store, make_role: Callable[[str], str]
) -> None:
    from alembic import command
    from alembic.config import Config

    from store.engine import writer
    from store.link_rows import DELETABLE, DELETE_SIGNATURE

    def migrate(verb: str, revision: str) -> None:
        with writer(regional_store.engine).begin() as conn:
            config = Config()
            config.set_main_option("script_location", str(Path(access.__file__).parent / "migrations"))
            config.attributes["connection"] = conn
            getattr(command, verb)(config, revision)

    def held(role: str) -> tuple[set[str], bool]:
        with regional_store.engine.connect() as conn:
            deletable = {
                t
                for t in DELETABLE
                if conn.execute(
                    text("SELECT has_table_privilege(:r, :t, 'DELETE')"), {"r": role, "t": t}
                ).scalar()
            }
            executes = conn.execute(
                text(
                    "SELECT CASE WHEN to_regprocedure(:f) IS NULL THEN false "
                    "ELSE has_function_privilege(:r, to_regprocedure(:f), 'EXECUTE') END"
                ),
                {"r": role, "f": DELETE_SIGNATURE},
            ).scalar_one()
        return deletable, bool(executes)

    writes, reads = make_role("dt09"), make_role("lecture")
    access.grant(regional_store.engine, writes, "09")
    access.grant(regional_store.engine, reads, "09", read_only=True)
    migrate("downgrade", "0019")
    try:
        with regional_store.engine.connect() as conn:  # what `admin grant` gave before 0020
            for table in DELETABLE:
                conn.execute(text(f'GRANT DELETE ON "{table}" TO "{writes}"'))
            conn.commit()
    finally:
        migrate("upgrade", "head")
    assert held(writes) == (set(), True)
    assert held(reads) == (set(), False)
    migrate("downgrade", "0019")
    try:
        assert held(writes)[0] == set(DELETABLE) and held(reads)[0] == set()
    finally:
        migrate("upgrade", "head")


def test_a_delegation_imports_new_actions_in_bulk_on_the_server_within_its_department(
    delegation: str, tmp_path: Path
) -> None:
    """The import's bulk writes (store/bulk.py) go through the same row-level security."""
    import openpyxl

    from importers.excel import apply_import, preview_import

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Actions"
    sheet.append(["Code", "Intitulé", "Territoires (codes)", "Statut", "Commentaire"])
    for n in range(30):
        sheet.append(["", f"Action importée {n}", "09", "En cours", f"Note {n}"])
    book.save(tmp_path / "nouvelles.xlsx")
    store = open_store(delegation)
    preview = preview_import(store, "09", tmp_path / "nouvelles.xlsx")
    assert not preview.rejected, [str(p) for p in preview.rejected]
    result = apply_import(store, "09", preview, {}, "dt09", backup=False)
    assert result.created == {"action": 30} and result.comments == 30
    with store.engine.connect() as conn:
        created = {c: a for c, a in load_actions(conn, "09").items() if a.title.startswith("Action importée")}
        lines = conn.execute(
            text("SELECT kind, count(*) FROM action_event WHERE source = 'nouvelles.xlsx' GROUP BY kind")
        ).all()
    store.dispose()
    assert len(created) == 30 and all(a.territories == ("09",) and a.uid for a in created.values())
    assert dict(lines) == {"creation": 30, "commentaire": 30}
