"""Yes / no question."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Static

from tui.widgets.dialog_base import Dialog


class ConfirmDialog(Dialog[bool]):
    """Asks a question; dismisses with True (confirm) or False."""

    cancel_value = False
    BINDINGS: ClassVar[list[BindingType]] = Dialog.BUTTON_ARROWS

    def __init__(
        self, question: str, *, confirm: str = "Oui", cancel: str = "Non", title: str = "Confirmer"
    ) -> None:
        super().__init__()
        self.question = question
        self.labels = (confirm, cancel)
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(self.title_text, classes="dialog-title", markup=False)
            with VerticalScroll(classes="dialog-body"):
                yield Static(self.question, id="question", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.labels[1], id="no")
                yield Button(self.labels[0], variant="warning", id="yes")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed, "#yes")
    def yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#no")
    def no(self) -> None:
        self.dismiss(False)
