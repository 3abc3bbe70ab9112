"""Attacks on the regional server (issue 12), replayed as department 09 and as a read-only role
with hand-written SQL, on a real PostgreSQL where `public` still lets everybody create objects
(as up to PostgreSQL 14). Each must fail for the attacker: 31's rows stay unread and unchanged,
nothing is taken over, no password shows anywhere.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import errors as pg

from store import access
from store.actions import load_actions
from store.database import open_store
from store.engine import writer
from store.errors import ReadOnlyStore, StoreBusy
from store.health import AccessDenied
from store.link_rows import BY_CODE, DELETABLE, DELETE_FUNCTION, DELETE_SIGNATURE
from store.server import ServerUnreachable, UnsafeServer
from tests.regional_support import Region, regional_server, superuser, superuser_on

pytestmark = pytest.mark.postgres

ATTACKERS = ("dt09", "ro09")


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Region]:
    from tests.conftest import PG_URL, REQUIRE_PG

    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("SUIVI_STS_TEST_PG_URL manquant alors que PostgreSQL est exigé (CI).")
        pytest.skip("pas de serveur PostgreSQL (SUIVI_STS_TEST_PG_URL)")
    with regional_server(tmp_path_factory.mktemp("region")) as made:
        yield made


def _attacker(region: Region, who: str) -> str:
    return str(getattr(region, who))


def _one(conn: psycopg.Connection, query: str, *params: object) -> object:
    row = conn.execute(query, params).fetchone()
    assert row is not None
    return row[0]


def _ids(region: Region) -> dict[str, int]:
    """Ids of 31's rows (and a few of 09's) that the attacks aim at."""
    with superuser_on(region.database) as conn:
        conn.execute("SET search_path = suivi_sts")
        found = {}
        for name, query in {
            "org31": "SELECT min(id) FROM organisation WHERE department_code = '31'",
            "eng31": "SELECT min(id) FROM engagement WHERE department_code = '31'",
            "obj31": "SELECT min(id) FROM objective WHERE department_code = '31'",
            "act31": "SELECT id FROM action WHERE department_code = '31' AND code = 'ACT-001'",
            "ind31": "SELECT min(id) FROM indicator WHERE department_code = '31'",
            "ter31": "SELECT min(id) FROM territory WHERE department_code = '31'",
            "res31": "SELECT min(id) FROM resource WHERE department_code = '31'",
            "act09": "SELECT id FROM action WHERE department_code = '09' AND code = 'ACT-001'",
            "chal09": "SELECT min(id) FROM challenge WHERE department_code = '09'",
            "ind09": "SELECT min(id) FROM indicator WHERE department_code = '09'",
            "res09": "SELECT min(id) FROM resource WHERE department_code = '09'",
        }.items():
            found[name] = int(_one(conn, query))  # type: ignore[call-overload]
    return found


def _rows_of_31(region: Region) -> dict[str, list[tuple[object, ...]]]:
    """Every row of department 31, as the superuser sees it."""
    with superuser_on(region.database) as conn:
        conn.execute("SET search_path = suivi_sts")
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT c.relname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid "
                "WHERE c.relnamespace = 'suivi_sts'::regnamespace AND c.relkind = 'r' "
                "AND a.attname = 'department_code' ORDER BY 1"
            )
        ]
        return {
            t: sorted(map(tuple, conn.execute(f"SELECT * FROM {t} WHERE department_code = '31'")), key=repr)
            for t in tables
        }


def _access_rows(region: Region) -> list[tuple[object, ...]]:
    with superuser_on(region.database) as conn:
        return conn.execute("SELECT * FROM suivi_sts.suivi_sts_access ORDER BY 1, 2").fetchall()


# --- 1. takeover through an operator planted in `public` ----------------------------------------

OPERANDS = (("varchar", "varchar"), ("varchar", "text"), ("text", "varchar"), ("text", "text"))


@pytest.mark.parametrize("who", ATTACKERS)
def test_an_operator_planted_in_public_never_runs_with_the_administrators_rights(
    region: Region, who: str
) -> None:
    attacker = _attacker(region, who)
    before = _access_rows(region)
    with region.connect(attacker) as conn:
        conn.execute(f"CREATE TABLE public.pwned_{who} (who text, at timestamptz DEFAULT now())")
        conn.execute(f"GRANT INSERT ON public.pwned_{who} TO PUBLIC")
        for left, right in (
            ("varchar", "varchar"),
            ("varchar", "text"),
            ("text", "varchar"),
            ("text", "text"),
        ):
            name = f"public.eq_{who}_{left}_{right}"
            conn.execute(
                f"CREATE FUNCTION {name}({left}, {right}) RETURNS boolean LANGUAGE sql AS $$ "
                f"INSERT INTO public.pwned_{who} (who) VALUES (current_user); "
                f"INSERT INTO suivi_sts.suivi_sts_access VALUES ('{attacker}', '*', false) "
                "ON CONFLICT DO NOTHING; "
                "SELECT $1::text OPERATOR(pg_catalog.=) $2::text $$"
            )
            conn.execute(
                f"CREATE OPERATOR public.= (LEFTARG = {left}, RIGHTARG = {right}, FUNCTION = {name})"
            )
        # nor can the app's own schema take anything
        with pytest.raises(pg.InsufficientPrivilege):
            conn.execute("CREATE FUNCTION suivi_sts.now() RETURNS timestamptz LANGUAGE sql AS 'SELECT now()'")
    # the administrator's routine work: reload a scheme, grant again, check
    from tests.conftest import MINI_REFERENCE

    assert region.run("--db", region.admin_url(), "init", "--reference", str(MINI_REFERENCE))[0] == 0
    assert region.run("--db", region.admin_url(), "check")[0] == 0
    code, said = region.run(
        "--db", region.admin_url(), "admin", "grant", region.ro09, "--department", "09", "--read-only"
    )
    assert code == 0, said
    with superuser_on(region.database) as conn:
        assert conn.execute(f"SELECT * FROM public.pwned_{who}").fetchall() == []
    assert _access_rows(region) == before
    with region.connect(attacker) as conn:
        assert conn.execute("SELECT DISTINCT department_code FROM suivi_sts.action").fetchall() == [("09",)]
        for left, right in OPERANDS:  # the next attacker plants its own
            conn.execute(f"DROP OPERATOR public.= ({left}, {right})")


@pytest.mark.parametrize("who", ATTACKERS)
def test_an_operator_planted_for_the_drivers_first_queries_never_runs_in_others_sessions(
    region: Region, who: str
) -> None:
    """The driver looks types up (`WHERE t.oid = to_regtype('hstore')`) as soon as it connects,
    before any setting of the app: an `=(oid, regtype)` in `public` fits that better than
    PostgreSQL's own. Its effects are rolled back, but a sequence is not: 31's rows would leak
    through it, read in 31's own session."""
    attacker = _attacker(region, who)
    with region.connect(attacker) as conn:
        conn.execute(f"CREATE SEQUENCE public.leak_{who}")
        conn.execute(f"GRANT ALL ON SEQUENCE public.leak_{who} TO PUBLIC")
        conn.execute(
            f"CREATE FUNCTION public.eq_{who}_hook(oid, regtype) RETURNS boolean LANGUAGE sql AS $$ "
            f"SELECT pg_catalog.setval('public.leak_{who}', 1000 + (SELECT pg_catalog.count(*) "
            "FROM suivi_sts.action)); SELECT $1 OPERATOR(pg_catalog.=) $2::oid $$"
        )
        conn.execute(
            f"CREATE OPERATOR public.= (LEFTARG = oid, RIGHTARG = regtype, FUNCTION = public.eq_{who}_hook)"
        )
    try:
        assert region.run("--db", region.role_url(region.dt31), "check")[0] == 0
        assert region.run("--db", region.admin_url(), "check")[0] == 0
        # an old installation's address naming `public`: refused, and nothing ran before that
        code, said = region.run(
            "--db", region.role_url(region.dt31) + "?options=-csearch_path%3Dpublic", "check"
        )
        assert code == 2 and "CVE-2018-1058" in said, said
        with region.connect(attacker) as conn:
            assert _one(conn, f"SELECT last_value FROM public.leak_{who}") == 1
    finally:
        with region.connect(attacker) as conn:
            conn.execute("DROP OPERATOR public.= (oid, regtype)")


