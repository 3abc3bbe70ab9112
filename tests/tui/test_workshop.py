"""The Atelier in real hands: quick gestures, one net change per field, resuming, typing, export, sizes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from store.actions import load_actions, update_action
from store.database import open_store
from tests.tui.support import settle, stored
from tests.tui.test_list_layouts import assert_whole
from tui.app import SuiviStsApp
from tui.screens import workshop as workshop_module
from tui.screens.workshop import WorkshopScreen
from tui.widgets.choice_dialog import ChoiceDialog
from tui.widgets.confirm_dialog import ConfirmDialog
from tui.widgets.conflict_dialog import ConflictDialog
from tui.widgets.text_dialog import TextDialog

AppFactory = Callable[..., SuiviStsApp]


@pytest.fixture
def warnings(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The warnings and errors the workshop screen shows."""
    shown: list[str] = []
    original = WorkshopScreen.notify

    def notify(self: WorkshopScreen, message: str, **kwargs: Any) -> None:
        if kwargs.get("severity") in ("warning", "error"):
            shown.append(message)
        original(self, message, **kwargs)

    monkeypatch.setattr(WorkshopScreen, "notify", notify)
    yield shown


async def open_session(pilot: Pilot[int], scope: str = "E1-D4-O2") -> WorkshopScreen:
    """F5, then `n` and the scope typed in the choice list."""
    await settle(pilot)
    await pilot.press("f5")
    await settle(pilot)
    assert isinstance(pilot.app.screen, WorkshopScreen)
    await pilot.press("n")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ChoiceDialog)
    await pilot.press(*scope)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, TextDialog)  # the participants: Enter, nobody recorded
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, WorkshopScreen)
    return screen


