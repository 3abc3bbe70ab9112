# ruff: noqa: F811  (pytest fixtures imported from tests.pg_support)
"""publish / fetch between a delegation's laptop store and the regional PostgreSQL server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from importers.setup_store import initialise
from store import access
from store.actions import add_comment, load_actions, update_action
from store.database import Store, open_store
from store.models import ActionEvent
from store.reference import read_reference
from store.resources import load_resources, update_resource
from store.sync import fetch, publish
from tests.conftest import MINI_REFERENCE, snapshot_tables
from tests.pg_support import make_role, role_url  # noqa: F401  (fixtures)
from tui.cli import main

pytestmark = pytest.mark.postgres


@pytest.fixture
def laptop(tmp_path: Path) -> Iterator[Store]:
    result = initialise(tmp_path / "portable.sqlite", reference=MINI_REFERENCE)
    yield result.store
    result.store.dispose()


@pytest.fixture
def server(pg_url: str) -> Iterator[Store]:
    store = open_store(pg_url)
    yield store
    store.dispose()


def _edit_action(store: Store, code: str, comment: str | None = None, **changes: Any) -> None:
    with store.writer.begin() as conn:
        before = load_actions(conn, "09", [code])[code]
        update_action(
            conn, "09", before, replace(before, **changes), author="ana", source="écran", comment=comment
        )


def _content(store: Store) -> dict:
    with store.engine.connect() as conn:
        return read_reference(conn, "09")


def test_publish_sends_everything_and_publishing_again_changes_nothing(laptop: Store, server: Store) -> None:
    first = publish(laptop, server, "09", author="ana")
    assert first.reference == "copié" and first.created and not first.conflicts
    assert _content(server) == _content(laptop)
    server_before, laptop_before = snapshot_tables(server), snapshot_tables(laptop)
    second = publish(laptop, server, "09", author="ana")
    assert not second.changed and not second.conflicts
    assert "Rien à faire" in second.summary()
    assert snapshot_tables(server) == server_before
    assert snapshot_tables(laptop) == laptop_before


def test_a_local_change_is_published_with_its_journal_and_comments(laptop: Store, server: Store) -> None:
    publish(laptop, server, "09", author="ana")
    _edit_action(laptop, "ACT-001", comment="Attente du financement", status="reportee", progress=60)
    with laptop.writer.begin() as conn:
        action = load_actions(conn, "09", ["ACT-001"])["ACT-001"]
        add_comment(conn, "09", action, "Vu en commission", author="ana", source="écran")
    # a status moving to Reportée needs a comment: the local one travels with it
    report = publish(laptop, server, "09", author="ana")
    assert report.updated == ["action ACT-001"]
    assert not report.conflicts and report.comments_copied == 1
    with server.engine.connect() as conn:
        on_server = load_actions(conn, "09", ["ACT-001"])["ACT-001"]
        comments = (
            conn.execute(
                select(ActionEvent.comment).where(ActionEvent.kind == "commentaire")  # type: ignore[call-overload]
            )
            .scalars()
            .all()
        )
        status_comment = conn.execute(
            select(ActionEvent.comment).where(ActionEvent.field == "status")  # type: ignore[call-overload]
        ).scalar_one()
    assert on_server.status == "reportee" and on_server.progress == 60
    assert "Vu en commission" in comments
    assert status_comment == "Attente du financement"


def test_a_change_on_both_sides_is_a_conflict_and_nothing_is_overwritten(
    laptop: Store, server: Store
) -> None:
    publish(laptop, server, "09", author="ana")
    _edit_action(laptop, "ACT-001", title="Titre du portable")
    _edit_action(server, "ACT-001", title="Titre du serveur")
    _edit_action(laptop, "ACT-002", progress=90)  # changed on one side only: goes through
    with server.writer.begin() as conn:
        res = load_resources(conn, "09")
        code, before = next(iter(res.items()))
        update_resource(
            conn,
            "09",
            before,
            replace(before, capacity=(before.capacity or 0) + 3),
            author="ana",
            source="test",
        )
    report = publish(laptop, server, "09", author="ana")
    assert [(c.kind, c.code) for c in report.conflicts] == [("action", "ACT-001")]
    assert report.updated == ["action ACT-002"]
    # a publish is an exchange: the server's change to the resource comes down at the same time
    assert report.received == [f"ressource {code}"]
    with server.engine.connect() as conn:
        assert load_actions(conn, "09", ["ACT-001"])["ACT-001"].title == "Titre du serveur"
    with laptop.engine.connect() as conn:
        assert load_actions(conn, "09", ["ACT-001"])["ACT-001"].title == "Titre du portable"
    assert "CONFLIT action ACT-001" in report.summary()
    with laptop.engine.connect() as conn:
        assert load_resources(conn, "09")[code].capacity == (before.capacity or 0) + 3
    # fetch has nothing more to bring, and still refuses to settle the conflict
    back = fetch(server, laptop, "09", author="ana")
    assert back.updated == []
    assert [(c.kind, c.code) for c in back.conflicts] == [("action", "ACT-001")]


def test_fetch_brings_a_department_down_to_a_new_laptop(laptop: Store, server: Store, tmp_path: Path) -> None:
    publish(laptop, server, "09", author="ana")
    fresh = open_store(tmp_path / "neuf.sqlite")
    report = fetch(server, fresh, "09", author="bob")
    assert report.reference == "copié" and not report.conflicts
    assert _content(fresh) == _content(server)
    again = fetch(server, fresh, "09", author="bob")
    assert not again.changed
    # a change made offline on the new laptop is then published
    _edit_action(fresh, "ACT-002", progress=75)
    assert publish(fresh, server, "09", author="bob").updated == ["action ACT-002"]
    fresh.dispose()


def test_cli_publish_and_fetch_with_a_department_role(
    laptop: Store,
    server: Store,
    pg_url: str,
    make_role: Callable[[str], str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    role = make_role("dt09")
    assert main(["--db", pg_url, "admin", "grant", role, "--department", "09"]) == 0
    assert f"Rôle {role} créé" in capsys.readouterr().out
    url = role_url(pg_url, role)
    db = str(laptop.path)
    laptop.dispose()
    # a delegation's account may not add to the shared themes and pathways: refused, in French
    assert main(["--db", db, "publish", "--to", url]) == 2
    assert "thèmes et parcours" in capsys.readouterr().err
    # so the administrator loads the department first (docs/deployment.md), then the delegation
    assert main(["--db", db, "publish", "--to", pg_url]) == 0
    assert main(["--db", db, "publish", "--to", url]) == 0
    assert "Rien à faire" in capsys.readouterr().out
    copy = str(tmp_path / "copie.sqlite")
    assert main(["--db", copy, "fetch", "--from", url]) == 0
    with open_store(copy).engine.connect() as conn:
        assert set(load_actions(conn, "09")) == {"ACT-001", "ACT-002"}
    assert access.bindings(server.engine, role) == [(role, "09", False)]
