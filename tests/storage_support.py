"""Test helpers: really write-protected files (even for root), figures shown in pytest's output."""

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


def show_in_test_output(request: pytest.FixtureRequest, line: str) -> None:
    """Write a line in pytest's output even though the test's output is captured."""
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        reporter.write_line(line)
