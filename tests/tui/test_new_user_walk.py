"""What a new user's walk through every screen, at 80×24 and 120×40, found: the keys a screen
names do what it says, nothing a choice depends on is cut, typed letters are not lost."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from textual.coordinate import Coordinate
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select, Static

from exports.excel import export_ars
from store import actions as action_rules
from store.database import open_store
from store.views.action_list import SORT_COLUMNS
from tests.excel_fixtures import edit_workbook, set_cell
from tests.tui.support import AppFactory, settle, until
from tests.tui.test_unsaved_work import open_action
from tui.screens.actions import ActionsScreen
from tui.screens.form_base import UnsavedDialog
from tui.screens.import_screen import ImportScreen
from tui.screens.resources import ResourcesScreen
from tui.widgets.choice_dialog import ChoiceDialog
from tui.widgets.export_dialog import ExportDialog
from tui.widgets.help_dialog import HelpDialog


def conflicting_workbook(db: Path, folder: Path) -> Path:
    """An exchange workbook whose ACT-001 progress (70 %) was also changed in the store meanwhile
    (60 %): a true conflict, next to a plain change of ACT-002's weather."""
    store = open_store(db)
    try:
        path = folder / "echange.xlsx"
        export_ars(store, "09", path, author="coordinatrice")
        with store.writer.begin() as conn:
            current = action_rules.load_actions(conn, "09")["ACT-001"]
            action_rules.update_action(
                conn, "09", current, replace(current, progress=60), author="x", source="écran"
            )
    finally:
        store.dispose()

    def edit(book: object) -> None:
        set_cell(book, "Actions", "ACT-001", "Avancement (%)", 70)
        set_cell(book, "Actions", "ACT-002", "Météo", "Rouge")

    return edit_workbook(path, folder / "echange-modifie.xlsx", edit)


def import_rows(screen: ImportScreen) -> list[str]:
    table = screen.query_one("#import-table", DataTable)
    return [" | ".join(str(cell) for cell in table.get_row_at(i)) for i in range(table.row_count)]


async def preview(pilot: Pilot[int], workbook: Path) -> ImportScreen:
    """Ctrl+O, the workbook's path, Entrée: its preview."""
    app = pilot.app
    await settle(pilot)
    await pilot.press("ctrl+o")
    await until(pilot, lambda: isinstance(app.screen, ImportScreen))
    screen = app.screen
    assert isinstance(screen, ImportScreen)
    screen.query_one("#import-path", Input).value = str(workbook)
    await pilot.press("enter")
    await until(pilot, lambda: screen.preview is not None)
    await settle(pilot)
    return screen


async def test_import_preview_keys_named_by_the_summary_act_on_the_conflicts(
    app_factory: AppFactory, ariege_db: Path, tmp_path: Path
) -> None:
    """The summary says « Entrée, ou b / k pour tous »: Entrée switches the conflict (it read the
    workbook again, forgetting the choices made), k takes the workbook (it was typed into the path)."""
    workbook = conflicting_workbook(ariege_db, tmp_path)
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await preview(pilot, workbook)
        summary = str(screen.query_one("#import-summary", Static).render())
        assert "Entrée, ou b / k pour tous" in summary
        assert "à choisir (Entrée)" in import_rows(screen)[0]
        await pilot.press("enter")
        await settle(pilot)
        assert "garder la base" in import_rows(screen)[0]
        await pilot.press("k")
        await settle(pilot)
        assert screen.query_one("#import-path", Input).value == str(workbook)
        assert "prendre le classeur" in import_rows(screen)[0]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Import appliqué" in str(screen.query_one("#import-summary", Static).render())
    store = open_store(ariege_db)
    try:
        with store.engine.connect() as conn:
            after = action_rules.load_actions(conn, "09", ["ACT-001", "ACT-002"])
    finally:
        store.dispose()
    assert after["ACT-001"].progress == 70 and after["ACT-002"].weather == "rouge"


