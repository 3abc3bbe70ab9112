"""What people type in cells, and how headers are found: pure functions, no store."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exports.excel import ars
from importers.excel import cells, fields
from importers.excel.cells import CellError
from importers.excel.headers import alias_table, column_letter, locate_header


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (date(2024, 3, 1), date(2024, 3, 1)),
        (datetime(2024, 3, 1, 10, 30), date(2024, 3, 1)),  # noqa: DTZ001 (calamine: naive)
        ("01/03/2024", date(2024, 3, 1)),
        (" 1/3/2024 ", date(2024, 3, 1)),
        ("01-03-2024", date(2024, 3, 1)),
        ("01.03.24", date(2024, 3, 1)),
        ("2024-03-01", date(2024, 3, 1)),
        ("2024-03-01 00:00:00", date(2024, 3, 1)),
        (45352.0, date(2024, 3, 1)),
        ("", None),
        (None, None),
    ],
)
def test_dates(raw: object, expected: date | None) -> None:
    assert cells.a_date(raw) == expected


@pytest.mark.parametrize("raw", ["31/02/2024", "2024-13-01", "demain", "32/01/2024", True])
def test_bad_dates(raw: object) -> None:
    with pytest.raises(CellError):
        cells.a_date(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (0.5, 50),
        (50.0, 50),
        ("50 %", 50),
        ("50%", 50),
        ("0,5", 50),
        (" 75 ", 75),
        (1.0, 1),
        (0.0, 0),
        (100, 100),
        ("100 %", 100),
        ("", None),
    ],
)
def test_progress(raw: object, expected: int | None) -> None:
    assert cells.percent(raw) == expected


@pytest.mark.parametrize("raw", [150, "-5", "101 %", "beaucoup"])
def test_bad_progress(raw: object) -> None:
    with pytest.raises(CellError):
        cells.percent(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12 500,50 €", 1250050),
        ("12500.5", 1250050),
        ("1.234,56", 123456),
        ("1,234.56", 123456),
        (3.0, 300),
        ("12\u00a0000", 1200000),
        ("1.000.000", 100000000),
        ("", None),
    ],
)
def test_money(raw: object, expected: int | None) -> None:
    assert cells.money_cents(raw) == expected


def test_numbers_as_text_and_text_as_numbers() -> None:
    assert cells.integer("12") == 12 and cells.integer(12.0) == 12
    with pytest.raises(CellError):
        cells.integer(12.5)
    assert cells.text(12.0) == "12" and cells.text("  x  ") == "x" and cells.text("   ") is None
    assert cells.texts("E1-D4-O2; E1-D4-S2,\nE1-D4-O2") == ("E1-D4-O2", "E1-D4-S2", "E1-D4-O2")


@pytest.mark.parametrize(
    ("raw", "periodicity", "expected"),
    [
        ("2024", None, "2024"),
        (2024.0, None, "2024"),
        ("T1 2024", None, "2024-T1"),
        ("2024-t2", None, "2024-T2"),
        ("S2 2024", None, "2024-S2"),
        ("03/2024", None, "2024-03"),
        ("2024-3", None, "2024-03"),
        (date(2024, 5, 1), "mensuelle", "2024-05"),
        (date(2024, 5, 1), "trimestrielle", "2024-T2"),
        (date(2024, 8, 1), "semestrielle", "2024-S2"),
        (date(2024, 8, 1), "annuelle", "2024"),
    ],
)
def test_periods(raw: object, periodicity: str | None, expected: str) -> None:
    assert cells.period(raw, periodicity) == expected


def test_bad_periods() -> None:
    for raw in ("2024-13", "Q5 2024", "hier"):
        with pytest.raises(CellError):
            cells.period(raw)


@given(st.integers(min_value=0, max_value=100))
def test_progress_round_trips_in_every_form(value: int) -> None:
    assert cells.percent(float(value)) == value
    assert cells.percent(f"{value} %") == value
    if 0 < value < 100:
        assert cells.percent(value / 100) == value


@given(st.dates(min_value=date(1901, 1, 1), max_value=date(2199, 12, 31)))
def test_dates_round_trip_in_every_form(day: date) -> None:
    assert cells.a_date(day.strftime("%d/%m/%Y")) == day
    assert cells.a_date(day.isoformat()) == day
    assert cells.a_date(float((day - cells.EXCEL_EPOCH).days)) == day


def test_header_row_found_below_titles_in_any_case_and_order() -> None:
    rows = [
        ["Suivi des actions", "", ""],
        ["", "", ""],
        ["  avancement ", "CODE", "echeance", "Intitule", "Notes perso"],
        ["50", "ACT-001", "01/01/2025", "x", "y"],
    ]
    found = locate_header(rows, alias_table(fields.ACTION_FIELDS))
    assert found is not None and found.row == 2
    assert found.columns == {0: "progress", 1: "code", 2: "due_date", 3: "title"}
    assert found.ignored == ["Notes perso"]
    assert column_letter(0) == "A" and column_letter(27) == "AB"


def test_the_exporter_and_the_importer_agree_on_the_layout() -> None:
    assert (ars.SHEET_ACTIONS, ars.SHEET_INDICATORS, ars.SHEET_RESOURCES, ars.META_SHEET, ars.FORMAT) == (
        fields.SHEET_ACTIONS,
        fields.SHEET_INDICATORS,
        fields.SHEET_RESOURCES,
        fields.META_SHEET,
        fields.FORMAT,
    )
    for columns, specs in (
        (ars.ACTION_COLUMNS, fields.ACTION_FIELDS),
        (ars.RESOURCE_COLUMNS, fields.RESOURCE_FIELDS),
        (ars.INDICATOR_COLUMNS, fields.INDICATOR_FIELDS),
    ):
        table = alias_table(specs)
        for column in columns:
            key = fields.header_key(column.header)
            if column.field is None:
                assert key in fields.READ_ONLY_HEADERS or table.get(key) == "comment", column.header
            else:
                assert table.get(key) == column.field, column.header
    assert fields.breakdown_category(ars.breakdown_header("moins de 50 ans")) == "moins de 50 ans"
    assert ars.INDICATOR_LEVEL == fields.INDICATOR_LEVEL
