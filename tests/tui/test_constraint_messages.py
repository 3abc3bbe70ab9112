"""In the real app, a database constraint reaches the form as a French message under its field."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.widgets import Input, Static

from store.actions import load_actions
from store.database import open_store
from tests.tui.support import settle
from tui.app import SuiviStsApp
from tui.screens.action_detail import ActionDetailScreen
from tui.widgets.confirm_dialog import ConfirmDialog
from tui.widgets.error_dialog import ErrorDialog

AppFactory = Callable[..., SuiviStsApp]
DRIVER_WORDS = ("IntegrityError", "UNIQUE constraint", "constraint failed", "sqlite3", "Traceback")


def all_text(app: SuiviStsApp) -> str:
    """What every screen of the stack shows, and the rendered window (notifications included)."""
    texts = [str(widget.render()) for screen in app.screen_stack for widget in screen.query(Static)]
    return "\n".join([*texts, app.export_screenshot()])


async def test_typing_a_code_already_taken_shows_a_french_message_under_the_code(
    app_factory: AppFactory, ariege_db: Path
) -> None:
    store = open_store(ariege_db)
    with store.engine.connect() as conn:
        before = load_actions(conn, "09")
    store.dispose()
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_action(None)
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ActionDetailScreen)
        code = form.query_one("#code", Input)
        assert not code.disabled
        code.value = ""
        code.focus()
        await pilot.press(*"ACT-001")
        form.query_one("#title", Input).value = "Une action dont le code est déjà pris"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)  # no objective ticked: the form asks first
        app.screen.dismiss(True)
        await settle(pilot)
        under_code = str(form.query_one("#error-code", Static).render())
        assert under_code == "Le code « ACT-001 » est déjà utilisé par une autre action."
        assert app.screen is form and not any(isinstance(s, ErrorDialog) for s in app.screen_stack)
        shown = all_text(app)
        for word in DRIVER_WORDS:
            assert word not in shown
    store = open_store(ariege_db)
    with store.engine.connect() as conn:
        after = load_actions(conn, "09")
    store.dispose()
    assert after == before
