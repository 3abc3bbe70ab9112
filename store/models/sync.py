"""What was last exchanged with a regional server (`suivi-sts publish` / `fetch`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Integer, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.models.base import department_column, timestamp_column, utcnow


class SyncState(SQLModel, table=True):
    """One record as it stood on both sides after the last publish or fetch with `server`.

    `kind` is "action", "ressource" or "referentiel" (the scheme and reference data, compared
    by content through `digest`); actions and resources are compared by `version` on each side.
    """

    __tablename__ = "sync_state"
    __table_args__ = (UniqueConstraint("server", "department_code", "kind", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    department_code: str = Field(sa_column=department_column())
    server: str
    kind: str
    code: str
    local_version: int | None = Field(default=None, sa_column=Column(Integer))
    remote_version: int | None = Field(default=None, sa_column=Column(Integer))
    digest: str | None = Field(default=None, sa_column=Column(String))
    synced_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column("synced_at"))