def test_the_app_refuses_a_schema_others_may_write_to(region: Region) -> None:
    with superuser_on(region.database) as conn:
        conn.execute("GRANT CREATE ON SCHEMA suivi_sts TO PUBLIC")
    try:
        with pytest.raises(UnsafeServer, match="CVE-2018-1058"):
            open_store(region.role_url(region.dt31))
        code, said = region.run("--db", region.role_url(region.dt31), "check")
        assert code == 2 and "refuse" in said
    finally:
        with superuser_on(region.database) as conn:
            conn.execute("REVOKE CREATE ON SCHEMA suivi_sts FROM PUBLIC")


def test_every_app_session_searches_pg_catalog_first_and_never_public(region: Region) -> None:
    store = open_store(region.role_url(region.dt31))
    with store.engine.connect() as conn:
        path = conn.exec_driver_sql("SELECT current_schemas(true)").scalar_one()
    store.dispose()
    assert path[0] == "pg_catalog" and "public" not in path and path[1] == "suivi_sts"


# --- 2. the same-department checks cannot be shadowed -------------------------------------------

SHADOWS = (
    "CREATE TEMP TABLE organisation (id bigint, department_code text)",
    "CREATE TEMP TABLE engagement (id bigint, department_code text)",
    "CREATE TEMP TABLE objective (id bigint, department_code text)",
    "CREATE TEMP TABLE action (id bigint, department_code text)",
    "CREATE TEMP TABLE indicator (id bigint, department_code text)",
    "CREATE TEMP TABLE territory (id bigint, department_code text)",
    "CREATE TEMP TABLE resource (id bigint, department_code text)",
)


