"""Helpers for the tests on the real PostgreSQL server: department stores, throw-away roles."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import Engine

from importers.reference_yaml import read_reference_file
from store import access
from store.database import Store, open_store
from store.reference import apply_reference
from tests.conftest import MINI_REFERENCE


def role_url(url: str, role: str, password: str = "secret") -> str:
    """The same server, schema and options, but connected as `role`."""
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    netloc = f"{role}:{password}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def department_doc(code: str, name: str) -> dict[str, Any]:
    """The small test scheme, for another department."""
    doc = copy.deepcopy(read_reference_file(MINI_REFERENCE))
    doc["departement"] = {"code": code, "nom": name}
    return doc


def load_departments(store: Store, *codes: tuple[str, str]) -> None:
    for code, name in codes:
        with store.writer.begin() as conn:
            apply_reference(conn, department_doc(code, name), author="admin", source="test")


@pytest.fixture
def regional_store(pg_url: str) -> Iterator[Store]:
    """A server schema holding departments 09 (Ariège) and 31 (Haute-Garonne)."""
    store = open_store(pg_url)
    load_departments(store, ("09", "Ariège"), ("31", "Haute-Garonne"))
    yield store
    store.dispose()


@pytest.fixture
def make_role(pg_url: str) -> Iterator[Callable[[str], str]]:
    """Unique role names for one test; every role is dropped afterwards."""
    admin: Engine = open_store(pg_url).engine
    made: list[str] = []

    def make(prefix: str) -> str:
        name = f"t_{prefix}_{uuid.uuid4().hex[:8]}"
        made.append(name)
        return name

    yield make
    for name in made:
        access.drop_role(admin, name)
    admin.dispose()
