"""The state of a store file before it is opened: readable, writable, intact, on a local disk?

Everything here only reads the file (never writes it): a damaged store is left exactly as
it was found, so that it can still be rescued.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from store.errors import NotAStoreFile, StoreError

SQLITE_MAGIC = b"SQLite format 3\x00"
#: Stamped in every store file (`PRAGMA application_id`): "STS1".
APPLICATION_ID = 0x53545331
MOUNTS = Path("/proc/mounts")
#: File systems on which SQLite's locks (and so concurrent use) cannot be trusted.
NETWORK_FILESYSTEMS = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smb",
        "smb2",
        "smb3",
        "smbfs",
        "fuse.sshfs",
        "sshfs",
        "9p",
        "afs",
        "ceph",
        "glusterfs",
        "fuse.glusterfs",
        "davfs",
        "fuse.davfs2",
        "fuse.rclone",
        "fuse.s3fs",
        "lustre",
        "ncpfs",
        "coda",
        "fuse.gvfsd-fuse",
    }
)


class StoreFull(StoreError):
    """The disk (or the size limit) is full: the last change was not saved, nothing else lost."""


class AccessDenied(StoreError):
    """The server refused the operation to this account (another department, read-only)."""


class StoreDamaged(NotAStoreFile):
    """The file is damaged or not a SQLite file; `backups` lists the latest good backups."""

    def __init__(self, message: str, backups: list[Path] | None = None) -> None:
        self.backups = list(backups or [])
        if self.backups:
            listing = "\n".join(f"  - {p}" for p in self.backups)
            message = (
                f"{message}\nLe fichier n'a pas été modifié. Dernières sauvegardes intactes "
                f"(la plus récente d'abord) :\n{listing}\n"
                f"Pour repartir de la plus récente : suivi-sts restore « {self.backups[0]} »."
            )
        else:
            message = f"{message}\nLe fichier n'a pas été modifié. Aucune sauvegarde intacte n'a été trouvée."
        super().__init__(message)
        self.summary = message


@dataclass
class FileState:
    """What could be learnt about a store file without writing to it."""

    exists: bool
    writable: bool = True
    folder_writable: bool = True
    problems: list[str] = field(default_factory=list)

    @property
    def read_only(self) -> bool:
        return self.exists and not (self.writable and self.folder_writable)


def file_is_writable(path: Path) -> bool:
    """Whether the file can really be opened for writing (as root, permissions do not say it)."""
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS, errno.ETXTBSY):
            return False
        raise
    os.close(fd)
    return True


def folder_is_writable(folder: Path) -> bool:
    """Whether files can be created in `folder` (SQLite creates its -wal and -shm files there)."""
    try:
        fd, name = tempfile.mkstemp(prefix=".suivi-sts-essai-", dir=folder)
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            return False
        raise
    os.close(fd)
    os.unlink(name)
    return True


def probe(path: Path) -> FileState:
    """Is the file there, writable, in a writable folder? (Creates and removes a probe file.)"""
    if not path.exists():
        parent = _existing_parent(path)
        return FileState(exists=False, folder_writable=folder_is_writable(parent))
    if not os.access(path, os.R_OK):
        raise NotAStoreFile(f"Le fichier « {path} » n'est pas lisible (droits insuffisants).")
    return FileState(
        exists=True, writable=file_is_writable(path), folder_writable=folder_is_writable(path.parent)
    )


def _existing_parent(path: Path) -> Path:
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    return parent


def has_sqlite_header(path: Path) -> bool:
    """A SQLite file starts with its magic string (an empty file is a new, empty store)."""
    with path.open("rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    return head == SQLITE_MAGIC or head == b""


def read_only_connection(path: Path, *, immutable: bool = False) -> sqlite3.Connection:
    """A connection that cannot write the file (nor create one)."""
    flags = "mode=ro&immutable=1" if immutable else "mode=ro"
    return sqlite3.connect(f"file:{quote(str(path))}?{flags}", uri=True, timeout=5)


def quick_check(path: Path, *, full: bool = False, immutable: bool = False) -> list[str]:
    """Problems found by SQLite's own check of the file (`quick_check`, or `integrity_check`).

    A failure of the disk rather than of the file (full, failing) is no problem of the file:
    it raises `disk_failure`'s error, so that nobody is told to restore a backup for it.
    """
    if not has_sqlite_header(path):
        return ["ce n'est pas un fichier SQLite (en-tête absent)"]
    try:
        conn = read_only_connection(path, immutable=immutable)
    except sqlite3.Error as exc:
        if failure := disk_failure(path, exc):
            raise failure from exc
        return [f"ouverture impossible : {exc}"]
    try:
        pragma = "integrity_check" if full else "quick_check"
        rows = [str(r[0]) for r in conn.execute(f"PRAGMA {pragma}")]
        return [] if rows == ["ok"] else rows[:20]
    except sqlite3.Error as exc:
        if failure := disk_failure(path, exc):
            raise failure from exc
        return [str(exc)]
    finally:
        conn.close()


#: SQLite's primary result codes for a failing disk (SQLITE_IOERR) and a full one (SQLITE_FULL).
_SQLITE_IOERR, _SQLITE_FULL = 10, 13
#: Below this free space, a disk error is taken for a full disk (SQLite's -shm file alone takes
#: 32 KiB; on a full disk it fails as an I/O error, not as SQLITE_FULL).
LOW_DISK_BYTES = 1024 * 1024


def disk_is_low(folder: Path) -> bool:
    """Whether the disk holding `folder` has (nearly) no room left."""
    try:
        return shutil.disk_usage(folder).free < LOW_DISK_BYTES
    except OSError:
        return False


def disk_failure(path: Path, exc: sqlite3.Error) -> StoreError | None:
    """The French error for an SQLite error that comes from the disk holding `path` (full, or
    failing), not from the file's content; None for any other error."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    if primary == _SQLITE_FULL or (primary == _SQLITE_IOERR and disk_is_low(path.parent)):
        return StoreFull(
            f"Le disque qui porte la base « {path} » est plein : elle ne peut pas être ouverte "
            "(SQLite a besoin d'un peu de place à côté d'elle). La base n'a pas été modifiée. "
            "Libérez de la place (ou changez de support) puis recommencez."
        )
    if primary == _SQLITE_IOERR:
        return StoreError(
            f"Erreur de lecture sur le disque qui porte la base « {path} » ({exc}) : la base n'a pas "
            "été modifiée. Vérifiez le support (clé USB retirée ?) puis recommencez."
        )
    return None


