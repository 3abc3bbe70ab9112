"""Where the default store lives, without importing SQLAlchemy (the app's command line reads it
before anything heavy is loaded)."""

from __future__ import annotations

import os
from pathlib import Path

#: The environment variable naming the default store.
ENV_DB = "SUIVI_STS_DB"


def default_store_path() -> Path:
    """The store in the user's data directory (or `SUIVI_STS_DB`)."""
    env = os.environ.get(ENV_DB)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_path

    return user_data_path("suivi-sts", appauthor=False) / "suivi-sts.sqlite"


def plain_file(target: str) -> Path | None:
    """The SQLite file named by a plain path (None for a URL: a server, or a `sqlite://` URL)."""
    return None if "://" in target else Path(target).expanduser()
