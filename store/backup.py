"""Backups of a SQLite store with SQLite's online backup API, in `sauvegardes/`.

- `backup_sqlite` copies the store consistently even while it is in use (other readers and
  writers keep working), to a temporary name first, fsynced, then renamed.
- Two kinds, told apart by the file name alone (so they survive copying the folder):
  *manual* backups, taken by hand (`manual_backup`, `suivi-sts backup`), named
  `<stem>-<stamp>-manuelle.sqlite`, are never deleted by the application; *automatic* ones,
  named `<stem>-<stamp>-auto-<reason>.sqlite`, are taken before every import, reference load,
  schema upgrade and restore, and at most once a day when the store is opened
  (`daily_backup_due`). Rotation keeps the last `keep_backups()` automatic backups
  (`SUIVI_STS_KEEP_BACKUPS`, default 10) and deletes nothing else.
- Names written before the kinds existed (`<stem>-<stamp>-<reason>.sqlite`) are read by their
  reason: `manuelle` is manual (only `suivi-sts backup` ever wrote it); the reasons the
  application itself wrote (`avant-import`, `avant-reference`, `avant-restauration`,
  `ouverture`, `avant-migration-…`) are automatic; any other name (a copy renamed by a file
  manager, « … - Copie ») is of unknown kind and, like a manual one, never deleted.
- `restore` checks the backup, copies it, backs up the current state, and swaps the file
  atomically.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path

from store.engine import APPLICATION_ID
from store.errors import StoreBusy, StoreError
from store.health import StoreFull, has_sqlite_header, read_only_connection

BACKUP_DIR = "sauvegardes"
DEFAULT_KEEP = 10
ENV_KEEP = "SUIVI_STS_KEEP_BACKUPS"
_STAMP = "%Y%m%dT%H%M%S%fZ"
# `<stem>-<stamp>-<reason>.sqlite`; greedy on the stem, so a stem that holds a stamp itself
# (a store made from a backup) still yields the backup's own stamp.
_NAME = re.compile(r"^(?P<stem>.*)-(?P<stamp>\d{8}T\d{12}Z)-(?P<reason>.+)\.sqlite$")

MANUAL_REASON = "manuelle"
_AUTO_PREFIX = "auto-"
# What `backup_sqlite` writes after the prefix: letters, digits, "-" and "_" only. A name a
# file manager made by copying (spaces, brackets: « … - Copie », « … (1) ») never matches.
_AUTO_REASON = re.compile(r"[\w-]{1,30}")
# Reasons the application wrote before backups had a kind: automatic backups.
_LEGACY_AUTOMATIC = re.compile(
    r"avant-import|avant-reference|avant-restauration|ouverture|avant-migration-\w+"
)
_REASON_LABELS = {
    "avant-import": "avant import",
    "avant-reference": "avant chargement d'un schéma de référence",
    "avant-restauration": "avant restauration",
    "ouverture": "quotidienne, à l'ouverture",
}


class BackupKind(StrEnum):
    MANUAL = "manuelle"  # taken by hand: kept until the user deletes it
    AUTOMATIC = "automatique"  # taken by the application: rotated
    UNKNOWN = "inconnue"  # a name we did not write: kept, like a manual one


@dataclass(frozen=True)
class BackupInfo:
    """What a backup's file name says: its kind, why it was taken, when."""

    path: Path
    kind: BackupKind
    reason: str
    taken_at: datetime | None

    @property
    def rotated(self) -> bool:
        """Whether rotation may delete it (automatic backups only)."""
        return self.kind is BackupKind.AUTOMATIC

    @property
    def label(self) -> str:
        """The kind in French, as the listing shows it: « manuelle », « automatique (avant import) »…"""
        if self.kind is BackupKind.MANUAL:
            return "manuelle"
        if self.kind is BackupKind.AUTOMATIC:
            return f"automatique ({_reason_label(self.reason)})"
        return "d'origine inconnue (jamais supprimée automatiquement)"


def _reason_label(reason: str) -> str:
    if reason in _REASON_LABELS:
        return _REASON_LABELS[reason]
    if reason.startswith("avant-migration-"):
        return f"avant mise à niveau du schéma {reason.removeprefix('avant-migration-')}"
    return reason.replace("-", " ").replace("_", " ")