async def test_the_participants_asked_at_the_start_are_recorded(
    app_factory: AppFactory, ariege_db: Path
) -> None:
    from store.activity import get_workshop
    from store.database import open_store

    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press(*"E1-D4-O2", "enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, TextDialog)
        await pilot.press(*"Anne Roux, Dr Paul Dupuy ; Anne Roux", "enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, WorkshopScreen)
        heading = str(pilot.app.screen.query_one("#workshop-title", Static).render())
    store = open_store(ariege_db)
    try:
        with store.engine.connect() as conn:
            session = get_workshop(conn, "09")
    finally:
        store.dispose()
    assert session is not None and session.participants == ("Anne Roux", "Dr Paul Dupuy")
    # the scope's title alone is stored: the minutes write "Objectif E1-D4-O2 — …" once
    assert (session.scope_kind, session.scope_code) == ("objectif", "E1-D4-O2")
    assert not session.scope_label.startswith("Objectif")
    assert heading.count("Objectif E1-D4-O2 — ") == 1


def rows(table: DataTable[Any]) -> list[list[str]]:
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def codes(screen: WorkshopScreen) -> list[str]:
    return [str(row.value) for row in screen.query_one("#workshop-table", DataTable).rows]


async def test_workshop_keys_save_and_journal_at_once(app_factory: AppFactory, ariege_db: Path) -> None:
    initial, _ = stored(ariege_db, "ACT-005")
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_session(pilot)
        assert codes(screen)[0] == "ACT-004"
        await pilot.press("3")  # Réalisée
        await settle(pilot)
        await pilot.press("down", "plus", "plus")  # ACT-005: +20 %
        await settle(pilot)
        await pilot.press("c")
        await pilot.press(*"point fait en CTS")
        await pilot.press("enter")
        await settle(pilot)
        changes = rows(screen.query_one("#session-changes", DataTable))
        # status + progress (ACT-004), one net progress change (ACT-005), one comment
        assert len(changes) == 4
        assert sum("Avancement" in row[2] and row[1] == "ACT-005" for row in changes) == 1
        # capitalised as the fields beside it (« Avancement (%) : … »), not « commentaire : … »
        assert ("ACT-005", "Commentaire : point fait en CTS") in {(row[1], row[2]) for row in changes}
        source = screen.session.source if screen.session else ""
    done, _journal = stored(ariege_db, "ACT-004")
    assert done.status == "realisee" and done.progress == 100
    moved, journal5 = stored(ariege_db, "ACT-005")
    assert moved.progress == (initial.progress or 0) + 20
    assert source == "Atelier n°1"
    assert {line.source for line in journal5 if line.kind != "creation"} == {"Atelier n°1"}
    assert any(line.comment == "point fait en CTS" for line in journal5)


async def test_five_quick_plus_on_one_action_no_refusal_one_net_change(
    app_factory: AppFactory, ariege_db: Path, warnings: list[str]
) -> None:
    initial, _ = stored(ariege_db, "ACT-005")
    assert (initial.progress or 0) <= 50
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_session(pilot)
        await pilot.press("down", *["plus"] * 5)  # no pause between the presses
        assert screen.actions["ACT-005"].progress == (initial.progress or 0) + 50  # shown at once
        await settle(pilot)
        changes = rows(screen.query_one("#session-changes", DataTable))
        table = screen.query_one("#workshop-table", DataTable)
        shown = table.get_row("ACT-005")
    assert warnings == []
    assert [row[1:] for row in changes] == [
        ["ACT-005", f"Avancement (%) : {initial.progress} % → {(initial.progress or 0) + 50} %"]
    ]
    assert str(shown[3]) == f"{(initial.progress or 0) + 50} %"
    action, journal = stored(ariege_db, "ACT-005")
    assert action.progress == (initial.progress or 0) + 50
    assert action.version > initial.version


async def test_quick_gestures_on_five_actions_are_all_saved(
    app_factory: AppFactory, ariege_db: Path, warnings: list[str]
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_session(pilot, "Ariège")  # the department territory: many actions
        targets = codes(screen)[:5]
        assert len(targets) == 5
        before = {code: stored(ariege_db, code)[0] for code in targets}
        keys: list[str] = []
        for _ in targets:
            keys += ["plus", "r", "2", "down"]
        await pilot.press(*keys)
        await settle(pilot)
        changes = rows(screen.query_one("#session-changes", DataTable))
    # nothing refused (« + » on an action « À lancer » is said, before « 2 » puts it « En cours »)
    assert [w for w in warnings if "« À lancer »" not in w] == []
    for code in targets:
        action, _ = stored(ariege_db, code)
        assert action.weather == "rouge"
        assert action.status == "en_cours"
        assert action.progress == min(100, (before[code].progress or 0) + 10)
    changed = [row[1] for row in changes]
    for code in targets:
        progress = min(100, (before[code].progress or 0) + 10)
        wanted = {"weather": "rouge", "status": "en_cours", "progress": progress}
        assert changed.count(code) == sum(getattr(before[code], f) != v for f, v in wanted.items())


async def test_an_unfinished_session_resumes_in_a_second_copy_of_the_app(
    app_factory: AppFactory, ariege_db: Path
) -> None:
    initial, _ = stored(ariege_db, "ACT-004")
    first = app_factory()
    async with first.run_test(size=(120, 40)) as pilot:
        screen = await open_session(pilot)
        await pilot.press("plus")
        await settle(pilot)
        assert screen.session is not None
        session_id = screen.session.id
    second = app_factory()
    async with second.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        dialog = second.screen
        assert isinstance(dialog, ConfirmDialog)
        question = " ".join(str(w.render()) for w in dialog.query(Static))
        assert f"L'atelier n°{session_id}" in question and "Le reprendre ?" in question
        await pilot.click("#yes")
        await settle(pilot)
        resumed = second.screen
        assert isinstance(resumed, WorkshopScreen)
        assert resumed.session is not None and resumed.session.id == session_id
        assert "séance reprise" in str(resumed.query_one("#workshop-title", Static).render())
        assert codes(resumed)[0] == "ACT-004"
        await pilot.press("plus")
        await settle(pilot)
        changes = rows(resumed.query_one("#session-changes", DataTable))
    assert [row[1:] for row in changes] == [
        ["ACT-004", f"Avancement (%) : {initial.progress} % → {(initial.progress or 0) + 20} %"]
    ]
    action, journal = stored(ariege_db, "ACT-004")
    assert action.progress == (initial.progress or 0) + 20
    assert {line.source for line in journal if line.kind == "modification"} == {f"Atelier n°{session_id}"}


async def test_progress_typed_and_each_weather_its_key(
    app_factory: AppFactory, ariege_db: Path, warnings: list[str]
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_session(pilot)
        await pilot.press("p", "7", "5")
        line = str(screen.query_one("#workshop-typing", Static).render())
        assert line.startswith("ACT-004 — avancement : 75 %")  # shown while typed
        await pilot.press("enter")
        await settle(pilot)
        assert stored(ariege_db, "ACT-004")[0].progress == 75
        await pilot.press("p", "1", "5", "0", "enter")
        await settle(pilot)
        assert stored(ariege_db, "ACT-004")[0].progress == 75  # refused, with the registry's reason
        assert any("entre 0 et 100 %" in w for w in warnings)
        await pilot.press("p", "4", "escape")  # Échap: nothing typed is applied
        await settle(pilot)
        assert stored(ariege_db, "ACT-004")[0].progress == 75
        for key, weather in (("r", "rouge"), ("v", "vert"), ("o", "orange")):
            await pilot.press(key)
            await settle(pilot)
            assert stored(ariege_db, "ACT-004")[0].weather == weather
        assert str(screen.query_one("#workshop-table", DataTable).get_row("ACT-004")[4]) == "Orange"


async def test_keys_typed_right_after_a_typed_progress_reach_the_table(
    app_factory: AppFactory, ariege_db: Path, warnings: list[str]
) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_session(pilot)
        await pilot.press("p")
        await settle(pilot)
        await pilot.press("4", "5", "enter", "2", "o")  # one burst, as in a workshop
        await settle(pilot)
    action, _journal = stored(ariege_db, "ACT-004")
    assert (action.progress, action.status, action.weather) == (45, "en_cours", "orange")
    assert warnings == []


async def test_ctrl_q_just_after_quick_keys_keeps_them(app_factory: AppFactory, ariege_db: Path) -> None:
    initial, _ = stored(ariege_db, "ACT-004")
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_session(pilot)
        # the keys of one burst, handled without the loop running in between (as a terminal
        # delivers them): the writer has not even started when Ctrl+Q comes
        screen.action_status("en_cours")
        screen.action_progress(1)
        screen.action_progress(1)
        screen.action_weather("rouge")
        await app.action_quit()
        for _ in range(50):
            if not app.is_running:
                break
            await asyncio.sleep(0.1)
    action, _journal = stored(ariege_db, "ACT-004")
    assert (action.status, action.progress, action.weather) == (
        "en_cours",
        (initial.progress or 0) + 20,
        "rouge",
    )


async def test_lowering_the_progress_of_a_done_action_is_refused_with_a_word(
    app_factory: AppFactory, ariege_db: Path, warnings: list[str]
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_session(pilot)
        await pilot.press("3", "minus")
        await settle(pilot)
        assert screen.actions["ACT-004"].progress == 100
    assert stored(ariege_db, "ACT-004")[0].progress == 100
    assert any("réalisée" in w and "100 %" in w for w in warnings)


async def test_progress_on_an_action_to_start_is_saved_with_a_warning_once(
    app_factory: AppFactory, ariege_db: Path, warnings: list[str]
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_session(pilot)
        await pilot.press("2", "p", "2", "0", "enter", "1", "plus")
        await settle(pilot)
        assert (screen.actions["ACT-004"].status, screen.actions["ACT-004"].progress) == ("a_lancer", 30)
    assert stored(ariege_db, "ACT-004")[0].progress == 30  # allowed, but said
    said = [w for w in warnings if "« À lancer »" in w]
    assert len(said) == 1 and said[0].startswith("ACT-004 : Avancement de 20 %")


async def test_a_change_of_another_field_in_another_copy_is_merged_without_asking(
    app_factory: AppFactory, ariege_db: Path
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_session(pilot)
        base = screen.saved["ACT-004"]
        other = open_store(ariege_db)
        with other.writer.begin() as conn:
            update_action(conn, "09", base, replace(base, progress=5), author="autre poste", source="écran")
        other.dispose()
        await pilot.press("o")
        await settle(pilot)
        assert not isinstance(app.screen, ConflictDialog)
    action, _journal = stored(ariege_db, "ACT-004")
    assert (action.progress, action.weather) == (5, "orange")


async def test_a_change_from_another_copy_still_shows_both_versions(
    app_factory: AppFactory, ariege_db: Path
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_session(pilot)
        base = screen.saved["ACT-004"]
        other = open_store(ariege_db)
        with other.writer.begin() as conn:
            update_action(
                conn, "09", base, replace(base, progress=5), author="autre poste", source="écran Action"
            )
        other.dispose()
        await pilot.press("plus")
        await settle(pilot)
        assert isinstance(app.screen, ConflictDialog)
        await pilot.click("#mine")
        await settle(pilot)
    assert stored(ariege_db, "ACT-004")[0].progress == (base.progress or 0) + 10


async def test_export_proposes_the_documents_folder_and_lists_net_changes(
    app_factory: AppFactory, ariege_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    documents = tmp_path / "Documents"
    documents.mkdir()
    monkeypatch.setattr("platformdirs.user_documents_dir", lambda: str(documents))
    assert workshop_module.documents_folder() == documents
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_session(pilot)
        await pilot.press("down", "plus", "plus", "plus")
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        path = Path(app.screen.query_one("#path", Input).value)
        assert path.parent == documents
        await pilot.click("#ok")
        await settle(pilot)
    assert path.is_file()
    from openpyxl import load_workbook

    sheet = load_workbook(path)["Atelier"]
    changes = [row for row in sheet.iter_rows(min_row=7, values_only=True) if row[0]]
    assert [(row[0], row[4]) for row in changes] == [("ACT-005", "Avancement (%)")]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_every_column_fits_without_scrolling(app_factory: AppFactory, size: tuple[int, int]) -> None:
    app = app_factory()
    async with app.run_test(size=size) as pilot:
        screen = await open_session(pilot, "Ariège")
        await pilot.press("o", "5")
        await pilot.press(*"plus de porteur depuis le départ du coordinateur du contrat local de santé")
        await pilot.press("enter")
        await settle(pilot)
        changes = screen.query_one("#session-changes", DataTable)
        assert changes.max_scroll_x == 0  # a long change wraps in its row instead
        newest = next(iter(changes.rows.values()))
        assert str(changes.get_row(newest.key)[2]).endswith("du contrat local de santé)")
        assert newest.height >= 2  # wrapped in its row, read whole
        table = screen.query_one("#workshop-table", DataTable)
        labels = [str(c.label) for c in table.columns.values()]
        assert labels[:5] == ["Code", "Action", "Statut", "Av.", "Météo"]
        assert table.max_scroll_x == 0
        widths = sum(c.get_render_width(table) for c in table.columns.values())
        assert widths <= table.scrollable_content_region.width
        row = [str(cell) for cell in table.get_row_at(0)]
        assert row[2] == "Abandonnée" and row[4] == "Orange"
        columns = list(table.columns.values())
        assert columns[2].width >= len("Abandonnée") and columns[4].width >= len("orange")
        long_titles = [str(r[1]) for r in rows(table) if str(r[1]).endswith("…")]
        assert long_titles and all(len(t) <= columns[1].width for t in long_titles)
        screenshot = app.export_screenshot()
        for word in ("Abandonnée", "orange", "Code", "Statut", "Météo"):
            assert word in screenshot
        # a title cut in the table is read whole under it, with the row's values
        await pilot.press("down")
        await settle(pilot)
        highlighted = screen.actions[str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)]
        detail = assert_whole(screen.query_one("#workshop-detail", Static))
        assert detail.startswith(f"{highlighted.code} — {highlighted.title}")


async def test_each_gesture_is_on_disk_a_moment_after_the_key(
    app_factory: AppFactory, ariege_db: Path
) -> None:
    """What a kill could lose: the gestures of the last instant (measured here, key → committed)."""
    initial, _ = stored(ariege_db, "ACT-004")
    reader = open_store(ariege_db)
    app = app_factory()
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await open_session(pilot)
            for step in (1, 2, 3):
                await pilot.press("plus")
                pressed = time.monotonic()
                while True:
                    with reader.engine.connect() as conn:
                        action = load_actions(conn, "09", ["ACT-004"])["ACT-004"]
                    if action.progress == (initial.progress or 0) + 10 * step:
                        break
                    assert time.monotonic() - pressed < 1.0, "a gesture not committed within a second"
                    await asyncio.sleep(0.005)
                print(f"gesture {step}: committed {1000 * (time.monotonic() - pressed):.0f} ms after the key")
    finally:
        reader.dispose()


async def test_a_field_brought_back_leaves_the_session_list(app_factory: AppFactory, ariege_db: Path) -> None:
    initial, _ = stored(ariege_db, "ACT-004")
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_session(pilot)
        await pilot.press("plus", "plus", "o", "minus", "minus")
        await settle(pilot)
        changes = rows(screen.query_one("#session-changes", DataTable))
    assert [row[1:] for row in changes] == [["ACT-004", "Météo : — → Orange"]]
    assert stored(ariege_db, "ACT-004")[0].progress == initial.progress


async def test_a_closed_session_leaves_an_empty_list_even_after_a_resize(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_session(pilot)
        await pilot.press("plus", "o")
        await settle(pilot)
        changes = screen.query_one("#session-changes", DataTable)
        assert changes.row_count == 2
        await pilot.press("q")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)  # « Annuler » has the focus: Tab, Enter
        await pilot.press("tab", "enter")
        await settle(pilot)
        assert screen.session is None and changes.row_count == 0
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert screen.query_one("#session-changes", DataTable).row_count == 0
        assert "clos" in str(screen.query_one("#workshop-title", Static).render())


async def test_the_footer_offers_the_session_keys_only_while_a_session_is_open(
    app_factory: AppFactory,
) -> None:
    """Without a session, p / c / q were offered and only said « Choisissez d'abord le périmètre »:
    they come with the session and go with it; x stays to export the session just closed."""

    def offered(screen: WorkshopScreen) -> set[str]:
        return {key for key in screen.active_bindings if key in ("n", "p", "c", "q", "x")}

    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        before = app.screen
        assert isinstance(before, WorkshopScreen)
        assert offered(before) == {"n"}
        await pilot.press("p", "c", "q")  # not offered: nothing happens, no dialog
        await settle(pilot)
        assert app.screen is before
        screen = await open_session(pilot)
        assert offered(screen) == {"n", "p", "c", "q", "x"}
        await pilot.press("q")
        await settle(pilot)
        await pilot.press("tab", "enter")
        await settle(pilot)
        assert screen.session is None and offered(screen) == {"n", "x"}


async def test_ctrl_q_after_a_progress_typed_without_enter_keeps_it(
    app_factory: AppFactory, ariege_db: Path
) -> None:
    """`p 5` then Ctrl+Q: the app quit and the 5 % typed was lost, though any other key would
    have applied it. It is applied and saved before the app quits."""
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_session(pilot)
        await pilot.press("p", "4", "5")
        await pilot.pause()
        await pilot.press("ctrl+q")
        for _ in range(50):
            if not app.is_running:
                break
            await asyncio.sleep(0.1)
    assert stored(ariege_db, "ACT-004")[0].progress == 45


async def test_the_help_says_what_each_digit_does(app_factory: AppFactory) -> None:
    """F1 in the Atelier listed « 7 — 7 », « 0 — 0 », « Retour arrière — Effacer »: what they do
    (after p, a digit of the progress) was not said."""
    from tui.widgets.help_dialog import HelpDialog

    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_session(pilot)
        await pilot.press("f1")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, HelpDialog)
        rows = {key: action for key, action, _where in dialog._rows()}
        assert rows["7"] == rows["0"] == "Après p : chiffre"
        assert rows["3"] == "Réalisée"
        assert rows["Retour arrière"] == "Après p : effacer" and rows["Échap"] == "Après p : annuler"
