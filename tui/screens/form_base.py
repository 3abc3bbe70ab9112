"""What the edit screens share: labelled fields with their error line, leaving safely, drafts.

Typed work is never lost: leaving or quitting with changes asks first, and when the terminal is
closed under a form with changes (SIGHUP), the form's values are kept as a draft beside the
store, offered back the next time that record is opened.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static
from textual.worker import Worker, WorkerState

from store.errors import ValidationError
from store.merge import Merge
from tui.screens.base import BaseScreen
from tui.widgets.confirm_dialog import ConfirmDialog
from tui.widgets.conflict_dialog import ConflictDialog
from tui.widgets.dialog_base import Dialog
from tui.widgets.record_form import RecordForm

#: What the unsaved-work dialog answers.
UnsavedChoice = Literal["discard", "save", "stay"]

#: Folder of drafts, beside the store (or in the user's data folder for a server store).
DRAFTS_FOLDER = "brouillons"


class UnsavedDialog(Dialog[UnsavedChoice]):
    """Changes are not saved: leave without saving, save then leave, or stay. Leaving is
    quitting the app (Ctrl+Q), or closing the form only (Échap: `closing_form`), and the
    dialog says which."""

    cancel_value: UnsavedChoice = "stay"
    BINDINGS: ClassVar[list[BindingType]] = Dialog.BUTTON_ARROWS

    def __init__(self, where: str, *, closing_form: bool = False) -> None:
        super().__init__()
        self.where = where
        self.closing_form = closing_form

    def compose(self) -> ComposeResult:
        leave = "fermer" if self.closing_form else "quitter"
        with Vertical(classes="dialog-box"):
            title = (
                "Fermer la fiche sans enregistrer ?" if self.closing_form else "Quitter sans enregistrer ?"
            )
            yield Static(title, classes="dialog-title")
            yield Static(f"Des modifications ne sont pas enregistrées : {self.where}.", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Rester", variant="primary", id="stay")
                yield Button(f"Enregistrer puis {leave}", id="save")
                yield Button(f"{leave.capitalize()} sans enregistrer", variant="warning", id="discard")

    def on_mount(self) -> None:
        self.query_one("#stay", Button).focus()

    @on(Button.Pressed)
    def answered(self, event: Button.Pressed) -> None:
        choice: UnsavedChoice = "stay"
        if event.button.id == "save":
            choice = "save"
        elif event.button.id == "discard":
            choice = "discard"
        self.dismiss(choice)


class FormScreen(BaseScreen):
    """An edit screen: nothing is saved until Ctrl+S; leaving with changes asks first."""

    CSS_PATH = "forms.tcss"

    BINDINGS = [
        Binding(
            "escape",
            "leave",
            "Retour",
            tooltip="Revenir (demande si des modifications ne sont pas enregistrées)",
        ),
        # The app's key, heard over the field being typed in (an Input's own Ctrl+K erases the
        # end of the line): a coordinator reaches the conflicts from a form too.
        Binding(
            "ctrl+k",
            "app.go('conflicts')",
            "Conflits",
            show=False,
            priority=True,
            tooltip="Régler les conflits de synchronisation avec le serveur régional",
        ),
    ]

    #: The code of the record edited (None: a new one); subclasses set it.
    code: str | None = None
    #: "Enregistrer puis fermer" was chosen on Escape: leave once saved.
    leave_when_saved = False

    #: The worker group that loads the record (see `refresh_data`).
    LOAD_GROUP = "load"

    def load_record(self) -> None:
        """Start loading the record into the form (a worker of LOAD_GROUP)."""
        raise NotImplementedError

    def refresh_data(self) -> None:
        """Coming back to the form keeps the user's typing; a record never shown (its loading
        failed, the server out of reach) is loaded again."""
        never_shown = any(form.disabled for form in self.query(RecordForm))
        if never_shown and not self.loading_in(self.LOAD_GROUP):
            self.load_record()

    def is_dirty(self) -> bool:
        raise NotImplementedError

    def typed_unreadable(self) -> bool:
        """Something typed cannot be read ("32/13/2025"): it is unsaved work too."""
        return bool(self.query_one(RecordForm).read()[1])

    def action_save(self) -> None:
        raise NotImplementedError

    def show_errors(self, errors: list[ValidationError]) -> None:
        """Each message under its field; focus goes to the first field to fix."""
        form = self.query_one(RecordForm)
        if errors:
            self.forget_leaving()
        first = form.show_errors(errors)
        elsewhere = " ".join(str(e) for e in errors if e.field not in form.names)
        if errors:
            summary = f"{len(errors)} champ(s) à corriger avant d'enregistrer. {elsewhere}"
            self.notify(summary.strip(), severity="error")
        if first is not None:
            first.focus()

    def action_leave(self) -> None:
        """Escape: leave; with unsaved changes, the question of Ctrl+Q (stay, save, discard), about
        closing the form (the app stays open)."""
        if not self.is_dirty():
            self.dismiss()
            return

        def answered(choice: UnsavedChoice | None) -> None:
            if choice == "discard":
                self.dismiss()
            elif choice == "save":
                self.leave_when_saved = True
                self.action_save()

        self.app.push_screen(UnsavedDialog(self.where, closing_form=True), answered)

    def forget_leaving(self) -> None:
        """A save that did not happen (refused, its question cancelled, failed): « Enregistrer
        puis fermer » is forgotten, so that the user's own Ctrl+S later saves and stays."""
        self.leave_when_saved = False

    @on(Worker.StateChanged)
    def save_failed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.group == "save":
            self.forget_leaving()

    def after_save(self) -> None:
        """Called by the screen once a save succeeded: leave if "Enregistrer puis fermer" asked it."""
        if self.leave_when_saved and not self.is_dirty():
            self.leave_when_saved = False
            self.dismiss()

    def settle_conflict(
        self, merge: Merge[Any], base: object, title: str, save: Callable[[Any], None]
    ) -> None:
        """Saved meanwhile in another copy: what only one side changed is merged and saved; the
        fields both changed are asked (keep mine or take theirs); "Annuler" keeps the form as typed."""
        incoming = merge.incoming(base)
        if incoming:
            self.notify(
                f"Modifiée entre-temps dans une autre copie ({incoming}) : vos changements s'y ajoutent."
            )
        if not merge.conflicts:
            save(merge.merged)
            return

        def decided(choice: str | None) -> None:
            if choice in ("mine", "theirs"):
                save(merge.settled(choice == "mine"))
            else:
                self.forget_leaving()

        self.app.push_screen(ConflictDialog(title, merge.rows()), decided)

    # --- drafts -------------------------------------------------------------------------------

    @property
    def where(self) -> str:
        """The record, as the user names it ("Action ACT-002", "Ressource (nouvelle)")."""
        return f"{self.TITLE or type(self).__name__} {self.code or '(nouvelle)'}"

    def form_values(self) -> dict[str, Any]:
        """What is typed in each field, as JSON values (a draft)."""
        return self.query_one(RecordForm).typed_values()

    def restore_values(self, values: dict[str, Any]) -> None:
        """Put `form_values` back in the fields (values no longer offered are skipped)."""
        self.query_one(RecordForm).restore_typed(values)

    def draft_path(self) -> Path:
        """Where this record's draft is kept: `brouillons/` beside the store file."""
        store_path = getattr(getattr(self.app, "opener", None), "path", None)
        if store_path is not None:
            folder = Path(store_path).parent / DRAFTS_FOLDER
        else:
            from platformdirs import user_data_path

            folder = user_data_path("suivi-sts", appauthor=False) / DRAFTS_FOLDER
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in self.code or "nouveau")
        return folder / f"{type(self).__name__}-{safe}.json"

    def keep_draft(self) -> Path | None:
        """Write the form's values as a draft if there are unsaved changes (the terminal is closing)."""
        if not self.is_dirty():
            return None
        path = self.draft_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = {"saved_at": datetime.now().astimezone().isoformat(), "values": self.form_values()}
        temporary = path.with_suffix(".tmp")
        # only its owner may read it, like the store (it may hold names and phone numbers)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(json.dumps(draft, ensure_ascii=False, indent=1))
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
        return path

    def offer_draft(self) -> None:
        """Once the record is shown: offer back a draft left when the terminal was closed."""
        path = self.draft_path()
        try:
            draft = json.loads(path.read_text(encoding="utf-8"))
            saved_at = datetime.fromisoformat(draft["saved_at"])
            values = dict(draft["values"])
        except (OSError, ValueError, KeyError, TypeError):
            return

        def answered(take: bool | None) -> None:
            if take:
                self.restore_values(values)
                self.notify("Brouillon repris : Ctrl+S pour l'enregistrer.")
            path.unlink(missing_ok=True)

        self.app.push_screen(
            ConfirmDialog(
                f"Un brouillon non enregistré du {saved_at:%d/%m %H:%M} existe : le reprendre ?",
                confirm="Reprendre le brouillon",
                cancel="L'écarter",
                title=f"Brouillon — {self.where}",
            ),
            answered,
        )
