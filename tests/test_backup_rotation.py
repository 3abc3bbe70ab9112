"""Manual backups outlive rotation; only automatic backups are counted and deleted (real files)."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from dataclasses import replace
from pathlib import Path

import pytest

from importers.setup_store import initialise
from store import backup
from store.actions import load_actions, update_action
from store.database import open_store
from store.health import StoreDamaged
from tests.conftest import MINI_REFERENCE
from tests.excel_fixtures import edit_workbook, set_cell
from tui.cli import main


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "suivi.sqlite"
    initialise(path, reference=MINI_REFERENCE).store.dispose()
    return path


def _read(path: Path, column: str) -> str | None:
    # closed at once: a Python 3.11 connection left to the garbage collector keeps the store
    # open, and `restore` rightly refuses a store in use
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(f"SELECT {column} FROM action WHERE code = 'ACT-001'").fetchone()[0]


def _title(path: Path) -> str | None:
    return _read(path, "title")


def _weather(path: Path) -> str | None:
    return _read(path, "weather")


def _set_title(path: Path, title: str) -> None:
    store = open_store(path, daily_backup=False)
    with store.writer.begin() as conn:
        before = load_actions(conn, "09", ["ACT-001"])["ACT-001"]
        update_action(conn, "09", before, replace(before, title=title), author="t", source="test")
    store.dispose()


def _by_kind(path: Path) -> dict[str, list[Path]]:
    found: dict[str, list[Path]] = {}
    for info in backup.describe_backups(path):
        found.setdefault(info.kind.value, []).append(info.path)
    return found


@pytest.mark.parametrize("keep", [None, 4], ids=["par-defaut-10", "4"])
def test_a_manual_backup_outlives_twelve_import_and_restore_cycles(
    db: Path, tmp_path: Path, keep: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The afternoon of the issue: `suivi-sts backup`, then import, regret, restore — twelve times."""
    if keep is not None:
        monkeypatch.setenv("SUIVI_STS_KEEP_BACKUPS", str(keep))
    expected_automatic = keep or backup.DEFAULT_KEEP
    original_title, original_weather = _title(db), _weather(db)
    assert main(["--db", str(db), "backup"]) == 0
    [manual] = backup.list_backups(db)
    assert main(["--db", str(db), "export", "ars", str(tmp_path / "echange.xlsx")]) == 0
    edited = edit_workbook(
        tmp_path / "echange.xlsx",
        tmp_path / "modifie.xlsx",
        lambda book: set_cell(book, "Actions", "ACT-001", "Météo", "rouge"),
    )
    assert _weather(db) != "rouge"

    for _cycle in range(12):
        assert main(["--db", str(db), "import", str(edited)]) == 0
        assert _weather(db) == "rouge"
        before_import = backup.list_backups(db)[0]
        assert "avant-import" in before_import.name
        assert main(["--db", str(db), "restore", str(before_import)]) == 0
        assert _weather(db) == original_weather

    backups = backup.list_backups(db)
    assert manual in backups  # 24 automatic backups were taken after it
    assert backup.verify_backup(manual).ok and _title(manual) == original_title
    assert _weather(manual) == original_weather
    automatic = [p for p in backups if p != manual]
    assert len(automatic) == expected_automatic
    assert all("avant-import" in p.name or "avant-restauration" in p.name for p in automatic)
    kinds = _by_kind(db)
    assert kinds == {"manuelle": [manual], "automatique": automatic}


