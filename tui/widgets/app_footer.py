"""The footer of every screen: the screen's keys, with « F1 Aide » always visible at the right.

Textual's footer lays the keys out in binding order and cuts what passes the width: on a busy
screen at 80 columns the help key was pushed off. Here it is docked at the right edge, beside the
command palette key when that one is shown, so the way to every other key stays in sight.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import HorizontalGroup
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

#: The key that is never cut: the help lists every other one.
HELP_KEY = "f1"


class AppFooter(Footer):
    """Footer whose help key (and palette key) are docked right, whatever the number of keys."""

    DEFAULT_CSS = """
    AppFooter .footer-right {
        dock: right;
        width: auto;
        height: 1;
        background: $footer-background;
        border-left: vkey $foreground 20%;
    }
    AppFooter .footer-right FooterKey.-command-palette {
        dock: none;
        border-left: none;
    }
    """

    def compose(self) -> ComposeResult:
        right: list[FooterKey] = []
        for widget in super().compose():
            if isinstance(widget, FooterKey) and (
                widget.key == HELP_KEY or widget.has_class("-command-palette")
            ):
                right.append(widget)
                continue
            yield widget
        if right:
            yield HorizontalGroup(*sorted(right, key=lambda key: key.key != HELP_KEY), classes="footer-right")
