"""Fixtures for driving the real app on a real temporary store."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
import yaml

from exports.reference_yaml import dump_reference
from importers.reference_yaml import embedded_reference_text
from importers.setup_store import initialise
from tui.app import SuiviStsApp, make_app

#: A fixed day, so that "late" and "due soon" do not depend on when the tests run.
TODAY = date(2024, 3, 1)


#: A delegation's follow-up of the shipped actions (statuses, progress, due dates…) that the app
#: tests rely on: late actions, progress bars. Test data, since the document gives none of it.
FOLLOW_UP = Path(__file__).parent.parent / "fixtures" / "ariege_followup.yaml"


@pytest.fixture(scope="session")
def ariege_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The embedded Ariège reference data with a follow-up of its actions, loaded once per session."""
    folder = tmp_path_factory.mktemp("template")
    doc = yaml.safe_load(embedded_reference_text())
    follow_up = yaml.safe_load(FOLLOW_UP.read_text(encoding="utf-8"))["actions"]
    for action in doc["actions"]:
        action.update(follow_up.get(action["code"], {}))
    reference = folder / "ariege_suivi.yaml"
    reference.write_text(dump_reference(doc), encoding="utf-8")
    path = folder / "ariege.sqlite"
    initialise(path, reference=reference).store.dispose()
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


@pytest.fixture
def hold_store(
    ariege_db: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[], Callable[[], None]]]:
    """Another program takes the store's write lock (a backup tool, a second copy mid-import) when
    the test calls this; saves then fail after a short wait; the function returned lets go."""
    monkeypatch.setenv("SUIVI_STS_BUSY_TIMEOUT_MS", "200")
    holder = sqlite3.connect(ariege_db, isolation_level=None)

    def hold() -> Callable[[], None]:
        holder.execute("BEGIN EXCLUSIVE")
        return holder.rollback

    yield hold
    holder.close()
