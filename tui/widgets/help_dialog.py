"""Aide: the key bindings of the current screen."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, DataTable, Static

from tui.widgets.dialog_base import Dialog
from tui.widgets.french import keys_label


class HelpDialog(Dialog[None]):
    """Lists the bindings of `screen` then those of the whole app."""

    DEFAULT_CSS = """
    HelpDialog DataTable { height: auto; max-height: 24; }
    """

    def __init__(self, screen: Screen[object]) -> None:
        super().__init__()
        self.target = screen

    def _rows(self) -> list[tuple[str, str, str]]:
        rows = []
        seen = set()
        for where, bindings in (
            (self.target.__class__.__name__, self.target.BINDINGS),
            ("Partout", self.app.BINDINGS),
        ):
            for binding in bindings:
                if not isinstance(binding, Binding) or binding.key in seen:
                    continue
                seen.add(binding.key)
                scope = "Cet écran" if where != "Partout" else "Partout"
                rows.append((keys_label(binding.key), binding.description, scope))
        rows.append(("Ctrl+P", "Palette de commandes (écrans par leur nom)", "Partout"))
        return rows

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(
                f"Aide — {getattr(self.target, 'TITLE', None) or self.target.__class__.__name__}",
                classes="dialog-title",
            )
            table: DataTable[str] = DataTable(cursor_type="row", zebra_stripes=True)
            table.add_columns("Touche", "Action", "Où")
            table.add_rows(self._rows())
            yield table
            with Horizontal(classes="dialog-buttons"):
                yield Button("Fermer", variant="primary", id="close")

    @on(Button.Pressed, "#close")
    def close(self) -> None:
        self.dismiss(None)