@pytest.mark.parametrize("who", ATTACKERS)
def test_temporary_tables_do_not_fool_the_same_department_checks(region: Region, who: str) -> None:
    ids, before = _ids(region), _rows_of_31(region)
    refused = (pg.InsufficientPrivilege, pg.ForeignKeyViolation)
    with region.connect(_attacker(region, who)) as conn:
        conn.execute("SET search_path = pg_temp, suivi_sts")
        for statement in SHADOWS:
            conn.execute(statement)
        for key in ("org31", "eng31", "obj31", "act31", "ind31", "ter31", "res31"):
            table = {"org": "organisation", "eng": "engagement", "obj": "objective", "act": "action"}.get(
                key[:3], {"ind": "indicator", "ter": "territory", "res": "resource"}.get(key[:3])
            )
            conn.execute(f"INSERT INTO pg_temp.{table} VALUES ({ids[key]}, '09')")
        attacks = (
            f"UPDATE suivi_sts.action SET lead_id = {ids['org31']} WHERE id = {ids['act09']}",
            f"UPDATE suivi_sts.challenge SET engagement_id = {ids['eng31']} WHERE id = {ids['chal09']}",
            f"UPDATE suivi_sts.indicator SET objective_id = {ids['obj31']}, action_id = NULL "
            f"WHERE id = {ids['ind09']}",
            f"UPDATE suivi_sts.resource SET carrier_id = {ids['org31']} WHERE id = {ids['res09']}",
            "INSERT INTO suivi_sts.action_event (department_code, action_id, at, author, kind, source, "
            f"comment) VALUES ('09', {ids['act31']}, now(), 'chef 31', 'commentaire', 'écran', 'faux')",
            "INSERT INTO suivi_sts.resource_event (department_code, resource_id, at, author, kind, source) "
            f"VALUES ('09', {ids['res31']}, now(), 'chef 31', 'commentaire', 'écran')",
            f"INSERT INTO suivi_sts.action_partner VALUES ({ids['act09']}, {ids['org31']}, 1)",
            f"INSERT INTO suivi_sts.action_territory VALUES ({ids['act09']}, {ids['ter31']})",
            f"INSERT INTO suivi_sts.action_objective VALUES ({ids['act09']}, {ids['obj31']}, 1)",
            f"INSERT INTO suivi_sts.resource_territory VALUES ({ids['res09']}, {ids['ter31']})",
        )
        for attack in attacks:
            with pytest.raises(refused):
                conn.execute(attack)
        # 31's indicator values are neither probed nor waited on through their unique key
        with superuser_on(region.database) as admin:
            period = _one(
                admin,
                f"SELECT period FROM suivi_sts.indicator_value WHERE indicator_id = {ids['ind31']} LIMIT 1",
            )
            category = admin.execute(
                f"SELECT category FROM suivi_sts.indicator_value WHERE indicator_id = {ids['ind31']} LIMIT 1"
            ).fetchone()
        with pytest.raises(pg.InsufficientPrivilege):  # never UniqueViolation: nothing learnt
            conn.execute(
                "INSERT INTO suivi_sts.indicator_value (department_code, indicator_id, period, category, "
                "value) VALUES ('09', %s, %s, %s, 1)",
                (ids["ind31"], period, category[0] if category else None),
            )
    assert _rows_of_31(region) == before


@pytest.mark.parametrize("who", ATTACKERS)
def test_nothing_of_31_is_read_or_changed_by_hand_written_sql(region: Region, who: str) -> None:
    before = _rows_of_31(region)
    with region.connect(_attacker(region, who)) as conn:
        conn.execute("SET search_path = suivi_sts")
        for table in before:
            seen = conn.execute(f"SELECT DISTINCT department_code FROM {table}").fetchall()
            assert seen in ([], [("09",)]), table
        refused = [
            "UPDATE suivi_sts_access SET department_code = '*'",
            "INSERT INTO suivi_sts_access VALUES (current_user, '31', false)",
            # an id chosen by hand could take the next one of 31's inserts
            "INSERT INTO action (id, department_code, code, title, status, progress, created_at, updated_at,"
            " version) VALUES (999999, '09', 'X-1', 'id choisi', 'a_lancer', 0, now(), now(), 1)",
            "UPDATE action SET department_code = '31'",
            "TRUNCATE action_objective",
            "DELETE FROM action",
            "ALTER TABLE action DISABLE ROW LEVEL SECURITY",
            "SELECT setval('action_id_seq', 2147483647)",
            "SELECT last_value FROM action_id_seq",  # another department's activity
            "INSERT INTO theme (name) VALUES ('thème pirate')",
        ]
        refused += [f"DELETE FROM {table}" for table in sorted(DELETABLE)]  # through the function only
        harmless = ["UPDATE action SET title = 'piraté' WHERE department_code = '31'"]
        if who == "ro09":
            refused += harmless
            harmless = []
        for statement in refused:
            with pytest.raises(pg.InsufficientPrivilege):
                conn.execute(statement)
        # a department's own code is its rows' department: not even row-level security's to guard
        assert _one(conn, "SELECT has_column_privilege('department', 'code', 'UPDATE')") is False
        for statement in harmless:
            assert conn.execute(statement).rowcount == 0, statement
    assert _rows_of_31(region) == before


# --- 3. no secret anywhere ----------------------------------------------------------------------


def test_admin_grant_sends_a_scram_verifier_never_the_password(region: Region) -> None:
    from tests.regional_support import SCRAM_GROUP

    role, password = f"{region.dt09}_bis", "motdepasse-très-secret-é"
    with superuser() as conn:
        conn.execute(f"ALTER ROLE {region.admin} IN DATABASE {region.database} SET log_statement = 'all'")
        log_size = len(_server_log(conn))
    try:
        code, said = region.run(
            "--db",
            region.admin_url(),
            "admin",
            "grant",
            role,
            "--department",
            "09",
            env={"SUIVI_STS_ROLE_PASSWORD": password},
        )
        assert code == 0, said
        with superuser() as conn:
            conn.execute(f"GRANT {SCRAM_GROUP} TO {role}")
            stored = _one(conn, "SELECT rolpassword FROM pg_authid WHERE rolname = %s", role)
            logged = _server_log(conn)[log_size:]
        assert str(stored).startswith("SCRAM-SHA-256$4096:")
        assert password not in logged and "ALTER ROLE" in logged  # the log did record the grant
        psycopg.connect(region.url(role, password), autocommit=True).close()
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(region.url(role, "pas le bon"), autocommit=True)
    finally:
        store = open_store(region.admin_url())
        access.drop_role(store.engine, role)
        store.dispose()
        with superuser() as conn:
            conn.execute(f"ALTER ROLE {region.admin} IN DATABASE {region.database} RESET log_statement")


def _server_log(conn: psycopg.Connection) -> str:
    return str(_one(conn, "SELECT pg_read_file('server.log')"))


