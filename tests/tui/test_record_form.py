"""The form generated from the field registry: every field shown, values in and out, errors placed."""

from __future__ import annotations

from datetime import date

from textual.app import App, ComposeResult
from textual.widgets import Input, Label, Select, Static, TextArea

from store.fields import ACTION, RESOURCE
from store.resources import ResourceData
from tui.widgets.checklist import Checklist
from tui.widgets.record_form import OTHERS, RecordForm
from tui.widgets.record_form import Layout as FormLayout

LAYOUT: FormLayout = ("name", ("kind", "status"), "audiences", "territories", OTHERS, "notes")
TERRITORIES = [("Couserans", "COU"), ("Pamiers", "PAM")]


class FormApp(App[None]):
    def __init__(self, layout: FormLayout = LAYOUT) -> None:
        super().__init__()
        self.form_layout = layout

    def compose(self) -> ComposeResult:
        yield RecordForm(RESOURCE, self.form_layout, omit=("code",))

    def on_mount(self) -> None:
        self.query_one(RecordForm).set_options("territories", TERRITORIES)
        self.query_one(RecordForm).set_options("carrier", [("Mairie de Foix", "ORG-1")])


RESPITE = ResourceData(
    code="RES-001",
    name="Accueil de jour du Couserans",
    kind="Accueil de jour",
    audiences=("Personnes âgées",),
    carrier="ORG-1",
    territories=("COU",),
    capacity=12,
    insee_code="09261",
    verified_on=date(2026, 3, 15),
    notes="Ouvert le mardi",
)


async def test_every_field_of_the_registry_has_its_label_and_control() -> None:
    app = FormApp()
    async with app.run_test(size=(100, 60)) as pilot:
        await pilot.pause()
        form = app.query_one(RecordForm)
        labels = [str(label.render()) for label in form.query(Label)]
        for field in RESOURCE:
            if field.name == "code":
                assert not form.query("#code")
                continue
            assert field.label in labels
            if field.writing:  # the expected writing is in the field itself (labels stay short)
                assert form.control(field.name).placeholder == field.writing  # type: ignore[attr-defined]
        assert isinstance(form.control("notes"), TextArea)
        assert isinstance(form.control("kind"), Select)
        assert isinstance(form.control("audiences"), Checklist)
        assert isinstance(form.control("capacity"), Input)
        # the layout's order, the unnamed fields where OTHERS stands, the notes last
        assert form.names[:5] == ("name", "kind", "status", "audiences", "territories")
        assert form.names[-1] == "notes"


async def test_a_record_shown_then_read_back_is_the_same_record() -> None:
    app = FormApp()
    async with app.run_test(size=(100, 60)) as pilot:
        await pilot.pause()
        form = app.query_one(RecordForm)
        form.fill(RESPITE)
        await pilot.pause()
        assert form.control("verified_on").value == "15/03/2026"  # type: ignore[attr-defined]
        values, errors = form.read()
        assert errors == []
        assert ResourceData(code="RES-001", **values) == RESPITE


async def test_what_cannot_be_read_gets_a_french_message_under_its_field() -> None:
    app = FormApp()
    async with app.run_test(size=(100, 60)) as pilot:
        await pilot.pause()
        form = app.query_one(RecordForm)
        form.fill(RESPITE)
        form.control("capacity").value = "douze"  # type: ignore[attr-defined]
        form.control("verified_on").value = "32/13/2026"  # type: ignore[attr-defined]
        await pilot.pause()
        values, errors = form.read()
        assert {e.field for e in errors} == {"capacity", "verified_on"}
        first = form.show_errors(errors)
        assert first is form.control("capacity")
        shown = str(app.query_one("#error-verified_on", Static).render())
        assert shown.startswith("Vérifié le") and "« 32/13/2026 »" in shown
        assert str(app.query_one("#error-name", Static).render()) == ""


async def test_a_read_only_field_is_shown_not_edited() -> None:
    class ActionFormApp(App[None]):
        def compose(self) -> ComposeResult:
            yield RecordForm(ACTION, ("title", "source"))

    app = ActionFormApp()
    async with app.run_test(size=(100, 60)) as pilot:
        await pilot.pause()
        form = app.query_one(RecordForm)
        form.put("source", "STS 2023-2028, E1-D1-O1")
        await pilot.pause()
        assert isinstance(form.control("source"), Static)
        assert "STS 2023-2028" in str(form.control("source").render())
        values, _errors = form.read()
        assert "source" not in values
