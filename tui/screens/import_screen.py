"""Importer un classeur: preview (new, changed field by field, unchanged, rejected, conflicts),
a choice per conflicting field, then one all-or-nothing transaction."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, Checkbox, DataTable, Input, ProgressBar, Static
from textual.worker import Worker, WorkerState

from importers.excel.cells import format_value
from importers.excel.model import LISTED
from tui.screens.base import BaseScreen
from tui.widgets.columns import theme_style
from tui.widgets.error_dialog import ErrorDialog


class ImportScreen(BaseScreen):
    """Import an exchange workbook (or a foreign one with a mapping)."""

    TITLE = "Importer un classeur"
    WRITE_ACTIONS = frozenset({"apply"})
    BINDINGS = [
        Binding(
            "enter",
            "toggle_conflict",
            "Choisir",
            tooltip="Conflit : garder la base ou prendre le classeur",
            show=False,
        ),
        Binding(
            "b",
            "all('base')",
            "Tout garder (base)",
            tooltip="Pour chaque conflit, garder la valeur de la base",
        ),
        Binding(
            "k",
            "all('classeur')",
            "Tout prendre (classeur)",
            tooltip="Pour chaque conflit, prendre le classeur",
        ),
        Binding(
            "ctrl+s",
            "apply",
            "Appliquer",
            tooltip="Écrire l'import (une seule transaction, après sauvegarde)",
        ),
        Binding("escape", "leave", "Retour", tooltip="Revenir sans rien écrire"),
    ]

    @dataclass
    class Previewed(Message):
        preview: Any

    @dataclass
    class Applied(Message):
        result: Any

    @dataclass
    class Failed(Message):
        message: str

    @dataclass
    class Progress(Message):
        done: int
        total: int

    def __init__(self, path: Path | None = None) -> None:
        super().__init__()
        self.initial = path
        self.preview: Any = None
        self.resolutions: dict[tuple[str, str, str], str] = {}
        #: Each row of the table in full (its cells may be cut): shown under the table.
        self._row_texts: list[str] = []

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="import-file"):
            yield Input(str(self.initial or ""), placeholder="Chemin du classeur .xlsx", id="import-path")
            yield Button("Prévisualiser", id="preview", variant="primary")
        yield Checkbox("Ignorer les colonnes inconnues", id="ignore-columns", compact=True)
        yield ProgressBar(id="import-progress", show_eta=False)
        yield Static(
            "Indiquez le classeur à importer, puis Entrée : rien n'est écrit avant Ctrl+S.",
            id="import-summary",
        )
        yield DataTable(id="import-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="import-detail", classes="row-detail")

    def on_mount(self) -> None:
        table = self.query_one("#import-table", DataTable)
        table.add_column("", key="kind", width=10)
        table.add_column("Fiche", key="record", width=34)
        table.add_column("Détail", key="detail")
        self.query_one("#import-progress", ProgressBar).display = False
        self.query_one("#import-detail", Static).display = False
        self.query_one("#import-path", Input).focus()
        if self.initial:
            self.start_preview()

    def refresh_data(self) -> None:
        """Nothing to reload: the preview stays until applied or left."""

    # --- preview -------------------------------------------------------------------------------

    @on(Input.Submitted, "#import-path")
    @on(Button.Pressed, "#preview")
    def start_preview(self) -> None:
        typed = self.query_one("#import-path", Input).value.strip()
        if not typed:
            self.query_one("#import-summary", Static).update(
                "Indiquez le chemin du classeur à importer "
                "(.xlsx, ou une feuille enregistrée en .csv ou .txt)."
            )
            return
        path = Path(typed).expanduser()
        if not path.is_file():
            self.query_one("#import-summary", Static).update(f"Fichier introuvable : « {path} ».")
            return
        self.preview = None
        self.resolutions = {}
        self.refresh_bindings()
        self.query_one("#import-summary", Static).update(f"Lecture de « {path.name} »…")
        self._show_progress(0, 1)
        self.run_preview(path)

    def _report(self, done: int, total: int) -> None:
        self.post_message(self.Progress(done, total))

    @work(thread=True, exit_on_error=False, exclusive=True, group="import")
    def run_preview(self, path: Path) -> None:
        from importers.excel import UnreadableWorkbook, preview_import

        try:
            preview = preview_import(
                self.service.store,
                self.service.department,
                path,
                progress=self._report,
                ignore_columns=self.query_one("#ignore-columns", Checkbox).value,
            )
        except UnreadableWorkbook as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.Previewed(preview))

    @on(Progress)
    def progressed(self, message: Progress) -> None:
        self._show_progress(message.done, message.total)

    def _show_progress(self, done: int, total: int) -> None:
        bar = self.query_one("#import-progress", ProgressBar)
        bar.display = True
        bar.update(total=max(total, 1), progress=done)

    @on(Worker.StateChanged)
    def stopped(self, event: Worker.StateChanged) -> None:
        """A reading or writing that failed (the store held, the disk full): its progress goes;
        the preview and the choices made stay, for Ctrl+S again."""
        if event.state is WorkerState.ERROR and event.worker.group == "import":
            self.query_one("#import-progress", ProgressBar).display = False

    @on(Failed)
    def failed(self, message: Failed) -> None:
        self.query_one("#import-progress", ProgressBar).display = False
        self.query_one("#import-summary", Static).update(message.message)
        self.app.push_screen(ErrorDialog(message.message, "Import impossible"))

    @on(Previewed)
    def previewed(self, message: Previewed) -> None:
        self.preview = message.preview
        self.query_one("#import-progress", ProgressBar).display = False
        self._show_preview()
        table = self.query_one("#import-table", DataTable)
        if table.row_count:  # the keys the summary names (Entrée, b, k) act on the table
            table.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """b / k (every conflict one way) are offered only when there is a conflict to settle."""
        if action == "all" and (self.preview is None or not self.preview.conflicts):
            return False
        return super().check_action(action, parameters)

    def _show_preview(self) -> None:
        preview = self.preview
        self.refresh_bindings()  # b / k: offered with conflicts only
        table = self.query_one("#import-table", DataTable)
        table.clear()
        self._row_texts = []
        refused = Text("Refusé", style=theme_style(self.app.theme_variables, "bold $text-error"))
        for problem in preview.rejected[:LISTED]:  # the first ones and a count, as the command line
            self._add_row(table, refused, problem.location.describe(), str(problem.message))
        if len(preview.rejected) > LISTED:
            more = len(preview.rejected) - LISTED
            self._add_row(table, refused, "…", f"et {more} autre(s) problème(s) non affiché(s)")
        for conflict in preview.conflicts:
            choice = self.resolutions.get(conflict.id)
            ours = format_value(conflict.store, conflict.field, conflict.kind)
            theirs = format_value(conflict.workbook, conflict.field, conflict.kind)
            chosen = {"base": "garder la base", "classeur": "prendre le classeur"}.get(
                choice or "", "à choisir (Entrée)"
            )
            self._add_row(
                table,
                Text("Conflit", style=theme_style(self.app.theme_variables, "bold $text-warning")),
                f"{conflict.key} {conflict.title}",
                f"{conflict.label} : base « {ours} » / classeur « {theirs} » → {chosen}",
                key="|".join(conflict.id),
            )
        for plan in preview.new + preview.changed:
            colours = self.app.theme_variables
            label = (
                Text("Nouveau", style=theme_style(colours, "$text-success"))
                if plan in preview.new
                else Text("Modifié", style=theme_style(colours, "$text-primary"))
            )
            details = "; ".join(str(c) for c in plan.changes) or (
                f"commentaire : {plan.comment}" if plan.comment else ""
            )
            if not details and plan.conflicts:  # its only change is a conflict, listed above
                details = "; ".join(f"{c.label} : selon le conflit ci-dessus" for c in plan.conflicts)
            self._add_row(table, label, f"{plan.key} {plan.title}", details)
        self._show_detail()
        status = preview.summary()
        if preview.warnings:
            status += "\n" + "\n".join(f"Attention : {w}" for w in preview.warnings)
        if preview.rejected:
            status += "\nDes lignes sont refusées : corrigez le classeur, rien ne sera écrit."
        elif preview.unresolved(self.resolutions):
            status += "\nChoisissez pour chaque conflit (Entrée, ou b / k pour tous), puis Ctrl+S."
        elif preview.has_changes or self.resolutions:
            status += "\nCtrl+S applique l'import (une seule transaction, sauvegarde préalable)."
        else:
            status += "\nRien à appliquer : la base contient déjà ce classeur."
        self.query_one("#import-summary", Static).update(status)

    def _add_row(
        self, table: DataTable[Any], kind: Text, record: str, detail: str, key: str | None = None
    ) -> None:
        table.add_row(kind, Text(record), Text(detail), key=key)  # cells of a workbook: text, not markup
        self._row_texts.append(f"{kind.plain} — {record} — {detail}")

    @on(DataTable.RowHighlighted, "#import-table")
    def _show_detail(self) -> None:
        """The highlighted row in full under the table (at 80 columns its detail is cut)."""
        table = self.query_one("#import-table", DataTable)
        row = table.cursor_row
        shown = self._row_texts[row] if table.row_count and 0 <= row < len(self._row_texts) else ""
        detail = self.query_one("#import-detail", Static)
        detail.update(Text(shown))
        detail.display = bool(shown)  # no empty bar before a preview

    @on(DataTable.RowSelected, "#import-table")
    def _row_chosen(self) -> None:
        """Entrée (or a click) on a conflict switches it between the base and the workbook."""
        self.action_toggle_conflict()

    # --- conflicts ------------------------------------------------------------------------------

    def action_toggle_conflict(self) -> None:
        if self.preview is None:
            return
        table = self.query_one("#import-table", DataTable)
        if not table.row_count:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        if not key or key.count("|") != 2:
            return
        kind, code, field = key.split("|")
        conflict_id = (kind, code, field)
        current = self.resolutions.get(conflict_id)
        self.resolutions[conflict_id] = "classeur" if current == "base" else "base"
        row = table.cursor_row
        self._show_preview()
        table.move_cursor(row=row)

    def action_all(self, choice: str) -> None:
        if self.preview is None:
            return
        self.resolutions = {c.id: choice for c in self.preview.conflicts}
        self._show_preview()

    # --- apply ------------------------------------------------------------------------------------

    def action_apply(self) -> None:
        if self.refuse_if_read_only() or self.preview is None:
            return
        if self.preview.rejected:
            self.notify("Des lignes sont refusées : rien ne peut être écrit.", severity="error")
            return
        if self.preview.unresolved(self.resolutions):
            self.notify("Il reste des conflits à trancher.", severity="warning")
            return
        self._show_progress(0, 1)
        self.run_apply(self.preview, dict(self.resolutions))

    @work(thread=True, exit_on_error=False, exclusive=True, group="import")
    def run_apply(self, preview: Any, resolutions: dict[Any, Any]) -> None:
        from importers.excel import ImportRefused, apply_import

        try:
            result = apply_import(
                self.service.store,
                self.service.department,
                preview,
                resolutions,
                self.service.author,
                progress=self._report,
            )
        except ImportRefused as exc:
            details = "\n".join(getattr(exc, "details", []) or [])
            self.post_message(self.Failed(f"Import refusé : {exc}\n{details}".strip()))
            return
        self.post_message(self.Applied(result))

    @on(Applied)
    def applied(self, message: Applied) -> None:
        self.query_one("#import-progress", ProgressBar).display = False
        summary = f"Import appliqué : {message.result.summary()}."
        if message.result.backup:
            summary += f"\nSauvegarde préalable : {message.result.backup}"
        self.query_one("#import-summary", Static).update(summary)
        self.query_one("#import-table", DataTable).clear()
        self._row_texts = []
        self._show_detail()
        self.preview = None
        self.refresh_bindings()
        self.notify(summary, timeout=10)

    def action_leave(self) -> None:
        self.dismiss()
