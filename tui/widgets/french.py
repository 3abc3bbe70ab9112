"""French for what Textual writes itself: key names as people read them (help, footer), built-in
bindings, the palette's "no match" line; and check boxes readable without colour."""

from __future__ import annotations

from dataclasses import replace

from rich.align import Align
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.command import CommandList, CommandPalette
from textual.dom import DOMNode
from textual.keys import key_to_character
from textual.widgets import Checkbox, RadioButton, Select, SelectionList
from textual.widgets._select import SelectOverlay
from textual.widgets._toggle_button import ToggleButton
from textual.widgets.option_list import Option

#: Textual's key names → what is printed on the keyboard (or its French name).
KEY_NAMES = {
    "escape": "Échap",
    "enter": "Entrée",
    "space": "Espace",
    "tab": "Tab",
    "backspace": "Retour arrière",
    "delete": "Suppr",
    "insert": "Inser",
    "home": "Début",
    "end": "Fin",
    "pageup": "Page préc.",
    "pagedown": "Page suiv.",
    "up": "↑",
    "down": "↓",
    "left": "←",
    "right": "→",
    "slash": "/",
    "backslash": "\\",
    "plus": "+",
    "minus": "-",
    "equals_sign": "=",
    "asterisk": "*",
}

MODIFIERS = {"ctrl": "Ctrl", "shift": "Maj", "alt": "Alt", "meta": "Méta", "super": "Super"}


def key_label(key: str) -> str:
    """One Textual key as people read it: "slash" → "/", "ctrl+o" → "Ctrl+O", "escape" → "Échap"."""
    *modifiers, name = key.strip().split("+")
    if name in KEY_NAMES:
        shown = KEY_NAMES[name]
    elif len(name) == 1:
        shown = name.upper() if modifiers else name
    elif name[0] == "f" and name[1:].isdigit():
        shown = name.upper()
    else:
        character = key_to_character(name)
        shown = character if character is not None else name.replace("_", " ")
    return "+".join([*(MODIFIERS.get(m, m.capitalize()) for m in modifiers), shown])


def keys_label(keys: str) -> str:
    """Several keys of one binding ("plus,equals_sign") → "+ / ="."""
    return " / ".join(key_label(key) for key in keys.split(",") if key.strip())


def key_display(binding: Binding) -> str:
    """The key of a binding as the footer shows it ("Échap", "Ctrl+S"), unless the binding says."""
    return binding.key_display or keys_label(binding.key)


#: Descriptions, by action, of the bindings Textual's own widgets show (the footer, the palette).
BUILT_IN_BINDINGS: dict[type[DOMNode], dict[str, str]] = {
    SelectOverlay: {"dismiss": "Fermer le menu"},
    Select: {"show_overlay": "Ouvrir le menu"},
    SelectionList: {"select": "Cocher / décocher"},
    CommandPalette: {
        "escape": "Fermer la palette",
        "cursor_down": "Commande suivante",
        "command_list('cursor_up')": "Commande précédente",
        "command_list('page_down')": "Page suivante",
        "command_list('page_up')": "Page précédente",
        "command_list('first')": "Aller en haut",
        "command_list('last')": "Aller en bas",
    },
}


def _french(binding: BindingType, descriptions: dict[str, str]) -> BindingType:
    full = binding if isinstance(binding, Binding) else Binding(*binding)
    if full.action not in descriptions:
        return binding
    return replace(full, description=descriptions[full.action])


def use_french_bindings() -> None:
    """Give Textual's built-in bindings French descriptions (once, before widgets are made)."""
    for cls, descriptions in BUILT_IN_BINDINGS.items():
        cls.BINDINGS = [_french(binding, descriptions) for binding in cls.BINDINGS]
        cls._merged_bindings = cls._merge_bindings()


class FrenchCommandPalette(CommandPalette):
    """Textual's command palette, saying in French that nothing matches."""

    NO_MATCHES = "Aucune commande ne correspond"

    def _start_no_matches_countdown(self, search_value: str) -> None:
        # Textual writes "No matches found" from a timer: same timer, French line.
        self._stop_no_matches_countdown()

        def show_no_matches() -> None:
            if search_value:
                self.query_one(CommandList).add_option(
                    Option(
                        Align.center(Text(self.NO_MATCHES, style="not bold")),
                        disabled=True,
                        id=self._NO_MATCHES,
                    )
                )
                self._list_visible = True
            else:
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show_no_matches)


#: The glyph inside a check box / radio button, ticked or not: readable without colour.
TICKED: dict[type[ToggleButton], tuple[str, str]] = {Checkbox: ("✓", " "), RadioButton: ("●", " ")}


def _glyph(on: str, off: str) -> property:
    def inner(self: ToggleButton) -> str:
        return on if self.value else off

    return property(inner)


def use_readable_toggles() -> None:
    """Check boxes show "▐✓▌" when ticked and "▐ ▌" when not (radio buttons "▐●▌" / "▐ ▌"),
    everywhere in the app, instead of the same glyph in two colours."""
    for cls, (on, off) in TICKED.items():
        cls.BUTTON_INNER = _glyph(on, off)  # type: ignore[assignment]
