"""Resource search also finds a resource by its territories, its commune and its INSEE code."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from store import resources as resource_rules
from store.database import Store
from store.views.resource_list import ResourceFilter, resource_rows

DEPT = "09"
TODAY = date(2026, 1, 1)


@pytest.fixture
def pfr_in_saint_girons(loaded_store: Store) -> Store:
    with loaded_store.writer.begin() as conn:
        pfr = resource_rules.load_resources(conn, DEPT, ["RES-PFR"])["RES-PFR"]
        changed = replace(pfr, commune="Saint-Girons", insee_code="09261", territories=("COUSERANS",))
        resource_rules.update_resource(conn, DEPT, pfr, changed, author="testeur", source="test")
    return loaded_store


@pytest.mark.parametrize(
    "typed",
    [
        "couserans",  # territory name
        "COUSERANS",
        "saint girons",  # commune, without hyphen
        "SAINT-GIRONS",
        "09261",  # INSEE code
        "plateforme couserans",  # words from the name and the territory
    ],
)
def test_search_matches_places(pfr_in_saint_girons: Store, typed: str) -> None:
    with pfr_in_saint_girons.engine.connect() as conn:
        found = resource_rows(conn, DEPT, ResourceFilter(search=typed), today=TODAY)
    assert [r.code for r in found] == ["RES-PFR"], typed


def test_search_for_another_territory_finds_nothing(pfr_in_saint_girons: Store) -> None:
    with pfr_in_saint_girons.engine.connect() as conn:
        found = resource_rows(conn, DEPT, ResourceFilter(search="pamiers"), today=TODAY)
    assert found == []


def test_department_wide_territory_name_is_searchable(loaded_store: Store) -> None:
    with loaded_store.engine.connect() as conn:
        found = resource_rows(conn, DEPT, ResourceFilter(search="tout le departement"), today=TODAY)
    assert [r.code for r in found] == ["RES-PFR"]


def test_a_department_wide_resource_is_found_by_any_bassin_name(loaded_store: Store) -> None:
    """It serves every bassin, as the Territoire filter and the coverage matrix say."""
    with loaded_store.engine.connect() as conn:
        names = [n for (n,) in conn.exec_driver_sql("SELECT name FROM territory WHERE kind = 'bassin'")]
        assert names
        for name in names:
            found = resource_rows(conn, DEPT, ResourceFilter(search=name), today=TODAY)
            assert "RES-PFR" in [r.code for r in found], name


def test_search_matches_the_public_served(loaded_store: Store) -> None:
    with loaded_store.writer.begin() as conn:
        pfr = resource_rules.load_resources(conn, DEPT, ["RES-PFR"])["RES-PFR"]
        changed = replace(pfr, audiences=("Personnes en situation de handicap",))
        resource_rules.update_resource(conn, DEPT, pfr, changed, author="testeur", source="test")
    with loaded_store.engine.connect() as conn:
        found = resource_rows(conn, DEPT, ResourceFilter(search="handicap"), today=TODAY)
        other = resource_rows(conn, DEPT, ResourceFilter(search="alzheimer"), today=TODAY)
    assert [r.code for r in found] == ["RES-PFR"]
    assert "RES-PFR" not in [r.code for r in other]


@pytest.fixture
def ariege(tmp_path: Path) -> Iterator[Store]:
    """The shipped Ariège reference, whose territories carry the towns the document places."""
    from importers.setup_store import initialise

    result = initialise(tmp_path / "ariege.sqlite")
    yield result.store
    result.store.dispose()


def test_a_town_the_document_places_in_a_bassin_finds_that_bassins_resources(ariege: Store) -> None:
    """« Lavelanet » (the document's Pays d'Olmes staff work there) finds Pays d'Olmes, not Couserans."""
    from store.views.resource_list import searched_towns

    with ariege.writer.begin() as conn:
        loaded = resource_rules.load_resources(conn, DEPT, ["RES-PFR", "RES-CRT"])
        for code, bassin in (("RES-PFR", "PAYS-OLMES"), ("RES-CRT", "COUSERANS")):
            before = loaded[code]
            after = replace(before, territories=(bassin,))
            resource_rules.update_resource(conn, DEPT, before, after, author="testeur", source="test")
    with ariege.engine.connect() as conn:
        found = resource_rows(conn, DEPT, ResourceFilter(search="lavelanet"), today=TODAY)
        towns = searched_towns(conn, DEPT, "LAVELANET")
        unknown = searched_towns(conn, DEPT, "Saint-Girons")  # named by the document, with no bassin
    codes = [r.code for r in found]
    assert "RES-PFR" in codes and "RES-CRT" not in codes
    assert "RES-JEUNES-AIDANTS" in codes  # department-wide: serves Lavelanet too
    assert [(t.town, t.bassin) for t in towns] == [("Lavelanet", "Pays d'Olmes")]
    assert "ligne 2373" in towns[0].source
    assert unknown == []


def test_the_towns_of_a_bassin_go_through_export_yaml(ariege: Store) -> None:
    from store.reference import read_reference

    with ariege.engine.connect() as conn:
        exported = read_reference(conn, DEPT)
    olmes = next(t for t in exported["territoires"] if t["code"] == "PAYS-OLMES")
    assert [c["nom"] for c in olmes["communes"]] == ["Lavelanet"]
    assert all("communes" not in t for t in exported["territoires"] if t["code"] != "PAYS-OLMES")


def test_a_place_no_resource_mentions_gets_the_resources_of_the_whole_department(
    loaded_store: Store,
) -> None:
    """« Saint-Girons » is named by no resource nor by the reference: what serves it is what
    serves the whole department, the other filters (public, type) still applying."""
    from store.lookups import department_territory
    from store.views.resource_list import serving_everywhere

    with loaded_store.engine.connect() as conn:
        whole = department_territory(conn, DEPT)
        searched = ResourceFilter(search="saint-girons")
        assert resource_rows(conn, DEPT, searched, today=TODAY) == []
        everywhere = serving_everywhere(conn, DEPT, searched, today=TODAY)
        every = resource_rules.load_resources(conn, DEPT)
        assert everywhere and all(whole in every[r.code].territories for r in everywhere)
        assert {r.code for r in everywhere} == {c for c, r in every.items() if whole in r.territories}
        nobody = replace(searched, kinds=("Type que rien n'a",))
        assert serving_everywhere(conn, DEPT, nobody, today=TODAY) == []
