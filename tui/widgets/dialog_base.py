"""Shared frame of the dialogs: centred box, title, Escape cancels, the dialog's keys in a footer.

The title is docked at the top of the box and the buttons at its bottom, so that they stay
on screen whatever the size of the terminal: what lies between (a `.dialog-body`, a table)
takes the height left (`max-height: 100%`) and scrolls. On a short terminal (under 30 rows)
the box loses its inner vertical padding and may take the whole height.
"""

from __future__ import annotations

from typing import ClassVar, Generic, TypeVar

from textual.binding import Binding, BindingType
from textual.screen import ModalScreen

from tui.widgets.app_footer import AppFooter

T = TypeVar("T")


class Dialog(ModalScreen[T], Generic[T]):
    """A centred modal box; Escape dismisses it with `cancel_value`."""

    DEFAULT_CSS = """
    Dialog {
        align: center middle;
        background: $background 60%;
    }
    Dialog > .dialog-box {
        width: 80;
        max-width: 95%;
        height: auto;
        max-height: 90%;
        padding: 1 2;
        border: thick $primary;
        background: $panel;
    }
    Dialog.-short > .dialog-box {
        max-height: 100%;
        padding: 0 1;
    }
    Dialog .dialog-title {
        dock: top;
        text-style: bold;
        margin-bottom: 1;
    }
    Dialog .dialog-body {
        height: auto;
        max-height: 100%;
    }
    Dialog .dialog-hint {
        dock: bottom;
        color: $text-muted;
        height: auto;
    }
    Dialog .dialog-buttons {
        dock: bottom;
        height: auto;
        margin-top: 1;
        align-horizontal: right;
    }
    Dialog .dialog-buttons Button {
        margin-left: 1;
    }
    Dialog .field-error {
        color: $error;
        height: auto;
    }
    """

    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Annuler", tooltip="Fermer sans rien changer")
    ]

    #: ← and → between the buttons of a dialog made only of buttons (a question): bound by such
    #: dialogs, not by those whose lists or fields use the arrows.
    BUTTON_ARROWS: ClassVar[list[BindingType]] = [
        Binding("left", "move_button(-1)", "Gauche", show=False, tooltip="Aller au bouton de gauche"),
        Binding("right", "move_button(1)", "Droite", show=False, tooltip="Aller au bouton de droite"),
    ]

    cancel_value: T | None = None

    def action_move_button(self, step: int) -> None:
        """Focus the next button to the left (-1) or right (1) of the focused one."""
        from textual.widgets import Button

        buttons = list(self.query(".dialog-buttons Button").results(Button))
        if not buttons:
            return
        here = buttons.index(self.focused) if self.focused in buttons else 0
        buttons[min(len(buttons) - 1, max(0, here + step))].focus()

    def on_mount(self) -> None:
        """The footer shows the keys of this dialog, not those of the screen below."""
        self.mount(AppFooter())

    def action_cancel(self) -> None:
        self.dismiss(self.cancel_value)
