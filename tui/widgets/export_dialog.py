"""Export options: which document first, then where, with or without contacts.

Collects options only; the export itself runs headless (exports/excel) in a worker. The dialog
opens on the choice of document (Down then Enter picks the second one, the CTS report; Enter on
the one already chosen keeps it), then Exporter has the focus. The file name follows the choice
(`suivi-sts-09-cts-2026-11-26.xlsx` in the user's documents folder), and an existing file is
replaced only once the user has said so (Annuler stays the default).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Checkbox, Input, Label, RadioButton, RadioSet, Static

from tui.widgets.confirm_dialog import ConfirmDialog
from tui.widgets.dialog_base import Dialog

KINDS: dict[str, str] = {
    "ars": "Classeur d'échange ARS (à modifier puis réimporter)",
    "cts": "Rapport pour le CTS (à lire, projeter, imprimer)",
    "cts-pdf": "Dossier PDF pour le CTS (à imprimer, à joindre à l'invitation)",
}
#: The documents written as PDF (the others are workbooks).
PDF_KINDS = frozenset({"cts-pdf", "atelier-pdf"})
#: The documents that may include contacts.
CONTACT_KINDS = frozenset({"cts", "cts-pdf"})


def extension(kind: str) -> str:
    """« .pdf » for a PDF document, « .xlsx » for a workbook."""
    return ".pdf" if kind in PDF_KINDS else ".xlsx"


@dataclass(frozen=True)
class ExportRequest:
    """What to export, and where (`replace`: the user agreed to replace an existing file)."""

    kind: str
    path: Path
    with_contacts: bool = False
    replace: bool = False


def default_folder() -> Path:
    """The user's documents folder (platformdirs), else the home folder."""
    from platformdirs import user_documents_dir

    folder = Path(user_documents_dir())
    return folder if folder.is_dir() else Path.home()


def default_name(
    kind: str, department: str | None = None, day: date | None = None, *, label: str | None = None
) -> str:
    """`suivi-sts-09-cts-2026-11-26.xlsx` (`.pdf` for a PDF): the department and the date;
    `label` names the document when its kind is not enough (« atelier-3 »)."""
    name = label or kind.removesuffix("-pdf")
    parts = ["suivi-sts", department, name, (day or datetime.now().astimezone().date()).isoformat()]
    return "-".join(part for part in parts if part) + extension(kind)


def default_path(
    kind: str, folder: Path | None = None, department: str | None = None, *, label: str | None = None
) -> Path:
    return (folder or default_folder()) / default_name(kind, department, label=label)


#: The check box of the CTS report (short enough for an 80-column terminal).
CONTACTS_LABEL = "Inclure les coordonnées (noms, téléphones, courriels)"


class DocumentChoice(RadioSet):
    """The documents; Enter (or Space) on the one already chosen chooses it again (`Chosen`)."""

    @dataclass
    class Chosen(Message):
        """The user confirmed the document already selected."""

        choice: DocumentChoice

        @property
        def control(self) -> DocumentChoice:
            return self.choice

    @property
    def highlighted_button(self) -> RadioButton | None:
        """The document the arrows are on (not yet chosen until Enter)."""
        buttons = list(self.query(RadioButton))
        return buttons[self._selected] if self._selected is not None else None

    def action_toggle_button(self) -> None:
        if self._selected is not None and self._selected == self.pressed_index:
            self.post_message(self.Chosen(self))
        else:
            super().action_toggle_button()