async def test_import_rows_are_shown_whole_under_the_table_at_80_columns(
    app_factory: AppFactory, ariege_db: Path, tmp_path: Path
) -> None:
    """At 80 columns the detail column showed « Avancement (%) : base « 60 % » » and no more: the
    workbook's value, the one to choose, was cut. The highlighted row is written whole below."""
    workbook = conflicting_workbook(ariege_db, tmp_path)
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await preview(pilot, workbook)
        detail = screen.query_one("#import-detail", Static)
        assert detail.region.height > 0
        assert "ACT-001" in str(detail.render())
        assert "base « 60 % » / classeur « 70 % » → à choisir (Entrée)" in str(detail.render())
        await pilot.press("down", "down")
        await pilot.pause()
        assert "ACT-002" in str(detail.render()) and "Météo : (vide) → Rouge" in str(detail.render())


async def test_arrows_typed_in_a_choice_list_filter_move_the_highlight(app_factory: AppFactory) -> None:
    """« Trier par » (t): ↓ ↓ ↓ then Entrée sorted by Code, the first line, whatever the arrows
    pointed at (they did nothing in the filter box, which has the focus); the same list picks a
    workshop's scope or a saved filter."""
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await until(pilot, lambda: isinstance(app.screen, ActionsScreen))
        await settle(pilot)
        actions = app.screen
        assert isinstance(actions, ActionsScreen)
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, ChoiceDialog))
        await pilot.press("down", "down", "down", "up", "down", "enter")
        await settle(pilot)
        assert actions.criteria.sort == list(SORT_COLUMNS)[3]  # Pilote
        assert not isinstance(app.screen, ChoiceDialog)


async def test_a_word_typed_on_the_resource_list_keeps_its_first_letter(app_factory: AppFactory) -> None:
    """« plateforme » typed on the list searched « lateforme »: p, a key of the coverage matrix
    (public ↔ type) not shown on the list, turned the hidden matrix instead. On the matrix, p
    still turns it."""
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f6")
        await until(pilot, lambda: isinstance(app.screen, ResourcesScreen))
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ResourcesScreen)
        await pilot.press(*"plateforme")
        await settle(pilot)
        assert screen.query_one("#resource-search", Input).value == "plateforme"
        assert screen.axis == "public"
        await pilot.press("down", "c")  # to the results, then the matrix
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        assert screen.axis == "type"


async def test_on_the_coverage_matrix_m_closes_no_resource_out_of_sight(app_factory: AppFactory) -> None:
    """The matrix offered « m Fermer la ressource » and m asked to close the resource highlighted
    in the hidden list: m is offered on the list only, where the resource is seen."""
    from tui.widgets.confirm_dialog import ConfirmDialog

    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f6")
        await until(pilot, lambda: isinstance(app.screen, ResourcesScreen))
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ResourcesScreen)
        assert "m" in screen.active_bindings  # on the list
        await pilot.press("c")
        await settle(pilot)
        assert "m" not in screen.active_bindings
        await pilot.press("m")
        await settle(pilot)
        assert app.screen is screen and not isinstance(app.screen, ConfirmDialog)


async def test_save_then_quit_that_cannot_save_says_so_at_once_and_quits_no_later(
    app_factory: AppFactory,
) -> None:
    """Ctrl+Q, « Enregistrer puis quitter » with an unreadable date: the form says what to fix,
    and so does the app at once (« corrigez la fiche, Ctrl+S, puis Ctrl+Q »). Before, that came
    5 s later, over whatever screen was shown by then, and a Ctrl+S (or leaving the form) made
    within those 5 s quit the app."""
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_action(pilot, "ACT-002")
        form.query_one("#due_date", Input).value = "32/13/2025"
        await pilot.press("ctrl+q")
        await until(pilot, lambda: isinstance(app.screen, UnsavedDialog))
        await pilot.click("#save")
        await pilot.pause(0.6)
        said = [n.message for n in app._notifications]
        assert any("corrigez la fiche, Ctrl+S, puis Ctrl+Q" in message for message in said)
        form.query_one("#due_date", Input).value = "31/12/2026"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not form.is_dirty()
        await pilot.pause(0.5)
        assert app.is_running and app.screen is form


