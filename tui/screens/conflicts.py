"""Conflits: the fields changed both here and on the regional server, settled one by one.

Each conflict shows my value, the server's, the one before, who changed each and when; `m`
keeps mine, `t` takes theirs, `v` types a third value (read by the field registry, as
`suivi-sts sync resolve --value` does). Settling writes the laptop only; the next publish sends it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Static

from tui.screens.base import BaseScreen
from tui.widgets.columns import Column
from tui.widgets.conflict_sides import ConflictSides
from tui.widgets.record_table import RecordTable

COLUMNS = [
    Column("record", "Fiche", 22, flex=True, min_width=12),
    Column("label", "Champ", 18, flex=True, min_width=10),
    Column("mine", "Ici", 24, flex=True, min_width=10),
    Column("theirs", "Serveur", 24, flex=True, min_width=10),
    Column("theirs_author", "Par (serveur)", 16, flex=True, min_width=13, priority=1),
]


class ConflictsScreen(BaseScreen):
    """The store's pending synchronisation conflicts, settled by keyboard."""

    TITLE = "Conflits"
    CSS_PATH = "conflicts.tcss"
    WRITE_ACTIONS = frozenset({"settle", "third_value"})
    BINDINGS = [
        Binding("m", "settle('mine')", "Garder la mienne", tooltip="Garder la valeur de ce poste"),
        Binding("t", "settle('theirs')", "Prendre la leur", tooltip="Prendre la valeur du serveur"),
        Binding("v", "third_value", "Autre valeur", tooltip="Saisir une troisième valeur"),
    ]

    @dataclass
    class Loaded(Message):
        conflicts: list[Any]
        synced: bool

    @dataclass
    class Settled(Message):
        sentence: str

    @dataclass
    class Refused(Message):
        sentence: str

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """m / t / v are offered only while there is a conflict to settle."""
        if (
            action in ("settle", "third_value")
            and self.is_mounted
            and not self.query_one("#conflicts-table", RecordTable).records
        ):
            return False
        return super().check_action(action, parameters)

    def compose_body(self) -> ComposeResult:
        yield Static("", id="conflicts-summary", classes="screen-title", markup=False)
        yield RecordTable(COLUMNS, self._cell, key=lambda c: str(c.id), id="conflicts-table")
        yield ConflictSides(id="conflict-sides")

    def on_mount(self) -> None:
        self.query_one("#conflicts-table", RecordTable).focus()
        self.refresh_data()

    def refresh_data(self) -> None:
        self.load()

    @work(thread=True, exit_on_error=False, exclusive=True, group="conflicts")
    def load(self) -> None:
        self.post_message(self.Loaded(self.service.conflicts(), self.service.ever_synced()))

    @on(Loaded)
    def show(self, message: Loaded) -> None:
        n = len(message.conflicts)
        self.query_one("#conflicts-summary", Static).update(
            f"{n} conflit{'s' if n > 1 else ''} de synchronisation à régler : "
            "m garde la valeur d'ici, t prend celle du serveur, v en saisit une autre ; "
            "publiez ensuite."
            if n
            else "Aucun conflit de synchronisation à régler."
        )
        self.query_one("#conflicts-table", RecordTable).records = message.conflicts
        if not message.conflicts:
            sides = self.query_one(ConflictSides)
            sides.synced = message.synced
            sides.conflict = None
        self.refresh_bindings()  # m / t / v: offered with conflicts only (`check_action`)

    def _cell(self, c: Any, key: str) -> str:
        if key == "record":
            return c.record
        if key == "theirs_author":
            return c.theirs_author or "inconnu"
        return str(getattr(c, key))

    @on(RecordTable.Highlighted, "#conflicts-table")
    def _show_sides(self, message: RecordTable.Highlighted) -> None:
        self.query_one(ConflictSides).conflict = message.record

    def _current(self) -> Any | None:
        conflict = self.query_one("#conflicts-table", RecordTable).highlighted_record
        if conflict is None:
            self.notify("Aucun conflit à régler.", severity="warning")
        return conflict

    def action_settle(self, choice: str) -> None:
        conflict = self._current()
        if conflict is not None and not self.refuse_if_read_only():
            self.settle(conflict, choice, None)

    def action_third_value(self) -> None:
        from tui.widgets.text_dialog import TextDialog

        conflict = self._current()
        if conflict is None or self.refuse_if_read_only():
            return

        def typed(text: str | None) -> None:
            if text is not None:
                self.settle(conflict, "value", text)

        self.app.push_screen(
            TextDialog(
                f"Autre valeur — {conflict.record}",
                f"Nouvelle valeur de « {conflict.label} » (ni celle d'ici, ni celle du serveur) :",
                value=conflict.mine if conflict.mine != "—" else "",
                required=False,
                check=lambda text: self.service.conflict_value_problem(conflict, text),
            ),
            typed,
        )

    @work(thread=True, exit_on_error=False, group="save")
    def settle(self, conflict: Any, choice: str, value: str | None) -> None:
        from store.errors import StoreError

        try:
            sentence = self.service.resolve_conflict(conflict.id, choice, value)
        except StoreError as exc:
            self.post_message(self.Refused(str(exc)))
            return
        self.post_message(self.Settled(sentence))

    @on(Settled)
    def _settled(self, message: Settled) -> None:
        self.notify(message.sentence, title="Conflit réglé")
        self.refresh_data()

    @on(Refused)
    def _refused(self, message: Refused) -> None:
        self.notify(message.sentence, title="Conflit non réglé", severity="error", timeout=10)
