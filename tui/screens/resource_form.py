"""Ressource: detail and edit form of an aidant / répit resource. Ctrl+S saves."""

from __future__ import annotations

from dataclasses import dataclass, replace

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Static, TabbedContent, TabPane

from store.errors import ValidationError, VersionConflict
from store.fields import RESOURCE
from store.journal import JournalLine
from store.merge import three_way
from store.resources import ResourceData, validate
from store.vocab import RESOURCE_TYPES, ResourceStatus
from tui.screens.form_base import FormScreen
from tui.services import Choices
from tui.widgets.journal_table import JournalView
from tui.widgets.record_form import OTHERS, Layout, RecordForm

#: Fields side by side; the others follow in the registry's order, the notes last.
RESOURCE_LAYOUT: Layout = (
    "name",
    ("kind", "status"),
    "audiences",
    "carrier",
    "territories",
    ("capacity", "verified_on"),
    OTHERS,
    "notes",
)


class ResourceFormScreen(FormScreen):
    """One resource (or a new one)."""

    TITLE = "Ressource"
    WRITE_ACTIONS = frozenset({"save"})
    BINDINGS = [
        Binding("ctrl+s", "save", "Enregistrer", tooltip="Enregistrer la ressource"),
        Binding(
            "f8", "verified", "Vérifiée ce jour", tooltip="Noter que la fiche a été vérifiée aujourd'hui"
        ),
    ]

    @dataclass
    class Loaded(Message):
        resource: ResourceData | None
        choices: Choices
        journal: list[JournalLine]

    @dataclass
    class Saved(Message):
        resource: ResourceData
        journal: list[JournalLine]

    @dataclass
    class Failed(Message):
        error: ValidationError | VersionConflict

    def __init__(self, code: str | None) -> None:
        super().__init__()
        self.code = code
        self.original: ResourceData | None = None
        self.loaded = False

    def compose_body(self) -> ComposeResult:
        yield Static("", id="resource-title", classes="screen-title", markup=False)
        with TabbedContent(id="resource-tabs"):
            with TabPane("Fiche", id="tab-resource-form"):
                yield from self.compose_form()
            with TabPane("Journal", id="tab-resource-journal"):
                yield JournalView(table_id="resource-journal")

    def compose_form(self) -> ComposeResult:
        # disabled until the record is shown: nothing typed before could be overwritten
        yield RecordForm(RESOURCE, RESOURCE_LAYOUT, omit=("code",), id="resource-form", disabled=True)

    def on_mount(self) -> None:
        self.load_record()

    def load_record(self) -> None:
        self.load()

    @work(thread=True, exit_on_error=False, exclusive=True, group=FormScreen.LOAD_GROUP)
    def load(self) -> None:
        resource = self.service.resource(self.code) if self.code else None
        lines = self.service.resource_journal(resource.id) if resource and resource.id else []
        self.post_message(self.Loaded(resource, self.service.choices(), lines))

    @on(Loaded)
    def show(self, message: Loaded) -> None:
        whole = message.choices.department_territory
        resource = message.resource or ResourceData(
            code="", name="", kind=RESOURCE_TYPES[0], territories=(whole,) if whole else ()
        )
        self.original = message.resource
        form = self.query_one(RecordForm)
        form.set_options("carrier", message.choices.organisations)
        form.set_options("territories", message.choices.territories)
        self._fill(resource)
        self.query_one(JournalView).lines = message.journal
        self.loaded = True
        form.disabled = False
        form.set_read_only(self.service.read_only)
        self.query_one("#name").focus()
        if not self.service.read_only:
            self.offer_draft()

    def _fill(self, r: ResourceData) -> None:
        self.query_one("#resource-title", Static).update(
            f"{r.code} — {r.name}" if r.code else "Nouvelle ressource"
        )
        self.query_one(RecordForm).fill(r)

    def form_data(self) -> tuple[ResourceData, list[ValidationError]]:
        form = self.query_one(RecordForm)
        values, errors = form.read()
        values.update({name: getattr(self.original, name, None) for name in form.shown_only})
        values.update(
            code=self.original.code if self.original else "",
            name=values["name"] or "",
            kind=values["kind"] or RESOURCE_TYPES[0],
            status=values["status"] or ResourceStatus.EXISTING.value,
        )
        data = ResourceData(**values)
        if self.original is not None:
            data = replace(data, id=self.original.id, version=self.original.version)
        errors += [e for e in validate(data) if e.field not in {err.field for err in errors}]
        return data, errors

    def is_dirty(self) -> bool:
        if not self.loaded:
            return False
        data, _errors = self.form_data()
        changed = data != self.original if self.original else bool(data.name)
        return changed or self.typed_unreadable()

    def action_verified(self) -> None:
        self.query_one(RecordForm).put("verified_on", self.service.today())

    def action_save(self) -> None:
        if self.refuse_if_read_only() or not self.loaded:
            return
        data, errors = self.form_data()
        self.show_errors(errors)
        if not errors:
            self.save(data, self.original)

    @work(thread=True, exit_on_error=False, exclusive=True, group="save")
    def save(self, data: ResourceData, before: ResourceData | None) -> None:
        try:
            saved = self.service.save_resource(before, data)
            self.post_message(self.Saved(saved, self.service.resource_journal(saved.id or 0)))
        except (ValidationError, VersionConflict) as error:
            self.post_message(self.Failed(error))

    @on(Saved)
    def saved(self, message: Saved) -> None:
        self.original = message.resource
        self.code = message.resource.code
        self._fill(message.resource)
        self.query_one(JournalView).lines = message.journal
        self.show_errors([])
        self.notify(f"Ressource {message.resource.code} enregistrée.")
        self.after_save()

    @on(Failed)
    def failed(self, message: Failed) -> None:
        error = message.error
        if isinstance(error, ValidationError):
            self.show_errors([error])
            return
        theirs = error.current if isinstance(error.current, ResourceData) else None
        if theirs is None:
            self.notify("Cette ressource a été supprimée entre-temps.", severity="error")
            return
        mine, _ = self.form_data()
        base = self.original or theirs

        def save(kept: ResourceData) -> None:
            self.original = theirs
            self.save(replace(kept, id=theirs.id, version=theirs.version), theirs)

        merge = three_way(RESOURCE, base, mine, theirs)
        self.settle_conflict(merge, base, f"Conflit sur la ressource {theirs.code}", save)