def test_no_password_in_outputs_stores_or_backups(region: Region, tmp_path: Path) -> None:
    laptop = tmp_path / "portable-09.sqlite"
    dt09 = region.role_url(region.dt09)
    for argv in (
        ("--db", str(laptop), "fetch", "--from", dt09),
        ("--db", str(laptop), "publish", "--to", dt09),
        ("--db", str(laptop), "backup"),
        ("--db", region.admin_url(), "check"),
    ):
        code, said = region.run(*argv)
        assert code == 0, said
    secrets = (region.password, region.admin_password)
    for said in region.outputs:
        assert not any(s in said for s in secrets), said
    for file in [laptop, *laptop.parent.glob("sauvegardes/*")]:
        content = file.read_bytes()
        assert not any(s.encode() in content for s in secrets), file
    import sqlite3

    with sqlite3.connect(laptop) as conn:
        servers = {r[0] for r in conn.execute("SELECT DISTINCT server FROM sync_state")}
    assert servers and all("@" not in s for s in servers), servers


# --- 4. no department stops another for long ----------------------------------------------------

#: Every mode that would stop another session's SELECT or its writes, strongest first.
BLOCKING_MODES = ("ACCESS EXCLUSIVE", "EXCLUSIVE", "SHARE ROW EXCLUSIVE", "SHARE", "SHARE UPDATE EXCLUSIVE")


def _tables(region: Region) -> list[str]:
    with superuser_on(region.database) as conn:
        return [
            r[0]
            for r in conn.execute(
                "SELECT relname FROM pg_class WHERE relnamespace = 'suivi_sts'::regnamespace "
                "AND relkind = 'r' ORDER BY 1"
            )
        ]


@pytest.mark.parametrize("who", ATTACKERS)
def test_31_keeps_reading_while_the_attacker_holds_every_lock_it_can(region: Region, who: str) -> None:
    tables, ids = _tables(region), _ids(region)
    assert set(DELETABLE) <= set(tables) and "action" in tables
    with region.connect(_attacker(region, who)) as conn:
        conn.execute("SET search_path = suivi_sts")
        conn.execute("SET lock_timeout = 0")  # a hostile session lifts its own limits
        conn.execute("SET statement_timeout = 0")
        conn.execute("BEGIN")
        for table in tables:
            for mode in BLOCKING_MODES:
                conn.execute("SAVEPOINT s")
                with pytest.raises(pg.InsufficientPrivilege):
                    conn.execute(f"LOCK TABLE {table} IN {mode} MODE")
                conn.execute("ROLLBACK TO SAVEPOINT s")
            conn.execute("SAVEPOINT s")
            try:
                conn.execute(f"LOCK TABLE {table} IN ROW EXCLUSIVE MODE")
            except pg.InsufficientPrivilege:
                conn.execute("ROLLBACK TO SAVEPOINT s")
                conn.execute(f"LOCK TABLE {table} IN ACCESS SHARE MODE")
        if who == "dt09":
            conn.execute("SELECT * FROM action FOR UPDATE")
            conn.execute("SELECT * FROM saved_filter FOR UPDATE")
            for table, key in (("action_objective", "act09"), ("resource_audience", "res09")):
                column = "action_id" if key == "act09" else "resource_id"
                conn.execute(
                    f"SELECT {DELETE_FUNCTION}(%s, %s::jsonb)",
                    (table, f'[{{"{column}": {ids[key]}}}]'),
                )
        started = time.monotonic()
        with psycopg.connect(region.role_url(region.dt31), autocommit=True) as reader:
            reader.execute("SET lock_timeout = '2s'")
            for table in tables:
                reader.execute(f"SELECT count(*) FROM suivi_sts.{table}").fetchone()
            if who == "dt09":  # and 31 still deletes and writes its own links
                reader.execute("BEGIN")
                assert _one(
                    reader,
                    f"SELECT suivi_sts.{DELETE_FUNCTION}('action_objective', %s::jsonb)",
                    f'[{{"action_id": {ids["act31"]}}}]',
                )
                reader.execute("ROLLBACK")
        assert time.monotonic() - started < 2
        conn.execute("ROLLBACK")


def test_no_delegation_holds_a_privilege_that_locks_a_table(region: Region) -> None:
    """LOCK TABLE beyond ROW EXCLUSIVE needs a table-level UPDATE, DELETE or TRUNCATE."""
    with superuser_on(region.database) as conn:
        held = conn.execute(
            "SELECT r.rolname, c.relname, p.privilege FROM pg_class c, pg_roles r, "
            "unnest(ARRAY['UPDATE', 'DELETE', 'TRUNCATE']) AS p(privilege) "
            "WHERE c.relnamespace = 'suivi_sts'::regnamespace AND c.relkind = 'r' "
            "AND r.rolname = ANY (%s) AND has_table_privilege(r.oid, c.oid, p.privilege)",
            ([region.dt09, region.dt31, region.ro09],),
        ).fetchall()
    assert held == []


