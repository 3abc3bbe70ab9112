"""What was last exchanged with a regional server (`suivi-sts publish` / `fetch`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.models.base import UTCDateTime, department_column, timestamp_column, utcnow
from store.models.identities import event_uid_column


class SyncState(SQLModel, table=True):
    """One record as it stood on both sides after the last publish or fetch with `server`.

    `server` is the server's identity (`store.sync.server_key`), not its address. `kind` is
    "action", "ressource" or "referentiel"; `code` holds the record's identity (`uid`, migration
    0009; the code before). `base` is the record as both sides agreed at the last exchange (JSON),
    the common ancestor of the three-way merge.
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
    base: str | None = Field(default=None, sa_column=Column(Text))


class SyncConflict(SQLModel, table=True):
    """A field changed on both sides since the last exchange, waiting for a person's decision.

    Values are JSON (`store.sync` encodes them); `mine` is this laptop's, `theirs` the server's.
    """

    __tablename__ = "sync_conflict"
    __table_args__ = (UniqueConstraint("server", "department_code", "kind", "uid", "field"),)

    id: int | None = Field(default=None, primary_key=True)
    department_code: str = Field(sa_column=department_column())
    server: str
    kind: str
    uid: str
    code: str
    field: str
    base: str | None = Field(default=None, sa_column=Column(Text))
    mine: str | None = Field(default=None, sa_column=Column(Text))
    theirs: str | None = Field(default=None, sa_column=Column(Text))
    mine_author: str | None = None
    mine_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    theirs_author: str | None = None
    theirs_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    found_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column("found_at"))


class ReferenceEvent(SQLModel, table=True):
    """One change of a reference record (territory, organisation, engagement, défi, objective,
    document-wide list): who changed which field, when, from what to what (migration 0013).

    Written when a reference record changes after the first load (a reference document loaded
    again, a publish or fetch, a settled conflict), so that a conflict on it says who changed
    each side and when. `kind` and `code` name the record as `store.sync_reference` does; the
    field "*" stands for the whole record (created or deleted). Append-only, like the other
    journals; `origin_author` / `origin_at` keep who made the change where a copy was made.
    """

    __tablename__ = "reference_event"
    __table_args__ = (Index("ix_reference_event_record", "department_code", "kind", "code", "field"),)

    id: int | None = Field(default=None, primary_key=True)
    department_code: str = Field(sa_column=department_column())
    kind: str
    code: str
    field: str
    old_value: str | None = Field(default=None, sa_column=Column(Text))
    new_value: str | None = Field(default=None, sa_column=Column(Text))
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    author: str
    source: str
    origin_author: str | None = Field(default=None, sa_column=Column(Text))
    origin_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    uid: str | None = Field(default=None, sa_column=event_uid_column())
