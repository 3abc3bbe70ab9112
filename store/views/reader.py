"""One way to run the read models' SQL: on SQLAlchemy, or on the stdlib `sqlite3` module alone.

The dashboard, the actions' rows, the coverage matrix and the exchange log are written once, as
SQL text with `:name` parameters that SQLite and PostgreSQL both read. The app's screens run them
through SQLAlchemy (`engine_reader`); at start-up the dashboard's first figures run them on a
read-only `sqlite3` connection (`sqlite_reader`) before SQLAlchemy and the models are even
imported. Values come back as each driver gives them: `as_date` / `as_datetime` read both.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Connection

#: Runs one SQL text with its parameters; returns every row.
Reader = Callable[[str, Mapping[str, Any]], Sequence[Sequence[Any]]]


def sqlite_reader(conn: sqlite3.Connection) -> Reader:
    """SQL text on a `sqlite3` connection (dates passed as the ISO text SQLite keeps)."""

    def read(sql: str, params: Mapping[str, Any]) -> Sequence[Sequence[Any]]:
        values = {k: v.isoformat() if isinstance(v, date) else v for k, v in params.items()}
        return conn.execute(sql, values).fetchall()

    return read


def engine_reader(conn: Connection) -> Reader:
    """SQL text on a SQLAlchemy connection (SQLite or PostgreSQL)."""
    from sqlalchemy import text

    def read(sql: str, params: Mapping[str, Any]) -> Sequence[Sequence[Any]]:
        if conn.dialect.name == "sqlite":
            params = {k: v.isoformat() if isinstance(v, date) else v for k, v in params.items()}
        return conn.execute(text(sql), dict(params)).all()

    return read


def as_reader(source: Connection | Reader) -> Reader:
    """A reader from a SQLAlchemy connection, or the reader itself."""
    if callable(source):
        return source
    return engine_reader(source)


def as_date(value: Any) -> date | None:
    """A date column as either driver returns it (SQLite: ISO text)."""
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if isinstance(value, datetime):
        return value.date()
    return date.fromisoformat(str(value)[:10])


def as_datetime(value: Any) -> datetime | None:
    """A timestamp column, timezone-aware UTC (SQLite keeps it as naive UTC text)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.fromisoformat(str(value))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def int_list(values: Iterable[int]) -> str:
    """`(1, 2, 3)` for `IN`: integers only, written in the SQL (the same text on both drivers)."""
    items = [str(int(v)) for v in values]
    return f"({', '.join(items)})" if items else "(NULL)"


def text_list(values: Iterable[str]) -> str:
    """`('a', 'b')` for `IN`, for the app's own constants (statuses): quotes doubled."""
    quoted = ["'" + str(v).replace("'", "''") + "'" for v in values]
    return f"({', '.join(quoted)})" if quoted else "(NULL)"
