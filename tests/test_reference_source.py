"""The shipped Ariège reference says what the document says, and nothing it does not.

The document's text ships as a fixture (`tests/fixtures/sts_ariege_2023_2028.txt`, the public
STS 2023-2028 as extracted from its PDF). Every text of the YAML that quotes it must be found
there once spaces, line breaks and the PDF's `**` are normalised; every action names the seed
lines it comes from, and those lines hold its title's key words.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from exports.reference_yaml import dump_reference
from importers.reference_yaml import embedded_reference_text, parse_reference
from importers.setup_store import initialise
from store.dates import PreciseDate, Precision, period_end
from store.fields import ACTION, SOURCE_LINES
from store.figures import is_late
from store.parsing import parse_precise_date
from store.reference import read_reference
from store.views.dashboard import dashboard
from store.vocab import ActionStatus, fold

SOURCE = Path(__file__).parent / "fixtures" / "sts_ariege_2023_2028.txt"
LINES = SOURCE.read_text(encoding="utf-8").split("\n")
TODAY = date(2026, 11, 26)


def normalise(text: str) -> str:
    return " ".join(text.replace("*", "").split())


DOCUMENT = normalise("\n".join(LINES))


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return parse_reference(embedded_reference_text(), "ariege.yaml")


def _quoted(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """(where, text) of every YAML text that quotes the document word for word."""
    found = [(f"{key}[{i}]", t) for key in ("paroles_citoyens", "data_repere", "enjeux_en_bref", "defis_cts")
             for i, t in enumerate(doc[key])]  # fmt: skip
    found += [(f"CNR {g['rubrique']}", t) for g in doc["propositions_cnr"] for t in g["propositions"]]
    for e in doc["engagements"]:
        for d in e["defis"]:
            found += [(f"{d['code']} intitulé", d["intitule"])]
            found += [(f"{d['code']} liste des objectifs", t) for t in d["objectifs_listes"]]
            for o in d["objectifs"]:
                found += [(f"{o['code']} intitulé", o["intitule"])]
                if o["defi_a_relever"]:
                    found.append((f"{o['code']} défi à relever", o["defi_a_relever"]))
    found += [(f"mesure sans action {m['source']}", m["texte"]) for m in doc["mesures_sans_action"]]
    for a in doc["actions"]:
        if int(a["code"].split("-")[1]) >= 66:  # the measures carried word for word
            found.append((f"{a['code']} description", a["description"]))
    return found


def test_every_quoted_text_is_in_the_document_word_for_word(doc: dict[str, Any]) -> None:
    quoted = _quoted(doc)
    assert len(quoted) > 150
    missing = [(where, text) for where, text in quoted if normalise(text) not in DOCUMENT]
    assert missing == []


def test_the_front_pages_and_the_defi_a_relever_are_all_carried(doc: dict[str, Any]) -> None:
    assert len(doc["paroles_citoyens"]) == 7
    assert len(doc["enjeux_en_bref"]) == 7
    objectives = [o for e in doc["engagements"] for d in e["defis"] for o in d["objectifs"]]
    assert sum(1 for o in objectives if o["defi_a_relever"]) == sum(
        "Le défi à relever" in line for line in LINES
    )
    assert "Avec 150 000 habitants" in doc["data_repere"][0]


_STOP = {"dans", "pour", "avec", "entre", "leurs", "autres", "sur", "des"}


def _source_lines(source: str) -> list[int]:
    """The seed line numbers a `source` names, in its order."""
    found = SOURCE_LINES.search(source)
    assert found, source
    lines: list[int] = []
    for part in found.group(1).split(","):
        low, _, high = part.strip().partition("-")
        lines += range(int(low), int(high or low) + 1)
    return lines


def _source_text(source: str) -> str:
    return fold(" ".join(LINES[n - 1] for n in _source_lines(source)))


def _key_words(title: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", fold(title)) if len(w) >= 5 and w not in _STOP}


def test_every_action_and_resource_names_seed_lines_that_hold_its_title(doc: dict[str, Any]) -> None:
    weak = []
    for record, title in [
        *((a, a["intitule"]) for a in doc["actions"]),
        *((r, r["nom"]) for r in doc["ressources"]),
    ]:
        assert record["source"], record["code"]
        words = _key_words(title)
        held = {w for w in words if w in _source_text(record["source"])}
        if len(held) < len(words) / 2:
            weak.append((record["code"], sorted(words - held)))
    assert weak == []


def test_no_action_claims_a_state_the_document_does_not_give(doc: dict[str, Any]) -> None:
    assert all(a["avancement"] is None for a in doc["actions"])
    given = {ActionStatus.DONE.value, ActionStatus.IN_PROGRESS.value, ActionStatus.UNKNOWN.value}
    assert {a["statut"] for a in doc["actions"]} <= given
    for a in doc["actions"]:
        if a["statut"] != ActionStatus.UNKNOWN.value:  # the state is written in the lines it names
            assert any(
                w in _source_text(a["source"]) for w in ("en cours", " a ", "ouvert", "obtenu", "signataire")
            ), a
    territories = {t["code"] for t in doc["territoires"]}
    assert "PAYS-FOIX" not in territories


def test_dates_are_as_precise_as_the_text(doc: dict[str, Any]) -> None:
    by_code = {a["code"]: a for a in doc["actions"]}
    assert by_code["ACT-005"]["echeance"] == "2023"
    assert by_code["ACT-058"]["echeance"] == "2023"
    assert by_code["ACT-009"]["echeance"] == "décembre 2022"
    assert by_code["ACT-035"]["debut"] == "mai 2023"
    for a in doc["actions"]:
        for key in ("debut", "echeance"):
            if a[key] is not None:  # the date as written is in the lines the action names
                assert fold(ACTION["due_date"].format(ACTION["due_date"].read(a[key]))) in _source_text(
                    a["source"]
                )


def test_no_action_is_late_on_a_fresh_store_because_of_a_date_the_document_does_not_give(
    tmp_path: Path, doc: dict[str, Any]
) -> None:
    result = initialise(tmp_path / "ariege.sqlite")
    with result.store.engine.connect() as conn:
        board = dashboard(conn, "09", TODAY, listed=100)
        exported = read_reference(conn, "09")
    result.store.dispose()
    by_code = {a["code"]: a for a in doc["actions"]}
    for row in board.late:
        written = fold(row.due_label)
        assert written in _source_text(by_code[row.code]["source"]), row.code
    assert board.by_status.get(ActionStatus.UNKNOWN.value, 0) == sum(
        a["statut"] == ActionStatus.UNKNOWN.value for a in doc["actions"]
    )
    # export yaml gives back what was shipped: the new sections, the dates as written, the order
    assert exported["paroles_citoyens"] == doc["paroles_citoyens"]
    assert exported["data_repere"] == doc["data_repere"]
    assert exported["enjeux_en_bref"] == doc["enjeux_en_bref"]
    assert exported["mesures_sans_action"] == doc["mesures_sans_action"]
    assert [a["echeance"] for a in exported["actions"]] == [a["echeance"] for a in doc["actions"]]
    # a progress the document does not give stays unknown (not 0 %); Réalisée alone means 100 %
    assert {a["avancement"] for a in exported["actions"] if a["statut"] != ActionStatus.DONE.label} == {None}
    assert [r["publics"] for r in exported["ressources"]] == [r["publics"] for r in doc["ressources"]]
    assert [r["source"] for r in exported["ressources"]] == [r["source"] for r in doc["ressources"]]
    again = parse_reference(dump_reference(exported), "export.yaml")
    assert again["actions"] == exported["actions"] or [a["echeance"] for a in again["actions"]] == [
        a["echeance"] for a in doc["actions"]
    ]


# --- dates with their precision -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "shown", "end"),
    [
        ("2023", "2023", date(2023, 12, 31)),
        (2023, "2023", date(2023, 12, 31)),
        ("décembre 2022", "décembre 2022", date(2022, 12, 31)),
        ("12/2022", "décembre 2022", date(2022, 12, 31)),
        ("2024-02", "février 2024", date(2024, 2, 29)),
        ("mai 2023", "mai 2023", date(2023, 5, 31)),
        ("15/03/2025", "15/03/2025", date(2025, 3, 15)),
        (date(2025, 3, 15), "15/03/2025", date(2025, 3, 15)),
    ],
)
def test_a_date_keeps_the_precision_it_was_typed_with(typed: object, shown: str, end: date) -> None:
    field = ACTION["due_date"]
    value = field.read(typed)
    assert field.format(value) == shown
    assert period_end(value) == end
    for written in (field.edit_text(value), field.cell_value(value), field.to_yaml(value), field.dump(value)):
        assert field.read(written) == value  # form, workbook cell, YAML and journal read it back


def test_late_is_judged_against_the_end_of_the_period() -> None:
    year = PreciseDate(2023, precision=Precision.YEAR)
    assert not is_late(ActionStatus.IN_PROGRESS.value, year, date(2023, 12, 31))
    assert is_late(ActionStatus.IN_PROGRESS.value, year, date(2024, 1, 1))
    assert not is_late(ActionStatus.UNKNOWN.value, year, date(2026, 11, 26))
    assert year != PreciseDate(2023, 1, 1) and year != date(2023, 1, 1)
    assert parse_precise_date("") is None


def test_a_precise_date_is_stored_and_read_back_with_its_precision(tmp_path: Path) -> None:
    from dataclasses import replace

    from store.actions import load_actions, update_action

    result = initialise(tmp_path / "ariege.sqlite")
    with result.store.writer.begin() as conn:
        before = load_actions(conn, "09", ["ACT-010"])["ACT-010"]
        due = ACTION["due_date"].read("juin 2027")
        update_action(conn, "09", before, replace(before, due_date=due), author="test", source="test")
    with result.store.engine.connect() as conn:
        after = load_actions(conn, "09", ["ACT-010"])["ACT-010"]
    result.store.dispose()
    assert after.due_date == due and ACTION["due_date"].format(after.due_date) == "juin 2027"


def test_theme_and_pathway_names_are_kept_as_written_and_linked_to_one_name(
    tmp_path: Path, doc: dict[str, Any]
) -> None:
    from sqlalchemy import select

    from store.models import Pathway, Theme
    from store.reference import table
    from store.views.scheme import node_detail

    nodes = [n for e in doc["engagements"] for d in e["defis"] for n in (d, *d["objectifs"])]
    for node in nodes:
        for name in (*node["themes"], *node["parcours"]):
            assert normalise(name) in DOCUMENT, (node["code"], name)
    variants = {v for entry in doc["vocabulaires"]["parcours"] for v in entry["variantes"]}
    assert {"Vieillessement", "Viellissement"} <= variants
    result = initialise(tmp_path / "ariege.sqlite")
    with result.store.engine.connect() as conn:
        exported = read_reference(conn, "09")
        detail = node_detail(conn, "09", "E4-D2-O2")
        theme_names = set(conn.execute(select(table(Theme).c.name)).scalars())
        pathway_names = set(conn.execute(select(table(Pathway).c.name)).scalars())
    result.store.dispose()
    assert detail is not None and "Viellissement" in detail.pathways  # shown on the objective as written
    assert "Transformation numérique en santé" in detail.themes
    assert "Vieillesse" in pathway_names and not {"Vieillessement", "Viellissement"} & pathway_names
    assert (
        "Transformation numérique" in theme_names and "Transformation numérique en santé" not in theme_names
    )
    assert exported["vocabulaires"] == doc["vocabulaires"]
    exported_nodes = [n for e in exported["engagements"] for d in e["defis"] for n in (d, *d["objectifs"])]
    assert [(n["themes"], n["parcours"]) for n in exported_nodes] == [
        (n["themes"], n["parcours"]) for n in nodes
    ]


def test_care_offer_tables_are_split_as_in_the_document(tmp_path: Path, doc: dict[str, Any]) -> None:
    tables = {a["activite"]: a["tableaux"] for a in doc["offre_de_soins"]}
    assert [len(t["lignes"]) for t in tables["Cancérologie"]] == [10, 13, 7]
    assert [len(t["lignes"]) for t in tables["Assistance médicale à la procréation"]] == [6, 8]
    assert tables["Cancérologie"][2]["lignes"][0]["modalite"] == "Radiothérapie externe, curiethérapie"
    result = initialise(tmp_path / "ariege.sqlite")
    with result.store.engine.connect() as conn:
        exported = read_reference(conn, "09")
    result.store.dispose()
    assert exported["offre_de_soins"] == doc["offre_de_soins"]


def test_a_year_or_month_due_date_goes_through_the_exchange_workbook_unchanged(tmp_path: Path) -> None:
    """Export writes « 2023 » as text; the workbook read back changes nothing; a month typed in a
    cell is saved as a month."""
    from dataclasses import replace

    from exports.excel import export_ars
    from importers.excel import apply_import, preview_import
    from store.actions import load_actions, update_action
    from tests.conftest import MINI_REFERENCE
    from tests.excel_fixtures import edit_workbook, set_cell

    result = initialise(tmp_path / "s.sqlite", reference=MINI_REFERENCE)
    store = result.store
    with store.writer.begin() as conn:
        before = load_actions(conn, "09", ["ACT-001"])["ACT-001"]
        year = ACTION["due_date"].read("2027")
        update_action(conn, "09", before, replace(before, due_date=year), author="test", source="test")
    path = tmp_path / "echange.xlsx"
    export_ars(store, "09", path)
    assert not preview_import(store, "09", path).has_changes

    edited = edit_workbook(
        path,
        tmp_path / "edite.xlsx",
        lambda book: set_cell(book, "Actions", "ACT-001", "Échéance", "juin 2027"),
    )
    preview = preview_import(store, "09", edited)
    month = PreciseDate(2027, 6, precision=Precision.MONTH)
    assert {(p.key, c.field, c.new) for p in preview.changed for c in p.changes} == {
        ("ACT-001", "due_date", month)
    }
    apply_import(store, "09", preview, {}, "testeur", backup=False)
    with store.engine.connect() as conn:
        after = load_actions(conn, "09", ["ACT-001"])["ACT-001"]
    store.dispose()
    assert after.due_date == month and ACTION["due_date"].format(after.due_date) == "juin 2027"
    assert {PreciseDate(2025, 3, 31)} == {date(2025, 3, 31)}  # a day is a date, also in sets


def test_unknown_status_and_progress_are_counted_as_unknown() -> None:
    from store.figures import done_rate

    rate = done_rate(
        [
            (ActionStatus.DONE.value, 100),
            (ActionStatus.IN_PROGRESS.value, None),  # progress not known: out of the mean only
            (ActionStatus.IN_PROGRESS.value, 40),
            (ActionStatus.UNKNOWN.value, None),  # status not known: out of the rate and the mean
        ]
    )
    assert (rate.done, rate.counted) == (1, 3)
    assert rate.mean_progress == 70
    assert done_rate([(ActionStatus.IN_PROGRESS.value, None)]).mean_progress is None


def test_two_spellings_of_one_name_on_a_node_are_refused_with_their_line() -> None:
    from importers.reference_yaml import ReferenceFileError

    text = embedded_reference_text().replace(
        'parcours: ["Handicap", "Vieillessement"]',
        'parcours: ["Handicap", "Vieillessement", "Viellissement"]',
        1,
    )
    with pytest.raises(ReferenceFileError) as refused:
        parse_reference(text, "ariege.yaml")
    assert "« Vieillesse » figure deux fois dans les parcours" in str(refused.value)
    assert "ligne " in refused.value.problems[0]


# --- every concrete measure, every name as written ------------------------------------------------

_END_OF_EN_PRATIQUE = ("Thèmes associés", "#", "Objectif", "DÉFI", "ÉVOLUTION", "Le défi à relever")


def _en_pratique_lines(doc: dict[str, Any]) -> list[tuple[int, str]]:
    """(seed line, text) of every line of the document's « En pratique » paragraphs."""
    titles = {
        normalise(n["intitule"])
        for e in doc["engagements"]
        for n in (e, *(x for d in e["defis"] for x in (d, *d["objectifs"])))
    }
    found = []
    for start, line in enumerate(LINES):
        if line.strip() != "En pratique":
            continue
        for number, text in enumerate(map(normalise, LINES[start + 1 :]), start + 2):
            if text.startswith(_END_OF_EN_PRATIQUE) or text in titles:
                break
            if text:
                found.append((number, text))
    return found


