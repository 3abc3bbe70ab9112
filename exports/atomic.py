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
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

#: Prefix and suffix of the temporary folders (tests look for leftovers with them).
TEMP_PREFIX, TEMP_SUFFIX = ".", ".tmp"


class ExportCancelled(Exception):
    """Raised from a progress callback to abandon an export: nothing is written."""


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
    scratch = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{target.name}.", suffix=TEMP_SUFFIX, dir=directory))
    tmp_path = scratch / target.name
    try:
        yield tmp_path
        with open(tmp_path, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp_path, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
