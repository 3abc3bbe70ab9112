"""The terminal window closed in the middle of a workshop (what `tmux kill-session` or closing
the window does: SIGHUP, then the pty goes away): the gestures typed are saved and the program
leaves, instead of hanging for ever on Textual's shutdown writes to a terminal that is gone."""

from __future__ import annotations

import fcntl
import functools
import os
import signal
import sqlite3
import subprocess
import termios
import time
from pathlib import Path

import pytest

import bench.terminal
from bench.terminal import Terminal
from bench.tui_bench import DASHBOARD, suivi_sts

F5 = "\x1b[15~"


def _take_the_terminal() -> None:
    """In the child, after setsid: the pty becomes its controlling terminal (as in a real one,
    so that closing it sends SIGHUP and SIGCONT)."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def test_closing_the_terminal_during_a_workshop_saves_and_leaves(
    ariege_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    popen = functools.partial(subprocess.Popen, preexec_fn=_take_the_terminal)
    monkeypatch.setattr(bench.terminal.subprocess, "Popen", popen)
    term = Terminal([*suivi_sts(), "--db", str(ariege_db)], size=(80, 24))
    try:
        term.wait_for(DASHBOARD, timeout=120)
        term.type(F5)
        term.wait_for("Aucune séance", timeout=60)
        term.type("n")
        term.wait_for("sur quoi travaille-t-on", timeout=60)
        term.type("E3-D1-O2")
        time.sleep(0.5)
        term.type("\r")
        term.wait_for("Participants", timeout=60)
        term.type("\r")
        term.wait_for("Atelier n°1", timeout=60)
        term.type("2++++o")  # no pause between keys, then the window is closed
        time.sleep(0.3)
        term.mark()
        os.killpg(term.process.pid, signal.SIGHUP)
        time.sleep(0.3)  # the terminal emulator goes away a moment later
    finally:
        os.close(term.fd)
    deadline = time.perf_counter() + 30
    while term.process.poll() is None and time.perf_counter() < deadline:
        time.sleep(0.1)
    if term.process.poll() is None:
        os.killpg(term.process.pid, signal.SIGKILL)
        term.process.wait()
        pytest.fail("le programme est resté bloqué après la fermeture du terminal")
    assert term.process.returncode == 1
    with sqlite3.connect(ariege_db) as conn:
        row = conn.execute("SELECT status, progress, weather FROM action WHERE code = 'ACT-066'").fetchone()
    assert row == ("en_cours", 40, "orange")
