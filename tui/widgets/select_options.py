"""Giving a `Select` its options at any moment of its life."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from rich.console import RenderableType
from rich.text import Text
from textual.widgets import Select
from textual.widgets._select import SelectOverlay

T = TypeVar("T")


def set_select_options(select: Select[T], options: Iterable[tuple[RenderableType, T]]) -> None:
    """`select.set_options(options)`, also before the select has built its menu.

    A worker's answer (the filters' choices, the territories) can arrive before a select of the
    screen has composed its menu; Textual's `set_options` then fails (« NoMatches:
    SelectOverlay », seen at start-up on a loaded machine). The options are then kept for the
    select's mount, which builds its menu from them.
    """
    # names of the store (organisations, territories…) as typed: « [/b] » is text, not markup
    options = [(Text(prompt) if isinstance(prompt, str) else prompt, value) for prompt, value in options]
    if select.query(SelectOverlay):
        select.set_options(options)
    else:
        select._setup_variables_for_options(options)  # noqa: SLF001 — read again by its mount
