"""The « Conflits » screen: conflicts left by a real exchange with another copy of the store,
settled by keyboard (keep mine, take theirs, a third value) and read back from the store."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from store.actions import load_actions, update_action
from store.database import Store, open_store
from store.sync import CONFLICTS, fetch, publish
from store.sync_conflicts import pending_conflicts
from store.sync_reference import read_records, set_field
from tests.tui.support import AppFactory, settle
from tests.tui.test_snapshots import SIZES, _steps
from tui.screens.conflicts import ConflictsScreen
from tui.widgets.conflict_sides import ConflictSides
from tui.widgets.record_table import RecordTable
from tui.widgets.text_dialog import TextDialog


def _retitle(store: Store, title: str, author: str) -> None:
    with store.writer.begin() as conn:
        before = load_actions(conn, "09", ["ACT-002"])["ACT-002"]
        update_action(conn, "09", before, replace(before, title=title), author=author, source="écran")


def _rename(store: Store, name: str, author: str) -> None:
    with store.writer.begin() as conn:
        set_field(conn, "09", "organisation", "CPTS-AP", "nom", name, author=author, source="écran")


@pytest.fixture
def server(ariege_db: Path, tmp_path: Path) -> Iterator[Store]:
    """Another copy of the department (as the regional server would hold it), already exchanged
    with the laptop; then the same action title and the same organisation name changed on both
    sides: two conflicts on the laptop."""
    path = tmp_path / "serveur.sqlite"
    shutil.copy2(ariege_db, path)
    other, laptop = open_store(path), open_store(ariege_db)
    try:
        assert not fetch(other, laptop, "09", author="coordinatrice").conflicts
        _retitle(laptop, "Titre écrit ici", "coordinatrice")
        _retitle(other, "Titre écrit au serveur", "bob")
        _rename(laptop, "CPTS Ariège-Pyrénées (ici)", "coordinatrice")
        _rename(other, "CPTS Ariège-Pyrénées (serveur)", "bob")
        assert len(fetch(other, laptop, "09", author="coordinatrice").conflicts) == 2
        with laptop.writer.begin() as conn:  # fixed times: the snapshots do not depend on the day
            conn.execute(
                update(CONFLICTS).values(
                    mine_at=datetime(2024, 2, 27, 9, 30, tzinfo=UTC),
                    theirs_at=datetime(2024, 2, 28, 14, 5, tzinfo=UTC),
                )
            )
    finally:
        laptop.dispose()
    yield other
    other.dispose()


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def _laptop(db: Path) -> tuple[str, str, list[Any]]:
    store = open_store(db)
    try:
        with store.engine.connect() as conn:
            title = load_actions(conn, "09", ["ACT-002"])["ACT-002"].title
            name = read_records(conn, "09")[("organisation", "CPTS-AP")]["nom"]
            return title, name, pending_conflicts(conn, "09")
    finally:
        store.dispose()


async def _open(pilot: Any) -> ConflictsScreen:
    await settle(pilot)
    await pilot.press("ctrl+k")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ConflictsScreen)
    return screen


async def test_the_screen_lists_both_sides_and_settles_each_way(
    app_factory: AppFactory, ariege_db: Path, server: Store
) -> None:
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _open(pilot)
        table = screen.query_one("#conflicts-table", RecordTable)
        assert [c.record for c in table.records] == ["action ACT-002", "organisation CPTS-AP"]
        assert {"m", "t", "v"} <= set(screen.active_bindings)
        sides = str(screen.query_one(ConflictSides).render())
        assert "Titre écrit ici" in sides and "Titre écrit au serveur" in sides
        assert "bob, 28/02/2024 14:05" in sides and "coordinatrice, 27/02/2024 09:30" in sides
        await pilot.press("t")  # take the server's title
        await settle(pilot)
        title, name, left = _laptop(ariege_db)
        assert title == "Titre écrit au serveur"
        assert [c.record for c in left] == ["organisation CPTS-AP"]
        assert [c.record for c in table.records] == ["organisation CPTS-AP"]
        await pilot.press("m")  # keep my organisation name
        await settle(pilot)
        title, name, left = _laptop(ariege_db)
        assert name == "CPTS Ariège-Pyrénées (ici)" and left == []
        assert "Aucun conflit" in str(screen.query_one(ConflictSides).render())
        assert not {"m", "t", "v"} & set(screen.active_bindings)  # nothing left to settle
    # the next publish sends my name; the server's title is kept: both copies agree
    laptop = open_store(ariege_db)
    try:
        report = publish(laptop, server, "09", author="coordinatrice")
        assert not report.conflicts, report.summary()
        with laptop.engine.connect() as a, server.engine.connect() as b:
            assert read_records(a, "09") == read_records(b, "09")
            assert load_actions(a, "09")["ACT-002"].title == load_actions(b, "09")["ACT-002"].title
    finally:
        laptop.dispose()


async def test_without_conflicts_m_t_v_are_not_offered(app_factory: AppFactory) -> None:
    """« Aucun conflit de synchronisation à régler » and the footer offered m / t / v, which only
    said « Aucun conflit à régler »: they are offered with a conflict to settle only."""
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot)
        assert not {"m", "t", "v"} & set(screen.active_bindings)
        # a store never synchronised: nothing « concorde », nothing was exchanged
        said = str(screen.query_one(ConflictSides).render())
        assert said.startswith("Rien n'a encore été échangé avec un serveur régional"), said


async def test_a_third_value_is_read_by_the_field_registry(
    app_factory: AppFactory, ariege_db: Path, server: Store
) -> None:
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        await _open(pilot)
        await pilot.press("down", "v")  # the organisation
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, TextDialog)
        await pilot.press("ctrl+a", "ctrl+k", *"CPTS de l'Ariège", "enter")
        await settle(pilot)
        title, name, left = _laptop(ariege_db)
        assert name == "CPTS de l'Ariège"
        assert [c.record for c in left] == ["action ACT-002"]


async def test_a_refused_third_value_keeps_the_dialog_open(
    app_factory: AppFactory, ariege_db: Path, server: Store
) -> None:
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        await _open(pilot)
        await pilot.press("v", "ctrl+a", "ctrl+k", "enter")  # an empty title
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, TextDialog)
        assert "obligatoire" in str(dialog.query_one("#error").render())
        await pilot.press("escape")
        await settle(pilot)
    assert len(_laptop(ariege_db)[2]) == 2  # nothing settled


async def test_the_app_says_conflicts_are_pending_when_it_opens(
    app_factory: AppFactory, server: Store
) -> None:
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        said = [n.message for n in app._notifications]
        assert any("2 conflits de synchronisation à régler : Ctrl+K" in m for m in said)


@pytest.mark.parametrize("size", list(SIZES.values()), ids=list(SIZES))
def test_layout(snap_compare: Any, app_factory: AppFactory, server: Store, size: tuple[int, int]) -> None:
    def clear_notices(app: Any) -> None:
        app.clear_notifications()

    assert snap_compare(app_factory(), run_before=_steps(clear_notices, "ctrl+k"), terminal_size=size)
