"""Shared fixtures: real stores on disk (SQLite) and on a real PostgreSQL server."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from store.database import Store, open_store

FIXTURES = Path(__file__).with_name("fixtures")
MINI_REFERENCE = FIXTURES / "mini_reference.yaml"
PG_URL = os.environ.get("SUIVI_STS_TEST_PG_URL")
REQUIRE_PG = os.environ.get("SUIVI_STS_REQUIRE_PG") == "1"


@pytest.fixture(autouse=True)
def _isolated_user_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test ever touches the user's own store."""
    monkeypatch.setenv("SUIVI_STS_DB", str(tmp_path / "default-store.sqlite"))
    monkeypatch.setenv("SUIVI_STS_USER", "testeur")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))


def _pg_schema_url(schema: str) -> str:
    assert PG_URL is not None
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A URL on the real PostgreSQL server, in a fresh schema dropped afterwards."""
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("SUIVI_STS_TEST_PG_URL manquant alors que PostgreSQL est exigé (CI).")
        pytest.skip(
            "pas de serveur PostgreSQL (définir SUIVI_STS_TEST_PG_URL ; .ci/start-postgres en lance un)"
        )
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _pg_schema_url(schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same store tests run on a SQLite file and on PostgreSQL."""
    if request.param == "sqlite":
        return str(tmp_path / "store.sqlite")
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = open_store(store_url)
    yield opened
    opened.dispose()


@pytest.fixture
def loaded_store(store_url: str) -> Iterator[Store]:
    """A store with the small test scheme loaded."""
    from importers.setup_store import initialise

    result = initialise(store_url, reference=MINI_REFERENCE)
    yield result.store
    result.store.dispose()


def snapshot_tables(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, for "nothing changed" assertions."""
    from store.models import metadata

    with store.engine.connect() as conn:
        return {
            name: sorted(map(tuple, conn.execute(table.select()).all()), key=repr)
            for name, table in metadata.tables.items()
        }
