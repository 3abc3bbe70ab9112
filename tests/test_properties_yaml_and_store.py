"""Property tests (hypothesis): the YAML loader never lets an unexpected exception reach the user,
the vocabularies' parsers accept any text, and store content survives export → re-import."""

from __future__ import annotations

import copy
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exports.reference_yaml import dump_reference
from importers.reference_yaml import DOCUMENT, ReferenceFileError, parse_reference, read_reference_file
from importers.yaml_schema import parse
from store.database import open_store
from store.parsing import ACTION_STATUSES, RESOURCE_STATUSES, WEATHERS
from store.reference import apply_reference, read_reference
from store.vocab import ActionStatus, ResourceStatus, Weather, fold
from tests.conftest import MINI_REFERENCE

MINI_TEXT = MINI_REFERENCE.read_text(encoding="utf-8")
MINI_DOC = read_reference_file(MINI_REFERENCE)
SETTINGS = settings(
    max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)

# --- any input: a value or a ReferenceFileError --------------------------------------------------

yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20) | st.dates(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=25,
)


#: Any text, characters YAML forbids included (they get a French message too).
yaml_text = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=400)


def _load(text: str) -> None:
    try:
        doc = parse_reference(text, "essai.yaml")
    except ReferenceFileError as exc:
        assert exc.problems and all(isinstance(p, str) and p for p in exc.problems)
        assert "essai.yaml" in str(exc)
        return
    assert isinstance(doc, dict) and doc["departement"]["code"]


@SETTINGS
@given(yaml_text)
def test_any_text_gives_a_document_or_a_reference_file_error(text: str) -> None:
    _load(text)


@pytest.mark.parametrize("text", ["format: 1\x1f\n", "\x08", 'departement: {code: "09\\u0000"}\n\x00'])
def test_a_control_character_gives_a_reference_file_error(text: str) -> None:
    _load(text)


@SETTINGS
@given(yaml_values)
def test_any_yaml_structure_gives_a_document_or_a_reference_file_error(value: Any) -> None:
    _load(yaml.safe_dump(value, allow_unicode=True))


@SETTINGS
@given(st.data())
def test_the_test_scheme_with_random_damage_gives_a_document_or_a_reference_file_error(
    data: st.DataObject,
) -> None:
    lines = MINI_TEXT.splitlines()
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(lines) - 1))
        action = data.draw(st.sampled_from(["delete", "replace", "indent", "duplicate", "truncate"]))
        if action == "delete":
            del lines[i]
        elif action == "replace":
            lines[i] = data.draw(yaml_text.map(lambda t: t[:40]))
        elif action == "indent":
            lines[i] = " " * data.draw(st.integers(1, 5)) + lines[i]
        elif action == "duplicate":
            lines.insert(i, lines[i])
        else:
            lines[i] = lines[i][: data.draw(st.integers(0, max(0, len(lines[i]) - 1)))]
        if not lines:
            lines = [""]
    _load("\n".join(lines))


@SETTINGS
@given(yaml_text)
def test_the_yaml_schema_parser_reports_problems_never_raises(text: str) -> None:
    value, ctx = parse(text, DOCUMENT)
    assert value is not None or ctx.problems


@SETTINGS
@given(st.text(max_size=60))
def test_vocabulary_parsers_accept_any_text(text: str) -> None:
    assert ACTION_STATUSES.find(text) in (None, *ActionStatus)
    assert RESOURCE_STATUSES.find(text) in (None, *ResourceStatus)
    assert WEATHERS.find(text) in (None, *Weather)
    assert isinstance(fold(text), str)


@pytest.mark.parametrize("status", list(ActionStatus))
def test_every_status_label_parses_back(status: ActionStatus) -> None:
    assert ACTION_STATUSES.find(status.label) == status
    assert ACTION_STATUSES.find(status.label.upper()) == status


# --- round trip through the store and the YAML format ------------------------------------------

