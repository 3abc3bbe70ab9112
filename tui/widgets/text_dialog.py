"""Asks for one line of text (a comment, a filter name, a value…).

A `check` reads the text before closing: what it refuses is said under the field and the dialog
stays open. (Enter is the Input's own: a priority binding would close the dialog before the keys
typed just ahead of it reached the field.)
"""

from __future__ import annotations

from collections.abc import Callable

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Static

from tui.widgets.dialog_base import Dialog


class TextDialog(Dialog[str | None]):
    """Dismisses with the text typed (stripped), or None when cancelled."""

    def __init__(
        self,
        title: str,
        prompt: str,
        *,
        value: str = "",
        required: bool = True,
        placeholder: str = "",
        check: Callable[[str], str | None] | None = None,
        note: str = "",
    ) -> None:
        """`note` is said under the field at first (why a text typed before is shown again)."""
        super().__init__()
        self.check = check
        self.title_text = title
        self.prompt = prompt
        self.value = value
        self.required = required
        self.placeholder = placeholder
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(self.title_text, classes="dialog-title", markup=False)
            yield Static(
                self.prompt, classes="dialog-prompt", markup=False
            )  # wraps: a long question is read whole
            yield Input(value=self.value, placeholder=self.placeholder, id="text")
            yield Static(self.note, classes="field-error", id="error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Annuler", id="cancel")
                yield Button("Valider", variant="primary", id="ok")

    def on_mount(self) -> None:
        self.query_one("#text", Input).focus()

    def on_key(self, event: events.Key) -> None:
        """A letter typed before the field has the focus (keys typed at once after the key that
        opened the dialog) goes into the field instead of being lost."""
        if self.focused is None and event.is_printable and event.character:
            self.type_ahead(event.character)
            event.stop()

    def type_ahead(self, character: str) -> None:
        """Type `character` in the field: a key typed before the dialog could be seen."""
        field = self.query_one("#text", Input)
        field.select_on_focus = False  # what is typed is kept, not selected to be replaced
        field.insert_text_at_cursor(character)
        field.focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def submit(self) -> None:
        text = self.query_one("#text", Input).value.strip()
        problem = "Ce champ est obligatoire." if self.required and not text else None
        if problem is None and self.check is not None:  # an empty text too, when allowed
            problem = self.check(text)
        if problem:
            self.query_one("#error", Static).update(problem)
            self.query_one("#text", Input).focus()
            return
        self.dismiss(text)

    @on(Input.Changed, "#text")
    def _typed(self, event: Input.Changed) -> None:
        """What was refused is being corrected: its message goes (Entrée checks again). The
        field filled at its opening is not a correction: the note stays."""
        if event.value != self.value:
            self.query_one("#error", Static).update("")

    @on(Button.Pressed, "#cancel")
    def cancel(self) -> None:
        self.dismiss(None)
