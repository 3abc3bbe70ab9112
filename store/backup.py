"""Backups of a SQLite store with SQLite's online backup API, rotated in `sauvegardes/`."""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

BACKUP_DIR = "sauvegardes"
DEFAULT_KEEP = 10


def backup_dir(store_path: Path) -> Path:
    return store_path.parent / BACKUP_DIR


def backup_sqlite(store_path: Path, reason: str, *, keep: int = DEFAULT_KEEP) -> Path:
    """Copy the store (consistently, even while in use) to `sauvegardes/`, keep the last `keep`."""
    folder = backup_dir(store_path)
    folder.mkdir(mode=0o700, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    safe_reason = "".join(c if c.isalnum() or c in "-_" else "-" for c in reason)[:30]
    target = folder / f"{store_path.stem}-{stamp}-{safe_reason}.sqlite"
    partial = target.with_suffix(".partiel")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    source = sqlite3.connect(f"file:{store_path}?mode=ro", uri=True)
    try:
        destination = sqlite3.connect(partial)
        try:
            source.backup(destination)
        finally:
            destination.close()
    finally:
        source.close()
    os.replace(partial, target)
    rotate(folder, store_path.stem, keep)
    return target


def list_backups(store_path: Path) -> list[Path]:
    """The store's backups, newest first."""
    folder = backup_dir(store_path)
    if not folder.is_dir():
        return []
    return sorted(folder.glob(f"{store_path.stem}-*.sqlite"), reverse=True)


def rotate(folder: Path, stem: str, keep: int) -> None:
    backups = sorted(folder.glob(f"{stem}-*.sqlite"), reverse=True)
    for old in backups[keep:]:
        old.unlink(missing_ok=True)
