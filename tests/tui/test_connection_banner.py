"""The connection banner on its own: hidden while all is well, counts down, says an attempt is under way."""

from __future__ import annotations

import re
import time

from textual.app import App, ComposeResult

from tui.widgets.connection_banner import ConnectionBanner, ConnectionTrouble


class BannerApp(App[None]):
    def compose(self) -> ComposeResult:
        yield ConnectionBanner()


async def test_the_banner_counts_down_to_the_next_attempt_then_goes_away() -> None:
    app = BannerApp()
    async with app.run_test(size=(80, 24)) as pilot:
        banner = app.query_one(ConnectionBanner)
        assert not banner.display
        reason = "Le serveur 127.0.0.1:5432 refuse la connexion : serveur arrêté ?"
        banner.trouble = ConnectionTrouble(reason, time.monotonic() + 30)
        await pilot.pause(0.1)
        said = str(banner.render())
        assert banner.display and reason in said
        assert "Nouvelle tentative dans 30 s — Ctrl+R : maintenant." in said, said
        # a loaded machine may be late by a tick: wait (up to 5 s) for the count to go down
        for _ in range(50):
            await pilot.pause(0.1)
            if "dans 30 s" not in str(banner.render()):
                break
        said = str(banner.render())
        assert re.search(r"Nouvelle tentative dans 2[5-9] s", said), said

        banner.trouble = ConnectionTrouble(reason, None)
        await pilot.pause(0.1)
        assert "Nouvelle tentative en cours…" in str(banner.render())

        banner.trouble = None
        await pilot.pause(0.1)
        assert not banner.display


async def test_the_countdown_line_fits_80_columns() -> None:
    said = ConnectionBanner.text_for(ConnectionTrouble("x", time.monotonic() + 30))
    # 80 columns less the banner's border and padding
    assert len(said.splitlines()[1]) <= 77, said