def test_every_en_pratique_line_is_an_action_a_resource_or_a_measure_explained(doc: dict[str, Any]) -> None:
    records = [r for key in ("actions", "ressources", "mesures_sans_action") for r in doc[key]]
    named = {n for r in records for n in _source_lines(r["source"])}
    lines = _en_pratique_lines(doc)
    assert len(lines) > 80
    assert [(number, text) for number, text in lines if number not in named] == []
    codes = {a["code"] for a in doc["actions"]}
    for m in doc["mesures_sans_action"]:  # a reason, and the actions it points to exist
        assert m["raison"] and set(re.findall(r"ACT-\d+", m["raison"])) <= codes, m


def test_organisations_and_places_are_named_as_the_document_names_them(doc: dict[str, Any]) -> None:
    folded = fold(DOCUMENT)
    assert [o["nom"] for o in doc["organisations"] if fold(normalise(o["nom"])) not in folded] == []
    bassins = [t for t in doc["territoires"] if t["type"] == "bassin"]
    assert [t["nom"] for t in bassins if fold(t["nom"]) not in folded] == []
    by_code = {t["code"]: t for t in bassins}
    for a in doc["actions"]:  # a bassin named in the action's lines, or a town the document places there
        for code in a["territoires"]:
            if code in by_code:
                words = [by_code[code]["nom"], *(c["nom"] for c in by_code[code].get("communes", []))]
                assert any(fold(w) in _source_text(a["source"]) for w in words), (a["code"], code)


