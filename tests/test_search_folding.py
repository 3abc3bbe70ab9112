"""Search finds what people mean, however they type it: œ/oe, hyphens, typographic apostrophes."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from store import actions as action_rules
from store import resources as resource_rules
from store.database import Store
from store.views.action_list import ActionFilter, ActionList
from store.views.resource_list import ResourceFilter, resource_rows
from store.vocab import fold

DEPT = "09"


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("oeuvre", "œuvre"),
        ("OEUVRE", "Œuvre"),
        ("saint girons", "Saint-Girons"),
        ("saint-girons", "Saint‑Girons"),  # non-breaking hyphen
        ("l'offre", "l’offre"),
        ("ex aequo", "ex æquo"),
        ("strasse", "Straße"),
        ("evenement", "Événement"),
    ],
)
def test_folding_matches_what_people_type(typed: str, written: str) -> None:
    assert fold(typed) == fold(written)


def test_the_action_and_resource_searches_find_every_writing(loaded_store: Store) -> None:
    with loaded_store.writer.begin() as conn:
        action_rules.create_action(
            conn,
            DEPT,
            action_rules.ActionData(
                code="ACT-050", title="Mise en œuvre du PTSM à Saint-Girons : rendre lisible l’offre"
            ),
            author="testeur",
            source="test",
        )
        pfr = resource_rules.load_resources(conn, DEPT, ["RES-PFR"])["RES-PFR"]
        resource_rules.update_resource(
            conn, DEPT, pfr, replace(pfr, commune="Saint-Girons"), author="testeur", source="test"
        )
    listing = ActionList(DEPT)
    with loaded_store.engine.connect() as conn:
        for typed in ("mise en oeuvre", "saint girons", "l'offre", "SAINT-GIRONS"):
            ids = listing.matching_ids(conn, ActionFilter(search=typed), today=date(2026, 1, 1))
            codes = {a.code for a in action_rules.load_actions(conn, DEPT).values() if a.id in ids}
            assert codes == {"ACT-050"}, typed
        found = resource_rows(conn, DEPT, ResourceFilter(search="saint girons"), today=date(2026, 1, 1))
        assert [r.code for r in found] == ["RES-PFR"]


def _fold_by_definition(text: str) -> str:
    """What `fold` means, written the slow way (it folds every action's text: issue 16 made it fast)."""
    import unicodedata

    from store.vocab import _FOLD_TABLE

    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD_TABLE))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().translate(_FOLD_TABLE).split())


def test_fold_is_the_accent_free_lower_case_form_of_every_character() -> None:
    """The fast paths of `fold` give what decomposing every character and dropping its accents gives."""
    for code in range(0x3000):  # Latin, Greek, Cyrillic, punctuation, combining marks, ligatures…
        if not 0xD800 <= code <= 0xDFFF:
            text = f"Saint-É{chr(code)}tienne n°{code}"
            assert fold(text) == _fold_by_definition(text), hex(code)
    assert fold("Mise en Œuvre de l’offre — Saint-Girons") == "mise en oeuvre de l'offre saint girons"


@given(
    st.text(alphabet="aAeEéÉèçÇœŒæßøłđİı’‘`-–—_ °€ÄöÑ\u0301\u0327\u034f\u0483ﬁ²\t\nxz'")
    | st.text(alphabet=st.characters(max_codepoint=0x2FFF))
)
def test_fast_folding_is_the_folding_by_definition(text: str) -> None:
    assert fold(text) == _fold_by_definition(text)
