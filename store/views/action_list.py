"""The actions list: filters and sort in SQL, accent-insensitive search, a window of rows."""

from __future__ import annotations

import re
import threading
from array import array
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from itertools import compress, islice
from typing import Any

from sqlalchemy import ColumnElement, Connection, Date, Select, and_, bindparam, exists, func, select, text

from store import figures
from store.changes import ChangeStamp
from store.tables import ACTION as A
from store.tables import ACTION_OBJECTIVE as AO
from store.tables import ACTION_TERRITORY as AT
from store.tables import CHALLENGE as CH
from store.tables import ENGAGEMENT as ENG
from store.tables import OBJECTIVE as OBJ
from store.tables import OBJECTIVE_PATHWAY as OP
from store.tables import OBJECTIVE_THEME as OT
from store.tables import ORGANISATION as ORG
from store.tables import PATHWAY as PW
from store.tables import TERRITORY as TER
from store.tables import THEME as TH
from store.views.action_rows import SORT_COLUMNS as SORT_COLUMNS
from store.views.action_rows import ActionFilter as ActionFilter
from store.views.action_rows import ActionPage as ActionPage
from store.views.action_rows import ActionRow as ActionRow
from store.views.action_rows import action_rows
from store.views.reader import engine_reader
from store.views.search_index import Hits, SearchIndex
from store.vocab import ActionStatus, fold

#: Reading a found position and sorting it by rank costs about this many ids read in order.
SPARSE_COST = 8


@dataclass
class _Cache:
    """What stays valid while the store does not change (same `stamp`)."""

    stamp: tuple[Any, ...] = ()
    #: The folded search texts of the department's actions, indexed.
    index: SearchIndex | None = None
    #: What the index found for the latest words searched (least recent first).
    words: OrderedDict[str, Hits] = field(default_factory=OrderedDict)
    ids: dict[tuple[ActionFilter, date], list[int]] = field(default_factory=dict)
    #: The index's positions of those ids, their flags and ranks (read once a search filters them).
    positions: dict[tuple[ActionFilter, date], _Placed] = field(default_factory=dict)


