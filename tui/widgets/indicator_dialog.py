"""New indicator of an action: label, unit, periodicity, baseline, target."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Select, Static

from store.fields import INDICATOR
from store.indicators import IndicatorData
from store.vocab import Periodicity
from tui.widgets.dialog_base import Dialog


class IndicatorDialog(Dialog[IndicatorData | None]):
    """Dismisses with the new indicator (no code yet: the store gives one), or None. Labels,
    parsing and messages are the registry's (`store.fields.INDICATOR`)."""

    def __init__(self, action_code: str, *, typed: IndicatorData | None = None, note: str = "") -> None:
        """`typed` fills the dialog again (its save failed), `note` says why."""
        super().__init__()
        self.action_code = action_code
        self.typed = typed or IndicatorData(code="", label="", periodicity=Periodicity.MONTHLY.value)
        self.note = note

    def _input(self, name: str, placeholder: str = "") -> Input:
        field = INDICATOR[name]
        return Input(field.edit_text(getattr(self.typed, name)), placeholder=placeholder, id=f"ind-{name}")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(f"Nouvel indicateur — {self.action_code}", classes="dialog-title", markup=False)
            with VerticalScroll(classes="dialog-body"):
                yield Label(INDICATOR["label"].label)
                yield self._input("label")
                yield Label(INDICATOR["unit"].label)
                yield self._input("unit", "personnes, dépistages, %…")
                yield Label(INDICATOR["periodicity"].label)
                yield Select(
                    [(p.label, p.value) for p in Periodicity],
                    value=self.typed.periodicity,
                    allow_blank=False,
                    id="ind-periodicity",
                )
                with Horizontal(classes="form-row"):
                    with Vertical():
                        yield Label(INDICATOR["baseline"].label)
                        yield self._input("baseline")
                    with Vertical():
                        yield Label(INDICATOR["target"].label)
                        yield self._input("target")
                yield Static(self.note, classes="field-error", id="error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Annuler", id="cancel")
                yield Button("Créer", variant="primary", id="ok")

    def on_mount(self) -> None:
        self.query_one("#ind-label", Input).focus()

    @on(Input.Submitted)  # Entrée in a field, as in the other dialogs
    @on(Button.Pressed, "#ok")
    def submit(self) -> None:
        values: dict[str, Any] = {}
        for name in ("label", "unit", "baseline", "target"):
            box = self.query_one(f"#ind-{name}", Input)
            try:
                values[name] = INDICATOR[name].read_typed(box.value) if box.value.strip() else None
            except ValueError as error:
                self.query_one("#error", Static).update(str(error))
                box.focus()
                return
        if not values["label"]:
            self.query_one("#error", Static).update("L'intitulé est obligatoire.")
            self.query_one("#ind-label", Input).focus()
            return
        self.dismiss(
            IndicatorData(
                code="",
                label=str(values["label"]),
                action=self.action_code,
                unit=values["unit"],
                periodicity=str(self.query_one("#ind-periodicity", Select).value),
                baseline=values["baseline"],
                target=values["target"],
            )
        )

    @on(Button.Pressed, "#cancel")
    def cancel(self) -> None:
        self.dismiss(None)
