"""Export options: which workbook, where, with or without contacts. Collects options only;
the export itself runs headless (exports/excel) in a worker."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Label, RadioButton, RadioSet, Static

from tui.widgets.dialog_base import Dialog

KINDS: dict[str, str] = {
    "ars": "Classeur d'échange ARS (à modifier puis réimporter)",
    "cts": "Rapport pour le CTS (à lire, projeter, imprimer)",
}


@dataclass(frozen=True)
class ExportRequest:
    kind: str
    path: Path
    with_contacts: bool = False


def default_path(kind: str, folder: Path | None = None) -> Path:
    stamp = datetime.now().astimezone().strftime("%Y-%m-%d_%Hh%M")
    return (folder or Path.cwd()) / f"suivi-sts_{kind}_{stamp}.xlsx"


class ExportDialog(Dialog[ExportRequest | None]):
    """Dismisses with the options chosen, or None."""

    def __init__(self, kinds: dict[str, str] | None = None, *, kind: str = "ars") -> None:
        super().__init__()
        self.kinds = kinds or KINDS
        self.kind = kind

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static("Exporter", classes="dialog-title")
            with RadioSet(id="kind"):
                for key, label in self.kinds.items():
                    yield RadioButton(label, value=key == self.kind, id=f"kind-{key}")
            yield Label("Fichier")
            yield Input(str(default_path(self.kind)), id="path")
            yield Checkbox(
                "Inclure les coordonnées personnelles (noms, téléphones, courriels)", id="contacts"
            )
            yield Static("", classes="field-error", id="error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Annuler", id="cancel")
                yield Button("Exporter", variant="primary", id="ok")

    def on_mount(self) -> None:
        self._update_contacts()
        self.query_one("#path", Input).focus()

    def _update_contacts(self) -> None:
        self.query_one("#contacts", Checkbox).display = self.kind == "cts"

    @on(RadioSet.Changed, "#kind")
    def kind_changed(self, event: RadioSet.Changed) -> None:
        self.kind = (event.pressed.id or "kind-ars").removeprefix("kind-")
        path = self.query_one("#path", Input)
        path.value = str(default_path(self.kind, Path(path.value).expanduser().parent))
        self._update_contacts()

    @on(Input.Submitted, "#path")
    @on(Button.Pressed, "#ok")
    def submit(self) -> None:
        text = self.query_one("#path", Input).value.strip()
        path = Path(text).expanduser()
        if not text or path.is_dir():
            self.query_one("#error", Static).update("Indiquez un nom de fichier .xlsx.")
            return
        if path.suffix.lower() != ".xlsx":
            path = path.with_suffix(".xlsx")
        if not path.parent.is_dir():
            self.query_one("#error", Static).update(f"Le dossier « {path.parent} » n'existe pas.")
            return
        self.dismiss(ExportRequest(self.kind, path, self.query_one("#contacts", Checkbox).value))

    @on(Button.Pressed, "#cancel")
    def cancel(self) -> None:
        self.dismiss(None)
