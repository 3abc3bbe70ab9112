"""The department, its territories and the organisations working there."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.models.base import department_column


class Department(SQLModel, table=True):
    """A French département: the unit a delegation works on ("09", "Ariège")."""

    code: str = Field(primary_key=True, max_length=3)
    name: str


class Territory(SQLModel, table=True):
    """The whole department (kind `departement`) or one of its bassins."""

    __table_args__ = (
        UniqueConstraint("department_code", "code"),
        CheckConstraint("kind IN ('departement', 'bassin')", name="kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    department_code: str = Field(sa_column=department_column())
    code: str
    name: str
    kind: str = "bassin"
    position: int = 0


class Organisation(SQLModel, table=True):
    """A lead, partner or carrier: CPTS, MSP, hospital, CPAM, DAC, association…"""

    __table_args__ = (UniqueConstraint("department_code", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    department_code: str = Field(sa_column=department_column())
    code: str
    name: str
    kind: str = "Autre"
