"""A full disk, a missing folder, a read-only medium: said in French for what they are, and
nothing half-written. A store on a full disk is not called damaged (nobody should restore a
backup for it); an export that cannot be written names the file and leaves nothing behind.

The full disk is a real one: a small tmpfs mounted in a private mount namespace (`unshare`),
filled up, then the real command run on it. Skipped where namespaces are not allowed.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bench.cli_startup_bench import suivi_sts_command
from tests.conftest import MINI_REFERENCE
from tests.excel_fixtures import run_cli

#: Mounts a tmpfs on $1 (options $2), copies $3 into it if given, fills it when $4 is "plein",
#: runs the rest, then lists what is left on the disk (after a line "--- disque").
_ON_DISK = """
disk=$1; options=$2; copy=$3; fill=$4; shift 4
mount -t tmpfs -o "$options" none "$disk" || exit 99
[ -n "$copy" ] && cp "$copy" "$disk/"
[ "$fill" = plein ] && { head -c 100000000 /dev/zero > "$disk/remplissage" 2>/dev/null || true; }
"$@"; rc=$?
echo "--- disque"; ls -A "$disk"
exit $rc
"""


def _namespaces_allowed() -> bool:
    if shutil.which("unshare") is None:
        return False
    done = subprocess.run(
        ["unshare", "--mount", "--map-root-user", "true"], capture_output=True, check=False, timeout=30
    )
    return done.returncode == 0


needs_namespaces = pytest.mark.skipif(not _namespaces_allowed(), reason="no private mount namespace here")


def on_disk(
    disk: Path, *args: str, options: str = "size=2m", copy: Path | None = None, full: bool = False
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """`suivi-sts ARGS` with a tmpfs mounted on `disk`; its result and what is left on the disk."""
    disk.mkdir()
    command = ["unshare", "--mount", "--map-root-user", "sh", "-c", _ON_DISK, "sh", str(disk), options]
    command += [str(copy or ""), "plein" if full else "", *suivi_sts_command(), *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode != 99, done.stderr
    output, _, listing = done.stdout.partition("--- disque\n")
    done.stdout = output
    return done, listing.split()


@pytest.fixture
def store_file(tmp_path: Path) -> Path:
    path = tmp_path / "base.sqlite"
    assert run_cli("--db", str(path), "init", "--reference", str(MINI_REFERENCE)).returncode == 0
    return path


@needs_namespaces
def test_a_store_on_a_full_disk_is_said_full_not_damaged(store_file: Path, tmp_path: Path) -> None:
    disk = tmp_path / "disque"
    done, left = on_disk(disk, "--db", str(disk / "base.sqlite"), "check", copy=store_file, full=True)
    assert done.returncode == 2
    assert f"Le disque qui porte la base « {disk / 'base.sqlite'} » est plein" in done.stderr
    assert "La base n'a pas été modifiée" in done.stderr
    assert "endommagée" not in done.stderr and "restore" not in done.stderr
    assert "Errno" not in done.stderr
    assert set(left) - {"base.sqlite-wal", "base.sqlite-shm"} == {
        "base.sqlite",
        "remplissage",
    }  # SQLite's own


@needs_namespaces
@pytest.mark.parametrize("kind", ["ars", "cts"])
def test_an_export_to_a_full_disk_is_refused_and_leaves_nothing(
    store_file: Path, tmp_path: Path, kind: str
) -> None:
    disk = tmp_path / "disque"
    target = disk / f"export-{kind}.xlsx"
    done, left = on_disk(disk, "--db", str(store_file), "export", kind, str(target), full=True)
    assert done.returncode == 2, done.stdout
    assert f"Le disque est plein : « {target.name} » n'a pas été écrit" in done.stderr
    assert "Errno" not in done.stderr
    assert left == ["remplissage"]  # no file, no temporary folder


@needs_namespaces
def test_an_export_to_a_read_only_medium_names_the_folder(store_file: Path, tmp_path: Path) -> None:
    disk = tmp_path / "cle"
    done, left = on_disk(
        disk, "--db", str(store_file), "export", "ars", str(disk / "echange.xlsx"), options="ro"
    )
    assert done.returncode == 2
    assert f"Le dossier « {disk} » n'accepte pas d'écriture" in done.stderr
    assert "« echange.xlsx » n'a pas été écrit" in done.stderr and "Errno" not in done.stderr
    assert left == []


def test_an_export_to_a_missing_folder_names_it(store_file: Path, tmp_path: Path) -> None:
    target = tmp_path / "absent" / "echange.xlsx"
    done = run_cli("--db", str(store_file), "export", "ars", str(target))
    assert done.returncode == 2
    assert done.stderr.strip().endswith(
        f"Le dossier « {target.parent} » n'existe pas : « echange.xlsx » n'a pas été écrit. "
        "Choisissez un dossier existant."
    )
    assert not target.parent.exists()


def test_a_folder_given_for_a_file_is_said_in_french(store_file: Path, tmp_path: Path) -> None:
    folder = tmp_path / "dossier"
    folder.mkdir()
    done = run_cli("--db", str(folder), "check")
    assert done.returncode == 2
    assert done.stderr.strip() == f"Erreur : c'est un dossier, pas un fichier (« {folder} »)."
    mapped = run_cli("--db", str(store_file), "import", "--mapping", str(folder), str(store_file))
    assert mapped.returncode == 2
    assert f"Le fichier de correspondance « {folder} » est illisible : c'est un dossier, pas un fichier." in (
        mapped.stderr
    )
    assert "Errno" not in done.stderr + mapped.stderr
