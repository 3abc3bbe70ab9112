"""Aide: the key bindings of the current screen.

The list takes the height the terminal leaves (the title and the Fermer button stay on
screen) and has the focus: ↓, Page suiv., Fin scroll it; Échap or Fermer closes it.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, DataTable, Static

from tui.widgets.dialog_base import Dialog
from tui.widgets.french import keys_label

#: The palette's key, shown with what it does (the app's own binding says only "Palette").
PALETTE_ROW = ("Ctrl+P", "Palette de commandes (écrans par leur nom)", "Partout")


def screen_bindings(screen: Screen[object]) -> list[BindingType]:
    """The screen's keys, those it inherits from the app's own screens included (Échap Retour of
    the forms); not those of Textual's classes (Tab, in English)."""
    found: list[BindingType] = []
    for cls in type(screen).__mro__:
        if cls.__module__.startswith("tui."):
            found.extend(cls.__dict__.get("BINDINGS", []))
    return found


class KeyTable(DataTable[str]):
    """The list of keys: Début / Fin go to the first / last key (not to the first / last column)."""

    BINDINGS = [
        Binding("home", "scroll_top", "Début de la liste", show=False, tooltip="Aller à la première touche"),
        Binding("end", "scroll_bottom", "Fin de la liste", show=False, tooltip="Aller à la dernière touche"),
    ]


class HelpDialog(Dialog[None]):
    """Lists the bindings of `screen` then those of the whole app."""

    BINDINGS = [Binding("escape", "cancel", "Fermer", tooltip="Fermer l'aide")]

    DEFAULT_CSS = """
    HelpDialog > .dialog-box { padding: 0 2; }
    HelpDialog DataTable { height: auto; max-height: 100%; }
    """

    def __init__(self, screen: Screen[object]) -> None:
        super().__init__()
        self.target = screen

    def _rows(self) -> list[tuple[str, str, str]]:
        rows = []
        seen = {"ctrl+p"}
        for scope, bindings in (("Cet écran", screen_bindings(self.target)), ("Partout", self.app.BINDINGS)):
            for binding in bindings:
                if not isinstance(binding, Binding) or binding.key in seen:
                    continue
                if scope == "Partout" and self.app.check_action(binding.action, ()) is False:
                    continue  # a key that does nothing now (Ctrl+R while the server answers)
                action = binding.action.removeprefix("screen.").partition("(")[0]
                if scope == "Cet écran" and self.target.check_action(action, ()) is False:
                    continue  # not offered now (« m » on the coverage matrix, « q » without a session)
                seen.add(binding.key)
                rows.append((keys_label(binding.key), binding.description, scope))
        rows.append(PALETTE_ROW)
        return rows

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(
                f"Aide — {getattr(self.target, 'TITLE', None) or self.target.__class__.__name__}",
                classes="dialog-title",
                markup=False,
            )
            table = KeyTable(cursor_type="row", zebra_stripes=True, id="help-keys")
            table.add_columns("Touche", "Action", "Où")
            table.add_rows(self._rows())
            yield table
            with Horizontal(classes="dialog-buttons"):
                yield Button("Fermer", variant="primary", id="close")

    def on_mount(self) -> None:
        self.query_one("#help-keys", KeyTable).focus()

    @on(Button.Pressed, "#close")
    def close(self) -> None:
        self.dismiss(None)
