"""The real app driven with Pilot through each screen's main flows, checking what was stored."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Select, Static
from textual.widgets._footer import FooterKey
from textual.worker import WorkerFailed

from store.database import open_store
from store.views.action_list import ActionFilter, ActionPage
from tests.tui.support import settle, stored, until
from tui.app import SuiviStsApp
from tui.screens.action_detail import ActionDetailScreen
from tui.screens.actions import ActionsScreen
from tui.screens.dashboard import DashboardScreen
from tui.screens.form_base import UnsavedDialog
from tui.screens.resources import ResourcesScreen
from tui.services import StoreService
from tui.widgets.choice_dialog import ChoiceDialog
from tui.widgets.confirm_dialog import ConfirmDialog
from tui.widgets.conflict_dialog import ConflictDialog
from tui.widgets.error_dialog import ErrorDialog
from tui.widgets.text_dialog import TextDialog

AppFactory = Callable[..., SuiviStsApp]


def table_codes(table: DataTable[Any]) -> list[str]:
    return [str(row.value) for row in table.rows]


def held_pages(monkeypatch: pytest.MonkeyPatch, *, searches_only: bool) -> tuple[threading.Event, list[str]]:
    """The Actions list's pages (or only its searches) held back until the event is set, as on a
    slow laptop; the searches asked for, in order."""
    answer = threading.Event()
    searched: list[str] = []
    page = StoreService.action_page

    def slow_page(
        self: StoreService, criteria: ActionFilter, offset: int = 0, limit: int = 200
    ) -> ActionPage:
        if criteria.search:
            searched.append(criteria.search)
        if criteria.search or not searches_only:
            answer.wait(10)
        return page(self, criteria, offset, limit)

    monkeypatch.setattr(StoreService, "action_page", slow_page)
    return answer, searched


async def test_opens_on_the_dashboard_with_the_department_and_late_actions(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        title = str(app.screen.query_one("#dept-title", Static).render())
        assert "Ariège (09)" in title and "80 actions" in title
        assert str(app.screen.query_one("#status-a_lancer", Button).label).startswith("À lancer ")
        late = app.screen.query_one("#late", DataTable)
        assert "ACT-005" in table_codes(late)  # UAPED, due 31/12/2023, still open on 01/03/2024


async def test_clicking_a_status_opens_the_filtered_list(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.click("#status-realisee")
        await settle(pilot)
        assert isinstance(app.screen, ActionsScreen)
        assert app.screen.criteria.statuses == ("realisee",)
        table = app.screen.query_one("#actions-table", DataTable)
        assert table.row_count == 5
        assert "5 action(s)" in str(app.screen.query_one("#count", Static).render())


async def test_search_ignores_case_and_accents(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("slash")
        await pilot.press(*"DEPISTAGE")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ActionsScreen)
        codes = table_codes(screen.query_one("#actions-table", DataTable))
        assert "ACT-003" in codes  # « Extension du bus de dépistage mammobile … »
        assert 0 < len(codes) < 80


async def test_keys_typed_while_a_search_runs_are_searched_together_once_it_answers(
    app_factory: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key searches at once, without a fixed wait; the keys typed while that search runs are
    searched together when it answers (not one search per key), and the list shows the last
    text typed."""
    answer, searched = held_pages(monkeypatch, searches_only=True)
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("slash", "d")
        await until(pilot, lambda: searched == ["d"])
        await pilot.press(*"epis")
        await pilot.pause(0.2)
        assert searched == ["d"]  # the first search still runs
        answer.set()
        count = app.screen.query_one("#count", Static)
        await until(pilot, lambda: "« depis »" in str(count.render()))
        assert searched == ["d", "depis"]
        codes = table_codes(app.screen.query_one("#actions-table", DataTable))
        assert "ACT-003" in codes and len(codes) < 80


