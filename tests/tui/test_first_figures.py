"""Issue 16: the dashboard comes with its figures before the store layer is loaded; what needs the
store (a click on a figure, a screen key) waits for it instead of failing."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from textual.app import App
from textual.widgets import DataTable, Static

from store.database import Store
from store.glance import Glance, glance
from tests.tui.support import AppFactory, until
from tui.app import StoreOpener, make_app
from tui.first_figures import EarlyFigures
from tui.screens.action_detail import ActionDetailScreen
from tui.screens.actions import ActionsScreen
from tui.screens.dashboard import DashboardScreen


@pytest.fixture
def held_store(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """The store opens only once the test lets it (as on a slow machine)."""
    release = threading.Event()
    opened = StoreOpener.open

    def open_later(self: StoreOpener) -> tuple[Store, str, str]:
        release.wait(30)
        return opened(self)

    monkeypatch.setattr(StoreOpener, "open", open_later)
    yield release
    release.set()


async def test_the_figures_come_before_the_store_and_a_click_waits_for_it(
    app_factory: AppFactory, held_store: threading.Event
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, functools.partial(_shows_figures, app))
        assert not app.is_open
        assert app.screen.query_one("#late", DataTable).row_count > 0
        assert "Ariège (09)" in app.sub_title
        await pilot.press("l")  # the late actions: they need the store
        await pilot.pause(0.2)
        assert isinstance(app.screen, DashboardScreen)
        held_store.set()
        await until(pilot, lambda: isinstance(app.screen, ActionsScreen))
        screen = app.screen
        assert isinstance(screen, ActionsScreen) and screen.criteria.late_only
    assert app._exception is None  # noqa: SLF001


async def test_the_figures_read_from_the_command_line_s_start_are_those_shown(
    ariege_db: Path, held_store: threading.Event, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`suivi-sts` starts reading the dashboard's figures before Textual loads (a thread of
    `tui.first_figures`); the app shows those and reads nothing itself. Figures read for another
    department are not used: the app reads its own."""
    early = EarlyFigures(ariege_db, None)
    assert early.serves(ariege_db, None, early.today) and not early.serves(ariege_db, "31", early.today)
    assert early.result() == glance(ariege_db, None, early.today)
    read_by_app: list[Path] = []

    def app_glance(path: Path, department: str | None, today: date) -> Glance | None:
        read_by_app.append(path)
        return glance(path, department, today)

    monkeypatch.setattr("store.glance.glance", app_glance)
    for figures, read_here in (
        (EarlyFigures(ariege_db, None), []),
        (EarlyFigures(ariege_db, "31"), [ariege_db]),
    ):
        read_by_app.clear()
        app = make_app(ariege_db, author="coordinatrice", early_figures=figures)
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, functools.partial(_shows_figures, app))
            assert not app.is_open  # the figures came before the store
        assert read_by_app == read_here


def _shows_figures(app: App[int]) -> bool:
    """The dashboard is there, its title line with the figures."""
    screen = app.screen
    return (
        isinstance(screen, DashboardScreen)
        and screen.is_mounted
        and "en retard" in str(screen.query_one("#dept-title", Static).render())
    )


async def test_keys_typed_after_f4_while_the_store_opens_go_to_the_actions_screen(
    app_factory: AppFactory, held_store: threading.Event
) -> None:
    """F4 then a search and Enter, typed while the first figures are still shown (a slow laptop
    in a workshop): the keys are meant for the Actions screen, not the figures; it gets them
    once shown, and the first result opens."""
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, functools.partial(_shows_figures, app))
        await pilot.press("f4", *"depistage", "enter")
        await pilot.pause(0.2)
        assert isinstance(app.screen, DashboardScreen) and not app.is_open
        held_store.set()
        await until(pilot, lambda: isinstance(app.screen, ActionDetailScreen))
        title = app.screen.query_one("#action-title", Static)
        await until(pilot, lambda: bool(str(title.render())))
        assert "ACT-003" in str(title.render())  # « Extension du bus de dépistage … », found first
        app.pop_screen()
        await until(pilot, lambda: isinstance(app.screen, ActionsScreen))
        screen = app.screen
        assert isinstance(screen, ActionsScreen) and screen.criteria.search == "depistage"
    assert app._exception is None  # noqa: SLF001


async def test_the_app_keys_still_act_while_the_store_opens(
    app_factory: AppFactory, held_store: threading.Event
) -> None:
    """Only the keys meant for the coming screen wait: F1 (help) acts at once."""
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, functools.partial(_shows_figures, app))
        await pilot.press("f4", "f1")
        await until(pilot, lambda: type(app.screen).__name__ == "HelpDialog")
        held_store.set()
    assert app._exception is None  # noqa: SLF001


async def test_a_screen_key_does_not_leave_a_dialog_waiting_for_its_answer(app_factory: AppFactory) -> None:
    """F2…F7 act before any other key (a burst after F4 goes to the Actions screen), but not over
    a dialog: F4 on the help leaves it shown, on the same screen."""
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.is_open and isinstance(app.screen, DashboardScreen))
        await pilot.press("f1")
        await until(pilot, lambda: type(app.screen).__name__ == "HelpDialog")
        await pilot.press("f4")
        await pilot.pause(0.3)
        assert type(app.screen).__name__ == "HelpDialog" and app.current_mode == "dashboard"
    assert app._exception is None  # noqa: SLF001
