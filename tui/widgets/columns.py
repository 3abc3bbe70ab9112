"""Table columns fitted to the width the table has: optional columns drop out, texts end in "…"."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widget import Widget

#: A DataTable puts `cell_padding` (1) on each side of every cell.
CELL_PADDING = 1
#: Room kept for the vertical scrollbar.
SCROLLBAR = 2


@dataclass(frozen=True)
class Column:
    """A column as the screen would like it.

    `width` is the natural width (fixed columns always get it). A `flex` column shares the room
    left, never below `min_width`. Columns with `priority` > 0 are optional: when the table is
    too narrow, the highest priority goes first.
    """

    key: str
    label: str
    width: int
    flex: bool = False
    min_width: int = 0
    priority: int = 0


def fit_columns(columns: list[Column], available: int) -> list[tuple[Column, int]]:
    """The columns to show in `available` cells, each with its width (in the given order).

    Optional columns go (highest priority first) until every flex column gets its `min_width`;
    the room left is then shared between the flex columns in proportion to their `width`.
    """
    shown = list(columns)

    def needed(cols: list[Column]) -> int:
        return sum((c.min_width if c.flex else c.width) + 2 * CELL_PADDING for c in cols)

    for dropped in sorted((c for c in columns if c.priority), key=lambda c: -c.priority):
        if needed(shown) <= available:
            break
        shown.remove(dropped)
    flexible = [c for c in shown if c.flex]
    fixed = sum(c.width + 2 * CELL_PADDING for c in shown if not c.flex)
    room = max(available - fixed - 2 * CELL_PADDING * len(flexible), len(flexible))
    minimum = sum(c.min_width for c in flexible)
    widths: dict[str, int] = {}
    if room <= minimum:  # narrower than wished: shrink them alike
        for c in flexible:
            widths[c.key] = max(1, room * c.min_width // max(minimum, 1))
    else:
        extra = room - minimum
        wish = sum(c.width for c in flexible) or 1
        for c in flexible:
            widths[c.key] = c.min_width + extra * c.width // wish
    if flexible:  # rounding: the first flex column (the main text) takes what is left
        widths[flexible[0].key] += room - sum(widths.values())
    return [(c, widths.get(c.key, c.width)) for c in shown]


def clip(value: str | Text, width: int) -> Text:
    """`value` in at most `width` cells, ending in "…" when cut (between words if one is near)."""
    text = value.copy() if isinstance(value, Text) else Text(value)
    if text.cell_len <= width:
        return text
    if width < 2 or text.cell_len != len(text.plain):  # wide characters: let Rich count cells
        text.truncate(width, overflow="ellipsis")
        return text
    plain = text.plain
    cut = width - 1
    space = plain.rfind(" ", 0, cut + 1)
    if plain[cut] != " " and space >= width // 2:
        cut = space
    kept = text[:cut]
    kept.rstrip()
    kept.append("…")
    return kept


def table_width(table: Widget, screen: Widget) -> int:
    """The cells a table can give its columns (its width, or the screen's before the first layout)."""
    width = table.size.width or screen.size.width - 2
    return max(width - SCROLLBAR, 0)


def theme_style(variables: dict[str, str], spec: str) -> str:
    """A Rich style for table cells from theme variables: "bold $error" → "bold #ba3c5b".

    (Table cells are Rich renderables, which do not know the theme's `$variables`.)
    """
    return " ".join(variables.get(word[1:], "") if word.startswith("$") else word for word in spec.split())
