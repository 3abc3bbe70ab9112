"""New indicator of an action: label, unit, periodicity, baseline, target."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Select, Static

from store.indicators import IndicatorData
from store.vocab import Periodicity
from tui.widgets.dialog_base import Dialog


def _number(text: str) -> float | None:
    cleaned = text.replace(",", ".").replace(" ", "").strip()
    return float(cleaned) if cleaned else None


class IndicatorDialog(Dialog[IndicatorData | None]):
    """Dismisses with the new indicator (no code yet: the store gives one), or None."""

    def __init__(self, action_code: str) -> None:
        super().__init__()
        self.action_code = action_code

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(f"Nouvel indicateur — {self.action_code}", classes="dialog-title", markup=False)
            with VerticalScroll(classes="dialog-body"):
                yield Label("Intitulé")
                yield Input(id="ind-label")
                yield Label("Unité")
                yield Input(placeholder="personnes, dépistages, %…", id="ind-unit")
                yield Label("Périodicité")
                yield Select(
                    [(p.label, p.value) for p in Periodicity],
                    value="mensuelle",
                    allow_blank=False,
                    id="ind-period",
                )
                with Horizontal(classes="form-row"):
                    with Vertical():
                        yield Label("Valeur initiale")
                        yield Input(id="ind-baseline")
                    with Vertical():
                        yield Label("Cible")
                        yield Input(id="ind-target")
                yield Static("", classes="field-error", id="error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Annuler", id="cancel")
                yield Button("Créer", variant="primary", id="ok")

    def on_mount(self) -> None:
        self.query_one("#ind-label", Input).focus()

    @on(Input.Submitted)  # Entrée in a field, as in the other dialogs
    @on(Button.Pressed, "#ok")
    def submit(self) -> None:
        label = self.query_one("#ind-label", Input).value.strip()
        if not label:
            self.query_one("#error", Static).update("L'intitulé est obligatoire.")
            return
        try:
            baseline = _number(self.query_one("#ind-baseline", Input).value)
            target = _number(self.query_one("#ind-target", Input).value)
        except ValueError:
            self.query_one("#error", Static).update(
                "Valeur initiale et cible : des nombres (ex. 12 ou 12,5)."
            )
            return
        self.dismiss(
            IndicatorData(
                code="",
                label=label,
                action=self.action_code,
                unit=self.query_one("#ind-unit", Input).value.strip() or None,
                periodicity=str(self.query_one("#ind-period", Select).value),
                baseline=baseline,
                target=target,
            )
        )

    @on(Button.Pressed, "#cancel")
    def cancel(self) -> None:
        self.dismiss(None)
