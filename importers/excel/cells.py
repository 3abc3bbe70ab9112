"""Spreadsheet cells read with the one parser of what people type (:mod:`store.parsing`).

The workbook reader returns str, float, int, bool, date, datetime, timedelta or "" for an
empty cell; the parsers of ``store.parsing`` accept all of these. This module only gives them
the names the importer uses and formats values for previews through the field registry.
"""

from __future__ import annotations

from typing import Any

from store.fields import RECORDS, record
from store.formatting import format_number
from store.parsing import (
    EXCEL_EPOCH,
    is_blank,
    parse_date,
    parse_euros,
    parse_integer,
    parse_number,
    parse_percent,
    parse_period,
    parse_text,
    parse_texts,
    parse_yes_no,
    raw_text,
)
from store.parsing import ParseError as CellError

__all__ = [
    "EXCEL_EPOCH",
    "CellError",
    "a_date",
    "format_value",
    "integer",
    "is_blank",
    "money_cents",
    "number",
    "percent",
    "period",
    "raw_text",
    "text",
    "texts",
    "yes_no",
]

text = parse_text
texts = parse_texts
number = parse_number
integer = parse_integer
money_cents = parse_euros
percent = parse_percent
a_date = parse_date
yes_no = parse_yes_no
period = parse_period


def format_value(value: Any, field: str | None = None, kind: str | None = None) -> str:
    """A store value as shown in previews ("12 500,50 €", "31/12/2026", labels of coded fields)."""
    if value is None or value == ():
        return "(vide)"
    records = [record(kind)] if kind in RECORDS else list(RECORDS.values())
    for rec in records:
        found = rec.get(field or "")
        if found is not None:
            try:
                return found.format(value) or "(vide)"
            except (TypeError, ValueError):
                break
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return format_number(value)
    return raw_text(value)
