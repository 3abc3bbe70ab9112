"""Quick status change with a comment (required for Reportée and Abandonnée)."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Select, Static

from store.vocab import STATUSES_NEEDING_COMMENT, ActionStatus
from tui.widgets.dialog_base import Dialog


@dataclass(frozen=True)
class StatusChange:
    status: str
    comment: str | None


class StatusDialog(Dialog[StatusChange | None]):
    """Choose the new status of an action and say why."""

    def __init__(
        self,
        action_label: str,
        current: str,
        *,
        status: str | None = None,
        comment: str = "",
        note: str = "",
    ) -> None:
        """`status` and `comment` fill the dialog (a change shown again after its save failed,
        with `note` saying why)."""
        super().__init__()
        self.action_label = action_label
        self.current = current
        self.initial = status or current
        self.comment = comment
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(f"Changer le statut — {self.action_label}", classes="dialog-title", markup=False)
            with VerticalScroll(classes="dialog-body"):
                yield Label("Nouveau statut")
                yield Select(
                    [(s.label, s.value) for s in ActionStatus],
                    value=self.initial,
                    allow_blank=False,
                    id="status",
                )
                yield Label("Commentaire")
                yield Input(self.comment, placeholder="Pourquoi ce changement ?", id="comment")
                yield Static(self.note, classes="field-error", id="error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Annuler", id="cancel")
                yield Button("Enregistrer", variant="primary", id="ok")

    def on_mount(self) -> None:
        self.query_one("#comment" if self.initial != self.current else "#status").focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def submit(self) -> None:
        status = str(self.query_one("#status", Select).value)
        comment = self.query_one("#comment", Input).value.strip() or None
        if ActionStatus(status) in STATUSES_NEEDING_COMMENT and not comment:
            label = ActionStatus(status).label
            self.query_one("#error", Static).update(f"Un commentaire est obligatoire pour « {label} ».")
            self.query_one("#comment", Input).focus()
            return
        self.dismiss(StatusChange(status, comment))

    @on(Button.Pressed, "#cancel")
    def cancel(self) -> None:
        self.dismiss(None)
