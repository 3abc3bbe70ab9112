"""The Excel benchmark runs (small mode): every path, next to its raw baseline, in child processes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import excel_bench


def test_small_benchmark_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert excel_bench.main(["--small", "--json", str(tmp_path / "b.json")]) == 0
    printed = capsys.readouterr().out
    for label in excel_bench.LABELS.values():
        assert label in printed
    assert printed.count("ratio") == len(excel_bench.PATHS)
    figures = json.loads((tmp_path / "b.json").read_text())
    assert [f["path"] for f in figures] == list(excel_bench.PATHS)
    for f in figures:
        assert f["size"] == 200 and f["ratio"] > 0
        assert min(f["project"]["seconds"]) > 0 and min(f["raw"]["seconds"]) > 0
        assert min(f["project"]["rss_mb"]) > 10  # a real process's resident memory
