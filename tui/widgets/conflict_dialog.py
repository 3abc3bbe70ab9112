"""Someone else changed the record since it was opened: show both versions, let the user choose."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Static

from tui.widgets.dialog_base import Dialog


class ConflictDialog(Dialog[str]):
    """Dismisses with "mine" (keep my changes), "theirs" (take the saved version) or "cancel"."""

    cancel_value = "cancel"

    DEFAULT_CSS = """
    ConflictDialog > .dialog-box { width: 110; border: thick $warning; }
    ConflictDialog DataTable { height: auto; max-height: 100%; }
    """

    def __init__(self, title: str, rows: list[tuple[str, str, str]]) -> None:
        """`rows`: (field label, my value, value saved by someone else)."""
        super().__init__()
        self.title_text = title
        self.rows = rows

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(self.title_text, classes="dialog-title", markup=False)
            yield Static(
                "Cette fiche a été modifiée ailleurs depuis que vous l'avez ouverte. Comparez :",
                classes="dialog-intro",
            )
            table: DataTable[Text] = DataTable(cursor_type="row", zebra_stripes=True, id="conflict-table")
            table.add_columns("Champ", "Votre version", "Version enregistrée")
            for row in self.rows:
                table.add_row(*(Text(cell) for cell in row))  # values as typed, never markup
            yield table
            with Horizontal(classes="dialog-buttons"):
                yield Button("Annuler", id="cancel")
                yield Button("Reprendre la version enregistrée", id="theirs")
                yield Button("Garder ma version", variant="warning", id="mine")

    @on(Button.Pressed)
    def chosen(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or "cancel")
