"""One table of what people type, run against every entry point that reads it.

The same input gives the same value — or the same French reason — whether it is typed in a
form, in a spreadsheet cell sent back by the ARS, or in a reference YAML file.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from exports.excel import export_ars
from importers.excel import preview_import
from importers.reference_yaml import ReferenceFileError, parse_reference
from importers.setup_store import initialise
from store.actions import load_actions
from store.database import Store
from store.fields import ACTION
from store.parsing import ParseError
from store.reference import action_from_doc
from tests.conftest import MINI_REFERENCE
from tests.excel_fixtures import edit_workbook, set_cell
from tui.form_values import FormReader

#: (field, what is typed, the value, or a fragment of the French reason it is refused for).
CASES: list[tuple[str, str, Any]] = [
    ("due_date", "15/03/2025", date(2025, 3, 15)),
    ("due_date", "2025-03-15", date(2025, 3, 15)),
    ("due_date", "2024-3-1", date(2024, 3, 1)),
    ("due_date", "15 mars 2025", date(2025, 3, 15)),
    ("due_date", "1er février 2024", date(2024, 2, 1)),
    ("due_date", "45352", date(2024, 3, 1)),
    ("due_date", "31/02/2024", "cette date n'existe pas"),
    ("due_date", "demain", "une date est attendue"),
    ("budget_cents", "12 500,50", 1250050),
    ("budget_cents", "1.234,50", 123450),
    ("budget_cents", "1 234", 123400),
    ("budget_cents", "12 500,50 €", 1250050),
    ("budget_cents", "-5", "un montant positif est attendu"),
    ("budget_cents", "beaucoup", "un nombre est attendu"),
    ("progress", "50 %", 50),
    ("progress", "0,5", 50),
    ("progress", "75", 75),
    ("progress", "150", "entre 0 et 100"),
    ("status", "terminé", "realisee"),
    ("status", "EN COURS", "en_cours"),
    ("status", "à faire", "a_lancer"),
    ("status", "peut-être", "statut : valeur inconnue"),
    ("weather", "Rouge", "rouge"),
    ("weather", "violet", "météo : valeur inconnue"),
]
IDS = [f"{field}={typed}" for field, typed, _ in CASES]


def _refused(expected: Any) -> bool:
    return isinstance(expected, str) and " " in expected


@pytest.mark.parametrize(("field", "typed", "expected"), CASES, ids=IDS)
def test_the_parser(field: str, typed: str, expected: Any) -> None:
    if _refused(expected):
        with pytest.raises(ParseError, match=expected):
            ACTION[field].read(typed)
    else:
        assert ACTION[field].read(typed) == expected


@pytest.mark.parametrize(("field", "typed", "expected"), CASES, ids=IDS)
def test_the_forms(field: str, typed: str, expected: Any) -> None:
    reader = FormReader(ACTION)
    value = reader.read(field, typed)
    if _refused(expected):
        assert len(reader.errors) == 1 and reader.errors[0].field == field
        message = str(reader.errors[0])
        assert expected in message and ACTION[field].label in message and typed in message
    else:
        assert not reader.errors and value == expected


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, Path]]:
    folder = tmp_path_factory.mktemp("table")
    result = initialise(str(folder / "store.sqlite"), reference=MINI_REFERENCE)
    path = folder / "echange.xlsx"
    export_ars(result.store, "09", path, author="testeur")
    yield result.store, path
    result.store.dispose()


@pytest.mark.parametrize(("field", "typed", "expected"), CASES, ids=IDS)
def test_the_excel_import(
    exported: tuple[Store, Path], tmp_path: Path, field: str, typed: str, expected: Any
) -> None:
    store, path = exported

    def edit(book: Any) -> None:
        set_cell(book, "Actions", "ACT-002", ACTION[field].excel_header, typed)

    preview = preview_import(store, "09", edit_workbook(path, tmp_path / "saisie.xlsx", edit))
    if _refused(expected):
        assert len(preview.rejected) == 1
        problem = str(preview.rejected[0])
        assert expected in problem and "Actions" in problem and typed in problem
    else:
        assert not preview.rejected, [str(p) for p in preview.rejected]
        proposed = {c.field: c.new for p in preview.changed for c in p.changes}
        with store.engine.connect() as conn:
            current = load_actions(conn, "09", ["ACT-002"])["ACT-002"]
        assert proposed.get(field, getattr(current, field)) == expected


def _reference_with(field: str, typed: str) -> str:
    doc = yaml.safe_load(MINI_REFERENCE.read_text(encoding="utf-8"))
    action = next(a for a in doc["actions"] if a["code"] == "ACT-002")
    action[ACTION[field].yaml] = typed
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


@pytest.mark.parametrize(("field", "typed", "expected"), CASES, ids=IDS)
def test_the_reference_yaml(field: str, typed: str, expected: Any) -> None:
    text = _reference_with(field, typed)
    if _refused(expected):
        with pytest.raises(ReferenceFileError) as refused:
            parse_reference(text, "essai.yaml")
        assert expected in str(refused.value) and "essai.yaml" in str(refused.value)
    else:
        doc = parse_reference(text, "essai.yaml")
        action = action_from_doc(next(a for a in doc["actions"] if a["code"] == "ACT-002"))
        assert getattr(action, field) == expected
