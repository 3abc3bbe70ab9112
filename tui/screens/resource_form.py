"""Ressource: detail and edit form of an aidant / répit resource. Ctrl+S saves."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Input, Select, SelectionList, Static, TabbedContent, TabPane, TextArea

from store.errors import ValidationError, VersionConflict
from store.fields import RESOURCE
from store.journal import JournalLine
from store.resources import ResourceData, validate
from store.vocab import AUDIENCES, RESOURCE_TYPES, ResourceStatus
from tui.form_values import FormReader
from tui.screens.form_base import FormScreen
from tui.services import Choices
from tui.widgets.checklist import Checklist
from tui.widgets.conflict_dialog import ConflictDialog
from tui.widgets.journal_table import add_journal_columns, show_journal

#: Fields with a layout of their own; every other registry field gets a plain input, in order.
_LAID_OUT = frozenset(
    (
        "code",
        "name",
        "kind",
        "status",
        "audiences",
        "carrier",
        "territories",
        "capacity",
        "verified_on",
        "notes",
    )
)
_TEXT_FIELDS = tuple(f.name for f in RESOURCE if f.name not in _LAID_OUT)


class ResourceFormScreen(FormScreen):
    """One resource (or a new one)."""

    TITLE = "Ressource"
    RECORD = RESOURCE
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

    class Failed(Message):
        def __init__(self, error: ValidationError | VersionConflict) -> None:
            super().__init__()
            self.error = error

    def __init__(self, code: str | None) -> None:
        super().__init__()
        self.code = code
        self.original: ResourceData | None = None
        self.loaded = False

    def compose_body(self) -> ComposeResult:
        yield Static("", id="resource-title", classes="screen-title")
        with TabbedContent(id="resource-tabs"):
            with TabPane("Fiche", id="tab-resource-form"):
                yield from self.compose_form()
            with TabPane("Journal", id="tab-resource-journal"):
                yield DataTable(id="resource-journal", cursor_type="row", zebra_stripes=True)

    def compose_form(self) -> ComposeResult:
        with VerticalScroll(id="resource-form"):
            yield from self.field("name", Input(id="name"))
            with Horizontal(classes="form-row"):
                with Vertical():
                    yield from self.field(
                        "kind", Select([(t, t) for t in RESOURCE_TYPES], allow_blank=False, id="kind")
                    )
                with Vertical():
                    yield from self.field(
                        "status",
                        Select([(s.label, s.value) for s in ResourceStatus], allow_blank=False, id="status"),
                    )
            yield from self.field(
                "audiences", Checklist(*[(a, a) for a in AUDIENCES], noun="public", id="audiences")
            )
            yield from self.field("carrier", Select[str]([], prompt="—", id="carrier"))
            yield from self.field("territories", Checklist(noun="territoire", id="territories"))
            with Horizontal(classes="form-row"):
                with Vertical():
                    yield from self.field("capacity", Input(id="capacity"))
                with Vertical():
                    yield from self.field("verified_on", Input(id="verified_on"))
            for name in _TEXT_FIELDS:
                yield from self.field(name, Input(id=name))
            yield from self.field("notes", TextArea(id="notes"))

    def on_mount(self) -> None:
        add_journal_columns(self.query_one("#resource-journal", DataTable))
        self.load()

    def refresh_data(self) -> None:
        """Keep what the user typed."""

    @work(thread=True, exit_on_error=False, exclusive=True)
    def load(self) -> None:
        resource = self.service.resource(self.code) if self.code else None
        lines = self.service.resource_journal(resource.id) if resource and resource.id else []
        self.post_message(self.Loaded(resource, self.service.choices(), lines))

    @on(Loaded)
    def show(self, message: Loaded) -> None:
        self.query_one("#carrier", Select).set_options(message.choices.organisations)
        whole = message.choices.department_territory
        resource = message.resource or ResourceData(
            code="", name="", kind=RESOURCE_TYPES[0], territories=(whole,) if whole else ()
        )
        self.original = message.resource
        territories = self.query_one("#territories", SelectionList)
        territories.clear_options()
        territories.add_options(
            [(label, code, code in resource.territories) for label, code in message.choices.territories]
        )
        self._fill(resource)
        show_journal(self.query_one("#resource-journal", DataTable), message.journal)
        self.loaded = True
        if self.service.read_only:
            for widget in self.query(
                "#resource-form Input, #resource-form TextArea, "
                "#resource-form Select, #resource-form SelectionList"
            ):
                widget.disabled = True
        self.query_one("#name", Input).focus()
        if not self.service.read_only:
            self.offer_draft()

    def _fill(self, r: ResourceData) -> None:
        self.query_one("#resource-title", Static).update(
            f"{r.code} — {r.name}" if r.code else "Nouvelle ressource"
        )
        self.query_one("#name", Input).value = r.name
        self.query_one("#kind", Select).value = r.kind
        self.query_one("#status", Select).value = r.status
        audiences = self.query_one("#audiences", SelectionList)
        audiences.deselect_all()
        for audience in r.audiences:
            audiences.select(audience)
        carrier = self.query_one("#carrier", Select)
        if r.carrier:
            carrier.value = r.carrier
        else:
            carrier.clear()
        for name in ("capacity", "verified_on", *_TEXT_FIELDS):
            self.query_one(f"#{name}", Input).value = RESOURCE[name].edit_text(getattr(r, name))
        self.query_one("#notes", TextArea).text = r.notes or ""

    def form_data(self) -> tuple[ResourceData, list[ValidationError]]:
        reader = FormReader(RESOURCE)

        def read(name: str) -> Any:
            return reader.read(name, self.query_one(f"#{name}", Input).value)

        carrier = self.query_one("#carrier", Select).value
        data = ResourceData(
            code=self.original.code if self.original else "",
            name=self.query_one("#name", Input).value.strip(),
            kind=str(self.query_one("#kind", Select).value),
            audiences=tuple(sorted(self.query_one("#audiences", SelectionList).selected)),
            carrier=None if carrier is Select.NULL else str(carrier),
            territories=tuple(sorted(self.query_one("#territories", SelectionList).selected)),
            capacity=read("capacity"),
            verified_on=read("verified_on"),
            status=str(self.query_one("#status", Select).value),
            notes=self.query_one("#notes", TextArea).text.strip() or None,
            **{name: read(name) for name in _TEXT_FIELDS},
        )
        if self.original is not None:
            data = replace(data, id=self.original.id, version=self.original.version)
        errors = reader.errors
        errors += [e for e in validate(data) if e.field not in {err.field for err in errors}]
        return data, errors

    def is_dirty(self) -> bool:
        if not self.loaded:
            return False
        data, _errors = self.form_data()
        return data != self.original if self.original else bool(data.name)

    def action_verified(self) -> None:
        self.query_one("#verified_on", Input).value = RESOURCE["verified_on"].edit_text(self.service.today())

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
        show_journal(self.query_one("#resource-journal", DataTable), message.journal)
        self.show_errors([])
        self.notify(f"Ressource {message.resource.code} enregistrée.")

    @on(Failed)
    def failed(self, message: Failed) -> None:
        error = message.error
        if isinstance(error, ValidationError):
            self.show_errors([error])
            return
        theirs = error.current if isinstance(error.current, ResourceData) else None
        if theirs is None:
            return
        mine, _ = self.form_data()
        rows = [
            (f.label, f.format(getattr(mine, f.name)) or "—", f.format(getattr(theirs, f.name)) or "—")
            for f in RESOURCE.journaled
            if getattr(mine, f.name) != getattr(theirs, f.name)
        ]

        def decided(choice: str | None) -> None:
            if choice == "mine":
                self.save(replace(mine, id=theirs.id, version=theirs.version), theirs)
            elif choice == "theirs":
                self.original = theirs
                self._fill(theirs)

        self.app.push_screen(ConflictDialog(f"Conflit sur la ressource {theirs.code}", rows), decided)