async def test_enter_pressed_before_the_list_arrives_opens_its_first_action(
    app_factory: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """F4 then Enter at once (a workshop, a slow laptop): the Enter is not lost while the list
    is read; the first action opens as soon as the list is there."""
    answer, _searched = held_pages(monkeypatch, searches_only=False)
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await until(pilot, lambda: isinstance(app.screen, ActionsScreen) and app.screen.loading_in("actions"))
        table = app.screen.query_one("#actions-table", DataTable)
        await until(pilot, lambda: table.has_focus)
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert isinstance(app.screen, ActionsScreen) and table.row_count == 0  # still reading
        answer.set()
        await until(pilot, lambda: isinstance(app.screen, ActionDetailScreen))
        await settle(pilot)
        assert "ACT-001" in str(app.screen.query_one("#action-title", Static).render())


async def test_late_filter_and_sort_by_due_date(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ActionsScreen)
        await pilot.click("#filter-late")
        await settle(pilot)
        codes = table_codes(screen.query_one("#actions-table", DataTable))
        assert "ACT-005" in codes and len(codes) == 2
        await pilot.press("e")
        await settle(pilot)
        assert screen.query_one("#actions-table", DataTable).row_count == 80


async def test_edit_and_save_an_action_journals_each_changed_field(
    app_factory: AppFactory, ariege_db: Path
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_action("ACT-005")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ActionDetailScreen)
        screen.query_one("#status", Select).value = "realisee"
        screen.query_one("#progress", Input).value = "100"
        screen.query_one("#due_date", Input).value = "30/06/2024"
        await pilot.press("ctrl+s")
        await settle(pilot)
    action, journal = stored(ariege_db, "ACT-005")
    assert action.status == "realisee" and action.progress == 100 and str(action.due_date) == "2024-06-30"
    changes = {
        (line.field_name, line.old_value, line.new_value) for line in journal if line.kind == "modification"
    }
    assert ("status", "En cours", "Réalisée") in changes
    assert ("due_date", "2023-12-31", "2024-06-30") in changes
    assert all(line.author == "coordinatrice" for line in journal if line.kind == "modification")


async def test_after_a_save_the_list_rebuilds_its_search_index_before_the_first_key(
    app_factory: AppFactory, ariege_db: Path
) -> None:
    """Back on the list after a save, the search index of the changed store is built in the
    background: the first key typed does not wait for it (at 100,000 actions, seconds)."""
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        service = app.service
        with service.store.engine.connect() as conn:
            assert service.actions_list.is_warm(conn)
        app.open_action("ACT-005")
        await settle(pilot)
        assert isinstance(app.screen, ActionDetailScreen)
        app.screen.query_one("#progress", Input).value = "90"
        await pilot.press("ctrl+s")
        await settle(pilot)
        with service.store.engine.connect() as conn:
            assert not service.actions_list.is_warm(conn)  # the store changed: the old index is gone
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ActionsScreen)
        await until(pilot, lambda: not app.screen.loading_in("search-index"))
        with service.store.engine.connect() as conn:
            assert service.actions_list.is_warm(conn)  # rebuilt, no key typed


async def test_invalid_fields_are_shown_and_nothing_is_saved(
    app_factory: AppFactory, ariege_db: Path
) -> None:
    before, _ = stored(ariege_db, "ACT-002")
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_action("ACT-002")
        await settle(pilot)
        screen = app.screen
        screen.query_one("#progress", Input).value = "150"
        screen.query_one("#start_date", Input).value = "31/02/2024"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "entre 0 et 100" in str(screen.query_one("#error-progress", Static).render())
        assert "n'existe pas" in str(screen.query_one("#error-start_date", Static).render())
    after, _ = stored(ariege_db, "ACT-002")
    assert after == before and after.version == before.version


async def test_postponing_requires_a_comment(app_factory: AppFactory, ariege_db: Path) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_action("ACT-002")
        await settle(pilot)
        app.screen.query_one("#status", Select).value = "reportee"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, TextDialog)
        await pilot.press("enter")  # empty: refused
        assert isinstance(app.screen, TextDialog)
        await pilot.press(*"faute de financement")
        await pilot.press("enter")
        await settle(pilot)
    action, journal = stored(ariege_db, "ACT-002")
    assert action.status == "reportee"
    assert any(line.field_name == "status" and line.comment == "faute de financement" for line in journal)


async def test_leaving_with_unsaved_changes_asks_first(app_factory: AppFactory, ariege_db: Path) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_action("ACT-002")
        await settle(pilot)
        app.screen.query_one("#title", Input).value = "Titre modifié"
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert isinstance(app.screen, UnsavedDialog)  # the same question as Ctrl+Q
        await pilot.click("#stay")
        await pilot.pause(0.2)
        assert isinstance(app.screen, ActionDetailScreen)
        await pilot.press("escape")
        await pilot.pause(0.2)
        await pilot.click("#discard")
        await pilot.pause(0.2)
        assert isinstance(app.screen, DashboardScreen)
    action, _ = stored(ariege_db, "ACT-002")
    assert action.title != "Titre modifié"


async def test_a_change_made_elsewhere_is_shown_never_overwritten(
    app_factory: AppFactory, ariege_db: Path
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_action("ACT-002")
        await settle(pilot)
        # someone else, in another copy of the app, changes the same action meanwhile
        other = app_factory(author="autre poste")
        async with other.run_test() as other_pilot:
            await settle(other_pilot)
            other.open_action("ACT-002")
            await settle(other_pilot)
            other.screen.query_one("#progress", Input).value = "75"
            await other_pilot.press("ctrl+s")
            await settle(other_pilot)
        app.screen.query_one("#progress", Input).value = "40"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConflictDialog)
        table = app.screen.query_one(DataTable)
        assert [str(cell) for cell in table.get_row_at(0)] == ["Avancement (%)", "40 %", "75 %"]
        await pilot.click("#theirs")
        await settle(pilot)
        assert app.screen.query_one("#progress", Input).value == "75"
    action, _ = stored(ariege_db, "ACT-002")
    assert action.progress == 75


