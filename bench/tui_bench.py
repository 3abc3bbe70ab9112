"""Interface benchmark: the real `suivi-sts` command in a pseudo-terminal, as users feel it.

Everything is timed from outside, on what the terminal shows (bench/terminal.py), side by side
with raw baselines measured in the same run, on the same machine, as ratios:

* **first paint**: from starting the process to « Ouverture de la base » on the screen; the
  baseline is a bare Textual app (header, one line of text, an empty table, footer) drawing the
  same line. Goal ≤ 1.2×.
* **dashboard with data**: from starting `suivi-sts --db FILE` to « N actions, M en retard » on
  the screen, on the Ariège store and on stores of 1,000 / 10,000 / 100,000 actions. Goal ≤ 2.5×
  the bare app's first paint.
* **search**: on the Actions screen (F4), each search word typed one key at a time; each key is
  timed from leaving the keyboard to the count line « N action(s) — « texte » — affichées » being
  drawn. The baseline is a bare Textual app filtering the same folded texts in memory (a list
  comprehension) at each key, as the app searches at once, and drawing the same count line and
  200 rows. Goal: median ≤ 100 ms and ≤ 1.2× the baseline.
* **memory**: resident memory (VmRSS) of each program after every search round, the rounds
  repeated: it must stay flat, and ≤ 1.5× the bare filter app's.

Five runs of each (min / median / max). The 100,000-action store is built fast in SQL (a minute
or so); `--sizes 1000,10000` leaves it out, `--small` is a quick check (1,000 actions, 2 runs).

    python -m bench.tui_bench [--small] [--sizes 1000,10000,100000] [--runs 5] [--opening-only] [--json FILE]

`--opening-only` measures the first paint and the dashboards alone (no search, no memory).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

from bench.installed import compile_project
from bench.terminal import CTRL_U, F4, Terminal

SIZE = (120, 40)
OPENING = "Ouverture de la base"
DASHBOARD = re.compile(r"\d+ actions, \d+ en retard")
ACTIONS_LIST = re.compile(r"toutes les actions — affichées")
SEARCHES = ["coordination", "bassin", "n°1999", "cpts", "zzz"]

BARE_APP = textwrap.dedent(
    """
    import sys
    from textual.app import App
    from textual.widgets import DataTable, Footer, Header, Static

    class Bare(App):
        TITLE = "Suivi STS"

        def compose(self):
            yield Header()
            yield Static("Ouverture de la base « bare »…")
            yield DataTable()
            yield Footer()

    Bare().run()
    """
)

BARE_FILTER = textwrap.dedent(
    """
    import sqlite3, sys
    from textual import on
    from textual.app import App
    from textual.widgets import DataTable, Footer, Header, Input, Static
    from store.vocab import fold

    rows = sqlite3.connect(sys.argv[1]).execute(
        "SELECT code, title, status, progress, due_date, coalesce(description, ''), coalesce(funding, '')"
        " FROM action ORDER BY code"
    ).fetchall()
    texts = [fold(" ".join(str(v) for v in r if v)) for r in rows]

    class BareFilter(App):
        def compose(self):
            yield Header()
            yield Input(id="search")
            yield Static(id="count")
            yield DataTable(id="table")
            yield Footer()

        def on_mount(self):
            table = self.query_one(DataTable)
            for label in ("Code", "Intitulé", "Statut", "Avancement", "Échéance"):
                table.add_column(label)
            self.show("")

        @on(Input.Changed)
        def changed(self, event):
            self.show(event.value)

        def show(self, search):
            words = fold(search).split()
            found = [r for r, t in zip(rows, texts) if all(w in t for w in words)]
            table = self.query_one(DataTable)
            table.clear()
            for r in found[:200]:
                table.add_row(*(str(v) for v in r[:5]))
            said = f"« {search} »" if words else "toutes les actions"
            self.query_one("#count", Static).update(f"{len(found)} action(s) — {said} — affichées 1–200")

    BareFilter().run()
    """
)


def suivi_sts() -> list[str]:
    """The `suivi-sts` script installed beside this interpreter (else its entry point via -c)."""
    script = Path(sys.executable).with_name("suivi-sts")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from tui.cli import main; sys.exit(main())"]


def stats(values: list[float], scale: float = 1.0, digits: int = 3) -> dict[str, float]:
    return {
        "min": round(min(values) * scale, digits),
        "median": round(statistics.median(values) * scale, digits),
        "max": round(max(values) * scale, digits),
    }


# --- stores ---------------------------------------------------------------------------------


def build_store(path: Path, actions: int) -> Path:
    """The Ariège store plus `actions` test actions: up to 1,000 written by
    `bench.excel_bench.build_store` (codes BEN-000000…, one objective each, due in 2025), the
    others copied from them in SQL."""
    import sqlite3

    from bench.excel_bench import build_store as build_template
    from importers.setup_store import initialise

    template = min(actions, 1000)
    folder = path.parent / path.stem
    folder.mkdir()
    store = build_template(folder, template, 1, 1) if template else initialise(folder / "bench.sqlite").store
    store.dispose()
    (folder / "bench.sqlite").rename(path)
    if actions > template:
        db = sqlite3.connect(path)
        # the template's codes: BEN- and as many digits as `bench.excel_bench` writes
        width = len(db.execute("SELECT max(code) FROM action WHERE code LIKE 'BEN-%'").fetchone()[0]) - 4
        code = f"printf('BEN-%0{width}d', {{}})"
        columns = [
            row[1]
            for row in db.execute("PRAGMA table_info(action)")
            if row[1] not in ("id", "code", "title", "uid")
        ]
        copied = ", ".join(f"t.{c}" for c in columns)
        with db:
            db.execute(
                f"""WITH RECURSIVE seq(n) AS (SELECT {template} UNION ALL SELECT n + 1 FROM seq WHERE n < ?)
                INSERT INTO action (code, title, uid, {", ".join(columns)})
                SELECT {code.format("n")},
                       printf('Action de test n°%d : coordination des acteurs du bassin', n),
                       lower(substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-4' || substr(h, 14, 3) || '-'
                             || substr(h, 17, 4) || '-' || substr(h, 21, 12)),
                       {copied}
                FROM (SELECT n, hex(randomblob(16)) AS h FROM seq) JOIN action t
                  ON t.code = {code.format(f"n % {template}")}""",
                (actions - 1,),
            )
            db.execute(
                f"""INSERT INTO action_objective (action_id, objective_id, position)
                SELECT a.id, ao.objective_id, 0 FROM action a
                JOIN action t ON t.code = {code.format(f"CAST(substr(a.code, 5) AS INTEGER) % {template}")}
                JOIN action_objective ao ON ao.action_id = t.id
                WHERE a.code LIKE 'BEN-%' AND CAST(substr(a.code, 5) AS INTEGER) >= {template}"""
            )
        found = db.execute("SELECT count(*) FROM action").fetchone()[0]
        db.close()
        if found < actions:
            raise RuntimeError(f"the store has {found} actions, not {actions}: the template has changed")
    return path


# --- measures -------------------------------------------------------------------------------


def time_to(command: list[str], pattern: str | re.Pattern[str]) -> float:
    """Seconds from starting `command` in a terminal to `pattern` on its screen."""
    with Terminal(command, size=SIZE) as term:
        return term.wait_for(pattern, timeout=120) - term.started


def searches(command: list[str], ready: str | re.Pattern[str], rounds: int, *, f4: bool) -> dict[str, Any]:
    """Each search word typed key by key, `rounds` times: latency of each key to its drawn
    result, resident memory after each round."""
    latencies: list[float] = []
    memory: list[float] = []
    with Terminal(command, size=SIZE) as term:
        if f4:
            term.wait_for(DASHBOARD, timeout=120)
            since = term.mark()
            term.type(F4)
        else:
            since = 0
        term.wait_for(ready, since=since, timeout=120)
        if f4:
            term.type("/")  # to the search box
        time.sleep(2.0)  # what the screen prepares in the background (the folded texts) is ready
        memory.append(term.rss_mib())
        for _ in range(rounds):
            for word in SEARCHES:
                for end in range(1, len(word) + 1):
                    since = term.mark()
                    start = term.type(word[end - 1])
                    shown = term.wait_for(
                        re.compile(re.escape(f"« {word[:end]} »") + " — affichées"), since=since
                    )
                    latencies.append(shown - start)
                since = term.mark()
                term.type(CTRL_U)
                term.wait_for(ACTIONS_LIST, since=since)
            memory.append(term.rss_mib())
    return {
        "keys": len(latencies),
        "ms": stats(latencies, 1000, 1),
        "rss_mib_after_each_round": [round(m, 1) for m in memory],
    }


def run(sizes: list[int], runs: int, *, search: bool = True) -> dict[str, Any]:
    suivi = suivi_sts()
    figures: dict[str, Any] = {"runs": runs, "sizes": sizes, "size": f"{SIZE[0]}x{SIZE[1]}"}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bare = folder / "bare_app.py"
        bare.write_text(BARE_APP, encoding="utf-8")
        bare_filter = folder / "bare_filter.py"
        bare_filter.write_text(BARE_FILTER, encoding="utf-8")
        stores = {"ariege": build_store(folder / "ariege.sqlite", 0)}
        for n in sizes:
            started = time.perf_counter()
            stores[str(n)] = build_store(folder / f"actions_{n}.sqlite", n)
            print(f"  store of {n} actions built in {time.perf_counter() - started:.1f} s", flush=True)
        for path in stores.values():  # the day's first opening takes a backup: not what is timed
            time_to([*suivi, "--db", str(path)], DASHBOARD)
        bare_s: list[float] = []
        first: list[float] = []
        dashboards: dict[str, list[float]] = {name: [] for name in stores}
        for _ in range(runs):  # in turn, so that a change of load weighs on all alike
            bare_s.append(time_to([sys.executable, str(bare)], OPENING))
            first.append(time_to([*suivi, "--db", str(stores["ariege"])], OPENING))
            for name, path in stores.items():
                dashboards[name].append(time_to([*suivi, "--db", str(path)], DASHBOARD))
        print(f"  first paint: bare {bare_s}, suivi-sts {first}; dashboards {dashboards}", flush=True)
        bare_median = statistics.median(bare_s)
        figures["bare_first_paint_s"] = stats(bare_s)
        figures["first_paint_s"] = stats(first)
        figures["first_paint_ratio"] = round(statistics.median(first) / bare_median, 2)
        figures["dashboard_s"] = {name: stats(times) for name, times in dashboards.items()}
        figures["dashboard_ratio"] = {
            name: round(statistics.median(times) / bare_median, 2) for name, times in dashboards.items()
        }
        figures["search"] = {}
        for n in sizes if search else []:
            path = stores[str(n)]
            base = searches([sys.executable, str(bare_filter), str(path)], ACTIONS_LIST, runs, f4=False)
            mine = searches([*suivi, "--db", str(path)], ACTIONS_LIST, runs, f4=True)
            print(f"  search, {n} actions: bare filter {base}, suivi-sts {mine}", flush=True)
            figures["search"][str(n)] = {
                "bare_filter": base,
                "suivi_sts": mine,
                "ratio": round(mine["ms"]["median"] / base["ms"]["median"], 2),
                "memory_ratio": round(
                    mine["rss_mib_after_each_round"][-1] / base["rss_mib_after_each_round"][-1], 2
                ),
            }
    return figures


def report(f: dict[str, Any]) -> str:
    def mmm(s: dict[str, float], unit: str) -> str:
        return f"{s['median']}{unit} (min {s['min']}, max {s['max']})"

    load = f.get("load_average")
    lines = [
        f"Terminal {f['size']}, {f['runs']} runs each, medians (min, max)"
        + (f"; {f['cpus']} CPUs, load average {load[0]} → {load[1]}" if load else ""),
        f"bare Textual app, first paint:      {mmm(f['bare_first_paint_s'], ' s')}",
        f"suivi-sts, first paint:             {mmm(f['first_paint_s'], ' s')}  "
        f"×{f['first_paint_ratio']} (goal ≤ 1.2)",
    ]
    for name, s in f["dashboard_s"].items():
        label = "Ariège store" if name == "ariege" else f"{int(name):,} actions".replace(",", " ")
        lines.append(
            f"suivi-sts, dashboard, {label + ':':<15} {mmm(s, ' s')}  "
            f"×{f['dashboard_ratio'][name]} (goal ≤ 2.5)"
        )
    for n, s in f["search"].items():
        base, mine = s["bare_filter"], s["suivi_sts"]
        lines.append(
            f"search, {n} actions, {mine['keys']} keys: suivi-sts {mmm(mine['ms'], ' ms')}, "
            f"bare filter {mmm(base['ms'], ' ms')}  ×{s['ratio']} (goal ≤ 100 ms and ≤ 1.2)"
        )
        lines.append(
            f"  memory (RSS, MiB) after each round: suivi-sts {mine['rss_mib_after_each_round']}, "
            f"bare filter {base['rss_mib_after_each_round']}  ×{s['memory_ratio']} (goal ≤ 1.5)"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.tui_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="1,000 actions, 2 runs (a quick check)")
    parser.add_argument(
        "--sizes", default="1000,10000,100000", help="store sizes, in actions (comma-separated)"
    )
    parser.add_argument("--runs", type=int, default=5, help="runs of each measure")
    parser.add_argument(
        "--opening-only", action="store_true", help="first paint and dashboards only (no search)"
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the figures to this file")
    args, _unknown = parser.parse_known_args(argv)
    compile_project()  # as installed: no module compiled at each start
    sizes = [1000] if args.small else [int(n) for n in args.sizes.split(",") if n]
    load_before = os.getloadavg()[0]
    figures = run(sizes, 2 if args.small else args.runs, search=not args.opening_only)
    # the ratios move with the machine's other work: say how busy it was
    figures["load_average"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    figures["cpus"] = os.cpu_count()
    print(report(figures), flush=True)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