def test_no_resource_carries_a_code_or_contact_the_document_does_not_give(doc: dict[str, Any]) -> None:
    keys = ["capacite", "adresse", "commune", "code_insee", "telephone", "courriel", "contact"]
    keys += ["finess", "discipline"]
    given = [
        (r["code"], key)
        for r in doc["ressources"]
        for key in keys
        if r[key] is not None and fold(str(r[key])) not in _source_text(r["source"])
    ]
    assert given == []


#: Other words the document uses for an organisation.
_ALSO_CALLED = {"CPAM-09": ["assurance maladie"], "ARS-DD09": ["ARS"]}


def test_every_lead_and_partner_is_named_in_the_lines_the_record_names(doc: dict[str, Any]) -> None:
    words = {}
    for o in doc["organisations"]:  # the name, or what it has in brackets
        found = [o["nom"], *re.findall(r"\(([^)]+)\)", o["nom"])]
        words[o["code"]] = [fold(w) for w in (*found, *_ALSO_CALLED.get(o["code"], []))]
    unnamed = [
        (r["code"], code)
        for r in (*doc["actions"], *doc["ressources"])
        for code in (r.get("pilote") or r.get("porteur"), *r.get("partenaires", []))
        if code and not any(re.search(rf"\b{re.escape(w)}\b", _source_text(r["source"])) for w in words[code])
    ]
    assert unnamed == []


