"""Errors of the store, each with a French message meant for the user."""

from __future__ import annotations

import errno


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


#: The system's errors as users read them (Python gives them in English).
_SYSTEM_ERRORS = {
    errno.ENOENT: "fichier ou dossier introuvable",
    errno.EACCES: "droits insuffisants",
    errno.EPERM: "opération non permise",
    errno.EISDIR: "c'est un dossier, pas un fichier",
    errno.ENOTDIR: "un élément du chemin n'est pas un dossier",
    errno.ENOSPC: "le disque est plein",
    errno.EDQUOT: "le quota de disque est dépassé",
    errno.EROFS: "le support est en lecture seule",
    errno.EIO: "erreur de lecture ou d'écriture sur le disque (clé USB retirée ?)",
    errno.ENAMETOOLONG: "nom de fichier trop long",
    errno.EMFILE: "trop de fichiers ouverts",
    errno.EBUSY: "fichier occupé par un autre programme",
    errno.ELOOP: "trop de liens symboliques",
}


def system_error_text(exc: OSError, *, with_file: bool = True) -> str:
    """A system error (`OSError`) in French: what went wrong, and on which file (unless the
    sentence around it names the file already: `with_file` False)."""
    what = _SYSTEM_ERRORS.get(exc.errno or 0, f"erreur du système n° {exc.errno}" if exc.errno else str(exc))
    return f"{what} (« {exc.filename} »)" if exc.filename and with_file else what
