"""The regional server lost while the app runs on it: a banner says so and counts down, the app
tries again by itself, typed work stays, and everything comes back with the server.

The outage is a TCP forwarder of the test's own (tests/tcp_proxy.py) in front of the shared
test server, cut and restored; the store is a fresh schema on that server.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import text
from textual.widgets import Input, Select

from importers.setup_store import initialise
from store.actions import load_actions
from store.database import open_store
from store.server import connection_failure
from store.vocab import ActionStatus
from tests.conftest import MINI_REFERENCE
from tests.tcp_proxy import TcpProxy
from tests.tui.conftest import TODAY
from tests.tui.support import settle, until
from tui.app import SuiviStsApp, make_app
from tui.screens.action_detail import ActionDetailScreen
from tui.screens.actions import ActionsScreen
from tui.screens.dashboard import DashboardScreen
from tui.screens.startup import StartupScreen
from tui.widgets.connection_banner import ConnectionBanner
from tui.widgets.error_dialog import ErrorDialog
from tui.widgets.record_table import RecordTable
from tui.widgets.status_dialog import StatusDialog

#: Short delays between attempts, so that the tests do not wait 2, 5, 10 s.
FAST_RETRIES = (0.3, 0.5)


@pytest.fixture
def server_url(pg_url: str) -> str:
    """A department store (Ariège, the small scheme) on the real server."""
    initialise(pg_url, reference=MINI_REFERENCE).store.dispose()
    return pg_url


@pytest.fixture
def proxy(server_url: str) -> Iterator[TcpProxy]:
    parts = urlsplit(server_url)
    with TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432) as forwarder:
        yield forwarder


def through(url: str, proxy: TcpProxy) -> str:
    """The same store, reached through the forwarder."""
    parts = urlsplit(url)
    netloc = f"{parts.username}@127.0.0.1:{proxy.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def app_on(url: str) -> SuiviStsApp:
    app = make_app(url, today=TODAY, author="coordinatrice")
    app.retry_delays_s = FAST_RETRIES
    return app


def banner(app: SuiviStsApp) -> ConnectionBanner:
    return app.screen.query_one(ConnectionBanner)


def no_error_dialog(app: SuiviStsApp) -> bool:
    """The outage is the banner's, never the error dialog's."""
    return not any(isinstance(screen, ErrorDialog) for screen in app.screen_stack)


def notices(app: SuiviStsApp) -> list[str]:
    return [n.message for n in app._notifications]


def title_on_server(url: str, code: str) -> str:
    store = open_store(url)
    try:
        with store.engine.connect() as conn:
            return load_actions(conn, "09", [code])[code].title
    finally:
        store.dispose()


async def test_outage_while_browsing_shows_a_banner_then_reloads_when_the_server_is_back(
    server_url: str, proxy: TcpProxy
) -> None:
    app = app_on(through(server_url, proxy))
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await settle(pilot)
        assert not banner(app).display

        proxy.cut()
        await pilot.press("f4")
        await until(pilot, lambda: isinstance(app.screen, ActionsScreen) and banner(app).display)
        said = str(banner(app).render())
        assert "Serveur injoignable" in said and "Nouvelle tentative" in said, said
        assert "Ctrl+R : maintenant" in said or "tentative en cours" in said, said
        assert no_error_dialog(app)
        assert app.connection_trouble is not None
        await pilot.pause(1)  # several attempts fail meanwhile; the UI keeps answering
        await pilot.press("f2")
        await until(pilot, lambda: isinstance(app.screen, DashboardScreen) and banner(app).display)
        await pilot.press("f4")

        # meanwhile a colleague renames an action on the server
        store = open_store(server_url)
        with store.writer.begin() as conn:
            conn.execute(
                text("UPDATE action SET title = 'Renommée pendant la coupure' WHERE code = 'ACT-001'")
            )
        store.dispose()

        proxy.restore()
        await until(pilot, lambda: not banner(app).display)
        assert app.connection_trouble is None
        await until(pilot, lambda: any("rétablie" in n for n in notices(app)))
        table = app.screen.query_one("#actions-table", RecordTable)
        await until(pilot, lambda: any(r.title == "Renommée pendant la coupure" for r in table.records))
        assert no_error_dialog(app)


async def test_a_save_during_the_outage_is_not_written_and_the_form_keeps_the_values(
    server_url: str, proxy: TcpProxy
) -> None:
    app = app_on(through(server_url, proxy))
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, DashboardScreen))
        app.open_action("ACT-001")
        await until(pilot, lambda: isinstance(app.screen, ActionDetailScreen) and app.screen.loaded)
        screen = app.screen
        assert isinstance(screen, ActionDetailScreen)
        form: ActionDetailScreen = screen
        before = title_on_server(server_url, "ACT-001")
        title = form.query_one("#title", Input)
        title.focus()
        title.value = ""
        await pilot.press(*"Saisi hors ligne")

        proxy.cut()
        await pilot.press("ctrl+s")
        await until(pilot, lambda: banner(app).display)
        await until(pilot, lambda: any("rien n'a été écrit" in n for n in notices(app)))
        assert app.screen is form and title.value == "Saisi hors ligne" and form.is_dirty()
        assert title_on_server(server_url, "ACT-001") == before
        assert no_error_dialog(app)

        proxy.restore()
        await until(pilot, lambda: not banner(app).display)
        await until(pilot, lambda: any("1 fiche(s) à enregistrer encore" in n for n in notices(app)))
        assert title.value == "Saisi hors ligne"  # the reload keeps what was typed
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not form.is_dirty())
        assert title_on_server(server_url, "ACT-001") == "Saisi hors ligne"


async def test_a_form_opened_during_the_outage_is_filled_once_the_server_is_back(
    server_url: str, proxy: TcpProxy
) -> None:
    app = app_on(through(server_url, proxy))
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await settle(pilot)
        proxy.cut()
        app.open_action("ACT-001")
        await until(pilot, lambda: isinstance(app.screen, ActionDetailScreen) and app.screen.is_mounted)
        await until(pilot, lambda: banner(app).display)
        form = app.screen
        assert isinstance(form, ActionDetailScreen) and not form.loaded
        proxy.restore()
        await until(pilot, lambda: not banner(app).display)
        await until(pilot, lambda: form.loaded)  # not left disabled and empty
        assert form.query_one("#title", Input).value == title_on_server(server_url, "ACT-001")
        assert no_error_dialog(app)


async def test_start_up_with_the_server_refusing_shows_the_banner_and_opens_once_it_is_back(
    server_url: str, proxy: TcpProxy
) -> None:
    proxy.cut()
    app = app_on(through(server_url, proxy))
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, StartupScreen) and banner(app).display)
        said = str(banner(app).render())
        assert "refuse la connexion" in said and "Nouvelle tentative" in said, said
        assert no_error_dialog(app) and app.is_running

        proxy.restore()
        await until(pilot, lambda: isinstance(app.screen, DashboardScreen))
        assert not banner(app).display and app.connection_trouble is None
        await until(pilot, lambda: any("Connexion au serveur établie" in n for n in notices(app)))


async def test_start_up_with_a_silent_server_says_so_within_the_timeout(
    server_url: str, proxy: TcpProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUIVI_STS_PG_TIMEOUT", "2")
    proxy.silence()
    app = app_on(through(server_url, proxy))
    async with app.run_test(size=(80, 24)) as pilot:
        took = await until(pilot, lambda: banner(app).display, timeout=10)
        assert took < 6, took
        said = str(banner(app).render())
        assert "ne répond pas" in said and "2 s" in said, said
        await pilot.press("ctrl+r")  # an attempt under way is not doubled; the app stays usable
        await pilot.press("f1")
        await pilot.pause(0.2)
        await pilot.press("escape")

        proxy.restore()
        await until(pilot, lambda: isinstance(app.screen, DashboardScreen), timeout=20)
        assert not banner(app).display


def test_only_a_failure_that_may_pass_is_retried() -> None:
    """Server stopped, silent or cut: the app retries; a refused identity or an unknown database:
    the command line says so and ends (exit 2), as retrying would not help."""
    url = "postgresql://dt09@serveur:5432/suivi"
    said = {
        'connection failed: connection to server at "10.0.0.1", port 5432 failed: Connection refused': True,
        "connection failed: timeout expired": True,
        "connection failed: server closed the connection unexpectedly": True,
        'connection failed: FATAL:  password authentication failed for user "dt09"': False,
        'connection failed: FATAL:  database "suivi" does not exist': False,
    }
    for detail, transient in said.items():
        failure = connection_failure(Exception(detail), url)
        assert failure is not None and failure.transient is transient, detail


def test_the_command_line_opens_the_app_on_a_server_out_of_reach_but_not_on_a_refusal(
    server_url: str, proxy: TcpProxy, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import tui.app
    from tui.cli import main

    started: list[BaseException | None] = []

    class Started:
        return_code = 0

        def run(self) -> None:
            pass

    def fake_make_app(db: str, **options: object) -> Started:
        started.append(cast("BaseException | None", options.get("unreachable")))
        return Started()

    monkeypatch.setattr(tui.app, "make_app", fake_make_app)
    proxy.cut()
    assert main(["--db", through(server_url, proxy)]) == 0
    assert len(started) == 1 and "refuse la connexion" in str(started[0])  # the banner at once

    parts = urlsplit(server_url)
    unknown = urlunsplit((parts.scheme, parts.netloc, "/pas_de_base_h12", "", ""))
    assert main(["--db", unknown]) == 2
    assert len(started) == 1  # no app: retrying would not help
    assert "n'existe pas" in capsys.readouterr().err


async def test_a_quick_status_during_the_outage_comes_back_as_typed(server_url: str, proxy: TcpProxy) -> None:
    """« Ce que vous avez saisi reste à l'écran »: true of F8's dialog too, which had closed."""
    app = app_on(through(server_url, proxy))
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, DashboardScreen))
        app.open_action("ACT-001")
        await until(pilot, lambda: isinstance(app.screen, ActionDetailScreen) and app.screen.loaded)
        form = app.screen
        await pilot.press("f8")
        await until(pilot, lambda: isinstance(app.screen, StatusDialog))
        dialog = app.screen
        dialog.query_one("#status", Select).value = ActionStatus.DONE.value
        comment = dialog.query_one("#comment", Input)
        comment.value = "bilan présenté au CTS"
        comment.focus()

        proxy.cut()
        await pilot.press("enter")
        await until(pilot, lambda: any("rien n'a été écrit" in n for n in notices(app)))
        await until(pilot, lambda: isinstance(app.screen, StatusDialog) and app.screen is not dialog)
        again = app.screen
        assert again.query_one("#status", Select).value == ActionStatus.DONE.value
        assert again.query_one("#comment", Input).value == "bilan présenté au CTS"
        assert no_error_dialog(app)

        proxy.restore()
        await until(pilot, lambda: app.connection_trouble is None)
        again.query_one("#comment", Input).focus()
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is form)
        await until(pilot, lambda: any("Statut" in n for n in notices(app)))
    store = open_store(server_url)
    try:
        with store.engine.connect() as conn:
            assert load_actions(conn, "09", ["ACT-001"])["ACT-001"].status == ActionStatus.DONE
    finally:
        store.dispose()
