"""The checklist: marks and cursor visible without colour, Space ticks, a count line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.app import App, ComposeResult

from store.actions import load_actions
from store.database import open_store
from tui.app import SuiviStsApp
from tui.screens.action_detail import ActionDetailScreen
from tui.widgets.checklist import CHECKED, CURSOR, UNCHECKED, Checklist
from tui.widgets.confirm_dialog import ConfirmDialog

TERRITORIES = [("Ariège", "09"), ("Couserans", "COU"), ("Pamiers", "PAM"), ("Foix", "FOI")]


class ChecklistApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Checklist(noun="territoire", id="territories")

    def on_mount(self) -> None:
        checklist = self.query_one(Checklist)
        checklist.add_options([(label, code, code in {"09", "PAM"}) for label, code in TERRITORIES])
        checklist.focus()


def lines(app: App[None]) -> list[str]:
    checklist = app.query_one(Checklist)
    return [checklist.render_line(y).text for y in range(len(TERRITORIES))]


async def test_marks_cursor_and_count_are_drawn_as_text() -> None:
    app = ChecklistApp()
    async with app.run_test(size=(60, 12)) as pilot:
        await pilot.pause()
        checklist = app.query_one(Checklist)
        assert checklist.highlighted == 0
        shown = lines(app)
        assert shown[0].startswith(f"{CURSOR} {CHECKED} Ariège")
        assert shown[1].startswith(f"  {UNCHECKED} Couserans")
        assert shown[2].startswith(f"  {CHECKED} Pamiers")
        assert checklist.border_subtitle == "2 territoires cochés sur 4"


async def test_space_toggles_the_line_under_the_cursor_and_the_count_follows() -> None:
    app = ChecklistApp()
    async with app.run_test(size=(60, 12)) as pilot:
        await pilot.pause()
        checklist = app.query_one(Checklist)
        await pilot.press("down", "space")
        await pilot.pause()
        assert set(checklist.selected) == {"09", "COU", "PAM"}
        assert lines(app)[1].startswith(f"{CURSOR} {CHECKED} Couserans")
        assert checklist.border_subtitle == "3 territoires cochés sur 4"
        await pilot.press("up", "space", "down", "space", "down", "space")
        await pilot.pause()
        assert checklist.selected == []
        assert checklist.border_subtitle == "0 territoire coché sur 4"
        await pilot.press("space")
        await pilot.pause()
        assert checklist.border_subtitle == "1 territoire coché sur 4"


async def test_the_count_line_is_on_screen() -> None:
    app = ChecklistApp()
    async with app.run_test(size=(60, 12)) as pilot:
        await pilot.pause()
        assert "2 territoires cochés sur 4" in app.export_screenshot().replace("&#160;", " ")


async def test_saving_an_action_with_no_territory_asks_first(
    app_factory: Callable[..., SuiviStsApp], ariege_db: Path
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(3):
            await pilot.pause(0.05)
            await app.workers.wait_for_complete()
        app.open_action("ACT-002")
        for _ in range(3):
            await pilot.pause(0.05)
            await app.workers.wait_for_complete()
        form = app.screen
        assert isinstance(form, ActionDetailScreen)
        form.query_one("#territories", Checklist).deselect_all()
        await pilot.press("ctrl+s")
        await pilot.pause(0.3)
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog) and "aucun territoire" in dialog.question
        await pilot.click("#no")  # back to the form: nothing saved
        await pilot.pause(0.3)
        assert app.screen is form
        assert isinstance(form, ActionDetailScreen) and form.is_dirty()
    store = open_store(ariege_db)
    try:
        with store.engine.connect() as conn:
            assert load_actions(conn, "09", ["ACT-002"])["ACT-002"].territories != ()
    finally:
        store.dispose()
