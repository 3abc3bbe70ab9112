"""Shared frame of the dialogs: centred box, title, Escape cancels."""

from __future__ import annotations

from typing import Generic, TypeVar

from textual.binding import Binding
from textual.screen import ModalScreen

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
    Dialog .dialog-title {
        text-style: bold;
        margin-bottom: 1;
    }
    Dialog .dialog-buttons {
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

    BINDINGS = [Binding("escape", "cancel", "Annuler", tooltip="Fermer sans rien changer")]

    cancel_value: T | None = None

    def action_cancel(self) -> None:
        self.dismiss(self.cancel_value)