async def test_save_then_quit_waits_for_the_question_the_save_asks(
    app_factory: AppFactory, ariege_db: Path
) -> None:
    """« Reportée » needs a comment: « Enregistrer puis quitter » asks it, and however long the
    answer takes, the app saves then quits."""
    from tests.tui.support import stored
    from tui.widgets.text_dialog import TextDialog

    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_action(pilot, "ACT-002")
        form.query_one("#status", Select).value = "reportee"
        await pilot.press("ctrl+q")
        await until(pilot, lambda: isinstance(app.screen, UnsavedDialog))
        await pilot.click("#save")
        await until(pilot, lambda: isinstance(app.screen, TextDialog))
        await pilot.pause(0.8)
        assert not any("Tout n'a pas pu" in n.message for n in app._notifications)
        await pilot.press(*"budget", "enter")
        await until(pilot, lambda: not app.is_running)
    assert stored(ariege_db, "ACT-002")[0].status == "reportee"


async def test_escape_on_a_dirty_form_asks_about_closing_the_form_not_quitting(
    app_factory: AppFactory,
) -> None:
    """Échap on a form with changes asked « Quitter sans enregistrer ? » with « Enregistrer puis
    quitter »: in front of a room, one fears for the app. It is the form that closes."""
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_action(pilot, "ACT-002")
        form.query_one("#title", Input).value = "Titre modifié"
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, UnsavedDialog))
        texts = [str(w.render()) for w in app.screen.query("Static, Button")]
        assert "Fermer la fiche sans enregistrer ?" in texts
        assert "Enregistrer puis fermer" in texts and "Fermer sans enregistrer" in texts
        assert not any("uitter" in text for text in texts)
        await pilot.click("#discard")
        await pilot.pause(0.2)
        assert app.is_running and form not in app.screen_stack
        await pilot.press("ctrl+q")  # nothing unsaved left: quits at once
        await pilot.pause(0.2)
        assert not app.is_running


