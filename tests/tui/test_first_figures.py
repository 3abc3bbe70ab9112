"""Issue 16: the dashboard comes with its figures before the store layer is loaded; what needs the
store (a click on a figure, a screen key) waits for it instead of failing."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from textual.widgets import DataTable, Static

from store.database import Store
from tests.tui.support import AppFactory, until
from tui.app import StoreOpener
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

        def figures_shown() -> bool:
            screen = app.screen
            return (
                isinstance(screen, DashboardScreen)
                and screen.is_mounted
                and "en retard" in str(screen.query_one("#dept-title", Static).render())
            )

        await until(pilot, figures_shown)
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
