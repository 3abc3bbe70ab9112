"""Interface benchmark: time to the first screen, and search latency with 20,000 actions.

Each figure is reported next to a bare Textual app with an empty DataTable measured in the
same run (same machine, same load), as a ratio:

* first screen: wall time of a fresh process until the first screen is drawn (bare app: an
  empty DataTable; Suivi STS: its opening screen, drawn before the store layer is imported),
  goal within 2x the bare app; and until the dashboard shows its data, on the reference data
  and on a store of 20,000 actions.
* search latency: in the running app on 20,000 actions, from a change of the search text to the
  table showing the new rows (debounce included). Goal: under 100 ms.

    python -m bench.tui_bench [--small] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# Each measured process prints the time elapsed since its parent started it, once its screen
# is laid out (its header has a region on the screen), then leaves at once (workers still
# busy do not count).
_REPORT = "import os, time; print('ELAPSED', time.time() - float(sys.argv[-1]), flush=True); os._exit(0)"

BARE_APP = f"""
import asyncio, sys
from textual.app import App
from textual.widgets import DataTable, Footer, Header
class Bare(App):
    def compose(self):
        yield Header(); yield DataTable(); yield Footer()
async def main():
    app = Bare()
    async with app.run_test(size=(120, 40)) as pilot:
        while not app.screen.query(Header) or not app.screen.query_one(Header).region:
            await asyncio.sleep(0.002)
        {_REPORT}
asyncio.run(main())
"""

SUIVI_FIRST_SCREEN = f"""
import asyncio, sys
from tui.app import make_app
from textual.widgets import Header
from tui.screens.startup import StartupScreen
async def main():
    app = make_app(sys.argv[1])
    async with app.run_test(size=(120, 40)) as pilot:
        while not isinstance(app.screen, StartupScreen) or not app.screen.query_one(Header).region:
            await asyncio.sleep(0.002)
        {_REPORT}
asyncio.run(main())
"""

SUIVI_APP = f"""
import asyncio, sys
from tui.app import make_app
from tui.screens.dashboard import DashboardScreen
async def main():
    app = make_app(sys.argv[1])
    async with app.run_test(size=(120, 40)) as pilot:
        while not isinstance(app.screen, DashboardScreen) or not app.screen.query_one("#dept-title").render():
            await pilot.pause(0.005)
        await app.workers.wait_for_complete()
        await pilot.pause()
        {_REPORT}
asyncio.run(main())
"""

SEARCHES = ["coordination", "depistage", "bassin", "n°1999", "cpts", "mammobile", "zzz"]


def _wall(code: str, *args: str, runs: int) -> float:
    """Median time from starting a fresh interpreter on `code` to its screen being drawn."""
    times = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", code, *args, repr(time.time())], capture_output=True, text=True
        )
        elapsed = [line.split()[1] for line in done.stdout.splitlines() if line.startswith("ELAPSED ")]
        if done.returncode or not elapsed:
            raise RuntimeError(f"le processus mesuré a échoué :\n{done.stderr[-3000:]}")
        times.append(float(elapsed[0]))
    return statistics.median(times)


async def _search_latencies(db: Path) -> list[float]:
    from textual.widgets import DataTable, Input

    from tui.app import make_app
    from tui.screens.actions import ActionsScreen
    from tui.screens.base import BaseScreen

    app = make_app(db)
    latencies = []
    async with app.run_test(size=(120, 40)) as pilot:
        while not isinstance(app.screen, BaseScreen):  # the store opens in a worker
            await pilot.pause(0.01)
        await pilot.press("f4")
        await app.workers.wait_for_complete()
        await pilot.pause(0.2)
        screen = app.screen
        assert isinstance(screen, ActionsScreen)
        table = screen.query_one("#actions-table", DataTable)
        search = screen.query_one("#search", Input)
        for text in SEARCHES * 2:
            before = screen.criteria
            start = time.perf_counter()
            search.value = text
            count = screen.query_one("#count")
            # answered when the count line describes the new search
            while screen.criteria == before or f"« {text} »" not in str(count.render()):
                await asyncio.sleep(0.001)
            latencies.append(time.perf_counter() - start)
            assert table.row_count >= 0
            search.value = ""
            await pilot.pause(0.1)
            await app.workers.wait_for_complete()
    return latencies


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.tui_bench")
    parser.add_argument("--small", action="store_true", help="2,000 actions, one run each (a few seconds)")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args(argv)
    actions, runs = (2_000, 1) if args.small else (20_000, 3)

    from bench.excel_bench import build_store
    from importers.setup_store import initialise

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        reference = folder / "reference.sqlite"
        initialise(reference).store.dispose()
        big = build_store(folder, actions, 10, 1)
        big_path = big.path
        big.dispose()
        bare = _wall(BARE_APP, runs=runs)
        first_paint = _wall(SUIVI_FIRST_SCREEN, str(reference), runs=runs)
        first_reference = _wall(SUIVI_APP, str(reference), runs=runs)
        first_big = _wall(SUIVI_APP, str(big_path), runs=runs)
        latencies = asyncio.run(_search_latencies(big_path))
    figures: dict[str, Any] = {
        "actions": actions,
        "bare_first_screen_s": round(bare, 3),
        "first_screen_s": round(first_paint, 3),
        "first_screen_ratio": round(first_paint / bare, 2),
        "first_screen_reference_s": round(first_reference, 3),
        "first_screen_ratio_reference": round(first_reference / bare, 2),
        "first_screen_big_s": round(first_big, 3),
        "first_screen_ratio_big": round(first_big / bare, 2),
        "search_median_ms": round(statistics.median(latencies) * 1000, 1),
        "search_max_ms": round(max(latencies) * 1000, 1),
    }
    print(f"Bare Textual app, empty DataTable: {bare:.2f} s to the first screen")
    ratio_first = figures["first_screen_ratio"]
    print(f"Suivi STS, first screen:            {first_paint:.2f} s  (×{ratio_first}, goal ≤ 2)")
    ratio_reference, ratio_big = figures["first_screen_ratio_reference"], figures["first_screen_ratio_big"]
    print(f"Suivi STS, dashboard with data:     {first_reference:.2f} s  (×{ratio_reference})")
    print(f"Suivi STS, {actions} actions, data:  {first_big:.2f} s  (×{ratio_big})")
    print(
        f"Search with {actions} actions: median {figures['search_median_ms']} ms, "
        f"max {figures['search_max_ms']} ms (goal < 100 ms, debounce included)"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
