"""Texts of the store (titles, names, comments) are shown as typed: brackets are not markup. A title such as
« Projet [/] fin » (typed, imported from a workbook, or written on the regional server by any
department) stopped the app with a MarkupError on opening the action, and « [bleu] » vanished."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import select
from textual.widgets import DataTable, Select, Static

from store.actions import add_comment, load_actions, update_action
from store.database import open_store
from store.sync_reference import set_field
from store.tables import ORGANISATION
from tests.tui.support import AppFactory, settle
from tui.screens.action_detail import ActionDetailScreen
from tui.screens.actions import ActionsScreen

LEAD = "Association [/] des aidants [b]"
TITLE = "UAPED [bleu] [@click=app.quit]fin[/] [/b]"
COMMENT = "Vu avec [b]la PMI[/b] [/]"


def _rendered(widget: Any) -> str:
    return str(widget.render())


async def test_brackets_in_a_title_or_a_comment_are_shown_as_typed(
    app_factory: AppFactory, ariege_db: Path
) -> None:
    store = open_store(ariege_db)
    with store.writer.begin() as conn:
        organisation = conn.execute(
            select(ORGANISATION.c.code).order_by(ORGANISATION.c.code).limit(1)
        ).scalar_one()
        set_field(conn, "09", "organisation", organisation, "nom", LEAD, author="x", source="écran")
        before = load_actions(conn, "09", ["ACT-005"])["ACT-005"]  # late on the test's day
        update_action(
            conn, "09", before, replace(before, title=TITLE, lead=organisation), author="x", source="écran"
        )
        add_comment(
            conn, "09", replace(before, version=before.version + 1), COMMENT, author="x", source="écran"
        )
    store.dispose()
    app = app_factory()
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        late = app.screen.query_one("#late", DataTable)
        assert any(TITLE in str(cell) for row in range(late.row_count) for cell in late.get_row_at(row))
        await pilot.click("#status-a_lancer" if before.status == "a_lancer" else f"#status-{before.status}")
        await settle(pilot)
        assert isinstance(app.screen, ActionsScreen)
        table = app.screen.query_one("#actions-table", DataTable)
        while str(table.get_row_at(table.cursor_row)[0]) != "ACT-005":
            await pilot.press("down")
        await settle(pilot)
        assert TITLE in _rendered(app.screen.query_one("#action-detail", Static))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ActionDetailScreen)
        assert _rendered(app.screen.query_one("#action-title", Static)) == f"ACT-005 — {TITLE}"
        lead = app.screen.query_one("#lead", Select)  # its pilot chosen, among the organisations
        assert lead.value == organisation and (LEAD, organisation) in [(str(p), v) for p, v in lead._options]
        app.notify(f"Enregistrée : {TITLE}")  # notifications name records and files too
        await settle(pilot)
        assert [n.message for n in app._notifications] == [f"Enregistrée : {TITLE}"]
        assert app.is_running


async def test_brackets_in_the_schemes_and_territories_names_are_shown_as_typed(
    app_factory: AppFactory, ariege_db: Path
) -> None:
    """The scheme's tree, the workshop's choice of scope, the coverage matrix's bassins."""
    from textual.widgets import OptionList, Tree

    from tui.screens.resources import ResourcesScreen
    from tui.widgets.choice_dialog import ChoiceDialog

    engagement, challenge, place = "Prévention [/] [b]", "Dépistage [@click=app.quit]x[/]", "Couserans [/b]"
    store = open_store(ariege_db)
    with store.writer.begin() as conn:
        set_field(conn, "09", "engagement", "E1", "intitule", engagement, author="x", source="écran")
        set_field(conn, "09", "défi", "E1-D4", "intitule", challenge, author="x", source="écran")
        set_field(conn, "09", "territoire", "COUSERANS", "nom", place, author="x", source="écran")
    store.dispose()
    app = app_factory()
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        labels: list[str] = []
        nodes = [app.screen.query_one(Tree).root]
        while nodes:
            node = nodes.pop()
            labels.append(str(node.label))
            nodes.extend(node.children)
        assert any(label.endswith(engagement) for label in labels), labels
        assert any(label.endswith(challenge) for label in labels), labels
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceDialog)
        choices = app.screen.query_one("#choices", OptionList)
        prompts = [str(choices.get_option_at_index(i).prompt) for i in range(choices.option_count)]
        assert any(challenge in prompt for prompt in prompts), prompts
        await pilot.press("escape")
        await pilot.press("f6")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ResourcesScreen)
        screen.show_coverage()
        await settle(pilot)
        assert str(screen.query_one("#coverage-table", DataTable).get_row("COUSERANS")[0]).strip() == place
        assert app.is_running
