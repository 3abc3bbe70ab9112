"""Crash safety, proven: child processes killed with SIGKILL at random moments of their work.

After every kill the store passes `PRAGMA integrity_check` and holds each save, import or
schema upgrade entirely or not at all. The figures (runs, kills, corrupt stores, partial
writes) are printed in the test output and attached to the test report (`record_property`).
Set SUIVI_STS_CRASH_RUNS to scale the number of runs, SUIVI_STS_CRASH_SEED to replay one.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import random
import shutil
import signal
import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from importers.setup_store import initialise
from store.backup import backup_dir, verify_backup
from store.schema import head_revision
from tests import crash_workers
from tests.conftest import MINI_REFERENCE
from tests.storage_support import show_in_test_output

OLD_STORE = Path(__file__).with_name("fixtures") / "store_rev0001.sqlite"
SCALE = float(os.environ.get("SUIVI_STS_CRASH_RUNS_SCALE", "1"))
SEED = int(os.environ.get("SUIVI_STS_CRASH_SEED", str(int(time.time()))))
BIG_IMPORT_ACTIONS = 600
SAVES_PER_RUN = 150

_CTX = multiprocessing.get_context("forkserver")
_CTX.set_forkserver_preload(
    ["tests.crash_workers", "store.database", "store.actions", "store.reference", "importers.reference_yaml"]
)


@dataclass
class Outcome:
    messages: list[str]
    killed: bool
    work_seconds: float

    @property
    def committed(self) -> bool:
        return "committed" in self.messages

    @property
    def saves_reported(self) -> int:
        return sum(1 for m in self.messages if m.startswith("saved "))


@dataclass
class Tally:
    name: str
    runs: int = 0
    killed: int = 0
    corrupt: int = 0
    partial: int = 0
    results: Counter[str] = field(default_factory=Counter)

    def line(self) -> str:
        details = ", ".join(f"{k}: {v}" for k, v in sorted(self.results.items()))
        return (
            f"{self.name}: {self.runs} runs, {self.killed} tués par SIGKILL, corrupt stores: {self.corrupt}, "
            f"partial writes: {self.partial} ({details})"
        )


def run_child(target: Callable[..., None], args: tuple[Any, ...], kill_after: float | None) -> Outcome:
    """Start `target(*args, pipe)` in a fresh process; SIGKILL it `kill_after` s after it said START."""
    receiver, sender = _CTX.Pipe(duplex=False)
    process = _CTX.Process(target=target, args=(*args, sender))
    process.start()
    sender.close()
    messages: list[str] = []
    try:
        if not receiver.poll(60):
            raise AssertionError("le processus enfant n'a pas démarré")
        messages.append(receiver.recv())
        assert messages == ["START"], messages
        started = time.monotonic()
        if kill_after is not None:
            deadline = started + kill_after
            while (remaining := deadline - time.monotonic()) > 0 and receiver.poll(remaining):
                try:
                    messages.append(receiver.recv())
                except EOFError:
                    break
            with contextlib.suppress(ProcessLookupError):  # it may have just finished
                os.kill(process.pid or 0, signal.SIGKILL)
        process.join(120)
        work = time.monotonic() - started
        while receiver.poll(0):
            try:
                messages.append(receiver.recv())
            except EOFError:
                break
    finally:
        receiver.close()
        if process.is_alive():  # pragma: no cover
            process.kill()
            process.join()
    killed = process.exitcode == -signal.SIGKILL
    assert killed or process.exitcode == 0, f"le processus enfant a échoué (code {process.exitcode})"
    return Outcome(messages, killed, work)


def integrity_problems(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:  # opening replays (or drops) what the WAL holds
        rows = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        broken = conn.execute("PRAGMA foreign_key_check").fetchall()
    return ([] if rows == ["ok"] else rows) + [f"clé étrangère : {b}" for b in broken]


def report(
    request: pytest.FixtureRequest, record_property: Callable[[str, object], None], tally: Tally
) -> None:
    record_property(tally.name, tally.line())
    line = f"[crash test, seed {SEED}] {tally.line()}"
    show_in_test_output(request, line)
    print(line)
    results = Path(request.config.rootpath) / "build" / "crash-test.json"
    results.parent.mkdir(exist_ok=True)
    figures = json.loads(results.read_text()) if results.exists() else {}
    figures[tally.name] = {
        "seed": SEED,
        "runs": tally.runs,
        "killed": tally.killed,
        "corrupt_stores": tally.corrupt,
        "partial_writes": tally.partial,
        **dict(tally.results),
    }
    results.write_text(json.dumps(figures, ensure_ascii=False, indent=2))


def _runs(n: int) -> int:
    return max(3, round(n * SCALE))


@pytest.fixture(scope="module")
def base_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("base") / "base.sqlite"
    initialise(path, reference=MINI_REFERENCE).store.dispose()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


# --- TUI-like saves -----------------------------------------------------------------------------


def _action_state(path: Path, tag: str) -> tuple[int, str, int, int, int, str | None]:
    with sqlite3.connect(path) as conn:
        action_id, version, description = conn.execute(
            "SELECT id, version, description FROM action WHERE code = 'ACT-001'"
        ).fetchone()
        counts = dict(
            conn.execute(
                "SELECT field, count(*) FROM action_event WHERE action_id = ? AND author = ? GROUP BY field",
                (action_id, tag),
            ).fetchall()
        )
        last = conn.execute(
            "SELECT new_value FROM action_event WHERE action_id = ? AND field = 'description' "
            "ORDER BY id DESC LIMIT 1",
            (action_id,),
        ).fetchone()
    return (
        version,
        description,
        counts.get("description", 0),
        counts.get("progress", 0),
        action_id,
        (last[0] if last else None),
    )


def test_saves_killed_at_random_moments_are_all_or_nothing(
    base_store: Path, tmp_path: Path, request: pytest.FixtureRequest, record_property: Any
) -> None:
    rng = random.Random(SEED)
    path = tmp_path / "saisies.sqlite"
    shutil.copyfile(base_store, path)
    tally = Tally("saves (update_action)")
    calibration = run_child(crash_workers.saves, (str(path), "calibrage", SAVES_PER_RUN), None)
    assert calibration.saves_reported == SAVES_PER_RUN
    v0 = _action_state(path, "calibrage")[0] - SAVES_PER_RUN
    total_saves = SAVES_PER_RUN
    budget = calibration.work_seconds
    for run in range(_runs(18)):
        tag = f"run{run}"
        before_version = _action_state(path, tag)[0]
        outcome = run_child(
            crash_workers.saves,
            (str(path), tag, SAVES_PER_RUN),
            rng.uniform(0, budget),
        )
        budget = budget if outcome.killed else min(budget, outcome.work_seconds)
        tally.runs += 1
        tally.killed += outcome.killed
        problems = integrity_problems(path)
        tally.corrupt += bool(problems)
        assert not problems, problems
        version, description, n_desc, n_prog, _id, last_journal = _action_state(path, tag)
        committed = version - before_version
        # each save wrote the row and its two journal lines together, or nothing at all
        whole = n_desc == n_prog == committed and (committed == 0 or description == f"{tag}-{committed - 1}")
        whole = whole and last_journal == description if committed else whole
        reported = outcome.saves_reported
        whole = whole and reported <= committed <= reported + 1
        tally.partial += not whole
        tally.results["saves enregistrées"] += committed
        total_saves += committed
        assert whole, (run, version, before_version, n_desc, n_prog, reported, description)
    assert _action_state(path, "x")[0] == v0 + total_saves
    report(request, record_property, tally)
    assert tally.corrupt == 0 and tally.partial == 0 and tally.killed >= tally.runs // 3


# --- a large reference load ---------------------------------------------------------------------


def _generated_counts(path: Path) -> tuple[int, int, int]:
    with sqlite3.connect(path) as conn:
        actions = conn.execute("SELECT count(*) FROM action WHERE code LIKE 'GEN-%'").fetchone()[0]
        objectives = conn.execute("SELECT count(*) FROM objective WHERE code LIKE 'GEN-%'").fetchone()[0]
        journal = conn.execute(
            "SELECT count(*) FROM action_event WHERE source = 'gros-referentiel.yaml'"
        ).fetchone()[0]
    return actions, objectives, journal


def test_a_large_reference_load_killed_at_random_moments_is_all_or_nothing(
    base_store: Path, tmp_path: Path, request: pytest.FixtureRequest, record_property: Any
) -> None:
    rng = random.Random(SEED + 1)
    full = (BIG_IMPORT_ACTIONS, BIG_IMPORT_ACTIONS // 10, BIG_IMPORT_ACTIONS)
    tally = Tally(f"large reference load ({BIG_IMPORT_ACTIONS} actions)")
    path = tmp_path / "import.sqlite"
    shutil.copyfile(base_store, path)
    calibration = run_child(crash_workers.reference, (str(path), BIG_IMPORT_ACTIONS), None)
    assert calibration.committed and _generated_counts(path) == full
    budget = calibration.work_seconds
    for run in range(_runs(18)):
        path = tmp_path / f"import-{run}.sqlite"
        shutil.copyfile(base_store, path)
        outcome = run_child(
            crash_workers.reference,
            (str(path), BIG_IMPORT_ACTIONS),
            rng.uniform(0, budget),
        )
        budget = budget if outcome.killed else min(budget, outcome.work_seconds)
        tally.runs += 1
        tally.killed += outcome.killed
        problems = integrity_problems(path)
        tally.corrupt += bool(problems)
        assert not problems, problems
        counts = _generated_counts(path)
        whole = counts in ((0, 0, 0), full) and (counts == full) >= outcome.committed
        tally.partial += not whole
        tally.results["import complet" if counts == full else "rien d'importé"] += 1
        assert whole, (run, counts)
        for saved in backup_dir(path).glob("*.sqlite"):  # the backup taken before the import
            assert verify_backup(saved).ok, saved
        path.unlink()
    report(request, record_property, tally)
    assert tally.corrupt == 0 and tally.partial == 0 and tally.killed >= tally.runs // 3


# --- a schema upgrade ---------------------------------------------------------------------------


def _tables_and_revision(path: Path) -> tuple[set[str], list[tuple[str, ...]]]:
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    return tables, revision


def test_a_schema_upgrade_killed_half_way_leaves_the_old_or_the_new_revision(
    tmp_path: Path, request: pytest.FixtureRequest, record_property: Any
) -> None:
    rng = random.Random(SEED + 2)
    old_tables, _ = _tables_and_revision(OLD_STORE)
    added = {"exchange", "saved_filter", "workshop_session", "sync_state", "resource_event"}
    added |= {"sync_conflict", "store_identity"}  # 0009
    added |= {"reference_event"}  # 0013
    tally = Tally("schema upgrade 0001 → head")
    path = tmp_path / "calibrage.sqlite"
    shutil.copyfile(OLD_STORE, path)
    calibration = run_child(crash_workers.upgrade, (str(path),), None)
    assert _tables_and_revision(path) == (old_tables | added, [(head_revision(),)])
    budget = calibration.work_seconds
    for run in range(_runs(14)):
        path = tmp_path / f"migration-{run}.sqlite"
        shutil.copyfile(OLD_STORE, path)
        outcome = run_child(crash_workers.upgrade, (str(path),), rng.uniform(0, budget))
        budget = budget if outcome.killed else min(budget, outcome.work_seconds)
        tally.runs += 1
        tally.killed += outcome.killed
        problems = integrity_problems(path)
        tally.corrupt += bool(problems)
        assert not problems, problems
        state = _tables_and_revision(path)
        whole = state in ((old_tables, [("0001",)]), (old_tables | added, [(head_revision(),)]))
        tally.partial += not whole
        tally.results["ancienne révision" if state[1] == [("0001",)] else "nouvelle révision"] += 1
        assert whole, (run, state)
    report(request, record_property, tally)
    assert tally.corrupt == 0 and tally.partial == 0


# --- a large Excel workbook import --------------------------------------------------------------


def _progress_from_workbook(path: Path) -> tuple[int, int, int]:
    """GEN actions carrying the workbook's progress, journal lines and exchange log lines of it."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT code, progress FROM action WHERE code LIKE 'GEN-%'").fetchall()
        journal = conn.execute(
            "SELECT count(*) FROM action_event WHERE source = 'grand-classeur.xlsx'"
        ).fetchone()[0]
        logged = conn.execute(
            "SELECT count(*) FROM exchange WHERE direction = 'import' AND file_name = 'grand-classeur.xlsx'"
        ).fetchone()[0]
    edited = sum(1 for code, progress in rows if progress == _edited_progress(code))
    return edited, journal, logged


