"""Sorting the actions: what is not filled in comes last, in both directions."""

from __future__ import annotations

from datetime import date

import pytest

from store import actions as action_rules
from store.database import Store
from store.views.action_list import ActionFilter, ActionList

DEPT = "09"
TODAY = date(2026, 1, 1)


@pytest.mark.parametrize("descending", [False, True])
def test_actions_without_a_due_date_come_after_the_dated_ones(loaded_store: Store, descending: bool) -> None:
    with loaded_store.writer.begin() as conn:
        for code, due in (("ACT-901", date(2026, 6, 30)), ("ACT-902", None), ("ACT-903", date(2025, 1, 31))):
            action_rules.create_action(
                conn,
                DEPT,
                action_rules.ActionData(code=code, title=f"Action {code}", due_date=due),
                author="testeur",
                source="test",
            )
    with loaded_store.engine.connect() as conn:
        criteria = ActionFilter(sort="due_date", descending=descending)
        rows = ActionList(DEPT).page(conn, criteria, limit=1000, today=TODAY).rows
    dated = [r.due_date for r in rows if r.due_date is not None]
    undated_from = next(i for i, r in enumerate(rows) if r.due_date is None)
    assert all(r.due_date is None for r in rows[undated_from:])
    assert dated == sorted(dated, reverse=descending)
