"""Control characters never drive a terminal: a text imported keeps none (a vertical tab, Word's
line break, becomes a line break), and what the command line prints shows them as symbols
(␛, ␇…) instead of obeying them — a cell, or a title written on the regional server by any
department's role, could otherwise retitle or clear the terminal of whoever reads it."""

from __future__ import annotations

from pathlib import Path

from store.actions import load_actions
from store.database import open_store
from tests.conftest import MINI_REFERENCE
from tests.excel_fixtures import run_cli


def _csv(path: Path, title: str, objective: str = "E1-D4-S2") -> Path:
    path.write_bytes(f'Code;Intitulé;Objectif;Statut\n;"{title}";"{objective}";En cours\n'.encode())
    return path


def test_an_imported_text_keeps_no_control_character(tmp_path: Path) -> None:
    db = str(tmp_path / "base.sqlite")
    assert run_cli("--db", db, "init", "--reference", str(MINI_REFERENCE)).returncode == 0
    workbook = _csv(tmp_path / "actions.csv", "Répit \x1b]0;PIRATE\x07à Foix\x0bsuite \x1b[2Jfin")
    done = run_cli("--db", db, "import", str(workbook))
    assert done.returncode == 0, done.stderr
    store = open_store(db)
    with store.engine.connect() as conn:
        titles = {a.title for a in load_actions(conn, "09").values()}
    store.dispose()
    assert "Répit ]0;PIRATEà Foix\nsuite [2Jfin" in titles
    assert "\x1b" not in done.stdout + done.stderr


def test_the_command_line_shows_control_characters_as_symbols(tmp_path: Path) -> None:
    db = str(tmp_path / "base.sqlite")
    assert run_cli("--db", db, "init", "--reference", str(MINI_REFERENCE)).returncode == 0
    workbook = _csv(tmp_path / "actions.csv", "Titre", objective="E9 \x1b]0;PIRATE\x07 \x1b[2J")
    done = run_cli("--db", db, "import", "--dry-run", str(workbook))
    assert done.returncode == 1
    assert "(valeur « E9 ␛]0;PIRATE␇ ␛[2J »)" in done.stdout
    assert "\x1b" not in done.stdout + done.stderr and "\x07" not in done.stdout
