"""Errors of the store, each with a French message meant for the user."""

from __future__ import annotations


class StoreError(Exception):
    """A problem with the store, explained in French."""


class NotAStoreFile(StoreError):
    """The file is not a SQLite database, or a SQLite database of another application."""


class StoreBusy(StoreError):
    """Another process holds the store for too long."""


class ValidationError(StoreError):
    """Input that the domain rules refuse; `field` names the field concerned, `index` the record
    of a bulk write (its position in the records given)."""

    def __init__(self, message: str, field: str | None = None, *, index: int | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.index = index


class VersionConflict(StoreError):
    """The record was changed by someone else since it was read."""

    def __init__(self, message: str, current: object | None = None) -> None:
        super().__init__(message)
        self.current = current


class ReadOnlyStore(StoreError):
    """A write was attempted on a store opened read-only."""
