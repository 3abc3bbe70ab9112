"""Asks for one line of text (a comment, a filter name, a value…).

Enter closes the dialog while the key is handled (a priority binding, not the Input's message),
so that keys typed just after it reach the screen below instead of this input. A `check` reads
the text before closing: what it refuses is said under the field and the dialog stays open.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from tui.widgets.dialog_base import Dialog


class TextDialog(Dialog[str | None]):
    """Dismisses with the text typed (stripped), or None when cancelled."""

    BINDINGS = [Binding("enter", "submit", "Valider", show=False, priority=True, tooltip="Valider")]

    def __init__(
        self,
        title: str,
        prompt: str,
        *,
        value: str = "",
        required: bool = True,
        placeholder: str = "",
        check: Callable[[str], str | None] | None = None,
    ) -> None:
        super().__init__()
        self.check = check
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

    def action_submit(self) -> None:
        """Enter: the focused button if it is Annuler, else validate and close."""
        if self.focused is not None and self.focused.id == "cancel":
            self.dismiss(None)
        else:
            self.submit()

    @on(Button.Pressed, "#ok")
    def submit(self) -> None:
        text = self.query_one("#text", Input).value.strip()
        problem = "Ce champ est obligatoire." if self.required and not text else None
        if problem is None and text and self.check is not None:
            problem = self.check(text)
        if problem:
            self.query_one("#error", Static).update(problem)
            self.query_one("#text", Input).focus()
            return
        self.dismiss(text)

    @on(Button.Pressed, "#cancel")
    def cancel(self) -> None:
        self.dismiss(None)
