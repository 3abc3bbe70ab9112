"""Excel exchange benchmark: export and re-import an unchanged workbook, next to raw baselines.

A store of 20,000 actions and 100,000 indicator values (10,000 monthly indicators over ten
months) is built with bulk inserts; then:

* export: `exports.excel.export_ars` (time, and peak Python memory with tracemalloc);
* re-import unchanged: `importers.excel.preview_import` + `apply_import` (nothing to apply);
* raw read: python-calamine reading every sheet of the same file, plus a plain `executemany`
  inserting the same rows into a scratch SQLite table (the cheapest "read and store" possible);
* raw write: xlsxwriter in constant-memory mode writing the same cells (typed writes).

The goal is within 2x of the raw costs. `--small` runs in a few seconds (500 actions,
2,000 values); `--json FILE` saves the figures.

    python -m bench.excel_bench [--small] [--json FILE]
"""

from __future__ import annotations

import argparse
import gc
import json
import sqlite3
import sys
import tempfile
import time
import tracemalloc
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select


@dataclass
class Figures:
    actions: int
    values: int
    file_mb: float
    export_s: float
    export_peak_mb: float
    raw_write_s: float
    import_s: float
    raw_read_s: float
    raw_read_only_s: float
    raw_insert_s: float

    @property
    def export_ratio(self) -> float:
        return self.export_s / self.raw_write_s if self.raw_write_s else 0.0

    @property
    def import_ratio(self) -> float:
        return self.import_s / self.raw_read_s if self.raw_read_s else 0.0


