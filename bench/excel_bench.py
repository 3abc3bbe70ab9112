"""Excel exchange benchmark: each path users take, next to a raw baseline measured in the same run.

Paths, at each size N (actions in the store; one indicator per action, five monthly values each,
so 100,000 actions carry 500,000 values):

* ``creation``: importing a workbook of N new actions (blank codes) into the Ariège store;
  raw: python-calamine reading it + ``executemany`` of the same rows into the action table of
  the same SQLite schema;
* ``indicateurs``: importing a workbook that changes the target of min(1,000, N) indicators
  of the N-action store; raw: calamine read + ``executemany`` UPDATE of those targets;
* ``cibles-echange``: the issue's own scenario: the N-action store's exchange workbook
  (``export ars``) with the target of min(1,000, N) indicators changed by hand (openpyxl),
  imported back into the store; raw: calamine reading every sheet + ``executemany`` UPDATE of
  the targets that differ from the store's;
* ``reimport``: re-importing the N-action store's own export, unchanged (preview + apply);
  raw: calamine reading every sheet + ``executemany`` of every row into a scratch table;
* ``une-ligne``: importing a one-action exchange workbook (``export ars`` of one code) with
  one cell changed, into the N-action store; raw: the same calamine read + one UPDATE;
* ``export``: ``export ars`` of the N-action store; raw: xlsxwriter (constant memory)
  writing the same cells with typed writes.

Every measured run is a child process (``--child``): its time and its peak resident memory
(``ru_maxrss``, the whole process) are reported; five runs each (``--runs``), min / median /
max, and the ratio of the medians. The stores are built once per size with bulk inserts and
copied for each run.

    python -m bench.excel_bench [--small] [--sizes 1000,10000] [--large] [--runs 5]
        [--paths creation,indicateurs,cibles-echange,reimport,une-ligne,export] [--json FICHIER]

``--large`` (or ``SUIVI_STS_BENCH_LARGE=1``) adds 100,000 actions (several minutes per path).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench.installed import compile_project

PATHS = ("creation", "indicateurs", "cibles-echange", "reimport", "une-ligne", "export")
PERIODS = 5
#: Indicators whose target the ``indicateurs`` and ``cibles-echange`` paths change.
CHANGED_INDICATORS = 1000


@dataclass
class Series:
    """The runs of one measured thing: seconds and peak resident memory (MiB)."""

    seconds: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds) if self.seconds else 0.0

    def line(self) -> str:
        if not self.seconds:
            return "—"
        return (
            f"min {min(self.seconds):7.2f}  médiane {self.median:7.2f}  max {max(self.seconds):7.2f} s"
            f"   mémoire {max(self.rss_mb):5.0f} Mio"
        )


@dataclass
class Result:
    path: str
    size: int
    project: Series
    raw: Series

    @property
    def ratio(self) -> float:
        return self.project.median / self.raw.median if self.raw.median else 0.0


# --- stores and workbooks -------------------------------------------------------------------------


def build_store(folder: Path, actions: int, indicators: int, periods: int) -> Any:
    """An open Ariège store (`folder`/bench.sqlite) with `actions` actions and `indicators` ×
    `periods` values (for the other benches)."""
    from store.database import open_store

    fill_store(folder / "bench.sqlite", actions, periods, indicators)
    return open_store(folder / "bench.sqlite")


def fill_store(path: Path, actions: int, periods: int = PERIODS, indicators: int | None = None) -> None:
    """An Ariège store with `actions` actions and `indicators` (one per action by default)
    indicators of `periods` monthly values each, written with bulk inserts."""
    indicators = actions if indicators is None else indicators
    from sqlalchemy import insert, select

    from importers.setup_store import initialise
    from store.tables import ACTION, ACTION_OBJECTIVE, INDICATOR, INDICATOR_VALUE, OBJECTIVE

    store = initialise(path).store
    statuses = ["a_lancer", "en_cours", "realisee", "reportee"]
    from store.models import utcnow

    now = utcnow()
    if not actions:
        store.dispose()
        return
    with store.writer.begin() as conn:
        objectives = list(conn.execute(select(OBJECTIVE.c.id).where(OBJECTIVE.c.department_code == "09")))
        conn.execute(
            insert(ACTION),
            [
                {
                    "department_code": "09",
                    "code": f"BEN-{n:06d}",
                    "title": f"Action de test n°{n} : coordination des acteurs du bassin",
                    "description": "Description de l'action, sur une ou deux lignes." if n % 3 == 0 else None,
                    "status": statuses[n % 4],
                    "progress": (n * 7) % 101,
                    "weather": ("vert", "orange", "rouge", None)[n % 4],
                    "start_date": date(2024, 1, 1) + timedelta(days=n % 365),
                    "due_date": date(2025, 1, 1) + timedelta(days=n % 365),
                    "budget_cents": (n % 50) * 100_000 if n % 2 else None,
                    "funding": "FIR" if n % 5 == 0 else None,
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
                for n in range(actions)
            ],
        )
        ids = dict(conn.execute(select(ACTION.c.code, ACTION.c.id).where(ACTION.c.code.like("BEN-%"))).all())
        conn.execute(
            insert(ACTION_OBJECTIVE),
            [
                {
                    "action_id": ids[f"BEN-{n:06d}"],
                    "objective_id": objectives[n % len(objectives)][0],
                    "position": 0,
                }
                for n in range(actions)
            ],
        )
        conn.execute(
            insert(INDICATOR),
            [
                {
                    "department_code": "09",
                    "code": f"IND-B{n:06d}",
                    "action_id": ids[f"BEN-{n % actions:06d}"],
                    "label": f"Indicateur de test n°{n}",
                    "unit": "personnes",
                    "target": 100.0,
                    "periodicity": "mensuelle",
                }
                for n in range(indicators)
            ],
        )
        ind_ids = dict(
            conn.execute(
                select(INDICATOR.c.code, INDICATOR.c.id).where(INDICATOR.c.code.like("IND-B%"))
            ).all()
        )
        conn.execute(
            insert(INDICATOR_VALUE),
            [
                {
                    "department_code": "09",
                    "indicator_id": ind_ids[f"IND-B{n:06d}"],
                    "period": f"2024-{m + 1:02d}",
                    "category": "",
                    "value": float((n + m) % 97),
                }
                for n in range(indicators)
                for m in range(periods)
            ],
        )
    store.dispose()


def creation_workbook(path: Path, rows: int) -> None:
    """A workbook of `rows` new actions (blank codes), as a delegation would type them."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("Actions")
    headers = ["Code", "Intitulé", "Objectifs (codes)", "Territoires (codes)", "Statut", "Avancement (%)"]
    sheet.write_row(0, 0, headers)
    for n in range(rows):
        sheet.write_row(
            n + 1, 0, ["", f"Nouvelle action n°{n}", "E1-D3-O7", "09", "En cours", float(n % 100)]
        )
    book.close()


