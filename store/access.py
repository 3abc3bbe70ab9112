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

from store.errors import StoreError, ValidationError

ACCESS_TABLE = "suivi_sts_access"
ALL_DEPARTMENTS = "*"
#: Tables a department role may read but never change (or only add to).
READ_ONLY_TABLES = frozenset({"alembic_version", ACCESS_TABLE})
APPEND_ONLY_TABLES = frozenset({"action_event", "resource_event", "theme", "pathway"})
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
    if password:
        statement = conn.execute(
            text("SELECT format('ALTER ROLE %I PASSWORD %L', CAST(:r AS text), CAST(:p AS text))"),
            {"r": role, "p": password},
        ).scalar_one()
        conn.execute(text(statement))
    return created


def _apply_privileges(conn: Connection, role: str) -> None:
    """Table privileges from the role's bindings: none, read-only or read-write (per schema)."""
    rows = conn.execute(text(f"SELECT read_only FROM {ACCESS_TABLE} WHERE role_name = :r"), {"r": role}).all()
    schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    tables = [
        t
        for (t,) in conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1")
        )
    ]
    q_role, q_schema = f'"{role}"', f'"{schema}"'
    conn.execute(text(f"REVOKE ALL ON ALL TABLES IN SCHEMA {q_schema} FROM {q_role}"))
    conn.execute(text(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {q_schema} FROM {q_role}"))
    if not rows:
        conn.execute(text(f"REVOKE USAGE ON SCHEMA {q_schema} FROM {q_role}"))
        return
    writable = any(not read_only for (read_only,) in rows)
    conn.execute(text(f"GRANT USAGE ON SCHEMA {q_schema} TO {q_role}"))
    for table in tables:
        if not writable or table in READ_ONLY_TABLES:
            privileges = "SELECT"
        elif table in APPEND_ONLY_TABLES:
            privileges = "SELECT, INSERT"
        else:
            privileges = "SELECT, INSERT, UPDATE, DELETE"
        conn.execute(text(f'GRANT {privileges} ON {q_schema}."{table}" TO {q_role}'))
    if writable:
        conn.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {q_schema} TO {q_role}"))


def drop_role(engine: Engine, role: str) -> None:
    """Remove a role entirely (its bindings and privileges in this database, then the role)."""
    _require_postgresql(engine)
    _check_role(role)
    with engine.begin() as conn:
        conn.execute(text(f"DELETE FROM {ACCESS_TABLE} WHERE role_name = :r"), {"r": role})
        if _role_exists(conn, role):
            _apply_privileges(conn, role)  # no binding left: every privilege in this schema revoked
            conn.execute(text(f'DROP ROLE "{role}"'))