def build_store(folder: Path, actions: int, indicators: int, periods: int) -> Any:
    """An Ariège store with `actions` actions and `indicators` x `periods` values (bulk inserts)."""
    from importers.setup_store import initialise
    from store.models import Action, ActionObjective, Indicator, IndicatorValue, Objective, utcnow

    store = initialise(folder / "bench.sqlite").store
    a_t = Action.__table__  # type: ignore[attr-defined]
    ao_t = ActionObjective.__table__  # type: ignore[attr-defined]
    i_t = Indicator.__table__  # type: ignore[attr-defined]
    v_t = IndicatorValue.__table__  # type: ignore[attr-defined]
    o_t = Objective.__table__  # type: ignore[attr-defined]
    statuses = ["a_lancer", "en_cours", "realisee", "reportee"]
    now = utcnow()
    with store.writer.begin() as conn:
        objectives = [row[0] for row in conn.execute(select(o_t.c.id).where(o_t.c.department_code == "09"))]
        conn.execute(
            insert(a_t),
            [
                {
                    "department_code": "09",
                    "code": f"BEN-{n:05d}",
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
        ids: dict[str, int] = dict(
            conn.execute(select(a_t.c.code, a_t.c.id).where(a_t.c.code.like("BEN-%"))).all()
        )
        conn.execute(
            insert(ao_t),
            [
                {
                    "action_id": ids[f"BEN-{n:05d}"],
                    "objective_id": objectives[n % len(objectives)],
                    "position": 0,
                }
                for n in range(actions)
            ],
        )
        conn.execute(
            insert(i_t),
            [
                {
                    "department_code": "09",
                    "code": f"IND-B{n:05d}",
                    "action_id": ids[f"BEN-{n % actions:05d}"],
                    "label": f"Indicateur de test n°{n}",
                    "unit": "personnes",
                    "target": 100.0,
                    "periodicity": "mensuelle",
                }
                for n in range(indicators)
            ],
        )
        ind_ids: dict[str, int] = dict(
            conn.execute(select(i_t.c.code, i_t.c.id).where(i_t.c.code.like("IND-B%"))).all()
        )
        conn.execute(
            insert(v_t),
            [
                {
                    "department_code": "09",
                    "indicator_id": ind_ids[f"IND-B{n:05d}"],
                    "period": f"2024-{m + 1:02d}",
                    "category": "",
                    "value": float((n + m) % 97),
                }
                for n in range(indicators)
                for m in range(periods)
            ],
        )
    return store


def raw_read_and_insert(path: Path, folder: Path) -> tuple[float, float]:
    """python-calamine reading every sheet + executemany of every row into a scratch table."""
    from python_calamine import CalamineWorkbook

    start = time.perf_counter()
    book = CalamineWorkbook.from_path(str(path))
    sheets = {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}
    read = time.perf_counter() - start
    width = max(len(r) for rows in sheets.values() for r in rows)
    scratch = sqlite3.connect(folder / "raw.sqlite")
    columns = ", ".join(f"c{i}" for i in range(width))
    scratch.execute(f"CREATE TABLE raw ({columns})")
    start = time.perf_counter()
    with scratch:
        for rows in sheets.values():
            scratch.executemany(
                f"INSERT INTO raw VALUES ({', '.join('?' * width)})",
                ([_plain(v) for v in r] + [None] * (width - len(r)) for r in rows),
            )
    inserted = time.perf_counter() - start
    scratch.close()
    return read, inserted


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def raw_write(path: Path, target: Path) -> float:
    """xlsxwriter constant_memory writing the same cells as `path`, with typed writes."""
    import xlsxwriter
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    sheets = {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}
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


def run(actions: int, indicators: int, periods: int, folder: Path) -> Figures:
    from exports.excel import export_ars
    from importers.excel import apply_import, preview_import

    store = build_store(folder, actions, indicators, periods)
    path = folder / "echange.xlsx"
    gc.collect()
    start = time.perf_counter()
    export_ars(store, "09", path, author="bench")
    export_s = time.perf_counter() - start
    # Memory is measured on a second export: tracemalloc slows allocations down.
    gc.collect()
    tracemalloc.start()
    export_ars(store, "09", folder / "memoire.xlsx", author="bench")
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    start = time.perf_counter()
    preview = preview_import(store, "09", path)
    assert not preview.rejected and not preview.has_changes, preview.summary()
    apply_import(store, "09", preview, {}, "bench", backup=False)
    import_s = time.perf_counter() - start
    read_s, insert_s = raw_read_and_insert(path, folder)
    write_s = raw_write(path, folder / "raw.xlsx")
    store.dispose()
    return Figures(
        actions=actions,
        values=indicators * periods,
        file_mb=path.stat().st_size / 1e6,
        export_s=export_s,
        export_peak_mb=peak / 1e6,
        raw_write_s=write_s,
        import_s=import_s,
        raw_read_s=read_s + insert_s,
        raw_read_only_s=read_s,
        raw_insert_s=insert_s,
    )


def report(f: Figures) -> str:
    return "\n".join(
        [
            f"{f.actions} actions, {f.values} valeurs d'indicateurs — classeur de {f.file_mb:.1f} Mo",
            f"export ars             {f.export_s:7.2f} s   (mémoire Python max {f.export_peak_mb:.0f} Mo)",
            f"  brut xlsxwriter      {f.raw_write_s:7.2f} s   ratio {f.export_ratio:.2f}",
            f"réimport inchangé      {f.import_s:7.2f} s",
            f"  brut calamine+insert {f.raw_read_s:7.2f} s   ratio {f.import_ratio:.2f}"
            f"   (lecture {f.raw_read_only_s:.2f} s, executemany {f.raw_insert_s:.2f} s)",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.excel_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="petit jeu (quelques secondes)")
    parser.add_argument("--json", type=Path, metavar="FICHIER", help="enregistre les mesures en JSON")
    args, _unknown = parser.parse_known_args(argv)
    sizes = (500, 200, 10) if args.small else (20_000, 10_000, 10)
    with tempfile.TemporaryDirectory(prefix="suivi-sts-bench-") as tmp:
        figures = run(*sizes, Path(tmp))
    print(report(figures), flush=True)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    **asdict(figures),
                    "export_ratio": figures.export_ratio,
                    "import_ratio": figures.import_ratio,
                }
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
