"""The Excel benchmark runs (small mode) and reports times next to its raw baselines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import excel_bench


def test_small_benchmark_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert excel_bench.main(["--small", "--json", str(tmp_path / "b.json")]) == 0
    printed = capsys.readouterr().out
    assert "export ars" in printed and "brut xlsxwriter" in printed and "brut calamine+insert" in printed
    figures = json.loads((tmp_path / "b.json").read_text())
    assert figures["actions"] == 500 and figures["values"] == 2000
    assert figures["export_s"] > 0 and figures["import_s"] > 0 and figures["export_ratio"] > 0
