"""Foreign workbooks imported with the example mappings shipped in importers/mappings/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest

from importers.excel import apply_import, preview_import
from importers.excel.mapping import MappingError, load_mapping
from store import actions as action_rules
from store import resources as resource_rules
from store.database import Store
from store.indicators import ValueKey, load_values
from tests.conftest import snapshot_tables
from tui.cli import main

MAPPINGS = Path(__file__).parents[1] / "importers" / "mappings"


def workbook(path: Path, rows: list[list[Any]], title_rows: list[list[Any]] | None = None) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (title_rows or []) + rows:
        sheet.append(row)
    book.save(path)
    return path


def test_every_example_mapping_loads() -> None:
    files = sorted(MAPPINGS.glob("*.yaml"))
    assert len(files) >= 4
    for path in files:
        assert load_mapping(path).columns


def test_open_data_directory_updates_by_finess_and_creates_day_care(
    loaded_store: Store, tmp_path: Path
) -> None:
    with loaded_store.writer.begin() as conn:
        from dataclasses import replace

        pfr = resource_rules.load_resources(conn, "09")["RES-PFR"]
        resource_rules.update_resource(
            conn, "09", pfr, replace(pfr, finess="090001234"), author="testeur", source="test"
        )
    headers = [
        "N° FINESS ET",
        "Raison sociale",
        "Adresse",
        "Commune",
        "Code commune",
        "Téléphone",
        "Adresse électronique",
        "Département",
        "Accueil de jour",
        "Hébergement temporaire",
        "Places accueil de jour",
        "Places hébergement temporaire",
        "Catégorie",
    ]
    path = workbook(
        tmp_path / "annuaire.xlsx",
        [
            headers,
            [
                "090001234",
                "Plateforme de répit de l'Ariège",
                "1 rue A",
                "Foix",
                "09122",
                "0561000001",
                "pfr@exemple.fr",
                "09",
                "Non",
                "Non",
                None,
                None,
                "PFR",
            ],
            [
                "090005678",
                "Accueil de jour Les Tilleuls",
                "2 rue B",
                "Pamiers",
                9225,
                561000002,
                None,
                "09",
                "Oui",
                "Non",
                12,
                None,
                "AJ",
            ],
            [
                "090009999",
                "EHPAD Le Castella",
                "3 rue C",
                "Foix",
                "09122",
                None,
                None,
                "09",
                "Non",
                "Non",
                None,
                None,
                "EHPAD",
            ],
            [
                "310001111",
                "Accueil de jour toulousain",
                "4 rue D",
                "Toulouse",
                "31555",
                None,
                None,
                "31",
                "Oui",
                "Non",
                10,
                None,
                "AJ",
            ],
        ],
    )
    preview = preview_import(loaded_store, "09", path, MAPPINGS / "finess_personnes_agees.yaml")
    assert not preview.rejected, [str(p) for p in preview.rejected]
    assert preview.mapping == "Annuaire ESMS personnes âgées (FINESS)"
    assert any("1 ligne(s) écartée(s)" in w for w in preview.warnings)  # another department
    assert any("1 ligne(s) sans correspondance" in w for w in preview.warnings)  # the EHPAD
    assert [p.title for p in preview.new] == ["Accueil de jour Les Tilleuls"]
    (changed,) = preview.changed
    assert changed.key == "RES-PFR"
    assert {c.field for c in changed.changes} >= {"address", "commune", "insee_code", "phone", "email"}
    apply_import(loaded_store, "09", preview, {}, "testeur", backup=False)
    with loaded_store.engine.connect() as conn:
        resources = resource_rules.load_resources(conn, "09")
    new = next(r for r in resources.values() if r.finess == "090005678")
    assert new.kind == "Accueil de jour" and new.capacity == 12 and new.insee_code == "09225"
    assert new.phone == "0561000002" and new.audiences == ("Personnes âgées",) and new.territories == ("09",)
    assert resources["RES-PFR"].kind == "Plateforme d'accompagnement et de répit"
    again = preview_import(loaded_store, "09", path, MAPPINGS / "finess_personnes_agees.yaml")
    assert not again.has_changes


def test_partner_respite_list_translates_abbreviations(loaded_store: Store, tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "repit.xlsx",
        [
            ["Structure", "Type d'accueil", "Places", "Commune", "Téléphone", "Mail", "N° FINESS"],
            ["Halte du Couserans", "Halte", "6", "Saint-Girons", "05 61 00 00 03", "halte@exemple.fr", None],
            ["HT Les Pins", "HT", 4, "Lavelanet", None, None, "090004444"],
        ],
        title_rows=[["Places de répit — recensement 2024"], []],
    )
    preview = preview_import(loaded_store, "09", path, MAPPINGS / "repit_partenaire.yaml")
    assert not preview.rejected, [str(p) for p in preview.rejected]
    assert sorted(p.title for p in preview.new) == ["HT Les Pins", "Halte du Couserans"]
    apply_import(loaded_store, "09", preview, {}, "testeur", backup=False)
    with loaded_store.engine.connect() as conn:
        kinds = {r.name: (r.kind, r.capacity) for r in resource_rules.load_resources(conn, "09").values()}
    assert kinds["Halte du Couserans"] == ("Halte-répit", 6) and kinds["HT Les Pins"] == (
        "Hébergement temporaire",
        4,
    )


def test_ars_template_updates_actions_and_refuses_unknown_references(
    loaded_store: Store, tmp_path: Path
) -> None:
    title = [["ARS Occitanie — Suivi des actions du STS"], ["Délégation départementale de l'Ariège"], []]
    headers = [
        "Référence",
        "Libellé de l'action",
        "État d'avancement",
        "Taux de réalisation",
        "Date de fin prévisionnelle",
        "Commentaire ARS",
        "Colonne interne",
    ]
    good = workbook(
        tmp_path / "ars.xlsx",
        [
            headers,
            [
                "ACT-001",
                "Mammobile de la CPTS Ariège Pyrénées",
                "Finalisée",
                "100 %",
                "31/12/2024",
                "Bilan transmis",
                "x",
            ],
        ],
        title_rows=title,
    )
    preview = preview_import(loaded_store, "09", good, MAPPINGS / "ars_suivi_actions.yaml")
    assert not preview.rejected, [str(p) for p in preview.rejected]
    (plan,) = preview.changed
    assert {c.field: c.new for c in plan.changes} == {
        "status": "realisee",
        "progress": 100,
        "due_date": plan.changes[2].new,
    }
    assert plan.comment == "Bilan transmis"
    apply_import(loaded_store, "09", preview, {}, "testeur", backup=False)
    with loaded_store.engine.connect() as conn:
        assert action_rules.load_actions(conn, "09")["ACT-001"].status == "realisee"
    bad = workbook(tmp_path / "ars2.xlsx", [headers, ["ACT-404", "?", "Engagée", 0, None, None, None]], title)
    before = snapshot_tables(loaded_store)
    preview = preview_import(loaded_store, "09", bad, MAPPINGS / "ars_suivi_actions.yaml")
    assert [p.location.row for p in preview.rejected] == [5]
    assert "code inconnu" in str(preview.rejected[0]) and "ACT-404" in str(preview.rejected[0])
    assert snapshot_tables(loaded_store) == before


def test_ars_indicator_statement(loaded_store: Store, tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "ind.xlsx",
        [["Code indicateur", "Période", "Valeur"], ["IND-001", "2024-03", 18], ["IND-001", "04/2024", "21"]],
    )
    preview = preview_import(loaded_store, "09", path, MAPPINGS / "ars_indicateurs.yaml")
    assert not preview.rejected, [str(p) for p in preview.rejected]
    apply_import(loaded_store, "09", preview, {}, "testeur", backup=False)
    with loaded_store.engine.connect() as conn:
        values = load_values(conn, "09")
    assert values[ValueKey("IND-001", "2024-03")] == 18 and values[ValueKey("IND-001", "2024-04")] == 21


def test_bad_mappings_are_explained(tmp_path: Path) -> None:
    cases = {
        "cible: autre\ncolonnes: {A: Code}": "« cible »",
        "cible: actions\ncolonnes: {A: Inconnue}": "colonne cible inconnue « Inconnue »",
        "cible: actions\ncolonnes: {A: Code}\nclef: Code": "clé(s) inconnue(s) : clef",
        "cible: ressources\ncolonnes: {A: Nom}\ncle: Commune": "« cle » doit être Code ou FINESS",
        ": [": "n'est pas un YAML valide",
    }
    for text, expected in cases.items():
        path = tmp_path / "m.yaml"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(MappingError, match=expected.replace("(", r"\(").replace(")", r"\)")):
            load_mapping(path)


def test_cli_import_with_mapping(
    loaded_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = workbook(tmp_path / "ind.xlsx", [["Code indicateur", "Période", "Valeur"], ["IND-001", "2024", 5]])
    mapping = MAPPINGS / "ars_indicateurs.yaml"
    assert main(["--db", loaded_store.url, "import", "--mapping", str(mapping), str(path)]) == 1
    assert "ne convient pas à un indicateur mensuelle" in capsys.readouterr().out
    broken = tmp_path / "m.yaml"
    broken.write_text("cible: x", encoding="utf-8")
    assert main(["--db", loaded_store.url, "import", "--mapping", str(broken), str(path)]) == 2
