"""Three-way merge of a record changed on two sides: one side's changes merge, both-side ones are asked."""

from __future__ import annotations

from dataclasses import replace

from store.actions import ActionData
from store.fields import ACTION
from store.merge import shown, three_way

BASE = ActionData(code="ACT-007", title="Plateforme de répit", status="en_cours", progress=80, weather="vert")


def test_fields_changed_on_one_side_only_are_merged_without_a_conflict() -> None:
    mine = replace(BASE, weather="orange")
    theirs = replace(BASE, progress=90, version=3)
    merge = three_way(ACTION, BASE, mine, theirs)
    assert merge.conflicts == ()
    assert (merge.merged.progress, merge.merged.weather, merge.merged.version) == (90, "orange", 3)
    assert [f.name for f in merge.theirs_only] == ["progress"]


def test_a_field_both_sides_changed_differently_is_a_conflict_and_mine_is_proposed() -> None:
    mine = replace(BASE, progress=85, weather="orange")
    theirs = replace(BASE, progress=90)
    merge = three_way(ACTION, BASE, mine, theirs)
    assert [f.name for f in merge.conflicts] == ["progress"]
    assert merge.merged.progress == 85 and merge.merged.weather == "orange"
    assert shown(ACTION["progress"], theirs) == "90 %"


def test_the_same_change_on_both_sides_is_no_conflict() -> None:
    mine = replace(BASE, status="realisee", progress=100)
    theirs = replace(BASE, status="realisee", progress=100)
    merge = three_way(ACTION, BASE, mine, theirs)
    assert merge.conflicts == () and merge.merged == theirs