def describe_backup(path: Path) -> BackupInfo:
    """Kind, reason and date of a backup, from its file name."""
    found = _NAME.match(path.name)
    if found is None:
        return BackupInfo(path, BackupKind.UNKNOWN, "", None)
    reason = found["reason"]
    try:
        taken = datetime.strptime(found["stamp"], _STAMP).replace(tzinfo=UTC)
    except ValueError:
        taken = None
    if reason == MANUAL_REASON:
        kind = BackupKind.MANUAL
    elif reason.startswith(_AUTO_PREFIX) and _AUTO_REASON.fullmatch(reason.removeprefix(_AUTO_PREFIX)):
        kind, reason = BackupKind.AUTOMATIC, reason.removeprefix(_AUTO_PREFIX)
    elif _LEGACY_AUTOMATIC.fullmatch(reason):
        kind = BackupKind.AUTOMATIC
    else:
        kind = BackupKind.UNKNOWN
    return BackupInfo(path, kind, reason, taken)


def keep_backups() -> int:
    """How many backups to keep (`SUIVI_STS_KEEP_BACKUPS`, at least 1)."""
    try:
        return max(1, int(os.environ.get(ENV_KEEP, DEFAULT_KEEP)))
    except ValueError:
        return DEFAULT_KEEP


def backup_dir(store_path: Path) -> Path:
    return store_path.parent / BACKUP_DIR


def manual_backup(store_path: Path) -> Path:
    """A backup taken by hand (`suivi-sts backup`): never deleted by rotation."""
    return backup_sqlite(store_path, MANUAL_REASON)


def backup_sqlite(
    store_path: Path, reason: str, *, keep: int | None = None, spare: Path | None = None
) -> Path:
    """Copy the store (consistently, even while in use) to `sauvegardes/`, then rotate.

    `reason` "manuelle" (`MANUAL_REASON`) makes a manual backup; any other reason an automatic
    one. Rotation keeps the last `keep` automatic backups (and `spare`, the backup being
    restored); manual backups are never deleted.
    """
    folder = backup_dir(store_path)
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        stamp = datetime.now(UTC).strftime(_STAMP)
        if reason == MANUAL_REASON:
            tag = MANUAL_REASON
        else:
            tag = _AUTO_PREFIX + "".join(c if c.isalnum() or c in "-_" else "-" for c in reason)[:30]
        target = folder / f"{store_path.stem}-{stamp}-{tag}.sqlite"
        partial = target.with_suffix(".partiel")
        _copy_with_backup_api(store_path, partial)
        os.replace(partial, target)
        _fsync_dir(folder)
    except OSError as exc:
        with contextlib.suppress(UnboundLocalError, OSError):
            partial.unlink(missing_ok=True)
        raise _backup_failed(store_path, exc) from exc
    except sqlite3.Error as exc:
        with contextlib.suppress(UnboundLocalError, OSError):
            partial.unlink(missing_ok=True)
        if "full" in str(exc).lower():
            raise _backup_failed(store_path, exc) from exc
        raise StoreError(f"Sauvegarde de « {store_path.name} » impossible : {exc}.") from exc
    rotate(folder, store_path.stem, keep_backups() if keep is None else keep, spare=spare)
    return target


def _backup_failed(store_path: Path, exc: Exception) -> StoreError:
    if "full" in str(exc).lower() or getattr(exc, "errno", None) == 28:  # ENOSPC
        return StoreFull(
            f"Sauvegarde de « {store_path.name} » impossible : le disque est plein. "
            "La base elle-même n'a pas été modifiée ; libérez de la place puis recommencez."
        )
    return StoreError(f"Sauvegarde de « {store_path.name} » impossible : {exc}.")


def _copy_with_backup_api(source_path: Path, destination_path: Path) -> None:
    """SQLite's online backup of `source_path` into a new private file, fsynced, single-file."""
    fd = os.open(destination_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=30)
    try:
        destination = sqlite3.connect(destination_path)
        try:
            source.backup(destination, pages=1024)
            # A backup is one self-contained file (no -wal beside it).
            destination.execute("PRAGMA journal_mode = DELETE")
        finally:
            destination.close()
    finally:
        source.close()
    _fsync_file(destination_path)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - Windows cannot open folders
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse it
        pass
    finally:
        os.close(fd)


