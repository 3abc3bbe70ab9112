"""The footer of every screen: the screen's keys, with « F1 Aide » always visible at the right.

Textual's footer lays the keys out in binding order and cuts what passes the width: on a busy
screen at 80 columns the help key was pushed off. Here it is docked at the right edge, as the
command palette key is in Textual's own footer, so the way to every other key stays in sight.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

#: The key that is never cut: the help lists every other one.
HELP_KEY = "f1"


class AppFooter(Footer):
    """Footer whose help key is docked right, whatever the width and the number of keys."""

    DEFAULT_CSS = """
    AppFooter FooterKey.-help {
        dock: right;
        padding-right: 1;
        border-left: vkey $foreground 20%;
    }
    """

    def compose(self) -> ComposeResult:
        help_key: FooterKey | None = None
        for widget in super().compose():
            if isinstance(widget, FooterKey) and widget.key == HELP_KEY:
                help_key = widget
                continue
            yield widget
        if help_key is not None:
            help_key.add_class("-help")
            yield help_key