async def test_a_change_of_another_field_elsewhere_is_merged_without_asking(
    app_factory: AppFactory, ariege_db: Path
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_action("ACT-002")
        await settle(pilot)
        other = app_factory(author="autre poste")
        async with other.run_test() as other_pilot:
            await settle(other_pilot)
            other.open_action("ACT-002")
            await settle(other_pilot)
            other.screen.query_one("#funding", Input).value = "FIR 2026"
            await other_pilot.press("ctrl+s")
            await settle(other_pilot)
        app.screen.query_one("#progress", Input).value = "40"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, ConflictDialog)
        assert app.screen.query_one("#funding", Input).value == "FIR 2026"  # theirs, shown
    action, _ = stored(ariege_db, "ACT-002")
    assert (action.progress, action.funding) == (40, "FIR 2026")


async def test_resources_filter_and_coverage_gaps(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ResourcesScreen)
        screen.query_one("#rf-audiences", Select).value = "Jeunes aidants"
        await settle(pilot)
        assert table_codes(screen.query_one("#resource-table", DataTable)) == ["RES-JEUNES-AIDANTS"]
        screen.query_one("#rf-audiences", Select).clear()
        await settle(pilot)
        await pilot.press("slash")
        await pilot.press(*"repit")
        await settle(pilot)
        assert "RES-PFR" in table_codes(screen.query_one("#resource-table", DataTable))
        await pilot.press("escape")
        screen.show_coverage()
        await settle(pilot)
        matrix = screen.query_one("#coverage-table", DataTable)
        couserans = matrix.get_row("COUSERANS")
        handicap = [key.value for key in matrix.columns].index("Personnes en situation de handicap")
        assert str(couserans[handicap]).strip() == "aucune"
        assert "manque" in str(screen.query_one("#coverage-title", Static).render())


async def test_a_worker_error_is_shown_and_the_app_keeps_running(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)

        def broken() -> None:
            raise RuntimeError("disque débranché")

        worker = app.screen.run_worker(broken, thread=True, exit_on_error=False)
        with contextlib.suppress(WorkerFailed):
            await worker.wait()
        await pilot.pause(0.2)
        assert isinstance(app.screen, ErrorDialog)
        assert "disque débranché" in app.screen.message
        await pilot.click("#close")
        await pilot.pause(0.1)
        assert isinstance(app.screen, DashboardScreen)
        assert app.is_running


async def test_indicator_values_are_entered_per_period_and_breakdown(
    app_factory: AppFactory, ariege_db: Path
) -> None:
    from store.indicators import ValueKey, load_values
    from tui.widgets.indicator_dialog import IndicatorDialog

    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_action("ACT-003")
        await settle(pilot)
        await pilot.press("ctrl+g")
        await pilot.pause(0.2)
        assert isinstance(app.screen, IndicatorDialog)
        app.screen.query_one("#ind-label", Input).value = "Femmes dépistées"
        await pilot.click("#ok")
        await settle(pilot)
        await pilot.press("ctrl+n")
        await pilot.press(*"2024-01", "enter")
        await pilot.pause(0.2)
        await pilot.press(*"1 234,5", "enter")  # the value dialog opens on the new period; French writing
        await settle(pilot)
        await pilot.press("ctrl+b")
        await pilot.press(*"moins de 50 ans", "enter")
        await settle(pilot)
        grid = app.screen.query_one("#ind-grid", DataTable)
        assert [str(c.label) for c in grid.columns.values()] == ["Période", "Total", "moins de 50 ans"]
        assert grid.get_row("2024-01")[1] == "1 234,5"
    store = open_store(ariege_db)
    with store.engine.connect() as conn:
        values = load_values(conn, "09")
    store.dispose()
    assert values[ValueKey("IND-0001", "2024-01", "")] == 1234.5
    _action, journal = stored(ariege_db, "ACT-003")
    written = f"IND-0001 2024-01 : {grid.get_row('2024-01')[1]}"  # the value as the grid writes it
    assert any(line.field_name == "indicateur" and line.new_value == written for line in journal)


