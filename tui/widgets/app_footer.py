"""The footer of every screen: the screen's keys, with « F1 Aide » always visible at the right.

Textual's footer lays the keys out in binding order and cuts what passes the width: on a busy
screen at 80 columns the help key was pushed off, and the last key shown lost its label. Here the
help key is docked at the right edge, beside the command palette key when that one is shown, so
the way to every other key stays in sight; and a key that does not fit whole is not shown at all
(the help lists it).
"""

from __future__ import annotations

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.containers import HorizontalGroup
from textual.widget import Widget
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

    #: The keys of the last layout (`_keys_shown`).
    _laid_out: tuple[object, ...] = ()

    def compose(self) -> ComposeResult:
        right: list[FooterKey] = []
        for widget in super().compose():
            if isinstance(widget, FooterKey) and not widget.has_class("-command-palette"):
                # born with the footer's `compact` (Textual's keys start compact, then follow the
                # footer's: each change styled the key again, twice per key at every new screen;
                # the palette key stays compact, as Textual makes it)
                widget.set_reactive(FooterKey.compact, self.compact)
                widget.set_class(self.compact, "-compact", update=False)
            if isinstance(widget, FooterKey) and (
                widget.key == HELP_KEY or widget.has_class("-command-palette")
            ):
                right.append(widget)
                continue
            yield widget
        if right:
            yield HorizontalGroup(*sorted(right, key=lambda key: key.key != HELP_KEY), classes="footer-right")

    async def recompose(self) -> None:
        """Lay the keys out again if the screen's keys changed, then keep those that fit.

        Textual asks for a new layout at each change of focus, though the keys shown are most
        often the same: rebuilding a dozen keys each time took a fifth of the start-up's work in the
        interface (cProfile: 1.4 s of 6.4 s to the dashboard, on a loaded machine)."""
        shown = self._keys_shown()
        if shown == self._laid_out and self.children:
            return
        await super().recompose()
        self._laid_out = shown
        self._fit()

    def _keys_shown(self) -> tuple[object, ...]:
        """What `compose` shows of the screen's keys (same keys → same footer)."""
        if not self._bindings_ready or not self.is_attached:
            return ()
        keys = tuple(
            (key, binding, enabled, tooltip)
            for key, (_node, binding, enabled, tooltip) in self.screen.active_bindings.items()
        )
        return (self.show_command_palette, self.app.ENABLE_COMMAND_PALETTE, keys)

    def on_resize(self, _event: events.Resize) -> None:
        self._fit()

    def _fit(self) -> None:
        """Show the keys, in order, as long as each fits whole beside the right-hand group."""
        if not self.is_mounted:
            return
        right = [child for child in self.children if child.has_class("footer-right")]
        room = self.size.width - sum(_width(child, shown_only=True) for child in right)
        used = 0
        for child in self.children:
            if child in right:
                continue
            used += _width(child)
            child.display = used <= room


def _width(widget: Widget, *, shown_only: bool = False) -> int:
    """The columns a footer item takes (its text, padding, border, margin), whether this footer
    shows it or not; `shown_only`: the keys its style hides (the palette's at 80 columns) count 0."""
    if shown_only and not widget.display:
        return 0
    if isinstance(widget, FooterKey):
        inner = cell_len(widget.render().plain)
    else:
        inner = sum(_width(child, shown_only=shown_only) for child in widget.children)
    return inner + widget.styles.gutter.width + widget.styles.margin.width
