"""The dashboard's first figures, read on a read-only `sqlite3` connection before SQLAlchemy and
the models are imported: the app shows them while the store opens in the background.

Only a file this version reads as it is — Suivi STS's own, at the schema revision it knows — is
read here; anything else (another revision, a damaged file, a server) returns None and waits for
the full opening (`store.database.open_store`), which says what is wrong or upgrades the schema.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from store.health import APPLICATION_ID, read_only_connection
from store.revisions import head_revision
from store.views.dashboard import Dashboard, dashboard
from store.views.reader import sqlite_reader


@dataclass(frozen=True)
class Glance:
    """What the app shows before the store is open: the department, its title, its figures."""

    department: str
    title: str
    dashboard: Dashboard


def pick_department(departments: Sequence[tuple[str, str]], wanted: str | None) -> tuple[str, str] | None:
    """(code, name) of the department to work on: `wanted`, or the only one the store holds."""
    if wanted is not None:
        return next((d for d in departments if d[0] == wanted), None)
    return departments[0] if len(departments) == 1 else None


def glance(path: Path, department: str | None, today: date) -> Glance | None:
    """The dashboard of a current store file, or None (then the full opening decides)."""
    try:
        if not path.is_file() or path.stat().st_size == 0:
            return None
        conn = read_only_connection(path)
    except (OSError, sqlite3.Error):
        return None
    try:
        if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
            return None
        if conn.execute("SELECT version_num FROM alembic_version").fetchall() != [(head_revision(),)]:
            return None
        found = pick_department(
            conn.execute("SELECT code, name FROM department ORDER BY code").fetchall(), department
        )
        if found is None:
            return None
        code, name = found
        return Glance(code, f"{name} ({code})", dashboard(sqlite_reader(conn), code, today))
    except Exception:  # anything unexpected in the file: the full opening decides, and says why
        return None
    finally:
        conn.close()
