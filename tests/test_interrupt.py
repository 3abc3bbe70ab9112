"""Ctrl+C or SIGTERM during an export: exit 130, one French line, no traceback, nothing left behind.

The export runs as users run it (the installed `suivi-sts` script, in its own process) on a
store big enough to take a few seconds; the signal is sent once the export says it is past a
tenth of its rows (its progress lines on stderr), whatever the machine's speed.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from bench import cli_startup_bench
from bench.excel_bench import build_store
from exports.atomic import atomic_path, temporary_leftovers
from tui.cli_support import INTERRUPTED, INTERRUPTED_LINE


@pytest.fixture(scope="module")
def big_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20,000 actions and 3,000 indicator values: an ARS export takes seconds, not milliseconds
    (3,000 actions took less than the half second the signal used to wait, on a fast machine)."""
    folder = tmp_path_factory.mktemp("gros")
    build_store(folder, actions=20_000, indicators=300, periods=10).dispose()
    return folder / "bench.sqlite"


def _wait_for(condition: object, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "délai dépassé"
        time.sleep(0.02)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_export_exits_130_and_leaves_nothing(
    big_store: Path, tmp_path: Path, signum: signal.Signals
) -> None:
    out = tmp_path / "sortie"
    out.mkdir()
    target = out / "echange.xlsx"
    target.write_bytes(b"ancien classeur")
    process = subprocess.Popen(
        [
            *cli_startup_bench.suivi_sts_command(),
            "--db",
            str(big_store),
            "export",
            "ars",
            str(target),
            "--remplacer",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    said: list[str] = []
    try:
        assert process.stderr is not None
        for line in process.stderr:  # a progress line per tenth of the rows: past the first one
            said.append(line)
            done = re.search(r"\((\d+) %\)", line)
            if done and int(done.group(1)) >= 10:
                break
        assert process.poll() is None, "l'export a fini avant le signal : base trop petite"
        assert temporary_leftovers(out), "pas de dossier temporaire pendant l'export"
        process.send_signal(signum)
        stdout, rest = process.communicate(timeout=60)
        stderr = "".join(said) + rest
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == INTERRUPTED, stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr
    assert stderr.splitlines()[-1] == INTERRUPTED_LINE
    assert stdout == ""
    assert temporary_leftovers(out) == []
    assert sorted(p.name for p in out.iterdir()) == ["echange.xlsx"]
    assert target.read_bytes() == b"ancien classeur"


@pytest.mark.parametrize("error", [KeyboardInterrupt, SystemExit, OSError])
def test_atomic_path_removes_its_temporary_folder_however_it_ends(
    tmp_path: Path, error: type[BaseException]
) -> None:
    target = tmp_path / "rapport.xlsx"
    target.write_bytes(b"ancien")
    with pytest.raises(error), atomic_path(target) as tmp:
        tmp.write_bytes(b"moitie")
        (tmp.parent / "tmpxlsxwriter").write_bytes(b"brouillon")  # what xlsxwriter leaves there
        raise error
    assert temporary_leftovers(tmp_path) == []
    assert target.read_bytes() == b"ancien"


def test_atomic_path_replaces_the_target_on_success(tmp_path: Path) -> None:
    target = tmp_path / "rapport.xlsx"
    target.write_bytes(b"ancien")
    with atomic_path(target) as tmp:
        assert tmp.parent.parent == tmp_path and tmp.name == target.name
        tmp.write_bytes(b"nouveau")
    assert target.read_bytes() == b"nouveau"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rapport.xlsx"]


def test_interrupted_import_exits_130_with_the_french_line(big_store: Path, tmp_path: Path) -> None:
    """Ctrl+C while the workbook is read: nothing applied, the same line, no traceback."""
    import threading

    from exports.excel import export_ars
    from store.database import open_store

    workbook = tmp_path / "echange.xlsx"
    store = open_store(big_store)
    try:
        export_ars(store, "09", workbook, author="test")
    finally:
        store.dispose()
    process = subprocess.Popen(
        [*cli_startup_bench.suivi_sts_command(), "--db", str(big_store), "import", str(workbook)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    assert process.stderr is not None
    reader = threading.Thread(target=lambda: lines.extend(iter(process.stderr.readline, "")))  # type: ignore[union-attr]
    reader.start()
    try:
        _wait_for(lambda: any(line.startswith("Lecture") for line in lines) or process.poll() is not None)
        assert process.poll() is None, "l'import a fini avant le signal"
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        reader.join(timeout=10)
    stderr = "".join(lines)
    assert process.returncode == INTERRUPTED, stderr
    assert "Traceback" not in stderr, stderr
    assert lines[-1].rstrip("\n") == INTERRUPTED_LINE
    assert temporary_leftovers(tmp_path) == []


def test_every_exit_code_is_documented_in_help_and_readme() -> None:
    done = subprocess.run(
        [*cli_startup_bench.suivi_sts_command(), "--help"], capture_output=True, text=True, timeout=60
    )
    help_text = " ".join(done.stdout.split())
    for words in ("0 succès", "1 données invalides", "2 erreur d'utilisation", "130 interrompu"):
        assert words in help_text, words
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    line = " ".join(readme.split("Exit codes:", 1)[1].split(".")[0].split())
    assert all(f"`{code}`" in line for code in (0, 1, 2, 130)), line