async def test_help_of_a_form_lists_escape_back(app_factory: AppFactory) -> None:
    """F1 on an action listed Ctrl+S, F8, F9… but not Échap (Retour), the key shown first in the
    footer: it comes from the forms' common screen."""
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_action(pilot, "ACT-002")
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(app.screen, HelpDialog))
        table = app.screen.query_one("#help-keys", DataTable)
        rows = [tuple(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]
        assert ("Échap", "Retour", "Cet écran") in rows
        assert ("Ctrl+S", "Enregistrer", "Cet écran") in rows
        assert not any(row[0] == "Tab" for row in rows)


async def test_a_finished_export_says_exported(app_factory: AppFactory, tmp_path: Path) -> None:
    """The notice of a finished export began « 80 actions, 0 indicateurs… » (or « compte rendu
    de l'atelier… »), no word saying it was done: it says « Exporté : … », like the command line."""
    workbook = tmp_path / "echange.xlsx"
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+e")
        await until(pilot, lambda: isinstance(app.screen, ExportDialog))
        app.screen.query_one("#path", Input).value = str(workbook)
        await pilot.click("#ok")
        await until(pilot, lambda: any(str(workbook) in n.message for n in app._notifications))
        (notice,) = [n.message for n in app._notifications if n.message.endswith(str(workbook))]
        assert notice.startswith("Exporté : 80 actions")
    assert workbook.is_file()


async def test_escape_in_the_search_box_clears_the_search_then_goes_back_to_the_list(
    app_factory: AppFactory,
) -> None:
    """A letter typed by mistake on the list starts a search (« c » : 0 action en retard…);
    Échap did nothing there. Now it clears the search, and a second Échap goes back to the list."""
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await until(pilot, lambda: isinstance(app.screen, ActionsScreen))
        await settle(pilot)
        screen = app.screen
        box = screen.query_one("#search", Input)
        await pilot.press(*"zzz")
        await settle(pilot)
        assert box.value == "zzz" and screen.focused is box
        assert str(screen.query_one("#count", Static).render()).startswith("0 action(s)")
        await pilot.press("escape")
        await settle(pilot)
        assert box.value == "" and screen.focused is box
        assert str(screen.query_one("#count", Static).render()).startswith("80 action(s)")
        await pilot.press("escape")
        await pilot.pause()
        assert screen.focused is screen.query_one("#actions-table")
        assert isinstance(app.screen, ActionsScreen)


async def test_enter_in_the_new_indicator_dialog_creates_it_or_says_why(app_factory: AppFactory) -> None:
    """Ctrl+G (Nouvel indicateur), a label, Entrée: nothing happened (only a click on Créer
    worked, or Tab to it); no word either for a missing label or a target typed in words."""
    from tui.widgets.indicator_dialog import IndicatorDialog

    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_action(pilot, "ACT-002")
        await pilot.press("ctrl+g")
        await until(pilot, lambda: isinstance(app.screen, IndicatorDialog))
        dialog = app.screen
        await pilot.press("enter")  # no label yet
        await pilot.pause(0.2)
        error = dialog.query_one("#error", Static)
        assert str(error.render()) == "L'intitulé est obligatoire."
        await pilot.press(*"Comités réunis")
        dialog.query_one("#ind-target", Input).value = "dix"
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert str(error.render()) == "Cible : « dix » — un nombre est attendu (par exemple 1 234,5)."
        assert dialog.focused is dialog.query_one("#ind-target", Input)
        assert error.region.area > 0 and dialog.query_one(".dialog-box").region.contains_region(error.region)
        dialog.query_one("#ind-target", Input).value = "12"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is form
        assert any("Indicateur" in n.message and "créé" in n.message for n in app._notifications)


async def test_enter_in_the_resource_search_opens_the_first_found(app_factory: AppFactory) -> None:
    """On Actions, a search then Entrée opens the first action found; on Ressources, Entrée in
    the search box did nothing."""
    from tui.screens.resource_form import ResourceFormScreen

    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f6")
        await until(pilot, lambda: isinstance(app.screen, ResourcesScreen))
        await settle(pilot)
        await pilot.press(*"plateforme", "enter")
        await until(pilot, lambda: isinstance(app.screen, ResourceFormScreen))
        form = app.screen
        assert isinstance(form, ResourceFormScreen) and form.code == "RES-PFR"


async def test_the_action_detail_line_has_no_lone_dash_for_an_unknown_progress(
    app_factory: AppFactory,
) -> None:
    """Under the list, an action without progress read « … · non renseigné · — · Ariège … »: a
    dash alone, naming nothing. A known progress stays (« 100 % »), as in the Atelier."""
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await until(pilot, lambda: isinstance(app.screen, ActionsScreen))
        await settle(pilot)
        screen = app.screen
        table = screen.query_one("#actions-table", DataTable)
        detail = screen.query_one("#action-detail", Static)
        lines = {}
        for row in range(table.row_count):
            table.move_cursor(row=row)
            await pilot.pause()
            lines[str(detail.render()).split(" — ")[0]] = " ".join(str(detail.render()).split())
        assert not any(" · — · " in line or line.endswith(" · —") for line in lines.values())
        assert any(" · 100 % · " in line for line in lines.values())


async def test_a_refusal_in_a_text_dialog_goes_once_the_field_is_corrected(app_factory: AppFactory) -> None:
    """Entrée on an empty name (« Enregistrer le filtre ») says « Ce champ est obligatoire. »;
    the message stayed under the name typed afterwards, as if that name were refused too."""
    from tui.widgets.text_dialog import TextDialog

    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.push_screen(TextDialog("Enregistrer le filtre", "Nom du filtre"))
        await until(pilot, lambda: isinstance(app.screen, TextDialog))
        dialog = app.screen
        await pilot.press("enter")
        await pilot.pause()
        error = dialog.query_one("#error", Static)
        assert str(error.render()) == "Ce champ est obligatoire."
        await pilot.press(*"Mon filtre")
        await pilot.pause()
        assert str(error.render()) == ""


async def test_a_record_whose_only_change_is_a_conflict_says_so(
    app_factory: AppFactory, ariege_db: Path, tmp_path: Path
) -> None:
    """The preview listed « Modifié  ACT-001 … » with an empty detail: its only change is the
    conflict listed above it."""
    workbook = conflicting_workbook(ariege_db, tmp_path)
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await preview(pilot, workbook)
        changed = [row for row in import_rows(screen) if row.startswith("Modifié | ACT-001")]
        assert changed == [
            "Modifié | ACT-001 Comités de pilotage départementaux de prévention (Mois sans tabac, "
            "vaccination, SISM, vie affective et sexuelle) | Avancement (%) : selon le conflit ci-dessus"
        ]


async def test_ctrl_q_over_a_dialog_says_what_to_do(app_factory: AppFactory) -> None:
    """Ctrl+Q while a dialog is open (F8, a comment half typed) did nothing at all, not a word.
    It does not quit (what is typed there would be lost unasked) but says what to do."""
    from tui.widgets.status_dialog import StatusDialog

    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_action(pilot, "ACT-002")
        await pilot.press("f8")
        await until(pilot, lambda: isinstance(app.screen, StatusDialog))
        await pilot.press("ctrl+q")
        await pilot.pause(0.2)
        assert app.is_running and isinstance(app.screen, StatusDialog)
        assert any("Échap pour la fermer, puis Ctrl+Q" in n.message for n in app._notifications)
        await pilot.press("escape")
        await pilot.pause(0.2)
        await pilot.press("ctrl+q")
        await pilot.pause(0.3)
        assert not app.is_running


async def test_arrows_on_the_care_offer_go_through_its_lines(app_factory: AppFactory) -> None:
    """F7 then ↓: the check box above the table had the focus, the arrows did nothing and the
    line under the table kept telling the first row."""
    from tui.screens.care_offer import CareOfferScreen

    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f7")
        await until(pilot, lambda: isinstance(app.screen, CareOfferScreen))
        await settle(pilot)
        screen = app.screen
        detail = screen.query_one("#care-detail", Static)
        first = str(detail.render())
        await pilot.press("down", "down")
        await pilot.pause()
        assert screen.query_one("#care-table", DataTable).cursor_row == 2
        assert str(detail.render()) != first


async def test_the_resource_list_takes_the_keys_when_it_opens(app_factory: AppFactory) -> None:
    """F6 then ↓ ↓ Entrée: the tabs (Liste, Couverture) had the focus, so nothing moved and
    nothing opened; on Actions the same keys open the third action."""
    from tui.screens.resource_form import ResourceFormScreen

    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f6")
        await until(pilot, lambda: isinstance(app.screen, ResourcesScreen))
        await settle(pilot)
        table = app.screen.query_one("#resource-table", DataTable)
        third = table.coordinate_to_cell_key(Coordinate(2, 0)).row_key.value
        await pilot.press("down", "down", "enter")
        await until(pilot, lambda: isinstance(app.screen, ResourceFormScreen))
        assert isinstance(app.screen, ResourceFormScreen) and app.screen.code == third


async def test_f8_f9_are_greyed_on_a_new_action(app_factory: AppFactory) -> None:
    """n (Nouvelle action): the footer offered F8 Statut and F9 Commenter, which did nothing
    (nothing to change before the first Ctrl+S). They are greyed there, offered on a saved one."""
    from tui.screens.action_detail import ActionDetailScreen

    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.open_action(None)
        await until(pilot, lambda: isinstance(app.screen, ActionDetailScreen) and app.screen.loaded)
        await settle(pilot)
        new = app.screen
        assert not new.active_bindings["f8"].enabled and not new.active_bindings["f9"].enabled
        assert new.active_bindings["ctrl+s"].enabled
        await pilot.press("escape")
        form = await open_action(pilot, "ACT-002")
        assert form.active_bindings["f8"].enabled and form.active_bindings["f9"].enabled


async def test_a_long_title_gone_through_with_tab_is_shown_from_its_start(app_factory: AppFactory) -> None:
    """At 80 columns, Tab through the title of ACT-001 (longer than its field) left it showing
    its end, « ntion (Mois sans tabac, … » — as if the first words had been erased."""
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_action(pilot, "ACT-001")
        title = form.query_one("#title", Input)
        assert len(title.value) > title.content_region.width
        form.query_one("#progress", Input).focus()  # (the form opens with the title focused)
        await pilot.pause()
        title.focus()
        await pilot.pause()
        assert title.scroll_offset.x > 0  # focused: the whole title selected, its end shown
        form.query_one("#progress", Input).focus()
        await pilot.pause(0.2)
        assert title.scroll_offset.x == 0
        assert not form.is_dirty()


async def test_save_then_close_that_cannot_save_does_not_close_at_a_later_save(
    app_factory: AppFactory,
) -> None:
    """Échap, « Enregistrer puis fermer » with an unreadable date: the form stays, says what to
    fix, and forgets the wish to close: the user's own Ctrl+S later saves and stays. Before, the
    wish stayed set, and that later Ctrl+S closed the form."""
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_action(pilot, "ACT-002")
        form.query_one("#due_date", Input).value = "32/13/2025"
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, UnsavedDialog))
        await pilot.click("#save")
        await settle(pilot)
        assert app.screen is form and form.is_dirty()
        form.query_one("#due_date", Input).value = "31/12/2026"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not form.is_dirty()
        assert app.screen is form


