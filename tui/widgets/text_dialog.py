"""Asks for one line of text (a comment, a filter name…)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from tui.widgets.dialog_base import Dialog


class TextDialog(Dialog[str | None]):
    """Dismisses with the text typed (stripped), or None when cancelled."""

    def __init__(
        self, title: str, prompt: str, *, value: str = "", required: bool = True, placeholder: str = ""
    ) -> None:
        super().__init__()
        self.title_text = title
        self.prompt = prompt
        self.value = value
        self.required = required
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(self.title_text, classes="dialog-title")
            yield Label(self.prompt)
            yield Input(value=self.value, placeholder=self.placeholder, id="text")
            yield Static("", classes="field-error", id="error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Annuler", id="cancel")
                yield Button("Valider", variant="primary", id="ok")

    def on_mount(self) -> None:
        self.query_one("#text", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def submit(self) -> None:
        text = self.query_one("#text", Input).value.strip()
        if self.required and not text:
            self.query_one("#error", Static).update("Ce champ est obligatoire.")
            return
        self.dismiss(text)

    @on(Button.Pressed, "#cancel")
    def cancel(self) -> None:
        self.dismiss(None)
