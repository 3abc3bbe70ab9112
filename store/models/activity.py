"""What happens around the data: workshop sessions, saved filters, imports and exports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.models.base import UTCDateTime, department_column, json_list_column, timestamp_column, utcnow


class WorkshopSession(SQLModel, table=True):
    """A workshop (atelier, CTS commission) run on one objective, défi or territory.

    Its changes are the journal lines whose source is `source_label`.
    """

    __tablename__ = "workshop_session"
    __table_args__ = (CheckConstraint("scope_kind IN ('objectif', 'defi', 'territoire')", name="scope_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    department_code: str = Field(sa_column=department_column())
    started_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column("started_at"))
    ended_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    scope_kind: str
    scope_code: str
    scope_label: str = Field(sa_column=Column(Text, nullable=False))
    author: str
    #: Who took part, as typed when the session opened (None: not recorded).
    participants: list[str] | None = Field(
        default=None, sa_column=json_list_column("participants", added=True)
    )

    @property
    def source_label(self) -> str:
        return workshop_source(self.id or 0)


def workshop_source(session_id: int) -> str:
    """The journal source of the changes made during a workshop session."""
    return f"Atelier n°{session_id}"


class SavedFilter(SQLModel, table=True):
    """A named filter of the actions list."""

    __tablename__ = "saved_filter"
    __table_args__ = (UniqueConstraint("department_code", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    department_code: str = Field(sa_column=department_column())
    name: str
    criteria: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Exchange(SQLModel, table=True):
    """An import or export of a file, for the dashboard and the audit trail."""

    __table_args__ = (CheckConstraint("direction IN ('import', 'export')", name="direction"),)

    id: int | None = Field(default=None, primary_key=True)
    department_code: str = Field(sa_column=department_column())
    at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column("at"))
    direction: str
    kind: str
    file_name: str
    author: str
    summary: str | None = Field(default=None, sa_column=Column(Text))
