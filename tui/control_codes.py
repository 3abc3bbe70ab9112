"""Texts of the store never drive the terminal.

Textual and Rich strip a few control codes from what they draw (bell, backspace, vertical tab,
form feed, carriage return), not the escape character: a title holding « ESC ]0;… » or
« ESC [2J » (typed in a workbook's cell, or written on the regional server by any department's
role, then opened by another) would retitle, clear or redraw the user's terminal.
`strip_every_control_code` widens both tables to every control character but the tab and the
line feed (C0, DEL and C1), wherever a text is drawn: labels, tables, fields, lists. Their
tables are private (`textual.content`, `rich.control`): tests/tui/test_control_codes.py checks
that they still do what this relies on.
"""

from __future__ import annotations

import rich.control
import textual.content

#: Every control character but tab (9) and line feed (10).
CONTROL_CODES = (*range(0, 9), *range(11, 32), 0x7F, *range(0x80, 0xA0))


def strip_every_control_code() -> None:
    """Make Textual and Rich drop every control character from the texts they draw."""
    for table in (textual.content._CONTROL_STRIP_TRANSLATE, rich.control._CONTROL_STRIP_TRANSLATE):
        table.update(dict.fromkeys(CONTROL_CODES))