def test_a_lock_held_by_the_administrator_costs_31_a_french_message_within_the_timeout(
    region: Region, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What remains (docs/deployment.md): the owner's own locks (a migration) make the
    departments wait, at most the app's lock timeout."""
    monkeypatch.setenv("SUIVI_STS_PG_TIMEOUT", "2")
    with psycopg.connect(region.admin_url(), autocommit=True) as conn:
        conn.execute("BEGIN")
        conn.execute("LOCK TABLE suivi_sts.action_objective IN ACCESS EXCLUSIVE MODE")
        store = open_store(region.role_url(region.dt31))
        started = time.monotonic()
        with pytest.raises(StoreBusy, match="occupé"), store.engine.connect() as reader:
            load_actions(reader, "31")
        assert time.monotonic() - started < 5
        store.dispose()
        conn.execute("ROLLBACK")


# --- the deletes a delegation needs, done by the server's function ------------------------------


def _deletable_rows(region: Region) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the tables the app deletes from, every department."""
    with superuser_on(region.database) as conn:
        return {
            t: sorted(map(tuple, conn.execute(f"SELECT * FROM suivi_sts.{t}")), key=repr)
            for t in (*DELETABLE, *BY_CODE)
        }


def _keys_of_31(region: Region) -> dict[str, list[dict[str, object]]]:
    """For each deletable table, keys aiming at 31's rows (and a 31 saved filter, made here)."""
    ids = _ids(region)
    with superuser_on(region.database) as conn:
        conn.execute(
            "INSERT INTO suivi_sts.saved_filter (department_code, name, criteria) "
            "VALUES ('31', 'filtre du 31', '{}') ON CONFLICT DO NOTHING"
        )
        challenge = _one(conn, "SELECT min(id) FROM suivi_sts.challenge WHERE department_code = '31'")
        value = conn.execute(
            "SELECT indicator_id, period, category FROM suivi_sts.indicator_value "
            "WHERE department_code = '31' LIMIT 1"
        ).fetchone()
    assert value is not None
    by_owner = {
        "action": ids["act31"],
        "resource": ids["res31"],
        "challenge": challenge,
        "objective": ids["obj31"],
    }
    keys: dict[str, list[dict[str, object]]] = {}
    for table, columns in DELETABLE.items():
        if columns == ("department_code",):
            keys[table] = [{"department_code": "31"}]
        elif table == "saved_filter":
            keys[table] = [{"department_code": "31", "name": "filtre du 31"}]
        elif table == "indicator_value":
            keys[table] = [dict(zip(columns, value, strict=True))]
        else:
            keys[table] = [{columns[0]: by_owner[columns[0].removesuffix("_id")]}]
    with superuser_on(region.database) as conn:
        for table in BY_CODE:  # a code 09 has too (the same scheme): only 31's row is aimed at
            code = _one(conn, f"SELECT min(code) FROM suivi_sts.{table} WHERE department_code = '31'")
            keys[table] = [{"department_code": "31", "code": code}]
    return keys


#: What a caller may send instead of the app's arguments.
FORGED = (
    ("action", '[{"id": 1}]'),
    ("suivi_sts_access", '[{"role_name": "x"}]'),
    ("suivi_sts.action_objective", '[{"action_id": 1}]'),
    ('"action_objective"', '[{"action_id": 1}]'),
    ("ACTION_OBJECTIVE", '[{"action_id": 1}]'),
    ("action_objective; DELETE FROM suivi_sts.action_objective", '[{"action_id": 1}]'),
    ("action_objective", '{"action_id": 1}'),
    ("action_objective", '[{"action_id": 1, "objective_id": 1}]'),
    ("action_objective", '[{"action_id) OR (true": 1}]'),
    ("action_objective", '[{"objective_id": 1}]'),
    ("action_objective", "[{}]"),
    ("action_objective", '["action_id"]'),
    ("action_objective", '[{"action_id": "1 OR true"}]'),
    ("saved_filter", '[{"department_code": "31"}]'),
)
#: Well-formed, aiming at no row the caller may delete.
AIMLESS = (
    ("care_offer_target", '[{"department_code": "*"}]'),
    ("cts_challenge", '[{"department_code": "31"}, {"department_code": "31"}]'),
    ("action_objective", '[{"action_id": null}]'),
)


@pytest.mark.parametrize("who", ATTACKERS)
def test_the_delete_function_deletes_nothing_of_31(region: Region, who: str) -> None:
    keys, before, rows_31 = _keys_of_31(region), _deletable_rows(region), _rows_of_31(region)
    function = f"suivi_sts.{DELETE_FUNCTION}"
    with region.connect(_attacker(region, who)) as conn:
        # a hostile path: its own tables, an access list and an always-true `=` placed first
        conn.execute(
            f"CREATE TEMP TABLE suivi_sts_access AS SELECT '{_attacker(region, who)}'::text AS "
            "role_name, '*'::varchar(3) AS department_code, false AS read_only"
        )
        for table in sorted({"action", "resource", *DELETABLE, *BY_CODE}):
            conn.execute(f"CREATE TEMP TABLE {table} (id bigint, department_code text)")
        conn.execute(
            f"CREATE FUNCTION public.always_{who}(bigint, bigint) RETURNS boolean "
            "LANGUAGE sql AS 'SELECT true'"
        )
        conn.execute(
            f"CREATE OPERATOR public.= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = public.always_{who})"
        )
        conn.execute("SET search_path = pg_temp, public, suivi_sts")
        try:
            for table, table_keys in keys.items():
                arguments = (table, json.dumps(table_keys))
                if who == "ro09":  # no EXECUTE at all
                    with pytest.raises(pg.InsufficientPrivilege):
                        conn.execute(f"SELECT {function}(%s, %s::jsonb)", arguments)
                else:
                    assert _one(conn, f"SELECT {function}(%s, %s::jsonb)", *arguments) == 0, table
                    assert _one(conn, f"SELECT {DELETE_FUNCTION}(%s, %s::jsonb)", *arguments) == 0, table
            for table, aimless in AIMLESS if who == "dt09" else ():
                assert _one(conn, f"SELECT {function}(%s, %s::jsonb)", table, aimless) == 0
            for table, forged in FORGED:
                with pytest.raises((pg.InsufficientPrivilege, pg.InvalidParameterValue, pg.DataError)):
                    conn.execute(f"SELECT {function}(%s, %s::jsonb)", (table, forged))
        finally:
            conn.execute("DROP OPERATOR public.= (bigint, bigint)")
            conn.execute(f"DROP FUNCTION public.always_{who}(bigint, bigint)")
    assert _deletable_rows(region) == before and _rows_of_31(region) == rows_31


def test_the_delete_function_refuses_a_read_only_session_even_given_execute(region: Region) -> None:
    keys, before = _keys_of_31(region), _deletable_rows(region)
    ids = _ids(region)
    with superuser_on(region.database) as conn:
        conn.execute(f"GRANT EXECUTE ON FUNCTION suivi_sts.{DELETE_SIGNATURE} TO {region.ro09}")
    try:
        with region.connect(region.ro09) as conn:
            for table, table_keys in [*keys.items(), ("action_objective", [{"action_id": ids["act09"]}])]:
                with pytest.raises(pg.InsufficientPrivilege, match="n'écrit dans aucun département"):
                    conn.execute(
                        f"SELECT suivi_sts.{DELETE_FUNCTION}(%s, %s::jsonb)", (table, json.dumps(table_keys))
                    )
    finally:
        with superuser_on(region.database) as conn:
            conn.execute(f"REVOKE EXECUTE ON FUNCTION suivi_sts.{DELETE_SIGNATURE} FROM {region.ro09}")
    assert _deletable_rows(region) == before


def test_the_delete_function_is_the_owners_with_a_fixed_path_and_no_public_execute(region: Region) -> None:
    with superuser_on(region.database) as conn:
        row = conn.execute(
            "SELECT p.prosecdef, p.proconfig, pg_get_userbyid(p.proowner), "
            "has_function_privilege('public', p.oid, 'EXECUTE') FROM pg_proc p "
            "WHERE p.pronamespace = 'suivi_sts'::regnamespace AND p.proname = %s",
            (DELETE_FUNCTION,),
        ).fetchone()
        assert row is not None
        definer, config, owner, public = row
        granted = {
            r[0]
            for r in conn.execute(
                "SELECT r.rolname FROM pg_roles r WHERE has_function_privilege(r.oid, "
                "%s::regprocedure, 'EXECUTE') AND NOT r.rolsuper",
                (f"suivi_sts.{DELETE_SIGNATURE}",),
            )
        }
    assert definer and config == ["search_path=pg_catalog, pg_temp"] and owner == region.admin
    assert not public
    assert {region.dt09, region.dt31} <= granted and region.ro09 not in granted


def test_ids_are_64_bit_and_a_role_cannot_hold_every_connection(region: Region) -> None:
    with superuser_on(region.database) as conn:
        types = {
            r[0]
            for r in conn.execute(
                "SELECT data_type FROM information_schema.columns WHERE table_schema = 'suivi_sts' "
                "AND (column_name = 'id' OR column_name LIKE '%\\_id')"
            )
        }
        sequences = {
            r[0] for r in conn.execute("SELECT data_type FROM pg_sequences WHERE schemaname = 'suivi_sts'")
        }
    assert types == {"bigint"} and sequences == {"bigint"}
    held = []
    try:
        for _ in range(access.CONNECTION_LIMIT):
            held.append(region.connect(region.dt09))
        with pytest.raises(psycopg.OperationalError, match="too many connections"):
            held.append(region.connect(region.dt09))
        region.connect(region.dt31).close()
    finally:
        for conn in held:
            conn.close()


# --- 5. the journal is the server's -------------------------------------------------------------


def test_the_journal_is_signed_and_dated_by_the_server(region: Region) -> None:
    ids = _ids(region)
    with region.connect(region.dt09) as conn:
        conn.execute("SET search_path = suivi_sts")
        row = conn.execute(
            "INSERT INTO action_event (department_code, action_id, at, author, kind, source, comment) "
            f"VALUES ('09', {ids['act09']}, '2020-01-01', 'directrice 31', 'commentaire', 'écran', 'x') "
            "RETURNING author, at > now() - interval '1 minute', origin_author, origin_at::date::text"
        ).fetchone()
        assert row == (region.dt09, True, "directrice 31", "2020-01-01")
        for table in ("theme", "pathway"):
            with pytest.raises(pg.InsufficientPrivilege):
                conn.execute(f"INSERT INTO {table} (name) VALUES ('thème pirate')")
    with region.connect(region.ro09) as conn, pytest.raises(pg.InsufficientPrivilege):
        conn.execute("INSERT INTO suivi_sts.theme (name) VALUES ('thème pirate')")


def test_a_refusal_reaching_the_app_is_said_in_french(region: Region) -> None:
    ids = _ids(region)
    cases = {
        region.ro09: ("UPDATE action SET progress = 1", "pas de droit sur la table « action »"),
        region.dt09: (
            "INSERT INTO department (code, name) VALUES ('31', 'x')",
            "ligne hors des départements de votre compte (table « department »)",
        ),
        region.dt31: (
            f"INSERT INTO action_territory (action_id, territory_id) VALUES ({ids['act09']}, {ids['ter31']})",
            "lien entre départements refusé",
        ),
    }
    for role, (statement, expected) in cases.items():
        store = open_store(region.role_url(role))
        try:  # past the app's own guard (a read-only role's store is read-only), the server's word
            with pytest.raises(AccessDenied) as refused, writer(store.engine).begin() as conn:
                conn.exec_driver_sql(statement)
        finally:
            store.dispose()
        said = str(refused.value)
        assert said.startswith("Accès refusé par le serveur") and expected in said, said
        assert not re.search(r"permission|denied|violates|policy|relation", said), said


def test_a_read_only_role_is_told_at_once_and_its_store_is_read_only(region: Region) -> None:
    store = open_store(region.role_url(region.ro09))
    try:
        assert store.read_only
        assert store.notices == [
            f"Le compte « {region.ro09} » est en lecture seule sur le serveur : la modification est "
            "désactivée ; les exports restent possibles."
        ]
        with pytest.raises(ReadOnlyStore, match="lecture seule"):
            store.writer.begin()
    finally:
        store.dispose()
    for role in (region.dt09, region.admin):
        store = open_store(region.role_url(role) if role != region.admin else region.admin_url())
        assert not store.read_only and store.notices == []
        store.dispose()


# --- residual: what EXPLAIN ANALYZE counts through an index (docs/deployment.md) -------------------

#: Indexed columns of the department tables, other than ids, codes and identities, as the notes list them.
DOCUMENTED_INDEXED_VALUES = {
    ("action", "due_date"),
    ("action", "status"),
    ("resource", "finess"),
    ("resource_audience", "audience"),
    ("indicator_value", "period"),
    ("indicator_value", "category"),
}


def _indexed_values(region: Region) -> set[tuple[str, str]]:
    with superuser_on(region.database) as conn:
        rows = conn.execute(
            "SELECT c.relname, a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
            "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY (i.indkey) "
            "WHERE c.relnamespace = 'suivi_sts'::regnamespace AND c.relrowsecurity "
            "AND c.relname <> 'suivi_sts_access' "
            "AND a.attname NOT IN ('id', 'department_code', 'code', 'uid', 'name') "
            "AND a.attname NOT LIKE '%\\_id' AND a.attname NOT IN ('server', 'kind', 'field')"
        ).fetchall()
    return {(table, column) for table, column in rows}


@pytest.mark.parametrize("who", ATTACKERS)
def test_explain_counts_others_rows_only_through_the_indexes_the_notes_list(region: Region, who: str) -> None:
    assert _indexed_values(region) == DOCUMENTED_INDEXED_VALUES
    notes = (Path(__file__).parents[1] / "docs" / "deployment.md").read_text("utf-8")
    assert "EXPLAIN ANALYZE" in notes and all(f"{t}.{c}" in notes for t, c in DOCUMENTED_INDEXED_VALUES)

    def removed(conn: psycopg.Connection, condition: str) -> int:
        plan = conn.execute(f"EXPLAIN (ANALYZE, TIMING OFF) SELECT 1 FROM suivi_sts.action WHERE {condition}")
        lines = [str(r[0]) for r in plan]
        return sum(int(line.rsplit(":", 1)[1]) for line in lines[:4] if "Rows Removed by Filter" in line)

    with region.connect(_attacker(region, who)) as conn:
        conn.execute("SET enable_seqscan = off")
        conn.execute("SET enable_bitmapscan = off")
        # an indexed value: 31's matching rows are counted (the residual the notes describe)…
        assert removed(conn, "status = 'en_cours'") >= 1
        # …a value without an index is not: what is removed does not depend on 31's titles
        of_31 = "department_code = '31' AND title = "
        total = removed(conn, of_31 + "'Mammobile de la CPTS Ariège Pyrénées'")
        assert removed(conn, of_31 + "'aucun titre de ce nom'") == total


# --- 6. connection failures: French, bounded, exit code 2 -----------------------------------------


def _silent_server(answer: bytes = b"") -> tuple[int, threading.Event]:
    """A TCP server that accepts connections and never answers (or answers `answer`, as a
    server that is not PostgreSQL would, and keeps the connection)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
                if answer:
                    held[-1].recv(64)
                    held[-1].sendall(answer)
            except OSError:
                continue
        for conn in held:
            conn.close()
        listener.close()

    threading.Thread(target=serve, daemon=True).start()
    return listener.getsockname()[1], stop


def test_every_connection_failure_answers_in_french_within_the_timeout(
    region: Region, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUIVI_STS_PG_TIMEOUT", "2")
    port, stop = _silent_server()
    web, stop_web = _silent_server(b"HTTP/1.1 400 Bad Request\r\n\r\n")
    from tests.regional_support import superuser as su

    with su() as conn:
        tls_role = f"{region.dt09}_tls"
        conn.execute(f"CREATE ROLE {tls_role} LOGIN IN ROLE suivi_sts_tls_only")
    try:
        cases = {
            "refuse la connexion": "postgresql://x@127.0.0.1:1/x",
            "mot de passe incorrect": region.url(region.dt09, "pas le bon"),
            "demande le mot de passe": region.url(region.dt09),
            "n'existe pas": region.url(region.dt09, region.password, database="pas_de_base"),
            "exige une connexion chiffrée": region.url(tls_role),
            "TLS": region.url(region.dt09, region.password) + "?sslmode=verify-full",
            "ne répond pas": f"postgresql://x@127.0.0.1:{port}/x",
            "pas un serveur PostgreSQL": f"postgresql://x@127.0.0.1:{web}/x",
            "pas un serveur PostgreSQL ": f"postgresql://x@127.0.0.1:{web}/x?sslmode=disable",
        }
        for expected, url in cases.items():
            started = time.monotonic()
            with pytest.raises(ServerUnreachable, match=expected.strip()):
                open_store(url)
            assert time.monotonic() - started < 4, expected
            code, said = region.run("--db", url, "check")
            assert code == 2 and expected.strip() in said and "Traceback" not in said, said
            assert region.password not in said
    finally:
        stop.set()
        stop_web.set()
        with su() as conn:
            conn.execute(f"DROP ROLE {tls_role}")


# --- 7. admin setup (last: it closes `public`) -----------------------------------------------------


def test_admin_setup_closes_public_and_temporary_tables(region: Region) -> None:
    for who in (region.dt09, region.ro09):  # a delegation cannot, and is told so
        code, said = region.run("--db", region.role_url(who), "admin", "setup")
        assert code == 2 and "compte administrateur" in said and "Serveur prêt" not in said, said
    code, said = region.run("--db", region.admin_url(), "admin", "setup")
    assert code == 0, said
    assert "création interdite à PUBLIC" in said and "tables temporaires interdites" in said
    with region.connect(region.dt09) as conn:
        with pytest.raises(pg.InsufficientPrivilege):
            conn.execute("CREATE TABLE public.encore (x int)")
        with pytest.raises(pg.InsufficientPrivilege):
            conn.execute("CREATE TEMP TABLE organisation (id bigint)")


# --- and a delegation still does all its work through the app ---------------------------------


def test_a_delegation_still_does_its_work_through_the_app(region: Region) -> None:
    from dataclasses import replace

    from store import sync_reference
    from store.actions import add_comment, update_action
    from store.activity import delete_filter, end_workshop, save_filter, start_workshop
    from store.reference import apply_reference, read_reference
    from store.resources import load_resources, update_resource

    store = open_store(region.role_url(region.dt09))
    try:
        with store.writer.begin() as conn:
            before = load_actions(conn, "09")["ACT-002"]
            update_action(
                conn,
                "09",
                before,
                replace(before, title=before.title + " (revu)", progress=40),
                author="ana",
                source="écran",
            )
            after = load_actions(conn, "09")["ACT-002"]
            add_comment(conn, "09", after, "point d'étape", author="ana", source="écran")
            resource = load_resources(conn, "09")["RES-PFR"]
            update_resource(
                conn,
                "09",
                resource,
                replace(resource, notes="Revu en atelier."),
                author="ana",
                source="écran",
            )
            session = start_workshop(
                conn, "09", scope_kind="objectif", scope_code="E1-D4-O2", scope_label="O2", author="ana"
            )
            end_workshop(conn, session.id)
            save_filter(conn, "09", "mes actions", {"statut": ["en_cours"]})
            delete_filter(conn, "09", "mes actions")
        with store.writer.begin() as conn:  # the scheme reloaded: lists and links replaced
            doc = read_reference(conn, "09")
            doc["defis_cts"] = [*doc["defis_cts"], "Un défi de plus"]
            doc["organisations"] = [*doc["organisations"], {"code": "ASSO-X", "nom": "Asso X"}]
            apply_reference(conn, doc, author="ana", source="test")
        with store.writer.begin() as conn:  # a sync deletes a record deleted on a laptop
            records = sync_reference.read_records(conn, "09")
            refused = sync_reference.write_records(
                conn,
                "09",
                {k: v for k, v in records.items() if k != ("organisation", "ASSO-X")},
                [("organisation", "ASSO-X")],
                author="ana",
                source="test",
            )
            left = {k[1] for k in sync_reference.read_records(conn, "09") if k[0] == "organisation"}
        assert refused == [] and "ASSO-X" not in left and len(left) == 3
        with store.engine.connect() as conn:
            signed = conn.exec_driver_sql(
                "SELECT DISTINCT author FROM action_event WHERE origin_author = 'ana'"
            ).all()
            unsigned = conn.exec_driver_sql("SELECT count(*) FROM action_event WHERE author = 'ana'").scalar()
        assert signed == [(region.dt09,)] and unsigned == 0
    finally:
        store.dispose()


def test_the_password_comes_from_pgpass_a_service_or_a_hidden_prompt(
    region: Region, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from urllib.parse import urlsplit

    from store import server
    from tests.conftest import PG_URL

    assert PG_URL is not None
    host, port = urlsplit(PG_URL).hostname, urlsplit(PG_URL).port
    passfile = tmp_path / "pgpass"
    passfile.write_text(f"{host}:{port}:{region.database}:{region.dt09}:{region.password}\n")
    passfile.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    store = open_store(region.url(region.dt09))  # no password in the address
    with store.engine.connect() as conn:
        assert set(load_actions(conn, "09")) == {"ACT-001", "ACT-002"}
    store.dispose()

    services = tmp_path / "pg_service.conf"
    services.write_text(f"[region]\nhost={host}\nport={port}\ndbname={region.database}\nuser={region.dt09}\n")
    monkeypatch.setenv("PGSERVICEFILE", str(services))
    store = open_store("postgresql://?service=region")
    with store.engine.connect() as conn:
        assert load_actions(conn, "09")
    store.dispose()

    monkeypatch.delenv("PGPASSFILE")
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "absent"))
    asked: list[str] = []

    def prompt(where: str) -> str:
        asked.append(where)
        return region.password

    server.set_password_prompt(prompt)
    try:
        store = open_store(region.url(region.dt31))
        with store.engine.connect() as conn:
            assert set(load_actions(conn, "31")) == {"ACT-001", "ACT-002"}
        store.dispose()
    finally:
        server.set_password_prompt(None)
    assert asked == [region.url(region.dt31)]  # asked once, the address shown without password


def test_a_password_file_others_may_read_is_said_in_french_not_by_libpq(
    region: Region, tmp_path: Path
) -> None:
    import os
    import subprocess
    import sys

    passfile = tmp_path / "pgpass"
    passfile.write_text(f"*:*:{region.database}:{region.dt09}:{region.password}\n")
    passfile.chmod(0o644)
    done = subprocess.run(
        [sys.executable, "-m", "tui.cli", "--db", region.url(region.dt09), "check"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "PGPASSFILE": str(passfile)},
        cwd=Path(__file__).parents[1],
        timeout=60,
    )
    said = done.stdout + done.stderr
    assert done.returncode == 2, said
    assert "lisible par d'autres utilisateurs (droits 0644)" in said and "chmod 600" in said, said
    assert "demande le mot de passe" in said and "WARNING" not in said and "password file" not in said, said
    assert region.password not in said


def test_a_session_cut_by_the_administrator_is_said_in_french_and_the_next_one_reconnects(
    region: Region,
) -> None:
    store = open_store(region.role_url(region.dt31))
    try:
        with store.engine.connect() as conn:
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
            with superuser() as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
            with pytest.raises(ServerUnreachable, match="coupée"):
                conn.exec_driver_sql("SELECT 1").all()
        with store.engine.connect() as conn:  # the pool checks its connections first
            assert load_actions(conn, "31")
    finally:
        store.dispose()
