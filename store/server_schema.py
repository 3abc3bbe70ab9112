"""What only the regional server's schema has, beyond the models (migration 0007).

- 64-bit identities: every `id` and every column pointing to one is `bigint` on PostgreSQL
  (SQLite's INTEGER is already 64-bit);
- composite keys binding a record to its own department: `UNIQUE (department_code, id)` on the
  referenced tables and `FOREIGN KEY (department_code, x_id) REFERENCES t (department_code, id)`.

The models describe what both databases share; Alembic's comparison is told to overlook these.
"""

from __future__ import annotations

from typing import Any

#: Suffixes of the constraint names migration 0007 gives the composite keys.
SAME_DEPARTMENT_FK = "_same_department_fk"
DEPARTMENT_ID_KEY = "_department_id_key"


def same_department_fk(table: str, column: str) -> str:
    return f"{table}_{column}{SAME_DEPARTMENT_FK}"


def department_id_key(table: str) -> str:
    return f"{table}{DEPARTMENT_ID_KEY}"


def is_server_only(name: str | None) -> bool:
    return bool(name) and str(name).endswith((SAME_DEPARTMENT_FK, DEPARTMENT_ID_KEY))


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic's filter: the app's unmodelled table and the server-only constraints are left out."""
    if type_ == "table" and name == "suivi_sts_access":
        return False
    return not (type_ in {"foreign_key_constraint", "unique_constraint"} and is_server_only(name))


def compare_type(
    context: Any, inspected_column: Any, metadata_column: Any, inspected_type: Any, metadata_type: Any
) -> bool | None:
    """A model's Integer stored as the server's BIGINT is not a difference (None: Alembic decides)."""
    if context.dialect.name == "postgresql" and type(metadata_type).__name__ == "Integer":
        return type(inspected_type).__name__ not in {"INTEGER", "BIGINT"}
    return None