async def test_import_footer_offers_b_and_k_only_with_conflicts_to_settle(
    app_factory: AppFactory, ariege_db: Path, tmp_path: Path
) -> None:
    """b / k (every conflict one way) were offered in the footer of a preview without any
    conflict, and did nothing: they are offered when the preview has conflicts."""

    def offered(screen: ImportScreen) -> set[str]:
        return {
            key for key, active in screen.active_bindings.items() if active.binding.action.startswith("all")
        }

    store = open_store(ariege_db)
    try:
        exported = tmp_path / "export.xlsx"
        export_ars(store, "09", exported, author="coordinatrice")
    finally:
        store.dispose()
    changed = edit_workbook(
        exported, tmp_path / "meteo.xlsx", lambda book: set_cell(book, "Actions", "ACT-002", "Météo", "Rouge")
    )
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await preview(pilot, changed)
        assert screen.preview.changed and not screen.preview.conflicts
        assert screen.focused is screen.query_one("#import-table") and offered(screen) == set()
        await pilot.press("escape")
        await settle(pilot)
        screen = await preview(pilot, conflicting_workbook(ariege_db, tmp_path))
        assert screen.preview.conflicts and offered(screen) == {"b", "k"}


async def test_ctrl_k_on_the_action_form_opens_the_conflicts_and_keeps_what_was_typed(
    app_factory: AppFactory,
) -> None:
    """Ctrl+K opens « Conflits » everywhere, but on the action screen it created an indicator
    (and, in a field, erased the end of the line): there it opens the conflicts too, the field
    typed in kept; the new indicator is Ctrl+G."""
    from tui.screens.conflicts import ConflictsScreen
    from tui.widgets.indicator_dialog import IndicatorDialog

    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_action(pilot, "ACT-002")
        title = form.query_one("#title", Input)
        title.focus()
        title.cursor_position = 0
        await pilot.pause()
        typed, back = title.value, {"dashboard": "f2", "actions": "f4"}[app.current_mode]
        await pilot.press("ctrl+k")
        await until(pilot, lambda: isinstance(app.screen, ConflictsScreen))
        assert title.value == typed
        await pilot.press(back)
        await until(pilot, lambda: app.screen is form)
        assert title.value == typed
        await pilot.press("ctrl+g")
        await until(pilot, lambda: isinstance(app.screen, IndicatorDialog))


