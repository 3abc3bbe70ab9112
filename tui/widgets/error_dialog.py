"""The one dialog every error reaches."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Static

from tui.widgets.dialog_base import Dialog


class ErrorDialog(Dialog[None]):
    """Shows a French explanation of what went wrong; the app keeps running."""

    DEFAULT_CSS = """
    ErrorDialog > .dialog-box { border: thick $error; }
    """

    def __init__(self, message: str, title: str = "Une erreur est survenue") -> None:
        super().__init__()
        self.message = message
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(self.title_text, classes="dialog-title", markup=False)
            with VerticalScroll(classes="dialog-body", id="error-text"):
                yield Static(self.message, markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Fermer", variant="error", id="close")

    def on_mount(self) -> None:
        self.query_one("#close", Button).focus()

    @on(Button.Pressed, "#close")
    def close(self) -> None:
        self.dismiss(None)
