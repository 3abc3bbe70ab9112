"""Snapshots guarding the layout of every main screen and every dialog, at 80×24 and 120×40
(pytest-textual-snapshot).

Deterministic: the app's day is fixed (conftest TODAY), and so are the day and the documents
folder the export dialog names its file after. Update them after an intended change with
`pytest tests/tui/test_snapshots.py --snapshot-update`, then look at the SVGs (nothing cut).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from textual.coordinate import Coordinate
from textual.widgets import DataTable

from tui.app import SuiviStsApp
from tui.widgets.confirm_dialog import ConfirmDialog
from tui.widgets.conflict_dialog import ConflictDialog
from tui.widgets.error_dialog import ErrorDialog

AppFactory = Callable[..., SuiviStsApp]

#: A step before the snapshot: a key to press, or something done to the app.
Step = str | Callable[[SuiviStsApp], object]

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}


class FixedDatetime(datetime):
    """The export dialog's "now": the file name it proposes carries the day."""

    @classmethod
    def now(cls, tz: Any = None) -> FixedDatetime:
        return cls(2024, 3, 1, 10, 0, tzinfo=tz)


@pytest.fixture(autouse=True)
def fixed_export_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tui.widgets.export_dialog.datetime", FixedDatetime)
    monkeypatch.setattr(
        "tui.widgets.export_dialog.default_folder", lambda: Path("/home/coordinatrice/Documents")
    )


async def _loaded(pilot: Any) -> None:
    """Wait until the screen has settled: no worker running, no form still waiting for its record,
    and two screenshots 0.2 s apart alike (a loaded machine may take several rounds)."""
    from textual.widgets import Input, TextArea

    from tui.widgets.record_form import RecordForm

    previous = None
    for _ in range(100):
        for box in pilot.app.screen.query("Input, TextArea"):  # a blinking cursor is no layout
            if isinstance(box, Input | TextArea):
                box.cursor_blink = False
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.2)
        loading = any(form.disabled for form in pilot.app.screen.query(RecordForm))
        running = any(not worker.is_finished for worker in pilot.app.workers)
        shown = pilot.app.export_screenshot()
        if not loading and not running and shown == previous:
            return
        previous = shown


def _steps(*steps: Step) -> Callable[[Any], Awaitable[None]]:
    async def run_before(pilot: Any) -> None:
        await _loaded(pilot)
        for step in steps:
            if isinstance(step, str):
                await pilot.press(step)
            else:
                step(pilot.app)
            await _loaded(pilot)

    return run_before


def open_action(code: str) -> Step:
    return lambda app: app.open_action(code)


def open_first_resource(app: SuiviStsApp) -> None:
    from tui.screens.resource_form import ResourceFormScreen

    table = app.screen.query_one("#resource-table", DataTable)
    row_key = table.coordinate_to_cell_key(Coordinate(0, 0)).row_key
    app.push_screen(ResourceFormScreen(str(row_key.value)))


def push(make: Callable[[], Any]) -> Step:
    return lambda app: app.push_screen(make())


def show_tab(tab: str) -> Step:
    """A tab of the action screen (Journal, Indicateurs), as a click on its title would."""
    from tests.tui.support import show_tab as show_on

    def show(app: SuiviStsApp) -> None:
        show_on(app.screen, tab)

    return show


def fixed_journal(app: SuiviStsApp) -> None:
    """Journal lines of fixed dates and authors (the store's own carry the test run's clock)."""
    from store.journal import JournalLine
    from tui.widgets.journal_table import JournalView

    def line(minute: int, kind: str, what: str, old: str, new: str, comment: str | None) -> JournalLine:
        field = None if kind != "modification" else what
        at = datetime(2024, 2, 12, 9, minute)  # noqa: DTZ001 (local time: the same clock on any machine)
        return JournalLine(
            "ACT-009", "Autorisation d'un 2e scanner au CHIVA", at,
            "coordinatrice", kind, field, old, new, "Atelier n°1", comment, what, old, new,
        )  # fmt: skip

    app.screen.query_one(JournalView).lines = [
        line(0, "creation", "Création", "", "", None),
        line(5, "modification", "Statut", "À lancer", "Réalisée", "Scanner installé et autorisé par l'ARS"),
        line(6, "modification", "Avancement (%)", "40 %", "100 %", None),
        line(9, "commentaire", "Commentaire", "", "", "Point fait en atelier avec le GHT : " * 4),
    ]


def unsaved() -> Any:
    from tui.screens.form_base import UnsavedDialog

    return UnsavedDialog("l'action ACT-002")


CONFLICT_ROWS = [
    ("Avancement", "60 %", "50 %"),
    ("Échéance", "30/06/2024", "31/05/2024"),
    ("Pilote", "Coordinatrice CPTS", "Délégation départementale"),
]

ERROR = (
    "La base est verrouillée par une autre copie de Suivi STS (écriture en cours). "
    "Réessayez dans quelques secondes ; rien n'a été perdu."
)

CASES: dict[str, tuple[Step, ...]] = {
    # main screens
    "dashboard": (),
    "scheme": ("f3", "down", "down", "down"),
    "actions": ("f4",),
    "workshop": ("f5",),
    "resources": ("f6",),
    "coverage": ("f6", "c"),
    "care_offer": ("f7",),
    "action_form": (open_action("ACT-002"),),
    "resource_form": ("f6", open_first_resource),
    "action_journal": (open_action("ACT-009"), show_tab("tab-journal"), fixed_journal),
    "action_indicators": (open_action("ACT-009"), show_tab("tab-indicators")),
    "import": ("ctrl+o",),
    # dialogs
    "help": ("f4", "f1"),
    "export": ("ctrl+e", "down", "enter"),
    "confirm": (push(lambda: ConfirmDialog("Marquer la ressource comme fermée ?", confirm="Fermer")),),
    "text": (open_action("ACT-002"), "f9"),
    "choice": ("f4", "t"),
    "status": (open_action("ACT-002"), "f8"),
    "conflict": (push(lambda: ConflictDialog("Conflit sur l'action ACT-002", CONFLICT_ROWS)),),
    "unsaved": (push(unsaved),),
    "error": (push(lambda: ErrorDialog(ERROR)),),
    "indicator": (open_action("ACT-009"), "ctrl+g"),
}


@pytest.mark.parametrize(
    ("steps", "size"),
    [
        pytest.param(steps, size, id=f"{name}-{size_name}")
        for name, steps in CASES.items()
        for size_name, size in SIZES.items()
    ],
)
def test_layout(
    snap_compare: Any, app_factory: AppFactory, steps: tuple[Step, ...], size: tuple[int, int]
) -> None:
    assert snap_compare(app_factory(), run_before=_steps(*steps), terminal_size=size)


def test_fixed_day_for_the_export_name() -> None:
    from tui.widgets.export_dialog import default_name

    assert default_name("cts", "09") == f"suivi-sts-09-cts-{date(2024, 3, 1).isoformat()}.xlsx"
