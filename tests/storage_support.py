"""Making a file or folder really write-protected, even for root (who ignores permissions)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def write_protected(path: Path) -> Iterator[None]:
    """chmod for ordinary users; `chattr +i` (immutable, binding root too) when run as root."""
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(0o500 if path.is_dir() else 0o400)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("ni droits applicables (root) ni chattr +i sur ce système de fichiers")
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", str(path)], check=True)