def _edited_progress(code: str) -> int:
    return (int(code.rsplit("A", 1)[1]) % 101 + 50) % 101


@pytest.fixture(scope="module")
def big_store_and_workbook(base_store: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A store with the generated actions, and its exchange workbook with every progress edited."""
    from exports.excel import export_ars
    from importers.reference_yaml import read_reference_file
    from store.database import open_store
    from store.reference import apply_reference
    from tests.excel_fixtures import column_of, edit_workbook

    folder = tmp_path_factory.mktemp("excel")
    path = folder / "grand.sqlite"
    shutil.copyfile(base_store, path)
    store = open_store(path, daily_backup=False)
    doc = crash_workers.big_document(read_reference_file(MINI_REFERENCE), BIG_IMPORT_ACTIONS)
    with store.writer.begin() as conn:
        apply_reference(conn, doc, author="crash", source="préparation")
    exported = folder / "export.xlsx"
    export_ars(store, "09", exported, author="crash")
    store.dispose()

    def edit(book: Any) -> None:
        sheet = book["Actions"]
        progress = column_of(sheet, "Avancement (%)")
        for row in range(2, sheet.max_row + 1):
            code = sheet.cell(row, 1).value
            if isinstance(code, str) and code.startswith("GEN-"):
                sheet.cell(row, progress).value = _edited_progress(code)

    workbook = edit_workbook(exported, folder / "grand-classeur.xlsx", edit)
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path, workbook


def test_a_large_workbook_import_killed_at_random_moments_is_all_or_nothing(
    big_store_and_workbook: tuple[Path, Path],
    tmp_path: Path,
    request: pytest.FixtureRequest,
    record_property: Any,
) -> None:
    template, workbook = big_store_and_workbook
    rng = random.Random(SEED + 3)
    full = (BIG_IMPORT_ACTIONS, BIG_IMPORT_ACTIONS, 1)
    tally = Tally(f"Excel workbook import ({BIG_IMPORT_ACTIONS} actions edited)")
    path = tmp_path / "calibrage.sqlite"
    shutil.copyfile(template, path)
    assert _progress_from_workbook(path) == (0, 0, 0)
    calibration = run_child(crash_workers.excel, (str(path), str(workbook)), None)
    assert calibration.committed and _progress_from_workbook(path) == full
    budget = calibration.work_seconds
    for run in range(_runs(12)):
        path = tmp_path / f"excel-{run}.sqlite"
        shutil.copyfile(template, path)
        outcome = run_child(crash_workers.excel, (str(path), str(workbook)), rng.uniform(0, budget))
        budget = budget if outcome.killed else min(budget, outcome.work_seconds)
        tally.runs += 1
        tally.killed += outcome.killed
        problems = integrity_problems(path)
        tally.corrupt += bool(problems)
        assert not problems, problems
        counts = _progress_from_workbook(path)
        whole = counts in ((0, 0, 0), full) and (counts == full) >= outcome.committed
        tally.partial += not whole
        tally.results["import complet" if counts == full else "rien d'importé"] += 1
        assert whole, (run, counts)
        for saved in backup_dir(path).glob("*.sqlite"):
            assert verify_backup(saved).ok, saved
        shutil.rmtree(backup_dir(path), ignore_errors=True)
        path.unlink()
    report(request, record_property, tally)
    assert tally.corrupt == 0 and tally.partial == 0 and tally.killed >= tally.runs // 3
