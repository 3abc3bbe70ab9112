"""The real `suivi-sts` command in a pseudo-terminal, as people start it (what bench/tui_bench.py
times): the opening line at once, then the dashboard with its figures, a search typed key by key
answered on the screen, Ctrl+Q leaves with code 0."""

from __future__ import annotations

import re
import time
from pathlib import Path

from bench.terminal import F4, Terminal
from bench.tui_bench import DASHBOARD, OPENING, suivi_sts


def test_the_command_opens_draws_its_figures_and_searches(ariege_db: Path) -> None:
    with Terminal([*suivi_sts(), "--db", str(ariege_db)], size=(120, 40)) as term:
        opened = term.wait_for(OPENING, timeout=120)
        shown = term.wait_for(DASHBOARD, timeout=120)
        assert opened <= shown
        since = term.mark()
        term.type(F4)
        term.wait_for("toutes les actions — affichées", since=since, timeout=60)
        term.type("/")
        time.sleep(0.5)  # the search box takes the focus
        for end in range(1, len("cpts") + 1):
            since = term.mark()
            term.type("cpts"[end - 1])
            term.wait_for(
                re.compile(rf"\d+ action\(s\) — « {'cpts'[:end]} » — affichées"), since=since, timeout=60
            )
        assert term.rss_mib() > 0
    assert term.process.returncode == 0


def test_f4_and_enter_typed_in_one_burst_open_the_first_action(ariege_db: Path) -> None:
    """F4 and Enter reaching the app in one read of the terminal (a quick coordinator): Enter is
    for the Actions screen that F4 asks for, not for the dashboard still shown when it is read;
    the list's first action opens."""
    with Terminal([*suivi_sts(), "--db", str(ariege_db)], size=(120, 40)) as term:
        term.wait_for(DASHBOARD, timeout=120)
        time.sleep(1)  # the store open, the dashboard drawn from it
        since = term.mark()
        term.type(F4 + "\r")
        term.wait_for("Action — Ariège (09)", since=since, timeout=60)
        term.wait_for("ACT-001 — Comités de pilotage", since=since, timeout=60)
    assert term.process.returncode == 0
