"""Login roles of the regional PostgreSQL server, bound to their department(s).

The binding is enforced by the database itself: the policies of migration 0004 let a role
read only the rows of the departments listed for it in `suivi_sts_access`, and write only
those not marked read-only; table privileges add a second barrier (a read-only role is
granted SELECT only). Run by the schema's owner (or a superuser).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text

from store import scram
from store.errors import StoreError, ValidationError
from store.link_rows import DELETE_SIGNATURE

ACCESS_TABLE = "suivi_sts_access"
ALL_DEPARTMENTS = "*"
#: Tables a department role may read but never change: the schema's own, and the vocabularies
#: every department shares (written by the administrator only).
READ_ONLY_TABLES = frozenset({"alembic_version", ACCESS_TABLE, "theme", "pathway"})
#: Journals: added to, never changed.
APPEND_ONLY_TABLES = frozenset({"action_event", "resource_event", "reference_event"})
#: No delegation gets a DELETE privilege, nor a table-level UPDATE: either would let it
#: `LOCK TABLE` and stop the other departments' reads (LOCK … SHARE / EXCLUSIVE needs a
#: table-level UPDATE, DELETE or TRUNCATE privilege). It deletes the rows the app replaces
#: (links, lists) through the server's function, which checks the department again
#: (`store/link_rows.py`, migration 0020), and updates column by column.
#: Columns a delegation never writes: ids come from the sequences (an id chosen by hand could
#: take the next one of another department's insert), rows never change department.
SERVER_SET_COLUMNS = frozenset({"id"})
FIXED_COLUMNS = frozenset({"id", "department_code"})
#: The same per table: the department table's own code is its rows' department.
FIXED_BY_TABLE = {"department": frozenset({"code"})}
#: Defaults of every delegation's sessions (a hostile session can lower them for itself only:
#: see docs/deployment.md).
ROLE_SETTINGS = {
    "lock_timeout": "10s",
    "statement_timeout": "60s",
    "idle_in_transaction_session_timeout": "60s",
}
#: Connections one delegation's role may hold at once (the server's are shared by all).
CONNECTION_LIMIT = 20
_ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_DEPARTMENT = re.compile(r"^(\d{2,3}|2[AB]|\*)$")


@dataclass(frozen=True)
class Grant:
    role: str
    department: str
    read_only: bool
    created: bool


def _check_role(role: str) -> None:
    if not _ROLE.match(role):
        raise ValidationError(
            f"Nom de rôle invalide : « {role} » (lettres minuscules, chiffres et _, 63 caractères au plus).",
            "role",
        )
    if role.startswith("pg_") or role in {"postgres", "public"}:
        raise ValidationError(f"Le rôle « {role} » est réservé à PostgreSQL.", "role")


def _require_postgresql(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        raise StoreError(
            "Les rôles et droits par département concernent le serveur PostgreSQL (--db postgresql://…)."
        )


def grant(
    engine: Engine, role: str, department: str, *, read_only: bool = False, password: str | None = None
) -> Grant:
    """Create or update the login `role`, bound to `department` (read-only or read-write)."""
    _require_postgresql(engine)
    _check_role(role)
    if not _DEPARTMENT.match(department):
        raise ValidationError(f"Code de département invalide : « {department} ».", "department")
    with engine.begin() as conn:
        created = _ensure_role(conn, role, password)
        conn.execute(
            text(
                f"INSERT INTO {ACCESS_TABLE} (role_name, department_code, read_only) "
                "VALUES (:role, :dept, :ro) ON CONFLICT (role_name, department_code) "
                "DO UPDATE SET read_only = EXCLUDED.read_only"
            ),
            {"role": role, "dept": department, "ro": read_only},
        )
        _apply_privileges(conn, role)
    return Grant(role, department, read_only, created)


def secure_database(engine: Engine) -> list[str]:
    """`admin setup`: close what PostgreSQL leaves open to everybody in the app's database.

    PostgreSQL's advice after CVE-2018-1058: nobody but its owner may create objects in a
    schema others use (up to PostgreSQL 14 everybody could in `public`). Returns what was done,
    and what the administrator must ask of the server's superuser, in French.
    """
    _require_postgresql(engine)
    done: list[str] = []
    with engine.begin() as conn:
        schema, database, owner, may = conn.execute(
            text(
                "SELECT n.nspname, pg_catalog.current_database(), pg_catalog.pg_get_userbyid(n.nspowner), "
                "pg_catalog.pg_has_role(n.nspowner, 'USAGE') FROM pg_catalog.pg_namespace n "
                "WHERE n.nspname = pg_catalog.current_schema()"
            )
        ).one()
        if not may:  # REVOKE by anyone else is a silent no-op: say so rather than claim it done
            raise StoreError(
                f"« admin setup » se fait avec le compte administrateur, propriétaire du schéma "
                f"« {schema} » (« {owner} ») : ce compte-ci ne peut rien y changer."
            )
        conn.execute(text(f'REVOKE ALL ON SCHEMA "{schema}" FROM PUBLIC'))
        done.append(f"schéma « {schema} » : aucun droit pour PUBLIC (accès par admin grant seulement)")
        for statement, still_open, what in (
            (
                "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
                _PUBLIC_CREATES_IN_PUBLIC,
                "schéma « public » : création interdite à PUBLIC",
            ),
            (
                f'REVOKE TEMPORARY ON DATABASE "{database}" FROM PUBLIC',
                _PUBLIC_MAKES_TEMP_TABLES,
                f"base « {database} » : tables temporaires interdites à PUBLIC",
            ),
        ):
            _try(conn, statement)
            if conn.execute(text(still_open)).scalar():
                done.append(f"À FAIRE par le superutilisateur du serveur (droit insuffisant) : {statement};")
            else:
                done.append(what)
    return done


_PUBLIC_CREATES_IN_PUBLIC = (
    "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace n, LATERAL pg_catalog.aclexplode("
    "COALESCE(n.nspacl, pg_catalog.acldefault('n', n.nspowner))) a "
    "WHERE n.nspname = 'public' AND a.grantee = 0 AND a.privilege_type = 'CREATE')"
)
_PUBLIC_MAKES_TEMP_TABLES = (
    "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_database d, LATERAL pg_catalog.aclexplode("
    "COALESCE(d.datacl, pg_catalog.acldefault('d', d.datdba))) a "
    "WHERE d.datname = pg_catalog.current_database() AND a.grantee = 0 "
    "AND a.privilege_type = 'TEMPORARY')"
)


def _try(conn: Connection, statement: str) -> None:
    """Run `statement` in a savepoint; a refusal (not the object's owner) is checked after."""
    savepoint = conn.begin_nested()
    try:
        conn.execute(text(statement))
    except Exception:  # noqa: BLE001 - refused: what is still open is reported
        savepoint.rollback()
        return
    savepoint.commit()


def revoke(engine: Engine, role: str, department: str | None = None) -> None:
    """Unbind `role` from `department` (from every department when None); the role remains."""
    _require_postgresql(engine)
    _check_role(role)
    with engine.begin() as conn:
        query = f"DELETE FROM {ACCESS_TABLE} WHERE role_name = :role"
        params = {"role": role}
        if department is not None:
            query += " AND department_code = :dept"
            params["dept"] = department
        conn.execute(text(query), params)
        if _role_exists(conn, role):
            _apply_privileges(conn, role)


def bindings(engine: Engine, role: str | None = None) -> list[tuple[str, str, bool]]:
    """(role, department, read-only) rows, as the connected role may see them."""
    _require_postgresql(engine)
    with engine.connect() as conn:
        query = f"SELECT role_name, department_code, read_only FROM {ACCESS_TABLE}"
        params = {}
        if role is not None:
            query += " WHERE role_name = :role"
            params["role"] = role
        return [(r, d, bool(ro)) for r, d, ro in conn.execute(text(query + " ORDER BY 1, 2"), params)]


def _role_exists(conn: Connection, role: str) -> bool:
    return bool(conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first())


def _ensure_role(conn: Connection, role: str, password: str | None) -> bool:
    created = not _role_exists(conn, role)
    if created:
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS'))
    conn.execute(text(f'ALTER ROLE "{role}" CONNECTION LIMIT {CONNECTION_LIMIT}'))
    for name, value in ROLE_SETTINGS.items():
        conn.execute(text(f"ALTER ROLE \"{role}\" SET {name} = '{value}'"))
    if password:
        # Only the SCRAM verifier travels (and could reach the server's log), never the password.
        # (base64, `$` and `:` only: no quote to escape; sent as is, no bind parameters)
        conn.exec_driver_sql(f"ALTER ROLE \"{role}\" PASSWORD '{scram.verifier(password)}'")
    return created


def _apply_privileges(conn: Connection, role: str) -> None:
    """Table privileges from the role's bindings: none, read-only or read-write (per schema)."""
    rows = conn.execute(text(f"SELECT read_only FROM {ACCESS_TABLE} WHERE role_name = :r"), {"r": role}).all()
    schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    columns: dict[str, list[str]] = {}
    for table, column in conn.execute(
        text(
            "SELECT c.relname, a.attname FROM pg_catalog.pg_attribute a "
            "JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
            "WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' "
            "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY c.relname, a.attnum"
        )
    ):
        columns.setdefault(table, []).append(column)
    q_role, q_schema = f'"{role}"', f'"{schema}"'
    conn.execute(text(f"REVOKE ALL ON ALL TABLES IN SCHEMA {q_schema} FROM {q_role}"))
    conn.execute(text(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {q_schema} FROM {q_role}"))
    conn.execute(text(f"REVOKE ALL ON ALL FUNCTIONS IN SCHEMA {q_schema} FROM {q_role}"))
    if not rows:
        conn.execute(text(f"REVOKE USAGE ON SCHEMA {q_schema} FROM {q_role}"))
        return
    writable = any(not read_only for (read_only,) in rows)
    conn.execute(text(f"GRANT USAGE ON SCHEMA {q_schema} TO {q_role}"))
    for table, names in columns.items():
        for statement in _table_grants(table, names, writable=writable):
            conn.execute(text(f'GRANT {statement} ON {q_schema}."{table}" TO {q_role}'))
    if writable:
        # USAGE (nextval for the ids' defaults), not SELECT: no reading another's counters.
        conn.execute(text(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {q_schema} TO {q_role}"))
        conn.execute(text(f"GRANT EXECUTE ON FUNCTION {q_schema}.{DELETE_SIGNATURE} TO {q_role}"))


def _table_grants(table: str, names: list[str], *, writable: bool) -> list[str]:
    """What a role gets on one table: SELECT, plus column-level INSERT / UPDATE where a
    delegation needs them (never DELETE: see `store/link_rows.py`)."""
    grants = ["SELECT"]
    if not writable or table in READ_ONLY_TABLES:
        return grants
    insertable = ", ".join(f'"{n}"' for n in names if n not in SERVER_SET_COLUMNS)
    grants.append(f"INSERT ({insertable})")
    if table in APPEND_ONLY_TABLES:
        return grants
    fixed = FIXED_COLUMNS | FIXED_BY_TABLE.get(table, frozenset())
    updatable = [f'"{n}"' for n in names if n not in fixed]
    if updatable:
        grants.append(f"UPDATE ({', '.join(updatable)})")
    return grants


def drop_role(engine: Engine, role: str) -> None:
    """Remove a role entirely (its bindings and privileges in this database, then the role)."""
    _require_postgresql(engine)
    _check_role(role)
    with engine.begin() as conn:
        conn.execute(text(f"DELETE FROM {ACCESS_TABLE} WHERE role_name = :r"), {"r": role})
        if _role_exists(conn, role):
            _apply_privileges(conn, role)  # no binding left: every privilege in this schema revoked
            conn.execute(text(f'DROP ROLE "{role}"'))