def filesystem_type(path: Path, mounts: Path | None = None) -> str | None:
    """The type of the file system holding `path`, read from /proc/mounts (None if unknown)."""
    source = mounts or MOUNTS
    try:
        lines = source.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    target = os.path.realpath(path if path.exists() else _existing_parent(path))
    best, best_type = "", None
    for line in lines:
        parts = line.split()
        if len(parts) < 3:
            continue
        mount_point = parts[1].replace("\\040", " ")
        if (target == mount_point or target.startswith(mount_point.rstrip("/") + "/")) and len(
            mount_point
        ) >= len(best):
            best, best_type = mount_point, parts[2]
    return best_type


def is_network_filesystem(fstype: str | None) -> bool:
    if fstype is None:
        return False
    return fstype in NETWORK_FILESYSTEMS or fstype.startswith(("nfs", "smb", "cifs"))


def network_notice(path: Path, mounts: Path | None = None) -> str | None:
    """A warning when the store sits on a network share (locks unreliable, power cuts riskier)."""
    fstype = filesystem_type(path, mounts)
    if not is_network_filesystem(fstype):
        return None
    return (
        f"La base « {path.name} » est sur un partage réseau ({fstype}) : SQLite n'y garantit pas "
        "les verrous, deux postes pourraient l'abîmer. Travaillez sur une copie locale "
        "(ou sur le serveur régional) et n'ouvrez jamais ce fichier depuis deux postes à la fois."
    )