def indicator_workbook(path: Path, rows: int) -> None:
    """A workbook changing the target of `rows` indicators of the bench store."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("Indicateurs")
    sheet.write_row(0, 0, ["Code", "Cible"])
    for n in range(rows):
        sheet.write_row(n + 1, 0, [f"IND-B{n:06d}", 200.0 + n])
    book.close()


def _indicator_columns(rows: list[list[Any]]) -> tuple[int, int, int]:
    """The exchange sheet « Indicateurs »: its header row, code column and target column."""
    for index, values in enumerate(rows[:10]):
        texts = [str(v).strip() for v in values]
        if "Code indicateur" in texts and "Cible" in texts:
            return index, texts.index("Code indicateur"), texts.index("Cible")
    raise ValueError("feuille « Indicateurs » sans colonnes Code et Cible")


def changed_targets_workbook(exchange: Path, path: Path, rows: int) -> None:
    """The exchange workbook with the target of its first `rows` indicators changed by hand (on
    each of the indicator's rows: the sheet has one row per period, the target on each)."""
    import openpyxl

    book = openpyxl.load_workbook(exchange)
    sheet = book["Indicateurs"]
    header, code, target = _indicator_columns(
        [[c.value for c in row] for row in sheet.iter_rows(min_row=1, max_row=10)]
    )
    changed: dict[str, float] = {}
    for values in sheet.iter_rows(min_row=header + 2):
        key = values[code].value
        if key not in changed and len(changed) < rows:
            changed[key] = 300.0 + len(changed)
        if key in changed:
            values[target].value = changed[key]
    book.save(path)


def one_row_workbook(store_path: Path, path: Path) -> None:
    """The exchange workbook of one action of the store, its progress changed by hand."""
    import openpyxl

    from exports.excel import export_ars
    from store.database import open_store

    store = open_store(store_path)
    export_ars(store, "09", path, author="bench", codes=["BEN-000001"])
    store.dispose()
    book = openpyxl.load_workbook(path)
    del book["Indicateurs"]  # the export lists every indicator: one action's row is the change
    sheet = book["Actions"]
    column = next(c.column for c in sheet[1] if c.value == "Avancement (%)")
    sheet.cell(2, column).value = 55
    book.save(path)


def prepare(folder: Path, size: int, paths: tuple[str, ...]) -> dict[str, Path]:
    """The files every path of this size starts from (built once)."""
    files: dict[str, Path] = {"empty": folder / "vide.sqlite", "full": folder / f"base-{size}.sqlite"}
    fill_store(files["empty"], 0, 0)
    fill_store(files["full"], size)
    if "creation" in paths:
        files["creation"] = folder / f"creation-{size}.xlsx"
        creation_workbook(files["creation"], size)
    if "indicateurs" in paths:
        files["indicateurs"] = folder / f"indicateurs-{size}.xlsx"
        indicator_workbook(files["indicateurs"], min(CHANGED_INDICATORS, size))
    if "reimport" in paths or "export" in paths or "cibles-echange" in paths:
        from exports.excel import export_ars
        from exports.excel.ars import ExchangeTooLarge
        from store.database import open_store

        store = open_store(files["full"])
        try:
            export_ars(store, "09", folder / f"echange-{size}.xlsx", author="bench")
            files["reimport"] = folder / f"echange-{size}.xlsx"
        except ExchangeTooLarge as exc:  # what the app says instead of a workbook it cannot reread
            print(f"N={size} : {exc}", flush=True)
        store.dispose()
    if "cibles-echange" in paths and "reimport" in files:
        files["cibles-echange"] = folder / f"cibles-echange-{size}.xlsx"
        changed_targets_workbook(files["reimport"], files["cibles-echange"], min(CHANGED_INDICATORS, size))
    if "une-ligne" in paths:
        files["une-ligne"] = folder / f"une-ligne-{size}.xlsx"
        one_row_workbook(files["full"], files["une-ligne"])
    return files


# --- what one child process measures ------------------------------------------------------------


def project_run(what: str, store_path: Path, workbook: Path, out: Path) -> float:
    """The project's own path (what users get); returns seconds."""
    from exports.excel import export_ars
    from importers.excel import apply_import, preview_import
    from store.database import open_store

    store = open_store(store_path)
    if what == "export":
        import exports.excel.ars  # noqa: F401 - xlsxwriter and the writer imported before the clock, as the raw's
    start = time.perf_counter()
    if what == "export":
        export_ars(store, "09", out, author="bench")
    else:
        preview = preview_import(store, "09", workbook)
        assert not preview.rejected, [str(p) for p in preview.rejected[:3]]
        if what == "reimport":
            assert not preview.has_changes, preview.summary()
        # The backup users get before an import is timed for the one-row change (its goal is
        # in seconds, not a ratio); the other paths time the import alone, as their raw does.
        apply_import(store, "09", preview, {}, "bench", backup=what == "une-ligne")
    seconds = time.perf_counter() - start
    store.dispose()
    return seconds


def _sheets(path: Path) -> dict[str, list[list[Any]]]:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def raw_run(what: str, store_path: Path, workbook: Path, out: Path) -> float:
    """The cheapest way to do the same work without the project; returns seconds."""
    start = time.perf_counter()
    if what == "export":
        return raw_write(workbook, out)
    sheets = _sheets(workbook)
    db = sqlite3.connect(store_path)
    with db:
        if what == "creation":
            rows = sheets["Actions"][1:]
            db.executemany(
                "INSERT INTO action (department_code, code, title, status, progress, version, created_at, "
                "updated_at, start_date_precision, due_date_precision) "
                "VALUES ('09', ?, ?, 'en_cours', ?, 1, '2025-01-01', '2025-01-01', 'day', 'day')",
                ((f"RAW-{i:06d}", r[1], int(r[5])) for i, r in enumerate(rows)),
            )
        elif what == "indicateurs":
            rows = sheets["Indicateurs"][1:]
            db.executemany(
                "UPDATE indicator SET target = ? WHERE department_code = '09' AND code = ?",
                ((r[1], r[0]) for r in rows),
            )
        elif what == "cibles-echange":
            rows = sheets["Indicateurs"]
            header, code, target = _indicator_columns(rows)
            targets = {r[code]: r[target] for r in rows[header + 1 :] if r[code]}  # one per indicator
            db.executemany(
                "UPDATE indicator SET target = ? "
                "WHERE department_code = '09' AND code = ? AND target IS NOT ?",
                ((value, key, value) for key, value in targets.items()),
            )
        elif what == "une-ligne":
            rows = sheets["Actions"][1:]
            db.executemany(
                "UPDATE action SET title = ? WHERE department_code = '09' AND code = ?",
                ((r[1], r[0]) for r in rows),
            )
        else:
            width = max(len(r) for rows in sheets.values() for r in rows)
            db.execute(f"CREATE TABLE raw ({', '.join(f'c{i}' for i in range(width))})")
            for rows in sheets.values():
                db.executemany(
                    f"INSERT INTO raw VALUES ({', '.join('?' * width)})",
                    ([_plain(v) for v in r] + [None] * (width - len(r)) for r in rows),
                )
    db.close()
    return time.perf_counter() - start


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def raw_write(source: Path, target: Path) -> float:
    """xlsxwriter constant_memory writing the cells of `source`, with typed writes."""
    import xlsxwriter

    sheets = _sheets(source)
    start = time.perf_counter()
    out = xlsxwriter.Workbook(str(target), {"constant_memory": True})
    date_format = out.add_format({"num_format": "dd/mm/yyyy"})
    for name, rows in sheets.items():
        sheet = out.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value == "" or value is None:
                    continue
                if isinstance(value, str):
                    sheet.write_string(r, c, value)
                elif isinstance(value, (int, float)):
                    sheet.write_number(r, c, value)
                elif isinstance(value, date):
                    sheet.write_datetime(r, c, value, date_format)
    out.close()
    return time.perf_counter() - start


def child(args: argparse.Namespace) -> int:
    run = raw_run if args.raw else project_run
    seconds = run(args.child, Path(args.store), Path(args.workbook), Path(args.out))
    print(json.dumps({"seconds": seconds, "rss_mb": peak_rss_mb()}))
    return 0


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: ru_maxrss survives exec from the parent)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(what: str, raw: bool, files: dict[str, Path], folder: Path) -> tuple[float, float]:
    """One run in a fresh child process, on a fresh copy of the store."""
    source = files["empty"] if what == "creation" else files["full"]
    store = folder / "run.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{store}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, store)
    workbook = files["reimport"] if what == "export" and raw else files.get(what, files["full"])
    command = [
        sys.executable,
        "-m",
        "bench.excel_bench",
        "--child",
        what,
        "--store",
        str(store),
        "--workbook",
        str(workbook),
        "--out",
        str(folder / "sortie.xlsx"),
    ] + (["--raw"] if raw else [])
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"{what} ({'brut' if raw else 'projet'}) : {done.stderr[-2000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return figures["seconds"], figures["rss_mb"]


