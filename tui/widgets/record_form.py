"""A form generated from the field registry: one labelled input per field, its error line below.

The registry says how each field is edited (`Field.widget`): a line of text (dates, amounts,
percentages and numbers are typed as text and read by the one parser), a long text, one choice
(`Select`), several choices (`Checklist`, ☑/☐), or a value shown but not edited. A layout only
says which fields sit side by side; fields it does not name follow in the registry's order.
The widget of field `name` has the id `name`, its error line the id `error-name`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static, TextArea
from textual.widgets.select import InvalidSelectValueError

from store.errors import ValidationError
from store.fields import Field, Record
from tui.form_values import FormReader
from tui.widgets.checklist import Checklist
from tui.widgets.select_options import set_select_options

#: In a layout: "the fields not named elsewhere, here".
OTHERS = "*"
#: A layout: field names, tuples of names side by side, and at most one `OTHERS`.
Layout = Sequence[str | tuple[str, ...]]
#: What a Select or a Checklist offers: (label, stored value).
Options = list[tuple[str, str]]

_CONTROLS = "Input, TextArea, Select, Checklist"


def field_noun(field: Field) -> str:
    """The noun a checklist counts with: "Territoires" → "territoire"."""
    return field.label.lower().removesuffix("s")


class RecordForm(VerticalScroll):
    """The fields of one kind of record, laid out in rows; reads and fills record snapshots."""

    DEFAULT_CSS = """
    RecordForm .field-readonly { color: $text-muted; }
    """

    def __init__(
        self,
        record: Record,
        layout: Layout,
        *,
        omit: Sequence[str] = (),
        id: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(id=id, disabled=disabled)
        self.record = record
        self.arrangement = layout
        named = {name for entry in layout for name in ((entry,) if isinstance(entry, str) else entry)}
        self.others = tuple(f.name for f in record if f.name not in named and f.name not in omit)
        self.names = tuple(n for entry in self._entries() for n in entry)

    @property
    def shown_only(self) -> tuple[str, ...]:
        """The fields shown but not edited (their value comes from the record, never the form)."""
        return tuple(n for n in self.names if self.record[n].widget == "readonly")

    def _entries(self) -> Iterator[tuple[str, ...]]:
        """The layout's rows, `OTHERS` replaced by one row per field it stands for."""
        if OTHERS not in self.arrangement:
            yield from ((e,) if isinstance(e, str) else e for e in self.arrangement)
            yield from ((n,) for n in self.others)
            return
        for entry in self.arrangement:
            if entry == OTHERS:
                yield from ((n,) for n in self.others)
            else:
                yield (entry,) if isinstance(entry, str) else entry

    # --- building ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        for row in self._entries():
            if len(row) == 1:
                yield from self._field(row[0])
                continue
            with Horizontal(classes="form-row"):
                for name in row:
                    with Vertical():
                        yield from self._field(name)

    def _field(self, name: str) -> ComposeResult:
        field = self.record[name]
        # the label alone (a narrow column holds it whole); the writing expected is in the field
        yield Label(field.label, classes="field-label")
        yield self._control(field)
        yield Static("", id=f"error-{name}", classes="field-error", markup=False)

    @staticmethod
    def _control(field: Field) -> Widget:
        vocabulary = list(field.vocabulary.labels.items()) if field.vocabulary else []
        options = [(label, value) for value, label in vocabulary]
        if field.widget == "long_text":
            return TextArea(id=field.name)
        if field.widget == "choice":
            return Select[str](options, prompt="—", allow_blank=not field.required, id=field.name)
        if field.widget == "choices":
            return Checklist(*options, noun=field_noun(field), id=field.name)
        if field.widget == "readonly":
            return Static("", id=field.name, classes="field-readonly", markup=False)
        control = Input(id=field.name, placeholder=field.writing or "")
        control.tooltip = field.writing
        return control

    def control(self, name: str) -> Widget:
        """The widget that edits field `name`."""
        return self.query_one(f"#{name}")

    def set_options(self, name: str, options: Options, chosen: Sequence[str] = ()) -> None:
        """What field `name` offers (organisations, territories…), with `chosen` ticked."""
        widget = self.control(name)
        if isinstance(widget, Checklist):
            widget.clear_options()
            widget.add_options(
                [
                    (Text(label) if isinstance(label, str) else label, value, value in chosen)
                    for label, value in options
                ]
            )
        elif isinstance(widget, Select):
            set_select_options(widget, options)

    # --- values in and out --------------------------------------------------------------------

    def fill(self, snapshot: object) -> None:
        """Show a record snapshot (an `ActionData`, a `ResourceData`…) in the fields."""
        for name in self.names:
            self.put(name, getattr(snapshot, name, None))

    def put(self, name: str, value: Any) -> None:
        """Show one stored value in field `name`."""
        widget, field = self.control(name), self.record[name]
        if isinstance(widget, Checklist):
            widget.deselect_all()
            offered = {widget.get_option_at_index(i).value for i in range(widget.option_count)}
            for code in value or ():
                if code in offered:
                    widget.select(code)
        elif isinstance(widget, Select):
            if value is None:
                widget.clear()
            else:
                with contextlib.suppress(InvalidSelectValueError):
                    widget.value = value
        elif isinstance(widget, TextArea):
            widget.text = "" if value is None else str(value)
        elif isinstance(widget, Input):
            widget.value = field.edit_text(value)
        elif isinstance(widget, Static):
            widget.update(field.format(value) or "—")

    def typed_values(self) -> dict[str, Any]:
        """What is typed in each editable field, as it is typed (JSON values, for a draft)."""
        values: dict[str, Any] = {}
        for name in self.names:
            widget = self.control(name)
            if isinstance(widget, Checklist):
                values[name] = list(widget.selected)
            elif isinstance(widget, Select):
                values[name] = None if widget.value is Select.NULL else widget.value
            elif isinstance(widget, TextArea):
                values[name] = widget.text
            elif isinstance(widget, Input):
                values[name] = widget.value
        return values

    def restore_typed(self, values: Mapping[str, Any]) -> None:
        """Put `typed_values` back (choices no longer offered are skipped; a locked code stays)."""
        for name, value in values.items():
            if name not in self.names:
                continue
            widget = self.control(name)
            if isinstance(widget, (Checklist, Select)):
                self.put(name, value)
            elif isinstance(widget, TextArea):
                widget.text = str(value)
            elif isinstance(widget, Input) and not widget.disabled:
                widget.value = str(value)

    def read(self) -> tuple[dict[str, Any], list[ValidationError]]:
        """The value of every editable field as typed, and one French message per unreadable one."""
        reader = FormReader(self.record)
        values: dict[str, Any] = {}
        for name in self.names:
            widget, field = self.control(name), self.record[name]
            if isinstance(widget, Checklist):
                chosen = tuple(widget.selected)
                values[name] = tuple(sorted(chosen)) if field.unordered else chosen
            elif isinstance(widget, Select):
                values[name] = None if widget.value is Select.NULL else str(widget.value)
            elif isinstance(widget, TextArea):
                values[name] = reader.read(name, widget.text)
            elif isinstance(widget, Input):
                values[name] = reader.read(name, widget.value)
        return values, reader.errors

    def set_read_only(self, read_only: bool = True) -> None:
        """Every control greyed out (a read-only store)."""
        for widget in self.query(_CONTROLS):
            widget.disabled = read_only

    def show_errors(self, errors: Sequence[ValidationError]) -> Widget | None:
        """Each message under its field (the others emptied); the first field to fix, if any."""
        messages: Mapping[str | None, str] = {e.field: str(e) for e in reversed(errors)}
        for name in self.names:
            self.query_one(f"#error-{name}", Static).update(messages.get(name, ""))
        first = next((name for name in self.names if name in messages), None)  # the highest on screen
        return self.control(first) if first else None

    def check_field(self, name: str) -> None:
        """Read one field as typed and say at once, under it, what is wrong (or nothing)."""
        widget, field = self.control(name), self.record[name]
        text = widget.text if isinstance(widget, TextArea) else getattr(widget, "value", "")
        if not isinstance(text, str):
            return
        try:
            problem = field.validate(field.read_typed(text))
        except ValueError as error:
            problem = str(error)
        self.query_one(f"#error-{name}", Static).update(problem or "")

    @on(Input.Blurred)
    def _left_field(self, event: Input.Blurred) -> None:
        """Leaving a field checks it (the whole form is checked again by Ctrl+S), and shows its
        text from the start: a long title gone through with Tab read « ntion (Mois sans… »."""
        event.input.cursor_position = 0
        if event.input.id in self.names:
            self.check_field(event.input.id)