def list_backups(store_path: Path) -> list[Path]:
    """The store's backups, of every kind, newest first."""
    folder = backup_dir(store_path)
    if not folder.is_dir():
        return []
    return _backups_of(folder, store_path.stem)


def describe_backups(store_path: Path) -> list[BackupInfo]:
    """The store's backups with their kind (`BackupInfo.label` in French), newest first."""
    return [describe_backup(path) for path in list_backups(store_path)]


def _backups_of(folder: Path, stem: str) -> list[Path]:
    """Backups named `<stem>-<stamp>-<reason>.sqlite` (not those of "<stem>-2025.sqlite"), newest first."""
    pattern = re.compile(rf"^{re.escape(stem)}-\d{{8}}T\d{{12}}Z-[^/]*\.sqlite$")
    found = [p for p in folder.glob(f"{stem}-*.sqlite") if pattern.match(p.name)]
    return sorted(found, key=_stamp_key, reverse=True)


def _stamp_key(path: Path) -> str:
    found = _NAME.match(path.name)
    return found["stamp"] if found else ""


def backup_date(path: Path) -> datetime | None:
    """When a backup was taken (from its name), in UTC."""
    return describe_backup(path).taken_at


def rotate(folder: Path, stem: str, keep: int, *, spare: Path | None = None) -> None:
    """Delete the automatic backups beyond the `keep` newest (never `spare`); keep all others."""
    automatic = [p for p in _backups_of(folder, stem) if describe_backup(p).rotated]
    for old in automatic[keep:]:
        if spare is not None and _same_file(old, spare):
            continue
        old.unlink(missing_ok=True)
    # left by a backup interrupted by a crash (not one another process is writing right now)
    pattern = re.compile(rf"^{re.escape(stem)}-\d{{8}}T\d{{12}}Z-[^/]*\.partiel$")
    for partial in folder.glob(f"{stem}-*.partiel"):
        with contextlib.suppress(OSError):
            if pattern.match(partial.name) and time.time() - partial.stat().st_mtime > 600:
                partial.unlink()


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def daily_backup_due(store_path: Path, today: date | None = None) -> bool:
    """No backup (of any kind) taken yet today (local time): the app takes one when it opens the store."""
    today = today or datetime.now().astimezone().date()
    for backup in list_backups(store_path):
        taken = backup_date(backup)
        if taken is not None and taken.astimezone().date() >= today:
            return False
    return True


# --- checking and restoring -------------------------------------------------------------------


@dataclass(frozen=True)
class BackupCheck:
    path: Path
    problems: list[str]
    revision: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_backup(path: Path) -> BackupCheck:
    """A backup is usable if SQLite finds it intact, it is ours, and its schema is one we know."""
    from store.schema import known_revisions

    if not path.is_file():
        return BackupCheck(path, [f"le fichier « {path} » n'existe pas"])
    if not has_sqlite_header(path) or path.stat().st_size == 0:
        return BackupCheck(path, ["ce n'est pas un fichier SQLite"])
    try:
        conn = read_only_connection(path)
    except sqlite3.Error as exc:
        return BackupCheck(path, [f"ouverture impossible : {exc}"])
    problems: list[str] = []
    revision = None
    try:
        rows = [str(r[0]) for r in conn.execute("PRAGMA integrity_check")]
        if rows != ["ok"]:
            problems += [f"intégrité : {r}" for r in rows[:10]]
        if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
            problems.append("ce n'est pas une base Suivi STS (identifiant d'application absent)")
        has_version = conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).fetchone()[0]
        if not has_version:
            problems.append("schéma absent (pas de table alembic_version)")
        else:
            found = conn.execute("SELECT version_num FROM alembic_version").fetchall()
            revision = found[0][0] if len(found) == 1 else None
            if revision is None:
                problems.append("version du schéma illisible")
            elif revision not in known_revisions():
                problems.append(
                    f"schéma {revision} inconnu de cette version de Suivi STS (sauvegarde plus récente ?)"
                )
    except sqlite3.Error as exc:
        problems.append(str(exc))
    finally:
        conn.close()
    return BackupCheck(path, problems, revision)


