"""PDF benchmark: the CTS dossier of the Ariège store, and of a store of 20,000 actions.

For each store, `exports.pdf.export_cts_pdf` (read the store, compute the figures, typeset with
Typst, write the file) is timed next to a raw baseline measured in the same run: Typst typesetting
a bare table of the same actions (code, title, status, progress, due date: the same cells as
« Actions par objectif », without grouping, charts, colours nor the store). The ratio is what the
dossier costs over the cheapest PDF of its actions.

    python -m bench.pdf_bench [--small] [--json FILE]

`--small`: 500 actions instead of 20,000 (a few seconds).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

TODAY = date(2025, 6, 1)
RAW_TEMPLATE = """#set page(paper: "a4", margin: 1.7cm)
#set text(lang: "fr", font: "Libertinus Serif", size: 8pt)
#let d = json("data.json")
#table(columns: (auto, 1fr, auto, auto, auto), ..d.flatten())
"""


@dataclass
class Row:
    name: str
    actions: int
    pages: int
    export_s: float
    raw_s: float

    @property
    def ratio(self) -> float:
        return self.export_s / self.raw_s if self.raw_s else 0.0


def raw_typeset(store: Any, folder: Path) -> float:
    """Typst alone: a bare table of the store's actions (read beforehand, not timed)."""
    import typst

    from store.actions import load_actions
    from store.formatting import format_date

    with store.engine.connect() as conn:
        actions = load_actions(conn, "09").values()
    rows = [
        [a.code, a.title, a.status, "" if a.progress is None else f"{a.progress} %", format_date(a.due_date)]
        for a in actions
    ]
    (folder / "data.json").write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    (folder / "raw.typ").write_text(RAW_TEMPLATE, encoding="utf-8")
    fonts = typst.Fonts(include_system_fonts=False)
    start = time.perf_counter()
    typst.Compiler(root=str(folder), font_paths=fonts, ignore_system_fonts=True).compile(
        input=str(folder / "raw.typ"), output=str(folder / "raw.pdf")
    )
    return time.perf_counter() - start


def measure(name: str, store: Any, folder: Path) -> Row:
    from pypdf import PdfReader

    from exports.pdf import export_cts_pdf

    target = folder / f"{name}.pdf"
    start = time.perf_counter()
    export_cts_pdf(store, "09", target, today=TODAY)
    export_s = time.perf_counter() - start
    raw_s = raw_typeset(store, folder)
    with store.engine.connect() as conn:
        from sqlalchemy import func, select

        from store.tables import ACTION

        actions = conn.execute(select(func.count()).select_from(ACTION)).scalar_one()
    return Row(name, int(actions), len(PdfReader(target).pages), export_s, raw_s)


def ariege_store(folder: Path) -> Any:
    from importers.setup_store import initialise
    from tests.pdf_support import add_post_covid_indicator, ariege_reference

    store = initialise(folder / "ariege.sqlite", reference=ariege_reference(folder)).store
    add_post_covid_indicator(store)
    return store


def run(actions: int, folder: Path) -> list[Row]:
    from bench.excel_bench import build_store

    rows = []
    ariege = ariege_store(folder)
    rows.append(measure("Ariège", ariege, folder))
    ariege.dispose()
    big_folder = folder / "big"
    big_folder.mkdir()
    big = build_store(big_folder, actions, 12, 10)
    rows.append(measure(f"{actions} actions", big, big_folder))
    big.dispose()
    return rows


def report(rows: list[Row]) -> str:
    lines = ["dossier CTS (PDF)        pages   export   brut Typst   ratio"]
    for r in rows:
        lines.append(f"  {r.name:<20} {r.pages:6d} {r.export_s:7.2f} s {r.raw_s:9.2f} s   {r.ratio:5.2f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pdf_bench")
    parser.add_argument("--small", action="store_true", help="500 actions au lieu de 20 000")
    parser.add_argument("--json", type=Path, help="enregistre les mesures")
    args = parser.parse_args(argv if argv is not None else sys.argv[1:])
    with tempfile.TemporaryDirectory(prefix="suivi-sts-pdf-bench-") as folder:
        rows = run(500 if args.small else 20_000, Path(folder))
    print(report(rows), flush=True)
    if args.json:
        args.json.write_text(
            json.dumps([{**asdict(r), "ratio": r.ratio} for r in rows], indent=2), encoding="utf-8"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