async def test_scheme_shows_a_node_in_full_and_adds_an_action_to_it(
    app_factory: AppFactory, ariege_db: Path
) -> None:
    from textual.widgets import Markdown, Tree

    from tui.screens.scheme import SchemeScreen

    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SchemeScreen)
        tree = screen.query_one("#scheme-tree", Tree)
        objective = next(n for n in tree.root.children[0].children[1].children if n.data == "E1-D4-O2")
        tree.move_cursor(objective)
        await settle(pilot)
        assert screen.selected is not None and screen.selected.code == "E1-D4-O2"
        text = screen.query_one("#node-text", Markdown).source
        for section in ("Les constats", "En pratique", "Parole de citoyen", "Violence et santé"):
            assert section in text
        assert "ACT-005" in table_codes(screen.query_one("#node-actions", DataTable))
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ActionDetailScreen)
        form.query_one("#title", Input).value = "Formation des professionnels au repérage des violences"
        await pilot.press("ctrl+s")
        await settle(pilot)
        code = form.query_one("#code", Input).value
    action, journal = stored(ariege_db, code)
    assert action.objectives == ("E1-D4-O2",) and action.territories == ("09",)
    assert journal[0].kind == "creation"


async def test_a_filter_saved_under_a_name_is_applied_again(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ActionsScreen)
        screen.query_one("#filter-statuses", Select).value = "en_cours"
        await settle(pilot)
        await pilot.press("s")
        await pilot.pause(0.2)
        app.screen.query_one("#text", Input).value = "En cours CTS"
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("e")  # clear the filters
        await settle(pilot)
        assert screen.query_one("#actions-table", DataTable).row_count == 80
        await pilot.press("f")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.press(*"CTS", "enter")
        await settle(pilot)
        assert screen.criteria.statuses == ("en_cours",)
        assert screen.query_one("#actions-table", DataTable).row_count == 17


async def test_a_read_only_store_shows_a_banner_and_refuses_edits(
    app_factory: AppFactory, ariege_db: Path
) -> None:
    import sqlite3

    with sqlite3.connect(ariege_db) as conn:  # as if written by a newer version of the app
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        banner = app.screen.query_one(".read-only-banner", Static)
        assert "LECTURE SEULE" in str(banner.render()) and "version plus récente" in str(banner.render())
        app.open_action("ACT-002")
        await settle(pilot)
        assert app.screen.query_one("#title", Input).disabled
        # The keys that would write are greyed in the footer (shown, not offered).
        keys = {key.key: key for key in app.screen.query(FooterKey)}
        assert {"ctrl+s", "f8", "f9"} <= keys.keys()
        assert all(keys[k].has_class("-disabled") for k in ("ctrl+s", "f8", "f9"))
        assert not keys["escape"].has_class("-disabled")
        await pilot.press("ctrl+s", "f8", "f9")
        await settle(pilot)
        assert not isinstance(app.screen, ModalScreen)  # no status or comment dialog opened
        await pilot.press("escape", "f4")
        await settle(pilot)
        keys = {key.key: key for key in app.screen.query(FooterKey)}
        assert keys["n"].has_class("-disabled") and not keys["t"].has_class("-disabled")
        await pilot.press(*"nutrition")  # « n » is no key here any more: typed, it searches
        await settle(pilot)
        assert app.screen.query_one("#search", Input).value == "nutrition"
    with sqlite3.connect(ariege_db) as conn:  # read with sqlite3: the app would refuse the revision
        assert conn.execute("SELECT version FROM action WHERE code = 'ACT-002'").fetchone() == (1,)


async def test_the_keys_that_write_are_offered_on_a_writable_store(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_action("ACT-002")
        await settle(pilot)
        keys = {key.key: key for key in app.screen.query(FooterKey)}
        assert not any(keys[k].has_class("-disabled") for k in ("ctrl+s", "f8", "f9"))


async def test_a_damaged_store_offers_its_latest_backup_and_never_overwrites_without_asking(
    tmp_path: Path, ariege_db: Path
) -> None:
    from store.backup import backup_sqlite
    from tui.app import make_app

    backup_sqlite(ariege_db, "manuelle")
    damaged = b"garbage" * 500
    ariege_db.write_bytes(damaged)
    for suffix in ("-wal", "-shm"):
        Path(f"{ariege_db}{suffix}").unlink(missing_ok=True)

    app = make_app(ariege_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert "Restaurer" in str(app.screen.query_one("#yes", Button).label)
        await pilot.click("#no")
        await settle(pilot)
    assert app.return_code == 2
    assert ariege_db.read_bytes() == damaged

    app = make_app(ariege_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.click("#yes")
        await settle(pilot)
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert "80 actions" in str(app.screen.query_one("#dept-title", Static).render())


async def test_a_store_without_department_says_to_load_a_scheme(tmp_path: Path) -> None:
    from importers.setup_store import initialise
    from tests.tui.support import until
    from tui.app import make_app
    from tui.widgets.error_dialog import ErrorDialog

    empty = tmp_path / "vide.sqlite"
    initialise(empty, empty=True).store.dispose()
    app = make_app(empty, author="coordinatrice")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ErrorDialog))
        dialog = app.screen
        assert isinstance(dialog, ErrorDialog)
        assert dialog.message.startswith("La base ne contient aucun département : chargez-y un schéma")