# Texts as people type them (accents, quotes, guillemets, emoji, several lines), not control codes.
human_text = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc", "Zl", "Zp", "Co", "Cn"), blacklist_characters="\ufeff\x85"
    )
    | st.sampled_from(["\n", "«", "»", "’", "é", "œ", ":", "#", "-", "'", '"', " "]),
    min_size=1,
    max_size=40,
).filter(lambda s: s.strip() == s and s.strip() != "" and "\n\n" not in s)
optional_text = st.none() | human_text
one_line = human_text.filter(lambda s: "\n" not in s)  # names: the export's header quotes the department's
cents = st.integers(0, 10**9).map(lambda c: c / 100)


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    doc = copy.deepcopy(MINI_DOC)
    doc["departement"]["nom"] = draw(one_line)
    for territory in doc["territoires"]:
        territory["nom"] = draw(one_line)
    for organisation in doc["organisations"]:
        organisation["nom"] = draw(one_line)
    doc["defis_cts"] = draw(st.lists(human_text, max_size=3))
    objective = doc["engagements"][0]["defis"][0]["objectifs"][0]
    objective["intitule"] = draw(human_text)
    objective["constats"] = draw(optional_text)
    objective["chiffres_cles"] = draw(st.lists(human_text, max_size=3))
    for action in doc["actions"]:
        action["intitule"] = draw(human_text)
        action["description"] = draw(optional_text)
        action["avancement"] = draw(st.integers(0, 100))
        action["budget"] = draw(st.none() | cents)
        action["meteo"] = draw(st.sampled_from([None, "vert", "orange", "rouge"]))
        action["statut"] = draw(st.sampled_from(["À lancer", "En cours", "Réalisée"]))
        start = draw(st.none() | st.dates(date(2000, 1, 1), date(2040, 12, 31)))
        action["debut"] = start
        action["echeance"] = draw(st.none() | st.dates(start or date(2000, 1, 1), date(2045, 12, 31)))
    for indicator in doc["indicateurs"]:
        indicator["valeurs"] = [
            {
                "periode": f"2024-{m:02d}",
                "valeur": draw(st.floats(-1e9, 1e9, allow_nan=False)),
                "ventilation": {},
            }
            for m in range(1, draw(st.integers(1, 4)))
        ]
    return doc


@pytest.fixture(scope="module")
def empty_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("modele") / "vide.sqlite"
    open_store(path).dispose()
    return path


def _load_and_read(template: Path, folder: Path, name: str, doc: dict[str, Any]) -> dict[str, Any]:
    path = folder / name
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(template, path)
    store = open_store(path, daily_backup=False)
    try:
        with store.writer.begin() as conn:
            apply_reference(conn, doc, author="propriété", source="hypothesis")
        with store.engine.connect() as conn:
            return read_reference(conn, doc["departement"]["code"])
    finally:
        store.dispose()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(doc=documents())
def test_store_content_exported_and_reimported_is_unchanged(
    doc: dict[str, Any], empty_store: Path, tmp_path: Path
) -> None:
    first = _load_and_read(empty_store, tmp_path, "a.sqlite", doc)
    assert first["actions"][0]["intitule"] == doc["actions"][0]["intitule"]
    assert first["departement"]["nom"] == doc["departement"]["nom"]
    exported = dump_reference(first)
    second = _load_and_read(empty_store, tmp_path, "b.sqlite", parse_reference(exported, "export.yaml"))
    assert second == first
    assert dump_reference(second) == exported


def test_a_reference_without_cts_challenges_loads(empty_store: Path, tmp_path: Path) -> None:
    doc = copy.deepcopy(MINI_DOC)
    doc["defis_cts"] = []
    assert _load_and_read(empty_store, tmp_path, "sans-cts.sqlite", doc)["defis_cts"] == []


def test_a_department_name_on_two_lines_survives_the_export(empty_store: Path, tmp_path: Path) -> None:
    doc = copy.deepcopy(MINI_DOC)
    doc["departement"]["nom"] = "Ariège\nPyrénées"
    read = _load_and_read(empty_store, tmp_path, "deux-lignes.sqlite", doc)
    assert parse_reference(dump_reference(read), "export.yaml")["departement"]["nom"] == "Ariège\nPyrénées"
