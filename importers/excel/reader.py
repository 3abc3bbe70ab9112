"""Reading a workbook (or a CSV file) in a child process under OS limits, after the checks.

python-calamine (Rust) reads a 100,000-row sheet about ten times faster than openpyxl, but a
hostile file can make it panic, abort on an allocation, or spin: so it runs in a child process
(``isolated.py``) whose address space and CPU time are capped, under a wall-clock limit here.
Whatever happens there becomes an :class:`UnreadableWorkbook` with a French message naming
the file; the child's own output (English, from Rust or Python) never reaches the user.
The cells come back through a pipe as a stream of pickled frames, unpickled as they arrive
with only plain values and dates allowed.
"""

from __future__ import annotations

import datetime
import json
import os
import pickle
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import IO, Any

from importers.excel.safety import DEFAULT_LIMITS, Limits, UnreadableWorkbook

#: (row, column), both 1-based → whether the formula kept its computed value, or the Excel error
#: the cell holds ("#N/A"; calamine reads it as an empty cell).
Formulas = dict[tuple[int, int], bool | str]


@dataclass
class Workbook:
    """A workbook's cells as read by the child process."""

    path: Path
    sheet_names: list[str]
    hidden: set[str] = field(default_factory=set)
    sheets: dict[str, list[list[Any]]] = field(default_factory=dict, repr=False)
    formulas: dict[str, Formulas] = field(default_factory=dict, repr=False)

    def read(self, name: str) -> list[list[Any]]:
        """The sheet's cells, row 0 being Excel's row 1 and column 0 column A."""
        return self.sheets.get(name, [])

    def close(self) -> None:
        self.sheets.clear()

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def open_workbook(
    path: Path, limits: Limits = DEFAULT_LIMITS, *, csv_filters: list[tuple[int, list[str]]] | None = None
) -> Workbook:
    """Check and read `path` in the child process; a `.csv` file is read as one sheet named ""."""
    path = Path(path)
    config: dict[str, Any] = {"path": str(path.resolve()), "limits": asdict(limits)}
    if path.suffix.lower() in (".csv", ".txt"):
        config["csv"] = csv_filters or []
    with tempfile.TemporaryFile(prefix="suivi-sts-lecture-") as error_stream:
        book, code = _run_child(path, config, error_stream, limits)
        if book is not None:
            return book
        error_stream.seek(max(0, error_stream.seek(0, os.SEEK_END) - 4096))  # the end of what it said
        raise UnreadableWorkbook(_crash_message(path, code, error_stream.read(), limits))


def _run_child(
    path: Path, config: dict[str, Any], error_stream: IO[bytes], limits: Limits
) -> tuple[Workbook | None, int]:
    """The workbook the child streams (None if it stopped before the end) and its exit code.

    The frames are read from a pipe as the child writes them, so the parent unpickles one batch
    of rows while the child reads the next (no temporary file of every cell)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(_child_path())
    env["PYTHONIOENCODING"] = "utf-8"
    # -S: no `site` module (its path hooks cost about as much as reading a small workbook); the
    # folders the child imports from are given instead.
    command = [sys.executable, "-S", "-m", "importers.excel.isolated", json.dumps(config)]
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=error_stream,
        env=env,
        bufsize=_PIPE_BUFFER,
    )
    # A timer kills the child at the wall-clock limit (the pipe then ends, and the read below).
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        process.kill()

    timer = threading.Timer(limits.max_wall_seconds, expire)
    timer.daemon = True
    timer.start()
    assert process.stdout is not None
    try:
        book = _load(path, process.stdout)
        code = process.wait()
    finally:
        timer.cancel()
        process.stdout.close()
        if process.poll() is None:  # refused, interrupted (Ctrl+C): the child goes too
            process.kill()
            process.wait()
    if expired.is_set() and code != 0:
        raise UnreadableWorkbook(
            f"Le fichier « {path.name} » est refusé : sa lecture dépasse {limits.max_wall_seconds} s "
            "(fichier trop gros ou construit pour bloquer la lecture)."
        )
    return book, code


#: The packages the reading child imports besides the standard library and this project.
_CHILD_PACKAGES = ("python_calamine", "defusedxml", "openpyxl")


@cache
def _child_path() -> tuple[str, ...]:
    """The child's import path: this project's root, the folders holding the packages it
    imports (found without importing them), then the caller's PYTHONPATH."""
    folders = [str(Path(__file__).resolve().parents[2])]
    for name in _CHILD_PACKAGES:
        spec = find_spec(name)
        if spec is not None and spec.origin:
            folders.append(str(Path(spec.origin).parent.parent))
    folders += os.environ.get("PYTHONPATH", "").split(os.pathsep)
    return tuple(f for f in dict.fromkeys(folders) if f)


#: Bytes read from the child's pipe at a time.
_PIPE_BUFFER = 1 << 20


class _CellUnpickler(pickle.Unpickler):
    """Only plain values and the datetime types come out of the child's frames."""

    ALLOWED = frozenset(("date", "datetime", "time", "timedelta", "timezone"))

    def find_class(self, module: str, name: str) -> Any:
        if module == "datetime" and name in self.ALLOWED:
            return getattr(datetime, name)
        raise pickle.UnpicklingError(f"{module}.{name}")


def _load(path: Path, stream: IO[bytes]) -> Workbook | None:
    """The workbook the child wrote, or None if it stopped before the end."""
    book: Workbook | None = None
    try:
        while True:
            frame = _CellUnpickler(stream).load()  # one pickler per frame in the child
            tag = frame[0]
            if tag == "refused":
                raise UnreadableWorkbook(str(frame[1]))
            if tag == "sheets":
                book = Workbook(path, list(frame[1]), set(frame[2]))
                book.sheets = {name: [] for name in book.sheet_names}
            elif tag == "rows" and book is not None:
                book.sheets.setdefault(frame[1], []).extend(frame[2])
            elif tag == "formulas" and book is not None:
                book.formulas[frame[1]] = dict(frame[2])
            elif tag == "end":
                return book
    except (EOFError, pickle.UnpicklingError, ValueError, TypeError, IndexError, AttributeError):
        return None


def _crash_message(path: Path, code: int, errors: bytes, limits: Limits) -> str:
    name = path.name
    cpu = getattr(signal, "SIGXCPU", None)
    if code == -signal.SIGKILL or (cpu is not None and code == -cpu):
        return (
            f"Le fichier « {name} » est refusé : sa lecture dépasse le temps permis "
            f"({limits.max_cpu_seconds} s de calcul)."
        )
    if code == 3 or b"memory allocation" in errors or b"MemoryError" in errors:
        return (
            f"Le fichier « {name} » est refusé : sa lecture demanderait plus que les "
            f"{limits.max_memory_bytes // (1024 * 1024)} Mo de mémoire permis (une feuille s'étend "
            "probablement sur une zone immense, ou le fichier est construit pour saturer la mémoire)."
        )
    return (
        f"Le fichier « {name} » est illisible : le lecteur de classeurs s'est arrêté sur une "
        "structure qu'il ne comprend pas. Ouvrez-le dans Excel ou LibreOffice, enregistrez-le au "
        "format .xlsx et recommencez."
    )
