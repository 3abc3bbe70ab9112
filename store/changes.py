"""Has the store changed since I last looked? An O(1) answer, for the caches of the screens.

On SQLite, `PRAGMA data_version` read on a connection kept for this alone changes whenever any
other connection commits to the file: this process's writers and other copies of the app alike
(https://sqlite.org/pragma.html#pragma_data_version). Elsewhere (PostgreSQL) there is no such
counter: `stamp` returns None and the caller checks in its own way.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from sqlalchemy import Engine


class ChangeStamp:
    """A token that differs after every commit to the store by another connection."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._connection: Any = None
        self._lock = threading.Lock()

    def stamp(self) -> int | None:
        """The store's data version (SQLite), None where the database keeps none."""
        if self._engine.dialect.name != "sqlite":
            return None
        with self._lock:
            if self._connection is None:
                self._connection = self._engine.raw_connection()  # kept for this alone
            cursor = self._connection.cursor()
            try:
                cursor.execute("PRAGMA data_version")
                return int(cursor.fetchone()[0])
            finally:
                cursor.close()

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                with contextlib.suppress(Exception):  # the engine may be disposed already
                    self._connection.close()
                self._connection = None