def latest_good_backups(store_path: Path, limit: int = 3) -> list[Path]:
    """The newest backups that pass `verify_backup`, of any kind, newest first."""
    good = []
    for backup in list_backups(store_path):
        if verify_backup(backup).ok:
            good.append(backup)
            if len(good) >= limit:
                break
    return good


@dataclass(frozen=True)
class RestoreResult:
    restored_from: Path
    previous_state: Path | None  # the backup of what was there before (None: no file)


def restore(store_path: Path, backup: Path) -> RestoreResult:
    """Put `backup` in place of the store: checked first, current state backed up, atomic swap.

    The backup is copied before the current state is backed up, so the rotation that follows
    that backup cannot delete the file being restored (it is spared anyway).

    The store must be closed (no other program using it): a store in use gives StoreBusy
    and nothing is changed.
    """
    checked = verify_backup(backup)
    if not checked.ok:
        raise StoreError(
            f"La sauvegarde « {backup} » est inutilisable : {'; '.join(checked.problems)}. "
            "La base actuelle n'a pas été modifiée."
        )
    temp = store_path.with_name(f".{store_path.name}.restauration-{os.getpid()}")
    try:
        _copy_with_backup_api(backup, temp)
        if not verify_backup(temp).ok:  # pragma: no cover - the copy itself went wrong
            raise StoreError(f"La copie de « {backup} » est endommagée : restauration annulée.")
        previous = _save_current_state(store_path, spare=backup) if store_path.exists() else None
        with _exclusive(store_path):
            os.replace(temp, store_path)
            _fsync_dir(store_path.parent)
            for suffix in ("-wal", "-shm", "-journal"):
                Path(f"{store_path}{suffix}").unlink(missing_ok=True)
    except OSError as exc:
        raise _backup_failed(store_path, exc) from exc
    finally:
        temp.unlink(missing_ok=True)
    return RestoreResult(backup, previous)


def _save_current_state(store_path: Path, *, spare: Path) -> Path:
    """Back up the store before it is replaced; a damaged store is copied byte for byte.

    The byte-for-byte copy (`.endommage`) is neither listed, offered, nor rotated.
    """
    try:
        return backup_sqlite(store_path, "avant-restauration", spare=spare)
    except StoreFull:
        raise
    except StoreError:
        folder = backup_dir(store_path)
        folder.mkdir(mode=0o700, exist_ok=True)
        stamp = datetime.now(UTC).strftime(_STAMP)
        raw = folder / f"{store_path.stem}-{stamp}-avant-restauration.endommage"
        shutil.copyfile(store_path, raw)
        wal = Path(f"{store_path}-wal")
        if wal.exists():
            shutil.copyfile(wal, Path(f"{raw}-wal"))
        _fsync_file(raw)
        return raw


@contextlib.contextmanager
def _exclusive(store_path: Path) -> Iterator[None]:
    """Hold the store alone: leaving WAL mode only succeeds when no other connection is open."""
    conn = _lock_alone(store_path)
    try:
        yield
    finally:
        if conn is not None:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            conn.close()


def _lock_alone(store_path: Path) -> sqlite3.Connection | None:
    if not store_path.exists():
        return None
    try:
        conn = sqlite3.connect(store_path, timeout=2, isolation_level=None)
    except sqlite3.Error:
        return None
    try:
        mode = conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
        if str(mode).lower() != "delete":
            raise StoreBusy(_IN_USE)
        conn.execute("BEGIN EXCLUSIVE")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            conn.close()
            raise StoreBusy(_IN_USE) from exc
        # A damaged store cannot be locked; it is replaced all the same.
    except sqlite3.DatabaseError:
        pass
    except BaseException:
        conn.close()
        raise
    return conn


_IN_USE = (
    "La base est ouverte par un autre programme (Suivi STS dans une autre fenêtre ?) : "
    "fermez-le, puis recommencez la restauration. Rien n'a été modifié."
)
