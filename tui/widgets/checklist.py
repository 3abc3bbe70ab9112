"""A list of boxes to tick that reads without colour: ☑ / ☐ marks, a "›" cursor, a count line.

A `SelectionList` underneath (same `.selected`, `select`, `add_options` API and messages), drawn
so that a ticked line and the line under the cursor can be told apart in black and white.
"""

from __future__ import annotations

from typing import Any

from rich.segment import Segment
from rich.style import Style
from textual import on
from textual.binding import Binding
from textual.strip import Strip
from textual.widgets import OptionList, SelectionList

CHECKED = "☑"
UNCHECKED = "☐"
CURSOR = "›"


class Checklist(SelectionList[str]):
    """Boxes to tick; Space ticks the line under the cursor; the bottom border counts them."""

    BINDINGS = [
        Binding("space", "select", "Cocher / décocher", show=False, tooltip="Cocher ou décocher la ligne"),
    ]

    DEFAULT_CSS = """
    Checklist { border-subtitle-align: left; }
    """

    def __init__(
        self, *selections: tuple[str, str], noun: str, plural: str | None = None, id: str | None = None
    ) -> None:
        self.noun = noun  # before SelectionList's __init__, which adds the (no) options
        self.plural = plural or f"{noun}s"
        super().__init__(*selections, id=id)

    def count_text(self) -> str:
        """ "2 territoires cochés sur 7" (0 and 1 take the singular, as in French)."""
        ticked = len(self.selected)
        many = ticked > 1
        noun, ticked_word = (self.plural, "cochés") if many else (self.noun, "coché")
        return f"{ticked} {noun} {ticked_word} sur {self.option_count}"

    def _show_count(self) -> None:
        self.border_subtitle = self.count_text()

    def on_mount(self) -> None:
        if self.highlighted is None and self.option_count:
            self.highlighted = 0
        self._show_count()

    @on(SelectionList.SelectedChanged)
    def _selected_changed(self) -> None:
        self._show_count()

    def add_options(self, items: Any) -> Checklist:
        super().add_options(items)
        if self.highlighted is None and self.option_count:
            self.highlighted = 0  # the cursor is always somewhere: Space never ticks an unseen line
        self._show_count()
        return self

    def clear_options(self) -> Checklist:
        super().clear_options()
        self._show_count()
        return self

    def _get_left_gutter_width(self) -> int:
        return len(f"{CURSOR} {CHECKED} ")

    def render_line(self, y: int) -> Strip:
        line = OptionList.render_line(self, y)
        _, scroll_y = self.scroll_offset
        index = scroll_y + y
        if index >= self.option_count:
            return line
        selection = self.get_option_at_index(index)
        under_cursor = self.highlighted == index
        base = next(iter(line)).style if line.cell_length else None
        style = (base or Style()) + Style(meta={"option": index})
        mark = CHECKED if selection.value in self.selected else UNCHECKED
        gutter = f"{CURSOR if under_cursor else ' '} {mark} "
        return Strip([Segment(gutter, style + Style(bold=under_cursor)), *line])
