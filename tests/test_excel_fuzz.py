"""Fuzzing: real workbooks mutated at the zip and XML level end in an import preview or a
French refusal naming the file, never in a crash, an abort or English text."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exports.excel import export_ars
from importers.excel import UnreadableWorkbook, preview_import
from store.database import Store, open_store
from tests.conftest import MINI_REFERENCE, snapshot_tables
from tui.cli import main

REAL_FILES = Path(__file__).parent / "fixtures" / "autres_producteurs"
SNIPPETS = [
    b'<c r="xfd1048576"><v>1</v></c>',
    b'<c r="zz9"><v>1</v></c>',
    b"<c><v>1</v></c>" * 50,
    b'<row r="249999"><c r="A249999" t="s"><v>999999</v></c></row>',
    b"<!DOCTYPE x [<!ENTITY a 'b'>]>",
    b"<f>1+1</f>",
    b"<v></v>",
    b'<c r="B2" t="inlineStr"><is><t>' + b"y" * 40_000 + b"</t></is></c>",
    b"\x00\xff\xfe",
    b"</sheetData>",
    b'"',
    b"<row>",
    b"&#0;",
    b"<si><t>a</t></si>" * 20,
    b'<c r="B2" t="e"><f>VLOOKUP(A2,B:C,2,0)</f><v>#N/A</v></c>',
    b"<c t='e'><v>#DIV/0!</v></c>",
    b'<row r="3"><c r="a3" t="e"/></row>',
]
ENGLISH = ("Traceback", "Error", "error", "panicked", "memory allocation", "File is not", "not supported")


@pytest.fixture(scope="module")
def originals(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, dict[str, bytes]]]:
    folder = tmp_path_factory.mktemp("originaux")
    db = str(folder / "base.sqlite")
    assert main(["--db", db, "init", "--reference", str(MINI_REFERENCE)]) == 0
    store = open_store(db)
    export_ars(store, "09", folder / "echange.xlsx")
    store.dispose()
    files = [folder / "echange.xlsx", *sorted(REAL_FILES.glob("*.xlsx"))]
    result = []
    for path in files:
        with zipfile.ZipFile(path) as archive:
            result.append((path.name, {i.filename: archive.read(i) for i in archive.infolist()}))
    return result


@st.composite
def mutations(draw: st.DrawFn) -> tuple[int, list[tuple[str, int, float, int]]]:
    book = draw(st.integers(0, 4))
    steps = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["insert", "cut", "flip", "rename", "drop", "stored"]),
                st.integers(0, 10_000),
                st.floats(0, 1),
                st.integers(0, len(SNIPPETS) - 1),
            ),
            min_size=1,
            max_size=3,
        )
    )
    return book, steps


def mutate(
    parts: dict[str, bytes], steps: list[tuple[str, int, float, int]]
) -> tuple[dict[str, bytes], set[str]]:
    parts = dict(parts)
    stored: set[str] = set()
    for operation, pick, where, snippet in steps:
        name = sorted(parts)[pick % len(parts)]
        data = parts[name]
        at = int(len(data) * where)
        if operation == "insert":
            parts[name] = data[:at] + SNIPPETS[snippet] + data[at:]
        elif operation == "cut":
            parts[name] = data[:at]
        elif operation == "flip" and data:
            index = min(at, len(data) - 1)
            parts[name] = data[:index] + bytes([data[index] ^ 0xFF]) + data[index + 1 :]
        elif operation == "rename":
            parts[name.replace("/", "\\").upper() if snippet % 2 else "ailleurs/" + name] = parts.pop(name)
        elif operation == "drop":
            parts.pop(name)
        elif operation == "stored":
            stored.add(name)
        if not parts:
            break
    return parts, stored


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(mutation=mutations())
def test_a_mutated_workbook_is_imported_or_refused_in_french(
    loaded_store: Store,
    tmp_path: Path,
    originals: list[tuple[str, dict[str, bytes]]],
    mutation: tuple[int, list[tuple[str, int, float, int]]],
) -> None:
    book, steps = mutation
    name, parts = originals[book % len(originals)]
    changed, stored = mutate(parts, steps)
    path = tmp_path / f"mute-{name}"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for part, data in changed.items():
            archive.writestr(part, data, zipfile.ZIP_STORED if part in stored else zipfile.ZIP_DEFLATED)
    before = snapshot_tables(loaded_store)
    try:
        preview = preview_import(loaded_store, "09", path)
    except UnreadableWorkbook as refused:
        message = str(refused)
        assert path.name in message, message
        assert not any(word in message for word in ENGLISH), message
    else:
        text = "\n".join(preview.report_lines())
        assert path.name in text
        assert "Traceback" not in text
    assert snapshot_tables(loaded_store) == before
