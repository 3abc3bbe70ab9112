"""Pick one item in a list (a workshop scope, a saved filter…), with type-to-filter."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from store.vocab import fold
from tui.widgets.dialog_base import Dialog

#: What the keys do, under the list (the dialog has no buttons).
HINT = "Entrée : choisir · Échap : annuler"


class ChoiceDialog(Dialog[str | None]):
    """Dismisses with the value of the chosen option, or None."""

    DEFAULT_CSS = """
    ChoiceDialog OptionList { height: auto; max-height: 100%; }
    ChoiceDialog .dialog-hint { margin-top: 1; }
    """

    BINDINGS = [
        # the filter box has the focus: ↑ ↓ move in the list below it (Entrée takes that one)
        Binding("down", "move(1)", "Suivant", show=False, tooltip="Choix suivant"),
        Binding("up", "move(-1)", "Précédent", show=False, tooltip="Choix précédent"),
    ]

    def __init__(self, title: str, options: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.options = options

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(self.title_text, classes="dialog-title", markup=False)
            yield Input(placeholder="Filtrer la liste…", id="choice-filter")
            yield OptionList(*self._options([]), id="choices")
            yield Static(HINT, classes="dialog-hint", markup=False)

    def _options(self, words: list[str]) -> list[Option]:
        """The choices whose label holds every (folded) word; labels are text, not markup."""
        return [
            Option(Text(label), id=value)
            for label, value in self.options
            if all(w in fold(label) for w in words)
        ]

    def on_mount(self) -> None:
        self.query_one("#choice-filter", Input).focus()

    def action_move(self, step: int) -> None:
        """↓ / ↑ typed in the filter box: the highlight moves in the list (the box keeps the focus)."""
        options = self.query_one("#choices", OptionList)
        if options.option_count:
            current = options.highlighted if options.highlighted is not None else -1 if step > 0 else 0
            options.highlighted = min(options.option_count - 1, max(0, current + step))

    @on(Input.Changed, "#choice-filter")
    def refilter(self, event: Input.Changed) -> None:
        words = fold(event.value).split()
        options = self.query_one("#choices", OptionList)
        options.clear_options()
        options.add_options(self._options(words))
        if options.option_count:
            options.highlighted = 0

    @on(Input.Submitted, "#choice-filter")
    def take_first(self) -> None:
        options = self.query_one("#choices", OptionList)
        if options.option_count:
            index = options.highlighted or 0
            self.dismiss(options.get_option_at_index(index).id)

    @on(OptionList.OptionSelected, "#choices")
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
