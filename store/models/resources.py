"""Resources for caregivers (aidants) and respite (répit)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.models.base import UTCDateTime, department_column, timestamp_column, utcnow
from store.models.identities import event_uid_column, new_uid, uid_column

_version = Column("version", Integer, nullable=False, default=1)


class Resource(SQLModel, table=True):
    """An aidant / répit resource: platform, day care, temporary stay, association…"""

    __table_args__ = (
        UniqueConstraint("department_code", "code"),
        Index("ix_resource_department_code_uid", "department_code", "uid", unique=True),
        CheckConstraint("status IN ('existant', 'en_projet', 'ferme')", name="status"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity"),
    )
    __mapper_args__ = {"version_id_col": _version}

    id: int | None = Field(default=None, primary_key=True)
    department_code: str = Field(sa_column=department_column())
    code: str
    name: str
    kind: str
    carrier_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("organisation.id", ondelete="SET NULL"), index=True),
    )
    capacity: int | None = None
    address: str | None = None
    commune: str | None = None
    insee_code: str | None = Field(default=None, sa_column=Column(String(5)))
    phone: str | None = None
    email: str | None = None
    contact_name: str | None = None
    finess: str | None = Field(default=None, sa_column=Column(String(9), index=True))
    discipline_code: str | None = None
    status: str = "existant"
    verified_on: date | None = None
    notes: str | None = Field(default=None, sa_column=Column(Text))
    source: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column("created_at"))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column("updated_at"))
    version: int = Field(default=1, sa_column=_version)
    #: The resource's identity (see `Action.uid`).
    uid: str = Field(default_factory=new_uid, sa_column=uid_column())


class ResourceAudience(SQLModel, table=True):
    """A public a resource is for (Personnes âgées, Personnes en situation de handicap…)."""

    __tablename__ = "resource_audience"
    resource_id: int = Field(
        sa_column=Column(Integer, ForeignKey("resource.id", ondelete="CASCADE"), primary_key=True)
    )
    audience: str = Field(primary_key=True)
    position: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))


class ResourceTerritory(SQLModel, table=True):
    __tablename__ = "resource_territory"
    resource_id: int = Field(
        sa_column=Column(Integer, ForeignKey("resource.id", ondelete="CASCADE"), primary_key=True)
    )
    territory_id: int = Field(
        sa_column=Column(Integer, ForeignKey("territory.id", ondelete="CASCADE"), primary_key=True)
    )


class ResourceEvent(SQLModel, table=True):
    """One line of a resource's journal: a field change, a comment or the creation.

    Rows are never updated nor deleted (triggers in the migrations refuse it).
    """

    __tablename__ = "resource_event"
    __table_args__ = (CheckConstraint("kind IN ('creation', 'modification', 'commentaire')", name="kind"),)

    id: int | None = Field(default=None, primary_key=True)
    department_code: str = Field(sa_column=department_column())
    resource_id: int = Field(
        sa_column=Column(Integer, ForeignKey("resource.id", ondelete="RESTRICT"), nullable=False, index=True)
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
    #: The line's identity (see `ActionEvent.uid`).
    uid: str | None = Field(default=None, sa_column=event_uid_column())
