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

import contextlib
import datetime
import marshal
import os
import pickle
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import IO, Any

from importers.excel import META_SHEET
from importers.excel.safety import DEFAULT_LIMITS, Limits, UnreadableWorkbook

#: Called with each batch of a sheet's rows as it arrives (the sheet's name, its rows).
RowsHook = Callable[[str, list[list[Any]]], None]
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


def is_text_file(path: Path) -> bool:
    """Whether `path` is read as a text file (CSV, or Excel's « Texte » saves), not a workbook."""
    return path.suffix.lower() in (".csv", ".txt")


def open_workbook(
    path: Path, limits: Limits = DEFAULT_LIMITS, *, csv_filters: list[tuple[int, list[str]]] | None = None
) -> Workbook:
    """Check and read `path` in the child process; a `.csv` file is read as one sheet named ""."""
    return Reading(path, limits, csv_filters=csv_filters).result()


class Reading:
    """A file being read by the child process, started at once: `result()` collects its cells
    (the caller may do something else meanwhile), `cancel()` stops it. The sheets named in
    `first` (if the workbook has them: the exchange workbook's hidden sheet, which tells which
    cells each row's fingerprint covers) are checked and sent before the others."""

    def __init__(
        self,
        path: Path,
        limits: Limits = DEFAULT_LIMITS,
        *,
        csv_filters: list[tuple[int, list[str]]] | None = None,
        first: tuple[str, ...] = (META_SHEET,),
    ) -> None:
        self.path = path = Path(path)
        self.limits = limits
        #: Given each batch of rows as it arrives, if set before `result()` (work done meanwhile).
        self.on_rows: RowsHook | None = None
        config: dict[str, Any] = {"limits": limits.as_dict(), "first": list(first)}
        if is_text_file(path):
            config["csv"] = csv_filters or []
        self._errors = tempfile.TemporaryFile(prefix="suivi-sts-lecture-")  # noqa: SIM115 - closed by result/cancel
        # -I: no environment variable, no user site, no current folder on the import path; -S: no
        # `site` (its path hooks cost about as much as reading a small workbook): the folders the
        # child imports from are given instead.
        command = [
            sys.executable,
            "-I",
            "-S",
            "-c",
            _BOOT,
            os.pathsep.join(_child_path()),
            str(path.resolve()),
            marshal.dumps(config).hex(),
        ]
        env = dict(os.environ)
        env["MALLOC_ARENA_MAX"] = "1"  # its checking thread shares the reader's memory budget
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._errors,
            env=env,
            bufsize=_PIPE_BUFFER,
        )
        _widen_pipe(self._process.stdout)
        # A timer kills the child at the wall-clock limit (the pipe then ends, and the read below).
        self._expired = threading.Event()
        self._timer = threading.Timer(limits.max_wall_seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def _expire(self) -> None:
        self._expired.set()
        self._process.kill()

    def result(self) -> Workbook:
        """The cells, once the child sent them all; UnreadableWorkbook (French, naming the
        file) if it refused the file, stopped, or went past its limits."""
        path, limits, process = self.path, self.limits, self._process
        assert process.stdout is not None
        with self._errors:
            try:
                book = _load(path, process.stdout, self.on_rows)
                code = process.wait()
            finally:
                self._stop()
            if self._expired.is_set() and code != 0:
                raise UnreadableWorkbook(
                    f"Le fichier « {path.name} » est refusé : sa lecture dépasse {limits.max_wall_seconds} s "
                    "(fichier trop gros ou construit pour bloquer la lecture)."
                )
            if book is not None:
                return book
            errors = self._errors
            errors.seek(max(0, errors.seek(0, os.SEEK_END) - 4096))  # the end of what it said
            raise UnreadableWorkbook(_crash_message(path, code, errors.read(), limits))

    def cancel(self) -> None:
        """Stop the child if it still runs (the reading is not wanted any more)."""
        self._stop()
        self._errors.close()

    def _stop(self) -> None:
        """End the timer, and the child if it still runs (refused, interrupted by Ctrl+C).

        The hook is let go: this reading and its timer refer to each other (a cycle only the
        cyclic collector frees), so what the hook holds (a scan of every row) is freed now by
        reference counting, not by a collection scanning the whole import's objects later."""
        self.on_rows = None
        self._timer.cancel()
        process = self._process
        if process.stdout is not None:
            process.stdout.close()
        if process.poll() is None:
            process.kill()
            process.wait()


def _widen_pipe(stream: IO[bytes] | None) -> None:
    """Let the child write about a megabyte ahead (Linux; 64 kB by default): it goes on reading
    while the parent works on the rows it already sent (`on_rows`)."""
    if stream is None or sys.platform != "linux":
        return
    import fcntl

    with contextlib.suppress(OSError):  # above the system's maximum: the default size stays
        fcntl.fcntl(stream.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_BUFFER)


#: What the child runs (`python -I -S -c _BOOT FOLDERS PATH CONFIG`).
_BOOT = (
    "import os, sys; sys.path[:0] = sys.argv[1].split(os.pathsep); "
    "from importers.excel.isolated import serve; serve(sys.argv[2:])"
)


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


def _load(path: Path, stream: IO[bytes], on_rows: RowsHook | None = None) -> Workbook | None:
    """The workbook the child wrote, or None if it stopped before the end (`on_rows` given each
    batch of rows as it arrives)."""
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
                if on_rows is not None:
                    on_rows(frame[1], frame[2])
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
