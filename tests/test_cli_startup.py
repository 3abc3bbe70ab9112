"""The command line starts at once: help and usage errors load neither the store nor Textual.

Run as users run it (the installed `suivi-sts` script, in a fresh process) under
`-X importtime`, whose report lists every module imported. Timings are not asserted here
(bench/cli_startup_bench.py measures them next to `python -c pass`).
"""

from __future__ import annotations

import argparse
import gettext
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import cli_startup_bench
from tui import cli

#: What help and usage errors must not import (SQLAlchemy, SQLModel and pydantic alone cost
#: about 0.65 s; Textual as much again).
HEAVY = {"sqlalchemy", "sqlmodel", "pydantic", "pydantic_core", "textual"}

ENGLISH = ("usage:", "positional arguments", "show this help", "error:", "invalid choice", "required:")


def run_suivi_sts(*args: str, cwd: Path | None = None) -> tuple[int, str, str, set[str]]:
    """Exit code, stdout, stderr (without the import report) and the top-level packages imported."""
    env = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1"}
    done = subprocess.run(
        [*cli_startup_bench.suivi_sts_command(), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )
    report = [line for line in done.stderr.splitlines() if line.startswith("import time:")]
    stderr = "\n".join(line for line in done.stderr.splitlines() if not line.startswith("import time:"))
    assert report, "pas de rapport -X importtime"
    packages = {
        line.rsplit("|", 1)[1].strip().split(".")[0] for line in report if "imported package" not in line
    }
    return done.returncode, done.stdout, stderr, packages


def test_help_is_french_and_imports_nothing_heavy() -> None:
    code, out, err, packages = run_suivi_sts("--help")
    assert code == 0 and err == ""
    assert not packages & HEAVY, sorted(packages & HEAVY)
    assert {"store", "importers", "exports"}.isdisjoint(packages)
    assert out.startswith("utilisation : suivi-sts [-h] [--db CHEMIN] [--departement CODE] COMMANDE ...")
    assert "Suivi hors ligne du schéma territorial de santé" in out
    assert "arguments positionnels :" in out and "\noptions :" in out
    assert "affiche cette aide et quitte" in out
    assert "(sinon $SUIVI_STS_DB)" in out
    for command in ("export", "init", "check", "import", "backup", "restore", "backups", "admin", "publish"):
        assert f"\n    {command} " in out, command
    assert "vérifie l'intégrité de la base" in out
    assert not [word for word in ENGLISH if word in out]


def test_export_help_lists_every_kind_without_importing_the_exports() -> None:
    code, out, err, packages = run_suivi_sts("export", "--help")
    assert code == 0 and err == ""
    assert not packages & HEAVY, sorted(packages & HEAVY)
    assert {"openpyxl", "xlsxwriter", "python_calamine", "yaml"}.isdisjoint(packages)
    assert out.startswith("utilisation : suivi-sts export [-h] TYPE ...")
    for kind, words in {
        "yaml": "au format de référence YAML",
        "ars": "classeur d'échange avec l'ARS",
        "cts": "rapport pour le CTS",
        "atelier": "changements d'une session d'atelier",
    }.items():
        assert f"    {kind} " in out and words in out, kind
    assert not [word for word in ENGLISH if word in out]


def test_an_unknown_command_is_a_usage_error_in_french_exit_2() -> None:
    code, out, err, packages = run_suivi_sts("nimportequoi")
    assert code == 2 and out == ""
    assert not packages & HEAVY, sorted(packages & HEAVY)
    assert err.startswith("utilisation : suivi-sts ")
    assert (
        "suivi-sts : erreur : argument COMMANDE : choix invalide : « nimportequoi » (au choix : 'export', "
        in err
    )
    assert not [word for word in ENGLISH if word in err]


def _subcommands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append((*path, name))
                found.extend(_subcommands(sub, (*path, name)))
    return found


# Every subcommand's help and usage errors, in one fresh process (each answer checked there).
_EVERY_HELP = """
import contextlib, io, json, sys
from tui.cli import main
answers = []
for args in json.loads(sys.argv[1]):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(args)
            code = None
        except SystemExit as exc:
            code = exc.code
    answers.append([args, code, out.getvalue(), err.getvalue()])
heavy = sorted({m.split(".")[0] for m in sys.modules} & set(json.loads(sys.argv[2])))
print(json.dumps({"answers": answers, "heavy": heavy}))
"""


def test_every_subcommand_help_and_usage_error_imports_nothing_heavy() -> None:
    subcommands = _subcommands(cli.build_parser())
    assert {("init",), ("export", "yaml"), ("export", "atelier"), ("admin", "grant"), ("fetch",)} <= set(
        subcommands
    )
    helps = [[*path, "--help"] for path in subcommands]
    errors = [
        ["export"],
        ["export", "pdf", "x.pdf"],
        ["admin", "grant"],
        ["export", "atelier", "--session", "deux", "x.xlsx"],
        ["check", "en-trop"],
        ["--db"],
        ["--d", "x"],
    ]
    done = subprocess.run(
        [sys.executable, "-c", _EVERY_HELP, json.dumps(helps + errors), json.dumps(sorted(HEAVY))],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    result = json.loads(done.stdout)
    assert result["heavy"] == []
    answers = {tuple(args): (code, out, err) for args, code, out, err in result["answers"]}
    for args in helps:
        code, out, err = answers[tuple(args)]
        assert code == 0 and err == "", args
        assert out.startswith(f"utilisation : suivi-sts {' '.join(args[:-1])} [-h]"), out
        assert "affiche cette aide et quitte" in out
        assert not [word for word in ENGLISH if word in out], (args, out)
    for args in errors:
        code, out, err = answers[tuple(args)]
        assert code == 2 and out == "", args
        assert err.startswith("utilisation : suivi-sts") and " : erreur : " in err, err
        assert not [word for word in ENGLISH if word in err], (args, err)
    assert "arguments obligatoires manquants : TYPE" in answers[("export",)][2]
    assert "choix invalide : « pdf »" in answers[("export", "pdf", "x.pdf")][2]
    assert "manquants : ROLE, --department/--departement" in answers[("admin", "grant")][2]
    assert (
        "argument --session : « deux » n'est pas un nombre entier"
        in answers[("export", "atelier", "--session", "deux", "x.xlsx")][2]
    )
    assert "arguments non reconnus : en-trop" in answers[("check", "en-trop")][2]
    assert "argument --db : une valeur est attendue" in answers[("--db",)][2]
    assert "option ambiguë : --d peut désigner --db, --departement" in answers[("--d", "x")][2]


def test_a_real_command_still_loads_the_store_and_runs(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    code, out, err, packages = run_suivi_sts("--db", str(db), "init", "--empty")
    assert code == 0 and "Base prête" in out and db.exists(), err
    assert "sqlalchemy" in packages and "textual" not in packages
    code, out, err, _ = run_suivi_sts("--db", str(tmp_path / "absente.sqlite"), "check")
    assert code == 2 and "n'existe pas : lancez d'abord « suivi-sts init »" in err


def test_argparse_speaks_english_again_outside_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main(["--help"])
    assert caught.value.code == 0
    assert capsys.readouterr().out.startswith("utilisation : suivi-sts")
    assert argparse._ is gettext.gettext  # type: ignore[attr-defined]
    assert argparse.ngettext is gettext.ngettext  # type: ignore[attr-defined]
    assert argparse.ArgumentParser(prog="autre").format_usage().startswith("usage: autre")


def test_the_help_names_the_store_variable_the_store_reads() -> None:
    from store.database import ENV_DB

    assert cli.ENV_DB == ENV_DB


def test_the_benchmark_runs_and_reports_ratios_to_python_c_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_startup_bench.main(["--small", "--json", str(tmp_path / "b.json")]) == 0
    printed = capsys.readouterr().out
    assert "python -c pass" in printed and "suivi-sts help" in printed
    figures = json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))
    assert figures["baseline_s"] > 0
    assert set(figures["cases"]) == {"help", "export --help", "usage error"}
    for case in figures["cases"].values():
        assert case["s"] > 0 and case["ratio"] > 0 and case["heavy_imports"] == []
    assert [case["exit_code"] for case in figures["cases"].values()] == [0, 0, 2]


def test_the_app_alone_is_read_without_building_every_command() -> None:
    """`suivi-sts [--db X] [--departement Y]` opens the window sooner; anything else goes
    through the full parser (its errors and help in French)."""
    import argparse

    from tui.cli import _app_only

    assert _app_only([]) == argparse.Namespace(db=None, departement=None, command=None)
    assert _app_only(["--db", "a.sqlite"]) == argparse.Namespace(
        db="a.sqlite", departement=None, command=None
    )
    assert _app_only(["--db=a.sqlite", "--departement", "09"]) == argparse.Namespace(
        db="a.sqlite", departement="09", command=None
    )
    for argv in (["init"], ["--help"], ["--db"], ["--db", "a", "--db", "b"], ["--dep", "09"], ["--db", "-h"]):
        assert _app_only(argv) is None, argv
