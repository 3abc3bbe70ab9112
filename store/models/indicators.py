"""Indicators of an action or an objective, and their periodic values."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, Float, ForeignKey, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.models.base import department_column
from store.models.identities import new_uid, uid_column


class Indicator(SQLModel, table=True):
    """What is measured for an action or an objective (exactly one of the two)."""

    __table_args__ = (
        UniqueConstraint("department_code", "code"),
        Index("ix_indicator_department_code_uid", "department_code", "uid", unique=True),
        CheckConstraint("(action_id IS NULL) <> (objective_id IS NULL)", name="owner"),
        CheckConstraint(
            "periodicity IN ('mensuelle', 'trimestrielle', 'semestrielle', 'annuelle')", name="periodicity"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    department_code: str = Field(sa_column=department_column())
    code: str
    action_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("action.id", ondelete="CASCADE"), index=True)
    )
    objective_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("objective.id", ondelete="CASCADE"), index=True)
    )
    label: str
    unit: str | None = None
    baseline: float | None = None
    target: float | None = None
    periodicity: str = "annuelle"
    #: The indicator's identity (see `Action.uid`; migration 0012).
    uid: str = Field(default_factory=new_uid, sa_column=uid_column())


class IndicatorValue(SQLModel, table=True):
    """The value of an indicator for a period ("2024-01", "2024-T1", "2024-S1", "2024").

    `category` is empty for the total, or names a breakdown ("mineurs", "hommes", "femmes").
    """

    __tablename__ = "indicator_value"
    __table_args__ = (UniqueConstraint("indicator_id", "period", "category"),)

    id: int | None = Field(default=None, primary_key=True)
    department_code: str = Field(sa_column=department_column())
    indicator_id: int = Field(
        sa_column=Column(Integer, ForeignKey("indicator.id", ondelete="CASCADE"), nullable=False)
    )
    period: str
    category: str = ""
    value: float = Field(sa_column=Column(Float, nullable=False))
