"""Fixtures for driving the real app on a real temporary store."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from importers.setup_store import initialise
from tui.app import SuiviStsApp, make_app

#: A fixed day, so that "late" and "due soon" do not depend on when the tests run.
TODAY = date(2024, 3, 1)


@pytest.fixture(scope="session")
def ariege_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The embedded Ariège reference data loaded once per test session."""
    path = tmp_path_factory.mktemp("template") / "ariege.sqlite"
    initialise(path).store.dispose()
    return path


@pytest.fixture
def ariege_db(tmp_path: Path, ariege_template: Path) -> Path:
    """A fresh copy of the Ariège store for one test (a real SQLite file on disk)."""
    path = tmp_path / "ariege.sqlite"
    shutil.copy2(ariege_template, path)
    return path


@pytest.fixture
def app_factory(ariege_db: Path) -> Callable[..., SuiviStsApp]:
    def build(**kwargs: object) -> SuiviStsApp:
        options: dict[str, object] = {"today": TODAY, "author": "coordinatrice", **kwargs}
        return make_app(ariege_db, **options)  # type: ignore[arg-type]

    return build