async def test_an_action_opened_at_80x24_shows_its_code_and_title_at_the_top(app_factory: AppFactory) -> None:
    """Entrée on the Actions list opened the form scrolled below Code and Intitulé (the status had
    the focus). Now the view starts at the top, the focus on the title shown from its start and
    not selected (a key typed at once adds to it, replaces nothing); Tab back to it selects it."""
    from textual.widgets.input import Selection

    from tui.screens.action_detail import ActionDetailScreen
    from tui.widgets.record_form import RecordForm

    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await until(pilot, lambda: isinstance(app.screen, ActionsScreen))
        await settle(pilot)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ActionDetailScreen) and app.screen.loaded)
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ActionDetailScreen)
        body = form.query_one(RecordForm)
        assert body.scroll_y == 0
        shown = body.content_region
        code, title = form.query_one("#code", Input), form.query_one("#title", Input)
        assert shown.contains_region(code.region) and shown.contains_region(title.region)
        assert form.focused is title and title.selection.is_empty and title.scroll_offset.x == 0
        await pilot.press("tab", "shift+tab")
        await pilot.pause()
        assert form.focused is title and title.selection == Selection(0, len(title.value))
        assert not form.is_dirty()


async def test_a_resize_keeps_the_cursor_on_its_row_so_the_next_key_acts_on_it(
    app_factory: AppFactory,
) -> None:
    """In the Atelier, the cursor on ACT-006, the terminal resized (80×24 → 120×40): the cursor
    went back to the first row, and a status key typed then changed ACT-004. Any list alike."""
    from tests.tui.test_workshop import open_session
    from tui.widgets.record_table import RecordTable

    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_session(pilot)
        table = screen.query_one("#workshop-table", RecordTable)
        await pilot.press("down", "down")
        await settle(pilot)
        assert table.highlighted_key == "ACT-006"
        await pilot.resize_terminal(120, 40)
        await settle(pilot)
        assert table.highlighted_key == "ACT-006"
        await pilot.press("v")
        await settle(pilot)
        assert screen.actions["ACT-006"].weather == "vert" and screen.actions["ACT-004"].weather is None
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert table.highlighted_key == "ACT-006"


