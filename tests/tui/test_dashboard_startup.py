"""The app starts a hundred times in a row and draws its first screen with data every time.

Issues 10 and 16: about one start in twenty failed with `NoMatches: '#late'` — the dashboard laid
its tables out on a resize that came while its widgets were being removed (the app closing), and
a worker's result could come before the widgets were there. The figures are now a reactive that
only a mounted screen shows, and the two lists lay themselves out (`RecordTable`).
"""

from __future__ import annotations

from collections.abc import Callable

from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from tui.app import SuiviStsApp
from tui.screens.dashboard import DashboardScreen

STARTS = 100
KEYS = ((), ("f2",), ("f4",), ("f4", "f2"), ("f3", "f2", "f4"))


async def _until_dashboard(app: SuiviStsApp, pilot: Pilot[int]) -> DashboardScreen:
    """The dashboard, once mounted with its figures drawn (as people see it)."""
    for _ in range(2000):
        screen = app.screen
        if isinstance(screen, DashboardScreen) and screen.is_mounted and screen.data is not None:
            title = str(screen.query_one("#dept-title", Static).render())
            if "actions" in title:
                return screen
        await pilot.pause(0.005)
    raise AssertionError("le tableau de bord ne s'est pas ouvert avec ses chiffres")


async def test_a_hundred_starts_draw_the_dashboard_with_data(app_factory: Callable[..., SuiviStsApp]) -> None:
    for start in range(STARTS):
        app = app_factory()
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await _until_dashboard(app, pilot)
            assert screen.query_one("#late", DataTable).row_count > 0, start
            if start % 10 == 0:  # now and then, a second result in flight while keys move away
                screen.refresh_data()
                await pilot.press(*KEYS[start // 10 % len(KEYS)])
        # run_test re-raises what a handler raised; say which start it was otherwise
        assert app._exception is None, (start, app._exception)  # noqa: SLF001


async def test_results_arriving_while_the_app_closes_are_dropped(
    app_factory: Callable[..., SuiviStsApp],
) -> None:
    app = app_factory()
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await _until_dashboard(app, pilot)
        await app.workers.wait_for_complete()
        await pilot.pause()
        data = screen.data
        assert data is not None
        for _ in range(20):
            screen.post_message(DashboardScreen.Loaded(data))
        app.exit()
    assert app._exception is None  # noqa: SLF001


async def test_the_dashboard_shows_its_figures_after_moving_away_and_back(
    app_factory: Callable[..., SuiviStsApp],
) -> None:
    app = app_factory()
    async with app.run_test(size=(140, 45)) as pilot:
        await _until_dashboard(app, pilot)
        await pilot.press("f4", "f2")
        await app.workers.wait_for_complete()
        await pilot.pause()
        title = str(app.screen.query_one("#dept-title", Static).render())
        assert "actions" in title and "en retard" in title
        late = app.screen.query_one("#late", DataTable)
        assert len(late.columns) == 4
        assert late.row_count > 0


async def test_a_screen_key_pressed_while_the_store_opens_is_not_lost(
    app_factory: Callable[..., SuiviStsApp],
) -> None:
    from tui.screens.startup import StartupScreen
    from tui.screens.workshop import WorkshopScreen

    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        assert isinstance(app.screen, StartupScreen)  # "Ouverture de la base…"
        await pilot.press("f5")
        for _ in range(500):
            if isinstance(app.screen, WorkshopScreen):
                break
            await pilot.pause(0.01)
        assert isinstance(app.screen, WorkshopScreen)
