"""The banner shown while the regional server cannot be reached: what happened, when the app
tries again by itself, and the key to try now. Hidden while the connection is fine."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from textual.reactive import reactive
from textual.timer import Timer
from textual.widgets import Static

#: The app's reactive the banner follows (when the app has one).
APP_ATTRIBUTE = "connection_trouble"
#: The key that tries again at once (the app's binding), as the footer and the help write it.
RETRY_KEY = "Ctrl+R"


@dataclass(frozen=True)
class ConnectionTrouble:
    """The server is out of reach: why (in French) and when the next attempt is due
    (`time.monotonic()`; None while an attempt is under way)."""

    reason: str
    retry_at: float | None = None

    def retry_in_s(self) -> int | None:
        """Whole seconds left before the next attempt (None: an attempt is under way)."""
        if self.retry_at is None:
            return None
        return max(0, math.ceil(self.retry_at - time.monotonic()))


class ConnectionBanner(Static):
    """« Serveur injoignable — why » then « Nouvelle tentative dans N s — Ctrl+R : maintenant. »

    Follows the app's `connection_trouble` reactive when the app has one (so every screen's
    banner agrees), else its own `trouble`; counts down each second while shown.
    """

    DEFAULT_CSS = """
    ConnectionBanner { display: none; height: auto; }
    ConnectionBanner.-lost { display: block; }
    """

    trouble: reactive[ConnectionTrouble | None] = reactive(None, always_update=True)

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", id=id, classes=classes, markup=False)
        self._ticker: Timer | None = None

    def on_mount(self) -> None:
        if hasattr(self.app, APP_ATTRIBUTE):
            self.watch(self.app, APP_ATTRIBUTE, self._follow, init=True)

    def _follow(self, trouble: ConnectionTrouble | None) -> None:
        self.trouble = trouble

    def watch_trouble(self, trouble: ConnectionTrouble | None) -> None:
        self.set_class(trouble is not None, "-lost")
        if trouble is None:
            if self._ticker is not None:
                self._ticker.stop()
                self._ticker = None
            return
        if self._ticker is None:
            self._ticker = self.set_interval(1, self._tick)
        self._tick()

    def _tick(self) -> None:
        trouble = self.trouble
        if trouble is not None:
            self.update(self.text_for(trouble))

    @staticmethod
    def text_for(trouble: ConnectionTrouble) -> str:
        """What the banner says: the reason, then when the next attempt comes (one line at 80 columns)."""
        seconds = trouble.retry_in_s()
        when = (
            "Nouvelle tentative en cours…"
            if seconds is None
            else f"Nouvelle tentative dans {seconds} s — {RETRY_KEY} : maintenant."
        )
        return f"Serveur injoignable — {trouble.reason}\n{when} Vos saisies sont gardées."
