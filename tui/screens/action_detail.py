"""Action: view and edit every field, quick status change, journal. Ctrl+S saves."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from store.actions import ActionData, FieldChange, validate, warnings
from store.errors import ValidationError, VersionConflict
from store.fields import ACTION, INDICATOR_VALUE
from store.indicators import IndicatorData, ValueKey
from store.journal import JournalLine
from store.merge import three_way
from store.views.indicator_grid import IndicatorGrid
from store.vocab import STATUSES_NEEDING_COMMENT, ActionStatus
from tui.screens.form_base import FormScreen
from tui.services import Choices, with_status
from tui.widgets.confirm_dialog import ConfirmDialog
from tui.widgets.indicator_dialog import IndicatorDialog
from tui.widgets.indicator_grid import IndicatorGridView
from tui.widgets.journal_table import JournalView
from tui.widgets.record_form import OTHERS, Layout, RecordForm
from tui.widgets.status_dialog import StatusChange, StatusDialog
from tui.widgets.text_dialog import TextDialog

#: Fields side by side; the others follow in the registry's order (the source last, read-only).
ACTION_LAYOUT: Layout = (
    "code",
    "title",
    "description",
    ("status", "progress", "weather"),
    ("start_date", "due_date"),
    "lead",
    "objectives",
    "partners",
    "territories",
    ("budget_cents", "funding"),
    OTHERS,
)
#: Said in a quick status, comment or value dialog shown again because its save failed.
QUICK_NOT_SAVED = "Non enregistré (voir le message d'erreur) : réessayez avec Entrée, ou Annuler."


class ActionDetailScreen(FormScreen):
    """One action (or a new one): form, journal. Nothing is saved until Ctrl+S."""

    TITLE = "Action"
    WRITE_ACTIONS = frozenset({"save", "status", "comment", "new_indicator", "new_period", "new_category"})
    #: Keys about an action already in the store: greyed on a new one until its first Ctrl+S.
    SAVED_ACTIONS = frozenset({"status", "comment", "new_indicator", "new_period", "new_category"})
    BINDINGS = [
        Binding(
            "ctrl+s", "save", "Enregistrer", tooltip="Enregistrer les modifications (une seule transaction)"
        ),
        Binding("f8", "status", "Statut", tooltip="Changer le statut avec un commentaire"),
        Binding("f9", "comment", "Commenter", tooltip="Ajouter un commentaire au journal"),
        Binding("ctrl+g", "new_indicator", "Nouvel indicateur", show=False, tooltip="Créer un indicateur"),
        Binding(
            "ctrl+n",
            "new_period",
            "Nouvelle période",
            show=False,
            tooltip="Saisir une valeur pour une période",
        ),
        Binding(
            "ctrl+b",
            "new_category",
            "Ventilation",
            show=False,
            tooltip="Ajouter une ventilation (ex. hommes)",
        ),
    ]

    @dataclass
    class Loaded(Message):
        action: ActionData | None
        choices: Choices
        journal: list[JournalLine]
        code: str

    @dataclass
    class IndicatorsLoaded(Message):
        grids: list[IndicatorGrid]

    @dataclass
    class JournalLoaded(Message):
        lines: list[JournalLine]

    @dataclass
    class Saved(Message):
        action: ActionData
        changes: list[FieldChange]
        created: bool

    @dataclass
    class Conflict(Message):
        mine: ActionData
        theirs: ActionData | None
        comment: str | None

    class Commented(Message):
        """A comment was added to the action's journal."""

    class ValueSaved(Message):
        """An indicator or one of its values was saved."""

    @dataclass
    class Invalid(Message):
        error: ValidationError

    def __init__(self, code: str | None, *, objective: str | None = None) -> None:
        super().__init__()
        self.code = code
        self.objective = objective
        self.original: ActionData | None = None
        self.loaded = False
        #: A quick status, comment, indicator or value being saved: shows its dialog again, as
        #: typed, if its save fails or is refused.
        self._quick_change: Callable[[str], None] | None = None

    def compose_body(self) -> ComposeResult:
        yield Static("", id="action-title", classes="screen-title", markup=False)
        with TabbedContent(id="action-tabs"):
            with TabPane("Fiche", id="tab-form"):
                # disabled until the record is shown: nothing typed before could be overwritten
                yield RecordForm(ACTION, ACTION_LAYOUT, id="action-form", disabled=True)
            with TabPane("Journal", id="tab-journal"):
                yield JournalView(table_id="journal")
            with TabPane("Indicateurs", id="tab-indicators"):
                yield IndicatorGridView(id="indicators")

    def on_mount(self) -> None:
        self.load_record()

    def load_record(self) -> None:
        self.load(self.code)

    # --- loading ----------------------------------------------------------------------------

    @work(thread=True, exit_on_error=False, exclusive=True, group=FormScreen.LOAD_GROUP)
    def load(self, code: str | None) -> None:
        choices = self.service.choices()
        if code is None:
            new_code = self.service.next_action_code()
            self.post_message(self.Loaded(None, choices, [], new_code))
            return
        action = self.service.action(code)
        journal = self.service.journal(action.id) if action and action.id else []
        self.post_message(self.Loaded(action, choices, journal, code))

    @on(Loaded)
    def show(self, message: Loaded) -> None:
        choices = message.choices
        action = message.action
        if action is None and self.code is not None:
            self.notify(f"L'action {self.code} n'existe plus.", severity="error")
            self.dismiss()
            return
        if action is None:
            action = ActionData(
                code=message.code,
                title="",
                objectives=(self.objective,) if self.objective else (),
                territories=(choices.department_territory,) if choices.department_territory else (),
            )
            self.original = None
        else:
            self.original = action
        form = self.query_one(RecordForm)
        form.set_options("lead", choices.organisations)
        form.set_options("objectives", choices.objectives)
        form.set_options("partners", choices.organisations)
        form.set_options("territories", choices.territories)
        self._fill(action)
        self._show_journal(message.journal)
        if self.original is not None:
            self.load_indicators(self.original.code)
        self.loaded = True
        self.refresh_bindings()  # F8, F9… on a new action: greyed (`check_action`)
        form.disabled = False
        form.set_read_only(self.service.read_only)
        self._focus_title()
        if not self.service.read_only:
            self.offer_draft()

    def _focus_title(self) -> None:
        """The form shown from its top (code, title), the focus on the title, the first field
        one can change. An action opened shows its title from the start, not selected (a key
        typed at once does not replace it). Before, the status had the focus, and at 80×24 the
        form opened scrolled below the code and the title."""
        title = self.query_one("#title", Input)
        if self.original is None:
            title.focus()
            return
        title.select_on_focus = False
        title.cursor_position = 0
        self.set_focus(title)  # now: its Focus is handled before the line below restores it
        title.call_later(setattr, title, "select_on_focus", True)

    def _fill(self, action: ActionData) -> None:
        form = self.query_one(RecordForm)
        form.fill(action)
        form.control("code").disabled = self.original is not None
        title = f"{action.code} — {action.title}" if self.original else f"Nouvelle action {action.code}"
        self.query_one("#action-title", Static).update(title)

    def _show_journal(self, lines: list[JournalLine]) -> None:
        self.query_one(JournalView).lines = lines

    # --- reading the form -----------------------------------------------------------------------

    def form_data(self) -> tuple[ActionData | None, list[ValidationError]]:
        """The action as typed, and every problem found (parse errors, then domain rules)."""
        form = self.query_one(RecordForm)
        values, errors = form.read()
        values.update({name: getattr(self.original, name, None) for name in form.shown_only})
        values.update(
            code=values["code"] or "",
            title=values["title"] or "",  # an empty progress stays unknown (None)
            status=values["status"] or ActionStatus.TODO.value,
        )
        if self.original is None:
            values["source"] = "Saisie à l'écran"
        data = ActionData(**values)
        if self.original is not None:
            data = replace(
                data,
                id=self.original.id,
                version=self.original.version,
                code=self.original.code,
                # the stored order of objectives and partners where unchanged
                objectives=_keep_order(self.original.objectives, data.objectives),
                partners=_keep_order(self.original.partners, data.partners),
            )
        errors += [e for e in validate(data) if e.field not in {err.field for err in errors}]
        return data, errors

    def is_dirty(self) -> bool:
        if not self.loaded:
            return False
        data, _errors = self.form_data()
        if self.original is None:
            return bool(data and data.title) or self.typed_unreadable()
        return data != self.original or self.typed_unreadable()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """F8, F9 and the indicator keys are greyed on a new action (there is nothing to change
        the status of, or to comment, before it is saved)."""
        if action in self.SAVED_ACTIONS and self.loaded and self.original is None:
            return None
        return super().check_action(action, parameters)

    # --- saving -------------------------------------------------------------------------------

    def action_save(self) -> None:
        if self.refuse_if_read_only() or not self.loaded:
            return
        data, errors = self.form_data()
        self.show_errors(errors)
        if errors or data is None:
            return
        missing = [
            what
            for what, chosen in (("aucun objectif", data.objectives), ("aucun territoire", data.territories))
            if not chosen
        ]
        if not missing:
            self._save_asking_comment(data)
            return

        def answered(save_anyway: bool | None) -> None:
            if save_anyway:
                self._save_asking_comment(data)
            else:
                self.forget_leaving()

        self.app.push_screen(
            ConfirmDialog(
                f"Cette action n'a {' ni '.join(missing)} de coché. Enregistrer quand même ?",
                confirm="Enregistrer quand même",
                cancel="Revenir à la fiche",
                title="Action incomplète",
            ),
            answered,
        )

    def _save_asking_comment(self, data: ActionData) -> None:
        """Save, after asking why when the new status needs a comment."""
        needs_comment = ActionStatus(data.status) in STATUSES_NEEDING_COMMENT and (
            self.original is None or self.original.status != data.status
        )
        if needs_comment:
            label = ActionStatus(data.status).label

            def commented(comment: str | None) -> None:
                if comment:
                    self.save(data, comment)
                else:
                    self.forget_leaving()

            self.app.push_screen(
                TextDialog(f"Passer en « {label} »", "Commentaire (obligatoire) : pourquoi ?"), commented
            )
            return
        self.save(data, None)

    @work(thread=True, exit_on_error=False, exclusive=True, group="save")
    def save(self, data: ActionData, comment: str | None, *, base: ActionData | None = None) -> None:
        before = base or self.original
        try:
            stored, changes = self.service.save_action(before, data, comment=comment)
        except VersionConflict as conflict:
            current = conflict.current if isinstance(conflict.current, ActionData) else None
            self.post_message(self.Conflict(data, current, comment))
            return
        except ValidationError as error:
            self.post_message(self.Invalid(error))
            return
        self.post_message(self.Saved(stored, changes, before is None))

    @on(Invalid)
    def invalid(self, message: Invalid) -> None:
        if self._quick_change is not None:  # the form does not show what the dialog chose
            self._show_quick_change_again(str(message.error))
            return
        self.show_errors([message.error])

    @on(Saved)
    def saved(self, message: Saved) -> None:
        self._quick_change = None
        self.original = message.action
        self.code = message.action.code
        self._fill(message.action)
        self.show_errors([])
        if message.created:
            self.notify(f"Action {message.action.code} créée.")
        elif message.changes:
            self.notify(f"Enregistré : {', '.join(c.label for c in message.changes)}.")
        else:
            self.notify("Rien n'a changé.")
        # what is allowed but looks wrong ("À lancer" at 40 %); missing links were asked before saving
        doubtful = warnings(message.action, links=False)
        if doubtful:
            self.notify(" ".join(doubtful), title="À vérifier", severity="warning", timeout=8)
        self.reload_journal()
        self.refresh_bindings()  # a new action saved: F8, F9… now act on it
        self.after_save()

    @work(thread=True, exit_on_error=False, group="journal")
    def reload_journal(self) -> None:
        if self.original and self.original.id:
            self.post_message(self.JournalLoaded(self.service.journal(self.original.id)))

    @on(JournalLoaded)
    def journal_loaded(self, message: JournalLoaded) -> None:
        self._show_journal(message.lines)

    @on(Conflict)
    def conflict(self, message: Conflict) -> None:
        self._quick_change = None  # settled in the conflict dialog, with both values
        theirs = message.theirs
        if theirs is None:
            self.notify("Cette action a été supprimée entre-temps.", severity="error")
            return
        base = self.original or theirs

        def save(kept: ActionData) -> None:
            self.original = theirs
            self.save(replace(kept, id=theirs.id, version=theirs.version), message.comment, base=theirs)

        merge = three_way(ACTION, base, message.mine, theirs)
        self.settle_conflict(merge, base, f"Conflit sur l'action {theirs.code}", save)

    # --- quick status / comment ----------------------------------------------------------------

    def action_status(self) -> None:
        if self.refuse_if_read_only() or self.original is None:
            return
        if self.is_dirty():
            self.notify("Enregistrez d'abord vos modifications (Ctrl+S).", severity="warning")
            return
        self._ask_status(self.original)

    def _ask_status(self, original: ActionData, typed: StatusChange | None = None, note: str = "") -> None:
        """The status dialog; `typed` fills it again after its save failed."""

        def changed(change: StatusChange | None) -> None:
            if change is None:
                return
            self._quick_change = lambda why: self._ask_status(original, change, why)
            if change.status != original.status:
                self.save(with_status(original, change.status), change.comment)
            elif change.comment:
                self.comment(original, change.comment)

        self.app.push_screen(
            StatusDialog(
                f"{original.code} — {original.title}",
                original.status,
                status=typed.status if typed else None,
                comment=(typed.comment or "") if typed else "",
                note=note,
            ),
            changed,
        )

    def action_comment(self) -> None:
        if self.refuse_if_read_only() or self.original is None:
            return
        self._ask_comment(self.original)

    def _ask_comment(self, original: ActionData, typed: str = "", note: str = "") -> None:
        """The comment dialog; `typed` fills it again after its save failed."""

        def answered(text: str | None) -> None:
            if text:
                self._quick_change = lambda why: self._ask_comment(original, text, why)
                self.comment(original, text)

        self.app.push_screen(
            TextDialog("Commentaire", f"Commentaire sur {original.code}", value=typed, note=note), answered
        )

    @on(Worker.StateChanged)
    def quick_change_failed(self, event: Worker.StateChanged) -> None:
        """A quick status, comment, indicator or value not saved (disk full, store busy, server
        out of reach): its dialog comes back as typed, under the error, to try again or cancel."""
        if event.state is WorkerState.ERROR and event.worker.group == "save":
            self._show_quick_change_again(QUICK_NOT_SAVED)

    def _show_quick_change_again(self, why: str) -> None:
        ask_again, self._quick_change = self._quick_change, None
        if ask_again is not None:
            ask_again(why)

    @work(thread=True, exit_on_error=False, group="save")
    def comment(self, action: ActionData, text: str) -> None:
        self.service.comment_action(action, text, source="écran Action")
        self.post_message(self.Commented())

    @on(Commented)
    def commented(self) -> None:
        self._quick_change = None
        self.notify("Commentaire ajouté au journal.")
        self.reload_journal()

    # --- indicators ----------------------------------------------------------------------------

    @work(thread=True, exit_on_error=False, exclusive=True, group="indicators")
    def load_indicators(self, action_code: str) -> None:
        self.post_message(self.IndicatorsLoaded(self.service.indicator_grids(action_code)))

    @on(IndicatorsLoaded)
    def indicators_loaded(self, message: IndicatorsLoaded) -> None:
        self.query_one(IndicatorGridView).grids = message.grids

    @on(IndicatorGridView.CellChosen)
    def edit_value(self, event: IndicatorGridView.CellChosen) -> None:
        if not self.refuse_if_read_only():
            self._ask_value(event.grid, event.period, event.category)

    def _ask_value(
        self, grid: IndicatorGrid, period: str, category: str, typed: str | None = None, note: str = ""
    ) -> None:
        """The value dialog; `typed` fills it again after its save failed, `note` says why."""
        old = grid.values.get((period, category))
        label = f"{grid.indicator.code} — {period}" + (f" ({category})" if category else " (total)")
        field = INDICATOR_VALUE["value"]

        def answered(text: str | None) -> None:
            if text is None:
                return
            self._quick_change = lambda why: self._ask_value(grid, period, category, text, why)
            new = field.read_typed(text)
            self.save_value(ValueKey(grid.indicator.code, period, category), old, new)

        self.app.push_screen(
            TextDialog(
                "Valeur de l'indicateur",
                f"{label} (vide : effacer)",
                value=field.edit_text(old) if typed is None else typed,
                required=False,
                check=field.typed_problem,
                note=note,
            ),
            answered,
        )

    @work(thread=True, exit_on_error=False, group="save")
    def save_value(self, key: ValueKey, old: float | None, new: float | None) -> None:
        try:
            self.service.set_indicator_value(key, old, new)
        except ValidationError as error:
            self.post_message(self.Invalid(error))
            return
        self.post_message(self.ValueSaved())
        self.post_message(self.IndicatorsLoaded(self.service.indicator_grids(self.code or "")))
        if self.original and self.original.id:
            self.post_message(self.JournalLoaded(self.service.journal(self.original.id)))

    @on(ValueSaved)
    def value_saved(self) -> None:
        self._quick_change = None

    def action_new_indicator(self) -> None:
        if self.refuse_if_read_only() or self.original is None:
            return
        self._ask_indicator(self.original.code)

    def _ask_indicator(self, code: str, typed: IndicatorData | None = None, note: str = "") -> None:
        """The new indicator's dialog; `typed` fills it again after its save failed."""

        def created(data: IndicatorData | None) -> None:
            if data is not None:
                self._quick_change = lambda why: self._ask_indicator(code, data, why)
                self.create_indicator(data, code)

        self.app.push_screen(IndicatorDialog(code, typed=typed, note=note), created)

    @work(thread=True, exit_on_error=False, group="save")
    def create_indicator(self, data: IndicatorData, action_code: str) -> None:
        try:
            created = self.service.create_indicator(data)
        except ValidationError as error:
            self.post_message(self.Invalid(error))
            return
        self.app.call_from_thread(self.notify, f"Indicateur {created.code} créé.")
        self.post_message(self.ValueSaved())
        self.post_message(self.IndicatorsLoaded(self.service.indicator_grids(action_code)))

    def action_new_period(self) -> None:
        view = self.query_one(IndicatorGridView)
        grid = view.current
        if grid is None:
            self.notify("Créez d'abord un indicateur (Ctrl+G).", severity="warning")
            return
        examples = {"mensuelle": "2024-03", "trimestrielle": "2024-T1", "semestrielle": "2024-S1"}
        field = INDICATOR_VALUE["period"]

        def typed(text: str | None) -> None:
            if text:
                period = str(field.read_typed(text))
                view.add_period(grid.indicator.code, period)
                self._ask_value(grid, period, "")

        example = examples.get(grid.indicator.periodicity, "2024")
        self.app.push_screen(
            TextDialog("Nouvelle période", f"Période (ex. {example})", check=field.typed_problem), typed
        )

    def action_new_category(self) -> None:
        view = self.query_one(IndicatorGridView)
        grid = view.current
        if grid is None:
            self.notify("Créez d'abord un indicateur (Ctrl+G).", severity="warning")
            return

        def typed(category: str | None) -> None:
            if category and category.strip():
                view.add_category(grid.indicator.code, category.strip())

        self.app.push_screen(
            TextDialog("Ventilation", "Nom de la ventilation (ex. mineurs, hommes, femmes)"), typed
        )


def _keep_order(stored: tuple[str, ...], selected: tuple[str, ...]) -> tuple[str, ...]:
    kept = [code for code in stored if code in selected]
    return tuple(kept + [code for code in selected if code not in kept])