@dataclass(frozen=True)
class _Placed:
    """A filter's ids in the index: `SearchIndex.among`, `.flags` and `.ranks` of them."""

    positions: list[int]
    flags: int
    ranks: array[int]

    def window(self, ids: list[int], found: bytes, total: int, offset: int, limit: int) -> list[int]:
        """The ids `offset`…`offset+limit` (in the filter's order) of the `total` ones `found`
        marks. Few found: their positions are read from `found` and sorted by rank; many: the
        ids are read in order until the window is full (each way, what costs least)."""
        if total * SPARSE_COST < min(len(ids), (offset + limit) * len(ids) // max(total, 1)):
            mine = (int.from_bytes(found, "little") & self.flags).to_bytes(len(found), "little")
            hits = sorted(map(re.Match.start, re.finditer(b"\x01", mine)), key=self.ranks.__getitem__)
            return [ids[self.ranks[p]] for p in hits[offset : offset + limit]]
        return list(islice(compress(ids, map(found.__getitem__, self.positions)), offset, offset + limit))


class ActionList:
    """Runs the actions list for one department.

    Filters and sort run in SQL; the ordered ids of a filter are kept until the store changes
    (`store.changes.ChangeStamp`: O(1) on SQLite), so typing in the search box only filters them
    with the index of the folded texts (`SearchIndex`, built once per store version). Memory
    stays bounded whatever is typed: at most `MAX_CACHED_FILTERS` id lists and
    `MAX_CACHED_WORDS` word results (a byte per action) are kept.
    """

    MAX_CACHED_FILTERS = 16
    MAX_CACHED_WORDS = 8

    def __init__(self, department: str, changes: ChangeStamp | None = None) -> None:
        self.department = department
        self.changes = changes
        self._cache = _Cache()
        self._lock = threading.Lock()
        self._building = threading.Lock()

    def page(
        self, conn: Connection, criteria: ActionFilter, *, offset: int = 0, limit: int = 200, today: date
    ) -> ActionPage:
        """The rows `offset`…`offset+limit` of the filtered, sorted list, and the total count
        (counted on the index's bits: only the window's ids are listed)."""
        cache = self._fresh_cache(conn)
        ids = self._filter_ids(conn, cache, criteria, today)
        words = fold(criteria.search).split()
        if not words:
            return ActionPage(self._rows(conn, ids[offset : offset + limit], today), len(ids), offset)
        found = self._found(conn, cache, words)
        placed = self._positions(cache, criteria, today, ids)
        total = (int.from_bytes(found, "little") & placed.flags).bit_count()
        return ActionPage(
            self._rows(conn, placed.window(ids, found, total, offset, limit), today), total, offset
        )

    def matching_ids(self, conn: Connection, criteria: ActionFilter, *, today: date) -> list[int]:
        """Ids of the matching actions, in display order."""
        cache = self._fresh_cache(conn)
        ids = self._filter_ids(conn, cache, criteria, today)
        words = fold(criteria.search).split()
        if not words:
            return ids
        found = self._found(conn, cache, words)
        positions = self._positions(cache, criteria, today, ids).positions
        # (the loop over the actions runs in C: `compress` and `map`, no Python line per action)
        return list(compress(ids, map(found.__getitem__, positions)))

    def _filter_ids(self, conn: Connection, cache: _Cache, criteria: ActionFilter, today: date) -> list[int]:
        """The ids the filters and sort give, whatever the search (kept for this store version)."""
        key = (replace(criteria, search=""), today)
        ids = cache.ids.get(key)
        if ids is None:
            ids = list(conn.execute(self._filtered(criteria, today)).scalars())
            with self._lock:
                if len(cache.ids) >= self.MAX_CACHED_FILTERS:
                    cache.ids.clear()
                cache.ids[key] = ids
        return ids

    def _positions(self, cache: _Cache, criteria: ActionFilter, today: date, ids: list[int]) -> _Placed:
        """The index's positions of a filter's ids, their flags and ranks (once the index is
        built)."""
        key = (replace(criteria, search=""), today)
        with self._lock:
            known = cache.positions.get(key)
        if known is None:
            assert cache.index is not None
            positions = cache.index.among(ids)
            known = _Placed(positions, cache.index.flags(positions), cache.index.ranks(positions))
            with self._lock:
                if len(cache.positions) >= self.MAX_CACHED_FILTERS:
                    cache.positions.clear()
                cache.positions[key] = known
        return known

    def warm_up(self, conn: Connection) -> None:
        """Build the index of the folded search texts ahead of the first search (run in the
        background)."""
        self._index(conn, self._fresh_cache(conn))

    def is_warm(self, conn: Connection) -> bool:
        """Whether a search typed now finds the index of the store as it is already built."""
        return self._fresh_cache(conn).index is not None

    def _stamp(self, conn: Connection) -> tuple[Any, ...]:
        stamp = None if self.changes is None else self.changes.stamp()
        if stamp is not None:
            return ("data_version", stamp)
        # no change counter (PostgreSQL): what the department's actions add up to
        return tuple(
            conn.execute(
                select(func.count(), func.max(A.c.updated_at), func.sum(A.c.version)).where(
                    A.c.department_code == self.department
                )
            ).one()
        )

    def _fresh_cache(self, conn: Connection) -> _Cache:
        stamp = self._stamp(conn)
        with self._lock:
            if stamp != self._cache.stamp:
                self._cache = _Cache(stamp)
            return self._cache

    def _index(self, conn: Connection, cache: _Cache) -> SearchIndex:
        with self._building:  # once: a search typed during the warm-up waits for it
            if cache.index is None:
                cache.index = SearchIndex.build(self._texts(conn))
            return cache.index

    def _found(self, conn: Connection, cache: _Cache, words: list[str]) -> bytes:
        """A byte per action of the index: 1 where its text contains every word."""
        index = self._index(conn, cache)
        found: bytes | None = None
        for word in words:
            with self._lock:
                one = cache.words.get(word)
                if one is not None:
                    cache.words.move_to_end(word)
            if one is None:
                with self._lock:  # a word searched before inside this one: its lines alone
                    within = [hits for known, hits in cache.words.items() if known in word]
                one = index.hits(word, min(within, key=lambda hits: len(hits.rest), default=None))
                with self._lock:
                    cache.words[word] = one
                    while len(cache.words) > self.MAX_CACHED_WORDS:
                        cache.words.popitem(last=False)
            found = one.found if found is None else index.both(found, one.found)
        assert found is not None
        return found

    def _filtered(self, c: ActionFilter, today: date) -> Select[Any]:
        main_objective = (
            select(OBJ.c.code)
            .join(AO, AO.c.objective_id == OBJ.c.id)
            .where(AO.c.action_id == A.c.id)
            .order_by(AO.c.position)
            .limit(1)
            .scalar_subquery()
        )
        lead_name = select(ORG.c.name).where(ORG.c.id == A.c.lead_id).scalar_subquery()
        sort_keys = {
            "code": A.c.code,
            "title": A.c.title,
            "objective": main_objective,
            "lead": lead_name,
            "status": A.c.status,
            "weather": A.c.weather,
            "progress": A.c.progress,
            "due_date": A.c.due_date,
        }
        key = sort_keys.get(c.sort, A.c.code)
        # what is not filled in (no due date, no lead) comes last, whichever the direction
        order = [key.is_(None).asc(), key.desc() if c.descending else key.asc(), A.c.code.asc()]
        query = select(A.c.id).where(A.c.department_code == self.department)
        if c.statuses:
            query = query.where(A.c.status.in_(c.statuses))
        if c.leads:
            query = query.where(A.c.lead_id.in_(select(ORG.c.id).where(ORG.c.code.in_(c.leads))))
        if c.territories:
            query = query.where(
                exists().where(
                    AT.c.action_id == A.c.id, AT.c.territory_id == TER.c.id, TER.c.code.in_(c.territories)
                )
            )
        objective_filters: list[ColumnElement[bool]] = []
        if c.objectives:
            objective_filters.append(OBJ.c.code.in_(c.objectives))
        if c.challenges:
            objective_filters.append(CH.c.code.in_(c.challenges))
        if c.engagements:
            objective_filters.append(ENG.c.code.in_(c.engagements))
        if c.themes:
            objective_filters.append(
                exists().where(
                    OT.c.objective_id == OBJ.c.id, OT.c.theme_id == TH.c.id, TH.c.name.in_(c.themes)
                )
            )
        if c.pathways:
            objective_filters.append(
                exists().where(
                    OP.c.objective_id == OBJ.c.id, OP.c.pathway_id == PW.c.id, PW.c.name.in_(c.pathways)
                )
            )
        if objective_filters:
            query = query.where(
                exists()
                .select_from(
                    AO.join(OBJ, OBJ.c.id == AO.c.objective_id)
                    .join(CH, CH.c.id == OBJ.c.challenge_id)
                    .join(ENG, ENG.c.id == CH.c.engagement_id)
                )
                .where(AO.c.action_id == A.c.id, and_(*objective_filters))
            )
        day = bindparam("today", today, type_=Date())
        if c.late_only:
            query = query.where(text(figures.late_sql("action.status", "action.due_date")).bindparams(day))
        if c.due_within_days is not None:
            soon = bindparam("soon", figures.soon_until(today, c.due_within_days), type_=Date())
            query = query.where(
                text(figures.due_soon_sql("action.status", "action.due_date")).bindparams(day, soon)
            )
        return query.order_by(*order)

    def _texts(self, conn: Connection) -> Iterator[tuple[int, str]]:
        """Each action's folded search text: code, title, description, funding, its lead's name
        and code, its objectives' codes and titles (a lead's or an objective's folded once), one
        action at a time (the index keeps no text whole)."""
        leads = {
            lead_id: fold(f"{name or ''} {code or ''}")
            for lead_id, name, code in conn.execute(
                select(ORG.c.id, ORG.c.name, ORG.c.code).where(ORG.c.department_code == self.department)
            )
        }
        objectives = {
            objective_id: fold(f"{code} {title}")
            for objective_id, code, title in conn.execute(
                select(OBJ.c.id, OBJ.c.code, OBJ.c.title).where(OBJ.c.department_code == self.department)
            )
        }
        linked: dict[int, str] = {}  # action id → its objectives' texts (shared when only one)
        for action_id, objective_id in conn.execute(
            select(AO.c.action_id, AO.c.objective_id).order_by(AO.c.action_id, AO.c.position)
        ):
            if objective_id in objectives:
                text = objectives[objective_id]
                linked[action_id] = f"{linked[action_id]} {text}" if action_id in linked else text
        for row in conn.execute(
            select(A.c.id, A.c.code, A.c.title, A.c.description, A.c.funding, A.c.lead_id).where(
                A.c.department_code == self.department
            )
        ):
            own = fold(" ".join(str(v) for v in row[1:5] if v))
            yield row[0], f"{own} {leads.get(row[5], '')} {linked.get(row[0], '')}"

    def _rows(self, conn: Connection, ids: Sequence[int], today: date) -> list[ActionRow]:
        return action_rows(engine_reader(conn), ids, today)


def filter_choices(conn: Connection, department: str) -> dict[str, list[tuple[str, str]]]:
    """The values each filter can take, as (label, value) pairs."""

    def pairs(query: Select[Any]) -> list[tuple[str, str]]:
        return [(str(label), str(value)) for label, value in conn.execute(query)]

    return {
        "statuses": [(s.label, s.value) for s in ActionStatus],
        "leads": pairs(
            select(ORG.c.name, ORG.c.code).where(ORG.c.department_code == department).order_by(ORG.c.name)
        ),
        "territories": pairs(
            select(TER.c.name, TER.c.code).where(TER.c.department_code == department).order_by(TER.c.position)
        ),
        "themes": pairs(select(TH.c.name, TH.c.name).order_by(TH.c.name)),
        "pathways": pairs(select(PW.c.name, PW.c.name).order_by(PW.c.name)),
        "engagements": [
            (f"Engagement {number} — {title}" if number is not None else title, code)
            for number, title, code in conn.execute(
                select(ENG.c.number, ENG.c.title, ENG.c.code)
                .where(ENG.c.department_code == department)
                .order_by(ENG.c.position)
            )
        ],
    }