def test_rotation_counts_automatic_backups_only(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUIVI_STS_KEEP_BACKUPS", "3")
    manuals = [backup.backup_sqlite(db, "manuelle")]  # as `suivi-sts backup` does
    automatic = []
    for i in range(15):
        automatic.append(backup.backup_sqlite(db, "avant-import"))
        if i % 5 == 4:
            manuals.append(backup.backup_sqlite(db, "manuelle"))
    assert backup.list_backups(db) == sorted(manuals + automatic[-3:], key=lambda p: p.name, reverse=True)
    kinds = _by_kind(db)
    assert kinds["manuelle"] == manuals[::-1]
    assert kinds["automatique"] == automatic[:-4:-1]


def test_the_listing_says_each_backups_kind_in_french(db: Path) -> None:
    _set_title(db, "avant tout")
    store = open_store(db)  # the daily backup, on opening
    store.dispose()
    made = [
        backup.manual_backup(db),
        backup.backup_sqlite(db, "avant-import"),
        backup.backup_sqlite(db, "avant-reference"),
        backup.backup_sqlite(db, "avant-migration-0004"),
    ]
    labels = [(info.path, info.label) for info in backup.describe_backups(db)]
    assert labels[:4] == [
        (made[3], "automatique (avant mise à niveau du schéma 0004)"),
        (made[2], "automatique (avant chargement d'un schéma de référence)"),
        (made[1], "automatique (avant import)"),
        (made[0], "manuelle"),
    ]
    assert labels[4][1] == "automatique (quotidienne, à l'ouverture)"
    restored = backup.restore(db, made[1])
    assert restored.previous_state is not None
    assert backup.describe_backup(restored.previous_state).label == "automatique (avant restauration)"


def test_backups_named_before_kinds_existed_keep_their_meaning(db: Path) -> None:
    """Old names carry their reason only: `manuelle` stays manual, the app's own reasons rotate,
    and a name the app never wrote (a copy made in a file manager) is kept."""
    template = backup.backup_sqlite(db, "modele", keep=100)
    folder = template.parent

    def old(day: int, reason: str) -> Path:
        path = folder / f"suivi-202501{day:02d}T090000000000Z-{reason}.sqlite"
        shutil.copyfile(template, path)
        return path

    legacy_manual = old(1, "manuelle")
    legacy_automatic = [
        old(2, "avant-import"),
        old(3, "ouverture"),
        old(4, "avant-migration-0001"),
        old(5, "avant-reference"),
        old(6, "avant-restauration"),
    ]
    copied = old(7, "avant-import - Copie")
    unknown = old(8, "avant-le-grand-menage")
    assert [backup.describe_backup(p).kind for p in legacy_automatic] == [backup.BackupKind.AUTOMATIC] * 5
    assert backup.describe_backup(legacy_manual).label == "manuelle"
    assert backup.describe_backup(copied).kind is backup.BackupKind.UNKNOWN
    assert backup.describe_backup(unknown).label == "d'origine inconnue (jamais supprimée automatiquement)"

    newer = [backup.backup_sqlite(db, "avant-import", keep=2) for _ in range(2)]

    assert backup.list_backups(db) == [newer[1], newer[0], unknown, copied, legacy_manual]
    assert not any(p.exists() for p in [template, *legacy_automatic])


def test_restoring_the_oldest_automatic_backup_keeps_its_file(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The backup of the current state taken by `restore` must not rotate away the one restored."""
    monkeypatch.setenv("SUIVI_STS_KEEP_BACKUPS", "3")
    made = []
    for title in ("un", "deux", "trois"):
        _set_title(db, title)
        made.append(backup.backup_sqlite(db, "avant-import"))
    _set_title(db, "quatre")

    result = backup.restore(db, made[0])

    assert _title(db) == "un" and made[0].exists()
    assert result.previous_state is not None and _title(result.previous_state) == "quatre"
    assert len(_by_kind(db)["automatique"]) == 4  # the restored one is spared this time
    backup.backup_sqlite(db, "avant-import")
    assert len(_by_kind(db)["automatique"]) == 3


def test_a_damaged_store_is_offered_its_newest_intact_backup_whatever_its_kind(db: Path) -> None:
    _set_title(db, "un")
    automatic = backup.backup_sqlite(db, "avant-import")
    _set_title(db, "deux")
    manual = backup.manual_backup(db)
    _set_title(db, "trois")
    damaged_backup = backup.backup_sqlite(db, "avant-import")
    data = bytearray(damaged_backup.read_bytes())
    data[4096 * 3 : 4096 * 3 + 2000] = b"\xff" * 2000
    damaged_backup.write_bytes(bytes(data))
    db.write_bytes(b"\x00" * 8192)

    with pytest.raises(StoreDamaged) as caught:
        open_store(db)
    assert caught.value.backups == [manual, automatic]  # newest intact first; the damaged one skipped

    backup.restore(db, caught.value.backups[0])
    assert _title(db) == "deux" and manual.exists()
