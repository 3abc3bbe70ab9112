"""Shared column types and helpers for the models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, ForeignKey, MetaData, String, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlmodel import SQLModel

# Stable constraint names, so that Alembic's batch mode can rebuild SQLite tables.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata: MetaData = SQLModel.metadata


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp always stored and returned as timezone-aware UTC (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("horodatage sans fuseau horaire refusé (UTC attendu)")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def department_column() -> Any:
    """The `department_code` column every department-scoped table carries."""
    return Column(
        "department_code",
        String(3),
        ForeignKey("department.code", ondelete="RESTRICT"),
        nullable=False,
        index=True,
    )


def json_list_column(name: str, *, added: bool = False) -> Any:
    """An ordered list of texts kept with its owner (key figures, citizens' words…).

    `added=True` for a column added to an existing table: NULL (read as an empty list) in the
    rows that were there before."""
    return Column(name, JSON, nullable=added, default=list)


def timestamp_column(name: str) -> Any:
    """A non-null, timezone-aware timestamp column."""
    return Column(name, UTCDateTime(), nullable=False, default=utcnow)
