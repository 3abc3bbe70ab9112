"""The schema revisions this version of the app knows, read from the migration files without
importing SQLAlchemy or Alembic (opening a store, and the dashboard's first figures, stay fast)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

MIGRATIONS = Path(__file__).with_name("migrations")

_REVISION = re.compile(r"^revision\s*=\s*['\"]([^'\"]+)['\"]", re.M)
_DOWN = re.compile(r"^down_revision\s*=\s*(?:['\"]([^'\"]+)['\"]|None)", re.M)


@lru_cache(maxsize=1)
def revisions() -> dict[str, str | None]:
    """revision → down_revision, read from the migration files."""
    graph: dict[str, str | None] = {}
    for script in (MIGRATIONS / "versions").glob("*.py"):
        source = script.read_text(encoding="utf-8")
        revision, down = _REVISION.search(source), _DOWN.search(source)
        if revision and down:
            graph[revision.group(1)] = down.group(1)
    return graph


def head_revision() -> str:
    """The newest schema revision this version of the app knows."""
    graph = revisions()
    heads = set(graph) - {down for down in graph.values() if down}
    assert len(heads) == 1, f"migrations with several heads: {sorted(heads)}"
    return heads.pop()


def known_revisions() -> set[str]:
    return set(revisions())