def run(sizes: list[int], paths: tuple[str, ...], runs: int, folder: Path) -> list[Result]:
    results = []
    for size in sizes:
        files = prepare(folder, size, paths)
        for what in paths:
            if what in ("reimport", "export", "cibles-echange") and "reimport" not in files:
                continue  # the export refused (said above)
            result = Result(what, size, Series(), Series())
            for _ in range(runs):
                for raw, series in ((False, result.project), (True, result.raw)):
                    seconds, rss = measure(what, raw, files, folder)
                    series.seconds.append(seconds)
                    series.rss_mb.append(rss)
            print(report(result), flush=True)
            results.append(result)
    return results


LABELS = {
    "creation": "création de N actions",
    "indicateurs": f"cible de {CHANGED_INDICATORS} indicateurs",
    "cibles-echange": f"échange, {CHANGED_INDICATORS} cibles",
    "reimport": "réimport inchangé",
    "une-ligne": "une ligne changée",
    "export": "export ars",
}


def report(r: Result) -> str:
    return "\n".join(
        [
            f"{LABELS[r.path]:26} N={r.size:<7} projet {r.project.line()}",
            f"{'':26} {'':9} brut   {r.raw.line()}   ratio {r.ratio:.2f}",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.excel_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="petit jeu (quelques secondes)")
    parser.add_argument("--sizes", help="tailles (nombres d'actions) séparées par des virgules")
    parser.add_argument("--large", action="store_true", help="ajoute 100 000 actions (long)")
    parser.add_argument("--runs", type=int, default=5, help="mesures par chemin (5)")
    parser.add_argument("--paths", help=f"chemins mesurés parmi {','.join(PATHS)}")
    parser.add_argument("--json", type=Path, metavar="FICHIER", help="enregistre les mesures en JSON")
    parser.add_argument("--child", choices=PATHS, help=argparse.SUPPRESS)
    parser.add_argument("--raw", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--store", help=argparse.SUPPRESS)
    parser.add_argument("--workbook", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args, _unknown = parser.parse_known_args(argv)
    if args.child:
        return child(args)
    if args.small:
        sizes, runs = [200], min(args.runs, 1)
    else:
        sizes = [int(s) for s in (args.sizes or "1000,10000").split(",")]
        if args.large or os.environ.get("SUIVI_STS_BENCH_LARGE"):
            sizes.append(100_000)
        runs = args.runs
    paths = tuple(p for p in (args.paths.split(",") if args.paths else PATHS) if p in PATHS)
    compile_project()  # as installed: no module compiled at each start (the reading child included)
    with tempfile.TemporaryDirectory(prefix="suivi-sts-bench-") as tmp:
        results = run(sizes, paths, runs, Path(tmp))
    if args.json:
        args.json.write_text(
            json.dumps([{**asdict(r), "ratio": r.ratio} for r in results], ensure_ascii=False, indent=1)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
