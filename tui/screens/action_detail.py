"""Action: view and edit every field, quick status change, journal. Ctrl+S saves."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import (
    DataTable,
    Input,
    Select,
    SelectionList,
    Static,
    TabbedContent,
    TabPane,
    TextArea,
)

from store.actions import ActionData, FieldChange, validate, warnings
from store.errors import ValidationError, VersionConflict
from store.fields import ACTION
from store.indicators import IndicatorData, ValueKey
from store.journal import JournalLine
from store.views.indicator_grid import IndicatorGrid
from store.vocab import STATUSES_NEEDING_COMMENT, ActionStatus, Weather
from tui.form_values import FormReader
from tui.screens.form_base import FormScreen
from tui.services import Choices, with_status
from tui.widgets.checklist import Checklist
from tui.widgets.confirm_dialog import ConfirmDialog
from tui.widgets.conflict_dialog import ConflictDialog
from tui.widgets.indicator_dialog import IndicatorDialog
from tui.widgets.journal_table import add_journal_columns, show_journal
from tui.widgets.status_dialog import StatusChange, StatusDialog
from tui.widgets.text_dialog import TextDialog

#: Fields with a layout of their own; every other registry field gets a plain input, in order.
_LAID_OUT = frozenset(
    ("code", "title", "description", "status", "progress", "weather", "start_date", "due_date", "lead")
) | {"objectives", "partners", "territories", "budget_cents", "funding", "source"}
_OTHER_FIELDS = tuple(f.name for f in ACTION if f.name not in _LAID_OUT)
#: Registry fields shown but not edited (the source of a shipped action).
_READ_ONLY = tuple(f.name for f in ACTION if f.widget == "readonly")


class ActionDetailScreen(FormScreen):
    """One action (or a new one): form, journal. Nothing is saved until Ctrl+S."""

    TITLE = "Action"
    RECORD = ACTION
    BINDINGS = [
        Binding(
            "ctrl+s", "save", "Enregistrer", tooltip="Enregistrer les modifications (une seule transaction)"
        ),
        Binding("f8", "status", "Statut", tooltip="Changer le statut avec un commentaire"),
        Binding("f9", "comment", "Commenter", tooltip="Ajouter un commentaire au journal"),
        Binding("ctrl+k", "new_indicator", "Nouvel indicateur", show=False, tooltip="Créer un indicateur"),
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

    class Loaded(Message):
        def __init__(
            self, action: ActionData | None, choices: Choices, journal: list[JournalLine], code: str
        ) -> None:
            super().__init__()
            self.action = action
            self.choices = choices
            self.journal = journal
            self.code = code

    class IndicatorsLoaded(Message):
        def __init__(self, grids: list[IndicatorGrid]) -> None:
            super().__init__()
            self.grids = grids

    class JournalLoaded(Message):
        def __init__(self, lines: list[JournalLine]) -> None:
            super().__init__()
            self.lines = lines

    class Saved(Message):
        def __init__(self, action: ActionData, changes: list[FieldChange], created: bool) -> None:
            super().__init__()
            self.action = action
            self.changes = changes
            self.created = created

    class Conflict(Message):
        def __init__(self, mine: ActionData, theirs: ActionData | None, comment: str | None) -> None:
            super().__init__()
            self.mine = mine
            self.theirs = theirs
            self.comment = comment

    class Invalid(Message):
        def __init__(self, error: ValidationError) -> None:
            super().__init__()
            self.error = error

    def __init__(self, code: str | None, *, objective: str | None = None) -> None:
        super().__init__()
        self.grids: list[IndicatorGrid] = []
        #: periods and categories added in the grid but not yet given a value
        self.pending: dict[str, tuple[set[str], set[str]]] = {}
        self.code = code
        self.objective = objective
        self.original: ActionData | None = None
        self.loaded = False

    def compose_body(self) -> ComposeResult:
        yield Static("", id="action-title", classes="screen-title")
        with TabbedContent(id="action-tabs"):
            with TabPane("Fiche", id="tab-form"), VerticalScroll(id="action-form"):
                yield from self.field("code", Input(id="code"))
                yield from self.field("title", Input(id="title"))
                yield from self.field("description", TextArea(id="description"))
                with Horizontal(classes="form-row"):
                    with Vertical():
                        yield from self.field(
                            "status",
                            Select(
                                [(s.label, s.value) for s in ActionStatus], allow_blank=False, id="status"
                            ),
                        )
                    with Vertical():
                        yield from self.field("progress", Input(id="progress"))
                    with Vertical():
                        yield from self.field(
                            "weather",
                            Select([(w.label, w.value) for w in Weather], prompt="—", id="weather"),
                        )
                with Horizontal(classes="form-row"):
                    with Vertical():
                        yield from self.field("start_date", Input(id="start_date"))
                    with Vertical():
                        yield from self.field("due_date", Input(id="due_date"))
                yield from self.field("lead", Select[str]([], prompt="—", id="lead"))
                yield from self.field("objectives", Checklist(noun="objectif", id="objectives"))
                yield from self.field("partners", Checklist(noun="partenaire", id="partners"))
                yield from self.field("territories", Checklist(noun="territoire", id="territories"))
                with Horizontal(classes="form-row"):
                    with Vertical():
                        yield from self.field("budget_cents", Input(id="budget_cents"))
                    with Vertical():
                        yield from self.field("funding", Input(id="funding"))
                for name in _OTHER_FIELDS:
                    yield from self.field(name, Input(id=name))
                for name in _READ_ONLY:  # where the action comes from (the reference document)
                    yield from self.field(name, Static(id=name))
            with TabPane("Journal", id="tab-journal"):
                yield DataTable(id="journal", cursor_type="row", zebra_stripes=True)
            with TabPane("Indicateurs", id="tab-indicators"):
                yield Select[str]([], prompt="Indicateur", id="ind-select")
                yield Static("Aucun indicateur : Ctrl+K pour en créer un.", id="ind-info")
                yield DataTable(id="ind-grid", cursor_type="cell", zebra_stripes=True)

    def on_mount(self) -> None:
        add_journal_columns(self.query_one("#journal", DataTable))
        self.load(self.code)

    def refresh_data(self) -> None:
        """Coming back to this screen keeps the user's typing: nothing to reload."""

    # --- loading ----------------------------------------------------------------------------

    @work(thread=True, exit_on_error=False, exclusive=True, group="action")
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
        self.query_one("#lead", Select).set_options(choices.organisations)
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
        for selector, options, chosen in (
            ("#objectives", choices.objectives, action.objectives),
            ("#partners", choices.organisations, action.partners),
            ("#territories", choices.territories, action.territories),
        ):
            widget = self.query_one(selector, SelectionList)
            widget.clear_options()
            widget.add_options([(label, value, value in chosen) for label, value in options])
        self._fill(action)
        self._show_journal(message.journal)
        if self.original is not None:
            self.load_indicators(self.original.code)
        self.loaded = True
        if self.service.read_only:
            for control in self.query(
                "#action-form Input, #action-form TextArea, #action-form Select, #action-form SelectionList"
            ):
                control.disabled = True
        self.query_one("#title" if self.original is None else "#status").focus()
        if not self.service.read_only:
            self.offer_draft()

    def _fill(self, action: ActionData) -> None:
        code = self.query_one("#code", Input)
        code.value = action.code
        code.disabled = self.original is not None
        self.query_one("#title", Input).value = action.title
        self.query_one("#description", TextArea).text = action.description or ""
        self.query_one("#status", Select).value = action.status
        self.query_one("#progress", Input).value = ACTION["progress"].edit_text(action.progress)
        weather = self.query_one("#weather", Select)
        if action.weather:
            weather.value = action.weather
        else:
            weather.clear()
        self.query_one("#start_date", Input).value = ACTION["start_date"].edit_text(action.start_date)
        self.query_one("#due_date", Input).value = ACTION["due_date"].edit_text(action.due_date)
        lead = self.query_one("#lead", Select)
        if action.lead:
            lead.value = action.lead
        else:
            lead.clear()
        self.query_one("#budget_cents", Input).value = ACTION["budget_cents"].edit_text(action.budget_cents)
        for name in ("funding", *_OTHER_FIELDS):
            self.query_one(f"#{name}", Input).value = ACTION[name].edit_text(getattr(action, name))
        for name in _READ_ONLY:
            self.query_one(f"#{name}", Static).update(ACTION[name].format(getattr(action, name)) or "—")
        title = f"{action.code} — {action.title}" if self.original else f"Nouvelle action {action.code}"
        self.query_one("#action-title", Static).update(title)

    def _show_journal(self, lines: list[JournalLine]) -> None:
        show_journal(self.query_one("#journal", DataTable), lines)

    # --- reading the form -----------------------------------------------------------------------

    def form_data(self) -> tuple[ActionData | None, list[ValidationError]]:
        """The action as typed, and every problem found (parse errors, then domain rules)."""
        reader = FormReader(ACTION)

        def read(name: str, default: Any = None) -> Any:
            return reader.read(name, self.query_one(f"#{name}", Input).value, default)

        weather = self.query_one("#weather", Select).value
        lead = self.query_one("#lead", Select).value
        data = ActionData(
            code=self.query_one("#code", Input).value.strip(),
            title=self.query_one("#title", Input).value.strip(),
            description=self.query_one("#description", TextArea).text.strip() or None,
            objectives=tuple(self.query_one("#objectives", SelectionList).selected),
            lead=None if lead is Select.NULL else str(lead),
            partners=tuple(self.query_one("#partners", SelectionList).selected),
            territories=tuple(sorted(self.query_one("#territories", SelectionList).selected)),
            start_date=read("start_date"),
            due_date=read("due_date"),
            status=str(self.query_one("#status", Select).value),
            progress=read("progress", 0),
            weather=None if weather is Select.NULL else str(weather),
            budget_cents=read("budget_cents"),
            funding=read("funding"),
            **{name: read(name) for name in _OTHER_FIELDS},
            source=self.original.source if self.original else "Saisie à l'écran",
        )
        if self.original is not None:
            data = replace(data, id=self.original.id, version=self.original.version, code=self.original.code)
            # keep the stored order of objectives/partners where unchanged
            data = replace(
                data,
                objectives=_keep_order(self.original.objectives, data.objectives),
                partners=_keep_order(self.original.partners, data.partners),
            )
        errors = reader.errors
        errors += [e for e in validate(data) if e.field not in {err.field for err in errors}]
        return data, errors

    def is_dirty(self) -> bool:
        if not self.loaded:
            return False
        data, _errors = self.form_data()
        if self.original is None:
            return bool(data and data.title)
        return data != self.original

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
        self.show_errors([message.error])

    @on(Saved)
    def saved(self, message: Saved) -> None:
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

    @work(thread=True, exit_on_error=False, group="journal")
    def reload_journal(self) -> None:
        if self.original and self.original.id:
            self.post_message(self.JournalLoaded(self.service.journal(self.original.id)))

    @on(JournalLoaded)
    def journal_loaded(self, message: JournalLoaded) -> None:
        self._show_journal(message.lines)

    @on(Conflict)
    def conflict(self, message: Conflict) -> None:
        theirs = message.theirs
        if theirs is None:
            self.notify("Cette action a été supprimée entre-temps.", severity="error")
            return
        rows = [
            (
                f.label,
                f.format(getattr(message.mine, f.name)) or "—",
                f.format(getattr(theirs, f.name)) or "—",
            )
            for f in ACTION.journaled
            if getattr(message.mine, f.name) != getattr(theirs, f.name)
        ]

        def decided(choice: str | None) -> None:
            if choice == "mine":
                self.save(
                    replace(message.mine, id=theirs.id, version=theirs.version), message.comment, base=theirs
                )
            elif choice == "theirs":
                self.original = theirs
                self._fill(theirs)
                self.reload_journal()
                self.notify("Version enregistrée reprise ; vos modifications sont abandonnées.")

        self.app.push_screen(ConflictDialog(f"Conflit sur l'action {theirs.code}", rows), decided)

    # --- quick status / comment ----------------------------------------------------------------

    def action_status(self) -> None:
        if self.refuse_if_read_only() or self.original is None:
            return
        if self.is_dirty():
            self.notify("Enregistrez d'abord vos modifications (Ctrl+S).", severity="warning")
            return
        original = self.original

        def changed(change: StatusChange | None) -> None:
            if change and change.status != original.status:
                self.save(with_status(original, change.status), change.comment)
            elif change and change.comment:
                self.comment(original, change.comment)

        self.app.push_screen(StatusDialog(f"{original.code} — {original.title}", original.status), changed)

    def action_comment(self) -> None:
        if self.refuse_if_read_only() or self.original is None:
            return
        original = self.original

        def typed(text: str | None) -> None:
            if text:
                self.comment(original, text)

        self.app.push_screen(TextDialog("Commentaire", f"Commentaire sur {original.code}"), typed)

    @work(thread=True, exit_on_error=False, group="save")
    def comment(self, action: ActionData, text: str) -> None:
        self.service.comment_action(action, text, source="écran Action")
        self.post_message(self.Saved(action, [], False))

    # --- indicators ----------------------------------------------------------------------------

    @work(thread=True, exit_on_error=False, exclusive=True, group="indicators")
    def load_indicators(self, action_code: str) -> None:
        self.post_message(self.IndicatorsLoaded(self.service.indicator_grids(action_code)))

    @on(IndicatorsLoaded)
    def indicators_loaded(self, message: IndicatorsLoaded) -> None:
        self.grids = message.grids
        select = self.query_one("#ind-select", Select)
        current = select.value
        select.set_options(
            [(f"{g.indicator.code} — {g.indicator.label}", g.indicator.code) for g in self.grids]
        )
        codes = [g.indicator.code for g in self.grids]
        if codes:
            select.value = current if current in codes else codes[0]
        self._show_grid()

    @on(Select.Changed, "#ind-select")
    def _indicator_chosen(self) -> None:
        self._show_grid()

    def _grid(self) -> IndicatorGrid | None:
        value = self.query_one("#ind-select", Select).value
        return next((g for g in self.grids if g.indicator.code == value), None)

    def _show_grid(self) -> None:
        grid = self._grid()
        table = self.query_one("#ind-grid", DataTable)
        table.clear(columns=True)
        if grid is None:
            self.query_one("#ind-info", Static).update("Aucun indicateur : Ctrl+K pour en créer un.")
            return
        ind = grid.indicator
        periods_extra, categories_extra = self.pending.get(ind.code, (set(), set()))
        categories = ["", *sorted((set(grid.categories) | categories_extra) - {""})]
        periods = sorted(set(grid.periods) | periods_extra)
        self.query_one("#ind-info", Static).update(
            f"{ind.label} — {ind.unit or 'sans unité'}, {ind.periodicity}; initiale {_num(ind.baseline)}, "
            f"cible {_num(ind.target)}, dernière valeur {_num(grid.latest)}. "
            "Entrée : saisir la valeur ; Ctrl+N : période ; Ctrl+B : ventilation ; Ctrl+K : indicateur."
        )
        table.add_column("Période", key="period")
        for category in categories:
            table.add_column(category or "Total", key=category or "__total__")
        for period in periods:
            cells = [_num(grid.values.get((period, c))) for c in categories]
            table.add_row(period, *cells, key=period)

    @on(DataTable.CellSelected, "#ind-grid")
    def edit_value(self, event: DataTable.CellSelected) -> None:
        grid = self._grid()
        if grid is None or self.refuse_if_read_only():
            return
        period = str(event.cell_key.row_key.value)
        column = str(event.cell_key.column_key.value)
        if column == "period":
            return
        category = "" if column == "__total__" else column
        self._ask_value(grid, period, category)

    def _ask_value(self, grid: IndicatorGrid, period: str, category: str) -> None:
        old = grid.values.get((period, category))
        label = f"{grid.indicator.code} — {period}" + (f" ({category})" if category else " (total)")

        def typed(text: str | None) -> None:
            if text is None:
                return
            try:
                new = float(text.replace(",", ".").replace(" ", "")) if text.strip() else None
            except ValueError:
                self.notify(f"« {text} » n'est pas un nombre.", severity="error")
                return
            self.save_value(ValueKey(grid.indicator.code, period, category), old, new)

        self.app.push_screen(
            TextDialog(
                "Valeur de l'indicateur", f"{label} (vide : effacer)", value=_num(old), required=False
            ),
            typed,
        )

    @work(thread=True, exit_on_error=False, group="save")
    def save_value(self, key: ValueKey, old: float | None, new: float | None) -> None:
        try:
            self.service.set_indicator_value(key, old, new)
        except ValidationError as error:
            self.post_message(self.Invalid(error))
            return
        self.post_message(self.IndicatorsLoaded(self.service.indicator_grids(self.code or "")))
        if self.original and self.original.id:
            self.post_message(self.JournalLoaded(self.service.journal(self.original.id)))

    def action_new_indicator(self) -> None:
        if self.refuse_if_read_only() or self.original is None:
            return
        code = self.original.code

        def created(data: IndicatorData | None) -> None:
            if data is not None:
                self.create_indicator(data, code)

        self.app.push_screen(IndicatorDialog(code), created)

    @work(thread=True, exit_on_error=False, group="save")
    def create_indicator(self, data: IndicatorData, action_code: str) -> None:
        try:
            created = self.service.create_indicator(data)
        except ValidationError as error:
            self.post_message(self.Invalid(error))
            return
        self.app.call_from_thread(self.notify, f"Indicateur {created.code} créé.")
        self.post_message(self.IndicatorsLoaded(self.service.indicator_grids(action_code)))

    def action_new_period(self) -> None:
        grid = self._grid()
        if grid is None:
            self.notify("Créez d'abord un indicateur (Ctrl+K).", severity="warning")
            return
        examples = {"mensuelle": "2024-03", "trimestrielle": "2024-T1", "semestrielle": "2024-S1"}

        def typed(period: str | None) -> None:
            if period:
                self.pending.setdefault(grid.indicator.code, (set(), set()))[0].add(period.strip())
                self._show_grid()
                self._ask_value(grid, period.strip(), "")

        example = examples.get(grid.indicator.periodicity, "2024")
        self.app.push_screen(TextDialog("Nouvelle période", f"Période (ex. {example})"), typed)

    def action_new_category(self) -> None:
        grid = self._grid()
        if grid is None:
            return

        def typed(category: str | None) -> None:
            if category:
                self.pending.setdefault(grid.indicator.code, (set(), set()))[1].add(category.strip())
                self._show_grid()

        self.app.push_screen(
            TextDialog("Ventilation", "Nom de la ventilation (ex. mineurs, hommes, femmes)"), typed
        )


def _num(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:g}".replace(".", ",")


def _keep_order(stored: tuple[str, ...], selected: tuple[str, ...]) -> tuple[str, ...]:
    kept = [code for code in stored if code in selected]
    return tuple(kept + [code for code in selected if code not in kept])
