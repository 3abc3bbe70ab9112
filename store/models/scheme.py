"""The scheme: engagements → défis → objectifs opérationnels, and what the document lists."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.models.base import department_column, json_list_column


class Engagement(SQLModel, table=True):
    """An engagement of the regional health scheme, as declined by the department."""

    __table_args__ = (UniqueConstraint("department_code", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    department_code: str = Field(sa_column=department_column())
    code: str
    number: int | None = None
    title: str
    position: int = 0


class Challenge(SQLModel, table=True):
    """A défi of an engagement."""

    __table_args__ = (UniqueConstraint("department_code", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    department_code: str = Field(sa_column=department_column())
    engagement_id: int = Field(
        sa_column=Column(Integer, ForeignKey("engagement.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    code: str
    number: int | None = None
    title: str
    stakes: str | None = Field(default=None, sa_column=Column(Text))
    position: int = 0
    keywords: list[str] = Field(default_factory=list, sa_column=json_list_column("keywords"))
    key_figures: list[str] = Field(default_factory=list, sa_column=json_list_column("key_figures"))
    citizen_quotes: list[str] = Field(default_factory=list, sa_column=json_list_column("citizen_quotes"))
    #: The objectives as listed on the défi's page, where their wording differs from the titles.
    objective_list: list[str] = Field(
        default_factory=list, sa_column=json_list_column("objective_list", added=True)
    )


class Objective(SQLModel, table=True):
    """An objectif opérationnel of a défi, with its text sections."""

    __table_args__ = (UniqueConstraint("department_code", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    department_code: str = Field(sa_column=department_column())
    challenge_id: int = Field(
        sa_column=Column(Integer, ForeignKey("challenge.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    code: str
    number: int | None = None
    title: str
    regional_objective: str | None = None
    findings: str | None = Field(default=None, sa_column=Column(Text))
    goal: str | None = Field(default=None, sa_column=Column(Text))
    expected_results: str | None = Field(default=None, sa_column=Column(Text))
    in_practice: str | None = Field(default=None, sa_column=Column(Text))
    #: « Le défi à relever », as printed on the objective's page.
    challenge_statement: str | None = Field(default=None, sa_column=Column(Text))
    position: int = 0
    key_figures: list[str] = Field(default_factory=list, sa_column=json_list_column("key_figures"))
    citizen_quotes: list[str] = Field(default_factory=list, sa_column=json_list_column("citizen_quotes"))


class Theme(SQLModel, table=True):
    """A "thème associé", shared by every department."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)


class Pathway(SQLModel, table=True):
    """A "parcours associé", shared by every department."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)


def _fk(target: str) -> Column[int]:
    return Column(Integer, ForeignKey(target, ondelete="CASCADE"), primary_key=True)


class ChallengeTheme(SQLModel, table=True):
    __tablename__ = "challenge_theme"
    challenge_id: int = Field(sa_column=_fk("challenge.id"))
    theme_id: int = Field(sa_column=_fk("theme.id"))
    position: int = 0
    #: The name as the document wrote it here, when the shared vocabulary harmonised it.
    written_as: str | None = None


class ChallengePathway(SQLModel, table=True):
    __tablename__ = "challenge_pathway"
    challenge_id: int = Field(sa_column=_fk("challenge.id"))
    pathway_id: int = Field(sa_column=_fk("pathway.id"))
    position: int = 0
    #: The name as the document wrote it here, when the shared vocabulary harmonised it.
    written_as: str | None = None


class ObjectiveTheme(SQLModel, table=True):
    __tablename__ = "objective_theme"
    objective_id: int = Field(sa_column=_fk("objective.id"))
    theme_id: int = Field(sa_column=_fk("theme.id"))
    position: int = 0
    #: The name as the document wrote it here, when the shared vocabulary harmonised it.
    written_as: str | None = None


class ObjectivePathway(SQLModel, table=True):
    __tablename__ = "objective_pathway"
    objective_id: int = Field(sa_column=_fk("objective.id"))
    pathway_id: int = Field(sa_column=_fk("pathway.id"))
    position: int = 0
    #: The name as the document wrote it here, when the shared vocabulary harmonised it.
    written_as: str | None = None


class CtsChallenge(SQLModel, table=True):
    """A défi identified by the department's Conseil territorial de santé."""

    __tablename__ = "cts_challenge"

    id: int | None = Field(default=None, primary_key=True)
    department_code: str = Field(sa_column=department_column())
    position: int = 0
    text: str = Field(sa_column=Column(Text, nullable=False))


class CnrProposal(SQLModel, table=True):
    """A proposal of the Conseil national de la refondation, under its heading."""

    __tablename__ = "cnr_proposal"

    id: int | None = Field(default=None, primary_key=True)
    department_code: str = Field(sa_column=department_column())
    section: str
    position: int = 0
    text: str = Field(sa_column=Column(Text, nullable=False))
