"""Run every benchmark module of this package (`python -m bench [--small]`)."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    status = 0
    for module in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name):
        if not module.name.endswith("_bench"):
            continue
        print(f"== {module.name}", flush=True)
        status |= int(importlib.import_module(f"bench.{module.name}").main(args) or 0)
    return status


if __name__ == "__main__":
    sys.exit(main())
