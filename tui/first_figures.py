"""The dashboard's first figures, read in a thread that the command line starts as soon as it
knows the store file, before Textual is imported.

The reading is SQL run by SQLite (0.2–0.3 s of CPU at 100,000 actions), during which Python's
other thread goes on: the figures are read while Textual loads and draws the first frame, and the
dashboard comes as soon as the window can take it (bench/tui_bench.py). `store.glance` itself is
imported here, by the caller's thread: two threads importing at once slow each other down far
more than the imports cost. The app's own reading (`SuiviStsApp.read_first_figures`) takes
the figures from here.
"""

from __future__ import annotations

import threading
from datetime import date, datetime
from pathlib import Path

from store.glance import Glance, glance


class EarlyFigures:
    """`store.glance.glance(path, department, today)`, started now in a thread; `result` waits."""

    def __init__(self, path: Path, department: str | None) -> None:
        self.path = path
        self.department = department
        self.today = datetime.now().astimezone().date()
        self._glance: Glance | None = None
        self._thread = threading.Thread(target=self._read, name="premiers-chiffres", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        self._glance = glance(self.path, self.department, self.today)  # None on any trouble

    def serves(self, path: Path, department: str | None, today: date) -> bool:
        """They are the figures of this store, department and day."""
        return (path, department, today) == (self.path, self.department, self.today)

    def result(self) -> Glance | None:
        """The figures, once read (None: the full opening decides, as for `store.glance`)."""
        self._thread.join()
        return self._glance