async def _new_indicator(pilot: Pilot[int], code: str) -> None:
    """The action `code` opened, an indicator « Fumeurs accompagnés » created (Ctrl+G)."""
    from tui.widgets.indicator_dialog import IndicatorDialog

    app = pilot.app
    await open_action(pilot, code)
    await pilot.press("ctrl+g")
    await until(pilot, lambda: isinstance(app.screen, IndicatorDialog))
    await pilot.press(*"Fumeurs accompagnés", "enter")
    await until(pilot, lambda: not isinstance(app.screen, IndicatorDialog))
    await settle(pilot)


async def test_a_period_typed_as_a_french_month_is_read(app_factory: AppFactory) -> None:
    """Ctrl+N, « mars 2024 »: refused (« une période est attendue (… 2024-03) »), though the
    action's dates take « mai 2023 ». Read as 2024-03, the value is asked next."""
    from tui.widgets.text_dialog import TextDialog

    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await _new_indicator(pilot, "ACT-002")
        await pilot.press("ctrl+n")
        await until(pilot, lambda: isinstance(app.screen, TextDialog))
        await pilot.press(*"mars 2024", "enter")
        await until(pilot, lambda: isinstance(app.screen, TextDialog) and "Valeur" in app.screen.title_text)
        dialog = app.screen
        assert isinstance(dialog, TextDialog) and "2024-03" in dialog.prompt


async def test_the_indicator_summary_writes_its_periodicity_in_the_sentence(app_factory: AppFactory) -> None:
    """« Fumeurs accompagnés — sans unité, Mensuelle ; initiale — »: the capital in the middle of the
    sentence."""
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await _new_indicator(pilot, "ACT-002")
        info = str(app.screen.query_one("#ind-info", Static).render())
        assert "sans unité, mensuelle ; initiale" in info


async def test_the_help_lists_the_keys_the_screen_offers_now(app_factory: AppFactory) -> None:
    """F1 on the coverage matrix listed « m Fermer la ressource », a key the matrix does not offer
    (it acts on the list); on the list, « p Public/type » (a letter of the search there)."""
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for keys, shown, hidden in ((["f6"], "m", "p"), (["c"], "p", "m")):
            await pilot.press(*keys)
            await settle(pilot)
            await pilot.press("f1")
            await settle(pilot)
            dialog = app.screen
            assert isinstance(dialog, HelpDialog)
            listed = {key for key, _action, where in dialog._rows() if where == "Cet écran"}
            assert shown in listed and hidden not in listed, keys
            await pilot.press("escape")
            await settle(pilot)