class ExportDialog(Dialog[ExportRequest | None]):
    """Dismisses with the options chosen, or None."""

    DEFAULT_CSS = """
    ExportDialog #kind { width: 100%; }
    ExportDialog #contacts { width: 100%; }
    ExportDialog.-short .dialog-title { margin-bottom: 0; }
    """

    BINDINGS = [
        Binding("ctrl+s", "export", "Exporter", tooltip="Exporter le document choisi vers ce fichier"),
    ]

    def __init__(
        self,
        kinds: dict[str, str] | None = None,
        *,
        kind: str | None = None,
        department: str | None = None,
        folder: Path | None = None,
    ) -> None:
        super().__init__()
        self.kinds = kinds or KINDS
        self.kind = kind if kind in self.kinds else next(iter(self.kinds))
        self.department = department
        self.folder = folder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static("Exporter", classes="dialog-title")
            with VerticalScroll(classes="dialog-body"):
                yield Label("Document")
                with DocumentChoice(id="kind"):
                    for key, label in self.kinds.items():
                        yield RadioButton(label, value=key == self.kind, id=f"kind-{key}")
                yield Label("Fichier")
                yield Input(
                    str(default_path(self.kind, self.folder, self.department, label=self.file_label())),
                    id="path",
                )
                yield Checkbox(CONTACTS_LABEL, id="contacts")
                yield Static("", classes="field-error", id="error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Annuler", id="cancel")
                yield Button("Exporter", variant="primary", id="ok")

    def on_mount(self) -> None:
        self._update_contacts()
        self.query_one("#kind", RadioSet).focus()

    def _update_contacts(self) -> None:
        self.query_one("#contacts", Checkbox).display = self.kind in CONTACT_KINDS

    @on(RadioSet.Changed, "#kind")
    def kind_changed(self, event: RadioSet.Changed) -> None:
        """The file name follows the document (in the folder already chosen); then Enter exports."""
        self._choose((event.pressed.id or "").removeprefix("kind-") or self.kind)
        self.query_one("#ok", Button).focus()

    def _choose(self, kind: str) -> None:
        self.kind = kind
        path = self.query_one("#path", Input)
        folder = Path(path.value.strip()).expanduser().parent if path.value.strip() else None
        path.value = str(default_path(self.kind, folder, self.department, label=self.file_label()))
        self.query_one("#error", Static).update("")
        self._update_contacts()

    def file_label(self) -> str | None:
        """What names the file beside the department and the date (None: the document's kind)."""
        return None

    @on(DocumentChoice.Chosen, "#kind")
    def kind_confirmed(self) -> None:
        self.query_one("#ok", Button).focus()

    def action_export(self) -> None:
        """Ctrl+S on the list of documents exports the one the arrows are on, as Enter then
        Exporter would (not the one chosen before, left with its mark while the bar moved)."""
        choice = self.query_one("#kind", DocumentChoice)
        button = choice.highlighted_button if choice.has_focus else None
        if button is not None and not button.value:
            button.value = True
            self._choose((button.id or "").removeprefix("kind-") or self.kind)
        self.submit()

    @on(Input.Submitted, "#path")
    @on(Button.Pressed, "#ok")
    def submit(self) -> None:
        error = self.query_one("#error", Static)
        text = self.query_one("#path", Input).value.strip()
        path = Path(text).expanduser()
        suffix = extension(self.kind)
        if not text or path.is_dir():
            error.update(f"Indiquez un nom de fichier {suffix}.")
            return
        if path.suffix.lower() != suffix:
            path = path.with_suffix(suffix)
        if not path.parent.is_dir():
            error.update(f"Le dossier « {path.parent} » n'existe pas.")
            return
        contacts = self.kind in CONTACT_KINDS and self.query_one("#contacts", Checkbox).value
        request = ExportRequest(self.kind, path, contacts)
        if not path.exists():
            self.dismiss(request)
            return

        def answered(replace: bool | None) -> None:
            if replace:
                self.dismiss(ExportRequest(request.kind, path, request.with_contacts, replace=True))
            else:
                error.update("Fichier existant conservé : choisissez un autre nom.")
                self.query_one("#path", Input).focus()

        self.app.push_screen(
            ConfirmDialog(
                f"Le fichier « {path} » existe déjà. Le remplacer ?",
                confirm="Remplacer",
                cancel="Annuler",
                title="Fichier existant",
            ),
            answered,
        )

    @on(Button.Pressed, "#cancel")
    def cancel(self) -> None:
        self.dismiss(None)
