"""Actions that implement the objectives, and their journal."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.models.base import UTCDateTime, department_column, timestamp_column, utcnow
from store.models.identities import event_uid_column, new_uid, uid_column

_version = Column("version", Integer, nullable=False, default=1)


class Action(SQLModel, table=True):
    """An action of the delegation or its partners. `version` grows on every change."""

    __table_args__ = (
        UniqueConstraint("department_code", "code"),
        Index("ix_action_department_code_uid", "department_code", "uid", unique=True),
        # The dashboard's lists (late, due soon: in due-date order) and its counts per status
        # read these indexes alone, not the table (migration 0019). No column beyond those the
        # regional server already indexes: an index lets EXPLAIN ANALYZE count other
        # departments' rows by the values of its columns (docs/deployment.md).
        Index("ix_action_deadlines", "department_code", "due_date", "code"),
        Index("ix_action_state", "department_code", "status", "due_date"),
        CheckConstraint(
            "status IN ('a_lancer', 'en_cours', 'realisee', 'reportee', 'abandonnee', 'non_renseigne')",
            name="status",
        ),
        CheckConstraint("start_date_precision IN ('year', 'month', 'day')", name="start_date_precision"),
        CheckConstraint("due_date_precision IN ('year', 'month', 'day')", name="due_date_precision"),
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress"),
        CheckConstraint("weather IS NULL OR weather IN ('vert', 'orange', 'rouge')", name="weather"),
        CheckConstraint("due_date IS NULL OR start_date IS NULL OR due_date >= start_date", name="dates"),
        CheckConstraint("budget_cents IS NULL OR budget_cents >= 0", name="budget"),
    )
    __mapper_args__ = {"version_id_col": _version}

    id: int | None = Field(default=None, primary_key=True)
    department_code: str = Field(sa_column=department_column())
    code: str
    title: str = Field(sa_column=Column(Text, nullable=False))
    description: str | None = Field(default=None, sa_column=Column(Text))
    lead_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("organisation.id", ondelete="SET NULL"), index=True),
    )
    #: The first day of the start period and the last day of the due period (a due date written
    #: "2023" is kept as 2023-12-31 with precision "year": late is judged against its end).
    start_date: date | None = None
    due_date: date | None = Field(default=None, index=True)
    start_date_precision: str = Field(
        default="day", sa_column=Column(String, nullable=False, server_default="day")
    )
    due_date_precision: str = Field(
        default="day", sa_column=Column(String, nullable=False, server_default="day")
    )
    status: str = Field(default="a_lancer", index=True)
    progress: int | None = 0
    weather: str | None = None
    budget_cents: int | None = None
    funding: str | None = None
    source: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column("created_at"))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column("updated_at"))
    version: int = Field(default=1, sa_column=_version)
    #: The action's identity, born where it is created (a random UUID; from its code for an
    #: action of the reference document): codes may be renumbered, the identity never changes.
    uid: str = Field(default_factory=new_uid, sa_column=uid_column())


def _link(target: str) -> Column[int]:
    return Column(Integer, ForeignKey(target, ondelete="CASCADE"), primary_key=True)


class ActionObjective(SQLModel, table=True):
    """An objective an action serves (the first by position is its main objective)."""

    __tablename__ = "action_objective"
    action_id: int = Field(sa_column=_link("action.id"))
    objective_id: int = Field(sa_column=_link("objective.id"))
    position: int = 0


class ActionPartner(SQLModel, table=True):
    __tablename__ = "action_partner"
    action_id: int = Field(sa_column=_link("action.id"))
    organisation_id: int = Field(sa_column=_link("organisation.id"))
    position: int = 0


class ActionTerritory(SQLModel, table=True):
    __tablename__ = "action_territory"
    action_id: int = Field(sa_column=_link("action.id"))
    territory_id: int = Field(sa_column=_link("territory.id"))


class ActionEvent(SQLModel, table=True):
    """One line of an action's journal: a field change, a comment or the creation.

    Rows are never updated nor deleted (triggers in the migrations refuse it).
    """

    __tablename__ = "action_event"
    __table_args__ = (CheckConstraint("kind IN ('creation', 'modification', 'commentaire')", name="kind"),)

    id: int | None = Field(default=None, primary_key=True)
    department_code: str = Field(sa_column=department_column())
    action_id: int = Field(
        sa_column=Column(Integer, ForeignKey("action.id", ondelete="RESTRICT"), nullable=False, index=True)
    )
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    author: str
    kind: str
    field: str | None = None
    old_value: str | None = Field(default=None, sa_column=Column(Text))
    new_value: str | None = Field(default=None, sa_column=Column(Text))
    source: str
    comment: str | None = Field(default=None, sa_column=Column(Text))
    #: On the regional server a delegation's `author` and `at` are set by the server (its login
    #: role, its clock); what the laptop said is kept here, as provenance (migration 0007).
    origin_author: str | None = Field(default=None, sa_column=Column(Text))
    origin_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    #: The line's identity, born where it is written and kept by every copy (migration 0009).
    uid: str | None = Field(default=None, sa_column=event_uid_column())
