"""Identities of records and journal lines, independent of their codes (migration 0009).

A record or a journal line gets its identity where it is born: a random UUID on the laptop or
server that creates it; a record of the reference document gets one derived from its
department, kind and code, so a laptop made by `init` and a server loaded from the same
reference recognise the same records. Copies keep the identity; codes may be renumbered.
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime

from sqlalchemy import Column, String
from sqlmodel import Field, SQLModel

from store.models.base import timestamp_column, utcnow

#: Namespace of the identities derived from reference codes (fixed forever).
REFERENCE_NAMESPACE = uuid.UUID("6f1d7a52-3c0e-4b8e-9a57-5e0b2f3c9d11")


def new_uid() -> str:
    """A fresh identity (random UUID, as text)."""
    return str(uuid.uuid4())


def new_uids(count: int) -> list[str]:
    """`count` fresh identities, as `new_uid` gives them (random version-4 UUIDs, as text),
    drawn from the system's random source at once (an import gives thousands)."""
    random = bytearray(os.urandom(16 * count))
    random[6::16] = bytes(b & 0x0F | 0x40 for b in random[6::16])  # version 4
    random[8::16] = bytes(b & 0x3F | 0x80 for b in random[8::16])  # RFC 4122 variant
    digits = random.hex()
    return [
        f"{digits[i : i + 8]}-{digits[i + 8 : i + 12]}-{digits[i + 12 : i + 16]}-"
        f"{digits[i + 16 : i + 20]}-{digits[i + 20 : i + 32]}"
        for i in range(0, 32 * count, 32)
    ]


def reference_uid(department: str, kind: str, code: str) -> str:
    """The identity of a record of the reference document (`kind`: "action", "ressource")."""
    return str(uuid.uuid5(REFERENCE_NAMESPACE, f"{department}/{kind}/{code}"))


def uid_column() -> Column[str]:
    """A record's identity: given on every insert, even through SQLAlchemy core."""
    return Column("uid", String(36), nullable=True, default=new_uid)


def event_uid_column() -> Column[str]:
    """A journal line's identity (lines written before 0009 have none: they are append-only)."""
    return Column("uid", String(36), nullable=True, default=new_uid)


class StoreIdentity(SQLModel, table=True):
    """This store's own identity (one row), part of a server's identity for the sync state."""

    __tablename__ = "store_identity"

    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(sa_column=Column(String(36), nullable=False, unique=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column("created_at"))
