"""Reading what people type in the forms, through the field registry (one parser everywhere)."""

from __future__ import annotations

from typing import Any

from store.errors import ValidationError
from store.fields import Record


class FormReader:
    """Reads form fields of one kind of record and collects one French message per bad field."""

    def __init__(self, rec: Record) -> None:
        self.rec = rec
        self.errors: list[ValidationError] = []

    def read(self, name: str, text: str, default: Any = None) -> Any:
        """The value of field `name` typed as `text`; `default` (and an error) when unreadable."""
        try:
            return self.rec[name].read_typed(text)
        except ValueError as exc:
            self.errors.append(ValidationError(str(exc), name))
            return default

    def edit_text(self, name: str, value: Any) -> str:
        """A stored value as shown in its form field."""
        return self.rec[name].edit_text(value)
