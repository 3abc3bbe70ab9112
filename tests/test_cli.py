"""The command line, run as users run it: exit codes, messages, files written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import MINI_REFERENCE
from tui.cli import main

REFERENCE = Path(__file__).parents[1] / "importers" / "reference" / "ariege_2023_2028.yaml"


def run(*args: str) -> int:
    return main(list(args))


def test_init_then_export_yaml_lists_the_whole_ariege_scheme(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "ariege.sqlite")
    assert run("--db", db, "init") == 0
    out_file = tmp_path / "schema.yaml"
    assert run("--db", db, "export", "yaml", str(out_file)) == 0
    printed = capsys.readouterr().out
    source = yaml.safe_load(REFERENCE.read_text(encoding="utf-8"))
    exported = yaml.safe_load(out_file.read_text(encoding="utf-8"))
    assert len(exported["engagements"]) == 6
    assert sum(len(e["defis"]) for e in exported["engagements"]) == 14
    titles = [o["intitule"] for e in source["engagements"] for d in e["defis"] for o in d["objectifs"]]
    assert titles == [
        o["intitule"] for e in exported["engagements"] for d in e["defis"] for o in d["objectifs"]
    ]
    for title in titles:
        assert title in printed
    assert "6 engagements, 14 défis, 26 objectifs opérationnels." in printed


def test_init_from_an_export_gives_the_same_content(tmp_path: Path) -> None:
    first, second = str(tmp_path / "a.sqlite"), str(tmp_path / "b.sqlite")
    assert run("--db", first, "init") == 0
    assert run("--db", first, "export", "yaml", str(tmp_path / "a.yaml")) == 0
    assert run("--db", second, "init", "--reference", str(tmp_path / "a.yaml")) == 0
    assert run("--db", second, "export", "yaml", str(tmp_path / "b.yaml")) == 0
    strip = lambda p: (tmp_path / p).read_text(encoding="utf-8").split("\n", 3)[3]  # noqa: E731 (header)
    assert strip("a.yaml") == strip("b.yaml")


def test_a_reference_with_an_error_is_refused_with_exit_code_1_and_the_store_unchanged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "s.sqlite")
    assert run("--db", db, "init", "--reference", str(MINI_REFERENCE)) == 0
    before = (tmp_path / "before.yaml", tmp_path / "after.yaml")
    assert run("--db", db, "export", "yaml", str(before[0])) == 0
    bad = tmp_path / "faux.yaml"
    bad.write_text(MINI_REFERENCE.read_text(encoding="utf-8").replace("avancement: 50", "avancement: 500"))
    capsys.readouterr()
    assert run("--db", db, "init", "--reference", str(bad)) == 1
    err = capsys.readouterr().err
    assert "faux.yaml" in err and "ligne 80, colonne 17" in err and "Rien n'a été écrit." in err
    assert run("--db", db, "export", "yaml", str(before[1])) == 0
    assert before[0].read_text().split("\n", 3)[3] == before[1].read_text().split("\n", 3)[3]


def test_check_prints_counts_per_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "s.sqlite")
    assert run("--db", db, "init") == 0
    capsys.readouterr()
    assert run("--db", db, "check") == 0
    out = capsys.readouterr().out
    counts = dict(line.split() for line in out.splitlines() if line and not line.startswith("Intégrité"))
    assert counts["engagement"] == "6" and counts["challenge"] == "14" and counts["objective"] == "26"
    assert int(counts["action"]) > 10 and int(counts["care_offer_target"]) > 100
    assert "Intégrité : OK" in out


def test_output_closed_early_stops_quietly(tmp_path: Path) -> None:
    """« suivi-sts check | head -1 »: the reader goes away; no « erreur du système n° 32 »."""
    import os

    from bench.cli_startup_bench import suivi_sts_command

    db = str(tmp_path / "s.sqlite")
    assert run("--db", db, "init") == 0
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line
    try:
        done = subprocess.run(
            [*suivi_sts_command(), "--db", db, "check"], stdout=write_end, capture_output=False,
            stderr=subprocess.PIPE, text=True, timeout=60, check=False,
        )  # fmt: skip
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr) == (141, "")


def test_a_store_without_the_department_asked_says_what_it_holds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty, ariege = str(tmp_path / "vide.sqlite"), str(tmp_path / "ariege.sqlite")
    assert run("--db", empty, "init", "--empty") == 0
    assert run("--db", ariege, "init") == 0
    capsys.readouterr()
    assert run("--db", empty, "export", "ars", str(tmp_path / "a.xlsx")) == 2
    assert "La base ne contient aucun département : chargez-y un schéma" in capsys.readouterr().err
    assert run("--db", ariege, "--departement", "31", "export", "ars", str(tmp_path / "b.xlsx")) == 2
    assert "Département « 31 » introuvable dans la base (elle contient : 09)." in capsys.readouterr().err


def test_unreadable_or_missing_files_exit_with_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("--db", str(tmp_path / "absent.sqlite"), "check") == 2
    assert "suivi-sts init" in capsys.readouterr().err
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"\x00garbage" * 100)
    assert run("--db", str(junk), "check") == 2
    assert "n'est pas une base Suivi STS" in capsys.readouterr().err
    assert run("--db", str(tmp_path / "x.sqlite"), "init", "--reference", str(tmp_path / "nope.yaml")) == 2


def test_usage_errors_exit_with_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        run("export", "pdf", "x")
    assert caught.value.code == 2


def test_db_can_come_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "env.sqlite"
    monkeypatch.setenv("SUIVI_STS_DB", str(db))
    assert run("init", "--empty") == 0
    assert db.exists()


def test_headless_packages_do_not_import_textual() -> None:
    code = (
        "import sys, tui.cli, store.database, importers.setup_store, exports.reference_yaml;"
        "assert 'textual' not in sys.modules, 'textual importé'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_an_export_never_replaces_a_file_without_being_told(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "base.sqlite")
    assert run("--db", db, "init", "--reference", str(MINI_REFERENCE)) == 0
    target = tmp_path / "rapport.xlsx"
    target.write_bytes(b"le rapport de la semaine derniere")
    capsys.readouterr()
    assert run("--db", db, "export", "cts", str(target)) == 2  # no terminal to ask: refused
    err = capsys.readouterr().err
    assert "existe déjà : ajoutez --remplacer" in err and "Rien n'a été écrit." in err
    assert target.read_bytes() == b"le rapport de la semaine derniere"
    assert run("--db", db, "export", "cts", str(target), "--remplacer") == 0
    assert target.read_bytes().startswith(b"PK")
