"""Writing a file through a temporary file moved into place: a killed export leaves no half file.

The temporary file lives in a private temporary folder beside the target
(`.NAME.XXXXXXXX.tmp/NAME`), where the Excel writer also puts its own scratch files (its
`tmpdir` is the folder of the path it writes): however the export ends (an error, Ctrl+C,
SIGTERM turned into an exception by the command line, an app worker abandoned through
`ExportCancelled`), the whole folder is removed, and the target is either the old file,
untouched, or the complete new one.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import os
import shutil
import sys
import tempfile
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from store.errors import StoreError

#: Prefix and suffix of the temporary folders (tests look for leftovers with them).
TEMP_PREFIX, TEMP_SUFFIX = ".", ".tmp"


class ExportCancelled(Exception):
    """Raised from a progress callback to abandon an export: nothing is written."""


class ExportNotWritten(StoreError):
    """The file could not be written (disk full, folder missing or closed to writing): said in
    French, naming the file; the target is left as it was."""


#: What the system said, as users read it (the file's name and what to do are added).
_DISK_FULL = (errno.ENOSPC, errno.EDQUOT)
_CLOSED = (errno.EACCES, errno.EPERM, errno.EROFS)


def not_written(exc: OSError, target: Path) -> ExportNotWritten | None:
    """The French error for a failure to write `target`; None for an error of another kind."""
    kept = "le fichier d'avant, s'il y en avait un, est intact"
    if exc.errno in _DISK_FULL:
        return ExportNotWritten(
            f"Le disque est plein : « {target.name} » n'a pas été écrit ({kept}). Libérez de la place "
            f"ou choisissez un autre dossier que « {target.parent} », puis recommencez."
        )
    if exc.errno == errno.ENOENT:
        return ExportNotWritten(
            f"Le dossier « {target.parent} » n'existe pas : « {target.name} » n'a pas été écrit. "
            "Choisissez un dossier existant."
        )
    if exc.errno in _CLOSED:
        return ExportNotWritten(
            f"Le dossier « {target.parent} » n'accepte pas d'écriture (droits insuffisants, ou support "
            f"en lecture seule) : « {target.name} » n'a pas été écrit ({kept}). Choisissez un autre dossier."
        )
    if exc.errno == errno.EIO:
        return ExportNotWritten(
            f"Erreur d'écriture sur le disque : « {target.name} » n'a pas été écrit ({kept}). "
            "Vérifiez le support (clé USB retirée ?) puis recommencez."
        )
    return None


def temporary_leftovers(folder: Path) -> list[Path]:
    """What an interrupted write would have left in `folder` (empty when cleaned up)."""
    return sorted(
        p for p in Path(folder).iterdir() if p.name.startswith(TEMP_PREFIX) and TEMP_SUFFIX in p.name
    )


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path for `target`; on success it replaces `target` atomically.

    The temporary folder is removed on every exit, KeyboardInterrupt and SystemExit included
    (a `finally`, not an `except Exception`).
    """
    target = Path(target)
    directory = target.parent if str(target.parent) else Path(".")
    try:
        scratch = Path(
            tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{target.name}.", suffix=TEMP_SUFFIX, dir=directory)
        )
    except OSError as exc:
        raise (not_written(exc, target) or exc) from exc
    tmp_path = scratch / target.name
    try:
        yield tmp_path
        with open(tmp_path, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp_path, target)
    except Exception as exc:
        # The writer's own error may wrap the system's (xlsxwriter's FileCreateError).
        cause = _system_error(exc)
        failure = not_written(cause, target) if cause is not None and cause.errno != errno.ENOENT else None
        if failure is None:  # ENOENT here is no missing folder (that was seen above)
            raise
        _release(exc)
        raise failure from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """`exc`, then its cause or context, and theirs (each once)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _system_error(exc: BaseException) -> OSError | None:
    """The first system error in `exc`'s chain."""
    return next((e for e in _chain(exc) if isinstance(e, OSError) and e.errno is not None), None)


def _release(exc: BaseException) -> None:
    """Free what the failed writer left open, now: its zip file, whose closing fails again on a
    full disk, would otherwise print the interpreter's English complaint when collected."""
    hook = sys.unraisablehook

    def quiet(unraisable: Any) -> None:
        if not isinstance(unraisable.exc_value, OSError):
            hook(unraisable)

    sys.unraisablehook = quiet
    try:
        for each in _chain(exc):
            traceback.clear_frames(each.__traceback__)  # frames still running are kept
        gc.collect()
    finally:
        sys.unraisablehook = hook
