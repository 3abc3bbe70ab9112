"""The department, its territories and the organisations working there."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.models.base import department_column, json_list_column


class Department(SQLModel, table=True):
    """A French département: the unit a delegation works on ("09", "Ariège")."""

    code: str = Field(primary_key=True, max_length=3)
    name: str
    #: What the reference document says of the whole department: the front pages' citizens'
    #: words, the DATA REPÈRE figures, « Les enjeux du département en bref ».
    citizen_quotes: list[str] = Field(
        default_factory=list, sa_column=json_list_column("citizen_quotes", added=True)
    )
    key_figures: list[str] = Field(
        default_factory=list, sa_column=json_list_column("key_figures", added=True)
    )
    stakes_in_brief: list[str] = Field(
        default_factory=list, sa_column=json_list_column("stakes_in_brief", added=True)
    )
    #: Concrete measures of the document that are not actions, each with why (dicts: texte,
    #: raison, source).
    measures_without_action: list[dict[str, str]] = Field(
        default_factory=list, sa_column=json_list_column("measures_without_action", added=True)
    )


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
    #: The towns the reference document places in this bassin, each with where it says so
    #: (dicts: nom, source); a resource search by one of them finds the bassin's resources.
    communes: list[dict[str, str]] = Field(
        default_factory=list, sa_column=json_list_column("communes", added=True)
    )


class Organisation(SQLModel, table=True):
    """A lead, partner or carrier: CPTS, MSP, hospital, CPAM, DAC, association…"""

    __table_args__ = (UniqueConstraint("department_code", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    department_code: str = Field(sa_column=department_column())
    code: str
    name: str
    kind: str = "Autre"
