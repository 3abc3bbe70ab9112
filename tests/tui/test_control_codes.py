"""A text of the store never drives the terminal: an action whose title and description hold
escape sequences (retitle the window, clear the screen; written on the regional server by any
department's role, or read from a workbook's cell) is drawn as harmless text, in the list and
on its screen, and no escape of its reaches the terminal."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import rich.text
import textual.content

from bench.terminal import F4, Terminal
from bench.tui_bench import DASHBOARD, suivi_sts
from tui.control_codes import strip_every_control_code

HOSTILE_TITLE = "Titre \x1b]0;PIRATE\x07 \x1b[2J \x9b31m fin"
HOSTILE_DESCRIPTION = "Description \x1b]2;PIRATE2\x1b\\ suite"


def test_every_control_code_is_dropped_by_textual_and_rich() -> None:
    """What the app relies on in Textual's and Rich's (private) tables."""
    strip_every_control_code()
    assert textual.content.Content("a\x1b[2Jb\x9bc\x00d\te\nf").plain == "a[2Jbcd\te\nf"
    assert rich.text.Text("a\x1b]0;x\x07b").plain == "a]0;xb"


def test_an_action_holding_escape_sequences_is_drawn_as_text(ariege_db: Path) -> None:
    with sqlite3.connect(ariege_db) as db:
        db.execute(
            "UPDATE action SET title = ?, description = ? WHERE code = 'ACT-001'",
            (HOSTILE_TITLE, HOSTILE_DESCRIPTION),
        )
    db.close()
    with Terminal([*suivi_sts(), "--db", str(ariege_db)], size=(120, 40)) as term:
        term.wait_for(DASHBOARD, timeout=120)
        since = term.mark()
        term.type(F4)
        term.wait_for("Titre ]0;PIRATE [2J 31m fin", since=since, timeout=60)  # the list
        since = term.mark()
        term.type("\r")
        term.wait_for("ACT-001 — Titre ]0;PIRATE", since=since, timeout=60)  # its screen
        term.wait_for("Description ]2;PIRATE2\\ suite", since=since, timeout=60)
        drawn = term.raw
    assert "\x1b]0;PIRATE" not in drawn and "\x1b]2;PIRATE2" not in drawn
    assert "\x1b[2J" not in drawn.replace("\x1b[?1049h\x1b[2J", "")  # but the app's own first clear
    assert "\x9b" not in drawn
