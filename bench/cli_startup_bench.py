"""Command-line start-up benchmark: `suivi-sts --help` and a usage error, next to `python -c pass`.

Each case runs in a fresh process, as users run it (the `suivi-sts` script of this
interpreter). Every round runs a bare `python -c pass` and each case once, in turn, plainly and
under `-X importtime` (PYTHONPROFILEIMPORTTIME); the medians over the rounds are reported side
by side: wall time, its ratio to `python -c pass` and the time above it, the time spent
importing, and the heavy packages imported (none of SQLAlchemy, SQLModel, pydantic or Textual
should appear).

Goal: help and usage errors answered within 0.3 s. Opening the app itself is timed in a
terminal by bench/tui_bench.py (first paint, dashboard with data).

    python -m bench.cli_startup_bench [--small] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.installed import compile_project

#: Packages that help and usage errors must not import (each costs tenths of a second).
HEAVY = ("sqlalchemy", "sqlmodel", "pydantic", "pydantic_core", "textual", "alembic", "openpyxl")

GOAL_S = 0.3

CASES = {
    "help": ["--help"],
    "export --help": ["export", "--help"],
    "usage error": ["nimportequoi"],
}


def suivi_sts_command() -> list[str]:
    """The `suivi-sts` script installed beside this interpreter (else the same entry point via -c)."""
    script = Path(sys.executable).with_name("suivi-sts")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from tui.cli import main; sys.exit(main())"]


BASELINE = [sys.executable, "-c", "pass"]


def wall_time(command: list[str]) -> float:
    """Wall time of one fresh process running `command` (output discarded)."""
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def import_profile(command: list[str]) -> tuple[float, list[str], subprocess.CompletedProcess[str]]:
    """One process under -X importtime: seconds spent importing (sum of the top-level
    cumulative times), the modules imported, and the finished process."""
    env = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    total_us, modules = 0, []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line.split(":", 1)[1].split("|")
        modules.append(name.strip())
        if not name.startswith("  "):  # one space after the bar: a top-level import
            total_us += int(cumulative)
    return total_us / 1e6, modules, done


def heavy_imports(modules: list[str]) -> list[str]:
    return sorted({m.split(".")[0] for m in modules} & set(HEAVY))


def run(runs: int) -> dict[str, Any]:
    """Each round runs the baseline and every case once, in turn, so that a change of load on
    the machine weighs on all of them alike; medians over the rounds."""
    commands = {"baseline": BASELINE, **{name: suivi_sts_command() + args for name, args in CASES.items()}}
    walls: dict[str, list[float]] = {name: [] for name in commands}
    imports: dict[str, list[float]] = {name: [] for name in commands}
    last: dict[str, tuple[list[str], int]] = {}
    for _ in range(runs):
        for name, command in commands.items():
            walls[name].append(wall_time(command))
            import_s, modules, done = import_profile(command)
            imports[name].append(import_s)
            last[name] = (modules, done.returncode)
    baseline = statistics.median(walls["baseline"])
    figures: dict[str, Any] = {
        "runs": runs,
        "baseline_s": round(baseline, 4),
        "baseline_import_s": round(statistics.median(imports["baseline"]), 4),
        "cases": {},
    }
    for name in CASES:
        seconds = statistics.median(walls[name])
        figures["cases"][name] = {
            "s": round(seconds, 4),
            "min_s": round(min(walls[name]), 4),
            "max_s": round(max(walls[name]), 4),
            "ratio": round(seconds / baseline, 2),
            "above_baseline_s": round(seconds - baseline, 4),
            "import_s": round(statistics.median(imports[name]), 4),
            "exit_code": last[name][1],
            "heavy_imports": heavy_imports(last[name][0]),
        }
    return figures


def report(figures: dict[str, Any]) -> str:
    lines = [
        f"python -c pass:           {figures['baseline_s']:.3f} s "
        f"(imports {figures['baseline_import_s']:.3f} s), medians of {figures['runs']} rounds"
    ]
    for name, case in figures["cases"].items():
        heavy = ", ".join(case["heavy_imports"]) or "none"
        lines.append(
            f"suivi-sts {name + ':':<15} {case['s']:.3f} s "
            f"(min {case['min_s']:.3f}, max {case['max_s']:.3f}; ×{case['ratio']}, "
            f"+{case['above_baseline_s'] * 1000:.0f} ms; goal ≤ {GOAL_S} s) "
            f"imports {case['import_s']:.3f} s; exit {case['exit_code']}; heavy imports: {heavy}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.cli_startup_bench", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--small", action="store_true", help="3 runs per case instead of 15")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the figures to this file")
    args, _unknown = parser.parse_known_args(argv)
    compile_project()  # as installed: no module compiled at each start
    figures = run(3 if args.small else 15)
    print(report(figures), flush=True)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
