"""The project's modules compiled to bytecode, as an installed copy has them.

`pip install` compiles every module it installs; a checkout run in place compiles them at each
start when `PYTHONDONTWRITEBYTECODE` is set (as on some CI and sandboxed machines), which adds
about 0.1 s to every start of the app and of the import's reading child, and to nothing of the
bare baselines (their libraries are installed, so compiled). The benches call this first.
"""

from __future__ import annotations

import compileall
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("tui", "store", "importers", "exports")


def compile_project() -> None:
    """Write the missing or stale `__pycache__` files of the project's packages (quietly)."""
    for package in PACKAGES:
        compileall.compile_dir(ROOT / package, quiet=1, workers=1)