def test_each_defi_page_list_of_objectives_is_carried_where_its_wording_differs(doc: dict[str, Any]) -> None:
    carried = set()
    for e in doc["engagements"]:
        for d in e["defis"]:
            carried |= {
                normalise(t).rstrip(".")
                for t in (*d["objectifs_listes"], *(o["intitule"] for o in d["objectifs"]))
            }
    listed = []
    for start, line in enumerate(LINES):
        if line.strip() == "Les objectifs opérationnels":
            items = [t.strip() for t in LINES[start + 1 : start + 8] if t.strip().startswith("- ")]
            listed += [normalise(t[2:]).rstrip(".") for t in items]
    assert len(listed) > 25
    assert [t for t in listed if t not in carried] == []


def test_an_action_is_linked_only_to_objectives_whose_lines_it_names(doc: dict[str, Any]) -> None:
    unnamed = [
        (a["code"], code)
        for a in doc["actions"]
        for code in a["objectifs"]
        if code not in re.findall(r"E\d-D\d-[OS]\d", a["source"])
    ]
    assert unnamed == []


def test_every_objective_a_source_names_holds_one_of_its_lines(doc: dict[str, Any]) -> None:
    objectives = {o["code"]: o for e in doc["engagements"] for d in e["defis"] for o in d["objectifs"]}
    keys = ("intitule", "constats", "objectif", "resultats_attendus", "en_pratique")
    wrong = []
    for record in (*doc["actions"], *doc["ressources"]):
        lines = [normalise(LINES[n - 1]).removeprefix("- ") for n in _source_lines(record["source"])]
        for code in re.findall(r"E\d-D\d-[OS]\d", record["source"]):
            text = normalise(" ".join(objectives[code][k] or "" for k in keys))
            if not any(line and line[:60] in text for line in lines):
                wrong.append((record["code"], code))
    assert wrong == []
