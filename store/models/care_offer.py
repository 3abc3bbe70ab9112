"""Quantitative targets of the care offer ("Évolution de l'offre en regard des besoins")."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, Text
from sqlmodel import Field, SQLModel

from store.models.base import department_column


class CareOfferActivity(SQLModel, table=True):
    """A care activity (Médecine, Chirurgie, Psychiatrie…) and its comments."""

    __tablename__ = "care_offer_activity"

    id: int | None = Field(default=None, primary_key=True)
    department_code: str = Field(sa_column=department_column())
    position: int = 0
    name: str
    recourse: str | None = Field(default=None, sa_column=Column(Text))
    transformations: str | None = Field(default=None, sa_column=Column(Text))
    notes: str | None = Field(default=None, sa_column=Column(Text))


class CareOfferTarget(SQLModel, table=True):
    """One row of a care-offer table: modality or mention, existing count and target as written."""

    __tablename__ = "care_offer_target"

    id: int | None = Field(default=None, primary_key=True)
    department_code: str = Field(sa_column=department_column())
    activity_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("care_offer_activity.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    table_title: str = Field(sa_column=Column(Text, nullable=False))
    table_position: int = 0
    position: int = 0
    zone: str | None = None
    modality: str | None = Field(default=None, sa_column=Column(Text))
    mention: str | None = Field(default=None, sa_column=Column(Text))
    existing: str | None = None
    target: str | None = None
