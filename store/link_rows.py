"""The one way the app deletes rows of the tables it replaces (links, lists, indicator values,
saved filters).

On SQLite a plain DELETE. On the regional server no delegation holds a DELETE privilege (it
would let it `LOCK TABLE` them and stop the others' reads): the rows go through the server's
`suivi_sts_delete_rows(table, keys)` (migration 0020), which checks the department again and
deletes all the keys in one statement.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table, and_, bindparam, delete, text

#: The server's function (migration 0020).
DELETE_FUNCTION = "suivi_sts_delete_rows"
DELETE_SIGNATURE = f"{DELETE_FUNCTION}(text, jsonb)"
#: Each table the app deletes from, with the columns its rows are deleted by.
DELETABLE: dict[str, tuple[str, ...]] = {
    "action_objective": ("action_id",),
    "action_partner": ("action_id",),
    "action_territory": ("action_id",),
    "resource_audience": ("resource_id",),
    "resource_territory": ("resource_id",),
    "challenge_theme": ("challenge_id",),
    "challenge_pathway": ("challenge_id",),
    "objective_theme": ("objective_id",),
    "objective_pathway": ("objective_id",),
    "care_offer_activity": ("department_code",),
    "care_offer_target": ("department_code",),
    "cts_challenge": ("department_code",),
    "cnr_proposal": ("department_code",),
    "saved_filter": ("department_code", "name"),
    "indicator_value": ("indicator_id", "period", "category"),
}


def delete_rows(conn: Connection, tbl: Table, keys: Sequence[Mapping[str, Any]]) -> None:
    """Delete the rows of `tbl` matching any of `keys` (each {column: value}, by the columns
    `DELETABLE` names for it), in one round trip on the server."""
    columns = DELETABLE.get(tbl.name)
    if columns is None or any(set(k) != set(columns) for k in keys):
        raise ValueError(f"{tbl.name} : suppression par {columns} seulement")
    if not keys:
        return
    if conn.dialect.name == "postgresql":
        conn.execute(
            text(f"SELECT {DELETE_FUNCTION}(:t, CAST(:k AS jsonb))"),
            {"t": tbl.name, "k": json.dumps([dict(k) for k in keys])},
        )
        return
    match = and_(*(tbl.c[c] == bindparam(f"key_{c}") for c in columns))
    conn.execute(delete(tbl).where(match), [{f"key_{c}": k[c] for c in columns} for k in keys])
