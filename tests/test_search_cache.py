"""The actions search stays quick and small: a keystroke does not re-read the action table to
know whether its cache is still good, what is typed does not pile up in memory, and a change
made elsewhere (this app's save, another copy of the app) is found by the next search."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import event

from store import actions as action_rules
from store.changes import ChangeStamp
from store.database import Store, open_store
from store.views import action_list
from store.views.action_list import ActionFilter, ActionList

DEPT = "09"
TODAY = date(2026, 1, 1)


@pytest.fixture
def statements(loaded_store: Store) -> Iterator[list[str]]:
    """The SQL the store runs while the test watches."""
    seen: list[str] = []

    def watch(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(loaded_store.engine, "before_cursor_execute", watch)
    yield seen
    event.remove(loaded_store.engine, "before_cursor_execute", watch)


def _codes(store: Store, listing: ActionList, typed: str) -> set[str]:
    with store.engine.connect() as conn:
        ids = set(listing.matching_ids(conn, ActionFilter(search=typed), today=TODAY))
        return {a.code for a in action_rules.load_actions(conn, DEPT).values() if a.id in ids}


def _create(store: Store, code: str, title: str) -> None:
    with store.writer.begin() as conn:
        action_rules.create_action(
            conn, DEPT, action_rules.ActionData(code=code, title=title), author="testeur", source="test"
        )


def test_typing_a_search_reads_no_whole_table(loaded_store: Store, statements: list[str]) -> None:
    if loaded_store.engine.dialect.name != "sqlite":
        pytest.skip("le compteur de changements en O(1) est le data_version de SQLite")
    listing = ActionList(DEPT, ChangeStamp(loaded_store.engine))
    with loaded_store.engine.connect() as conn:
        listing.warm_up(conn)
        listing.matching_ids(conn, ActionFilter(), today=TODAY)
        statements.clear()
        for end in range(1, len("coordination") + 1):
            listing.matching_ids(conn, ActionFilter(search="coordination"[:end]), today=TODAY)
    # the change counter is read on a connection of its own (PRAGMA data_version): no query at all
    assert statements == []


def test_what_is_typed_does_not_pile_up(loaded_store: Store) -> None:
    listing = ActionList(DEPT, ChangeStamp(loaded_store.engine))
    with loaded_store.engine.connect() as conn:
        for n in range(300):
            for end in range(1, 6):
                listing.matching_ids(conn, ActionFilter(search=f"mot{n:03d}"[:end]), today=TODAY)
    assert len(listing._cache.words) <= ActionList.MAX_CACHED_WORDS  # noqa: SLF001


def test_a_prefix_typed_further_finds_the_same_as_typed_at_once(loaded_store: Store) -> None:
    typed = ActionList(DEPT, ChangeStamp(loaded_store.engine))
    for end in range(1, len("coordination") + 1):
        found = _codes(loaded_store, typed, "coordination"[:end])
    assert found == _codes(loaded_store, ActionList(DEPT), "coordination")
    assert _codes(loaded_store, typed, "coordination zzz") == set()


def test_a_save_here_or_in_another_copy_is_found_by_the_next_search(
    loaded_store: Store, tmp_path: Any
) -> None:
    listing = ActionList(DEPT, ChangeStamp(loaded_store.engine))
    assert _codes(loaded_store, listing, "quokka") == set()
    _create(loaded_store, "ACT-901", "Rencontre des quokkas")  # this app
    assert _codes(loaded_store, listing, "quokka") == {"ACT-901"}
    other = open_store(loaded_store.url)  # another copy of the app, its own connections
    try:
        _create(other, "ACT-902", "Deuxième quokka")
    finally:
        other.dispose()
    assert _codes(loaded_store, listing, "quokka") == {"ACT-901", "ACT-902"}


@pytest.mark.parametrize("sparse_cost", [0, 10**9], ids=["in-order", "sorted-bits"])
def test_each_window_of_a_search_is_the_slice_of_every_match(
    loaded_store: Store, sparse_cost: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whether the search finds a few actions (read from the index's bits, sorted) or many (read
    in order until the window is full), a window is the same slice of the sorted matches."""
    monkeypatch.setattr(action_list, "SPARSE_COST", sparse_cost)  # each way forced
    for n in range(60):
        _create(
            loaded_store,
            f"FEN-{n:02d}",
            f"{'Coordination' if n % 3 else 'Prévention'} n°{n} {'zèbre' * (n % 7 == 0)}",
        )
    listing = ActionList(DEPT, ChangeStamp(loaded_store.engine))
    with loaded_store.engine.connect() as conn:
        for typed in ["e", "coordination", "zebre", "n°1", "2", "zzz"]:
            for sort in ("code", "title"):
                criteria = ActionFilter(search=typed, sort=sort, descending=sort == "title")
                every = listing.matching_ids(conn, criteria, today=TODAY)
                for offset, limit in [(0, 200), (0, 3), (2, 5), (len(every) - 1, 4)]:
                    page = listing.page(conn, criteria, offset=max(offset, 0), limit=limit, today=TODAY)
                    assert page.total == len(every), typed
                    window = every[max(offset, 0) : max(offset, 0) + limit]
                    assert [r.id for r in page.rows] == window, (typed, sort, offset, limit)
