"""What the edit screens share: labelled fields with their error line, leaving safely."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Label, Static

from store.errors import ValidationError
from store.fields import Record
from tui.screens.base import BaseScreen
from tui.widgets.confirm_dialog import ConfirmDialog


class FormScreen(BaseScreen):
    """An edit screen: nothing is saved until Ctrl+S; leaving with changes asks first."""

    BINDINGS = [
        Binding(
            "escape",
            "leave",
            "Retour",
            tooltip="Revenir (demande si des modifications ne sont pas enregistrées)",
        ),
    ]

    #: The fields of the record the screen edits (labels come from there).
    RECORD: Record

    def field(self, name: str, widget: Any, label: str | None = None) -> ComposeResult:
        """A label, the input widget (its id is `name`) and the line for its error message."""
        yield Label(label or self.RECORD[name].form_label, classes="field-label")
        yield widget
        yield Static("", id=f"error-{name}", classes="field-error")

    def is_dirty(self) -> bool:
        raise NotImplementedError

    def show_errors(self, errors: list[ValidationError]) -> None:
        """Each message under its field; focus goes to the first field to fix."""
        for widget in self.query(".field-error"):
            if isinstance(widget, Static):
                widget.update("")
        for error in errors:
            target = self.query(f"#error-{error.field}")
            if target:
                target.first(Static).update(str(error))
        if errors:
            self.notify(f"{len(errors)} champ(s) à corriger avant d'enregistrer.", severity="error")
            first = self.query(f"#{errors[0].field}")
            if first:
                first.first().focus()

    def action_leave(self) -> None:
        if not self.is_dirty():
            self.dismiss()
            return

        def answered(leave: bool | None) -> None:
            if leave:
                self.dismiss()

        self.app.push_screen(
            ConfirmDialog(
                "Des modifications ne sont pas enregistrées. Quitter sans enregistrer ?",
                confirm="Quitter sans enregistrer",
                cancel="Rester",
            ),
            answered,
        )
