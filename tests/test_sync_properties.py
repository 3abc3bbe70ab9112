"""Stateful property test of the team sync (issue 13): three laptops and a real server.

Random edits, creations, comments, indicators and their values, organisations (edited,
created, deleted) on the laptops; publish and fetch in random order; random resolutions (keep
mine, take theirs, a third value). Checked at every step: codes and identities unique, every
comment on the action it was written on; at the end, once every conflict is settled and every
laptop has published and fetched, all copies hold the same data, and an edit never reported in
a conflict is the value everywhere unless a later edit replaced it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import create_engine, select, text

from importers.setup_store import initialise
from store.actions import (
    ActionData,
    add_comment,
    create_action,
    load_actions,
    next_action_code,
    update_action,
)
from store.database import Store, open_store
from store.indicators import (
    IndicatorData,
    ValueChange,
    ValueKey,
    create_indicator,
    load_indicators,
    load_values,
    next_code,
    update_indicator,
    write_values,
)
from store.sync import fetch, publish
from store.sync_conflicts import pending_conflicts, resolve_conflict
from store.sync_reference import WHOLE, read_records, set_field
from store.tables import ACTION, ACTION_EVENT
from tests.conftest import MINI_REFERENCE, PG_URL, REQUIRE_PG

pytestmark = pytest.mark.postgres

LAPTOPS = 3
TITLES = st.sampled_from(["Alpha", "Bêta", "Gamma"])
PROGRESS = st.sampled_from([0, 25, 50, 75])
PERIODS = ("2024-01", "2024-02", "2025-03")
NAMES = st.sampled_from(["Nom un", "Nom deux", "Nom trois"])
ORGANISATIONS = ("CPTS-AP", "CPAM-09", "GHT-PA")
#: A third value typed when settling a conflict, by field (a deletion is kept or taken).
THIRD_VALUES = {"title": "Delta", "progress": "40", "nom": "Nom tiers", "target": "5", "value": "7"}


class TeamSync(RuleBasedStateMachine):
    template: Path

    def __init__(self) -> None:
        super().__init__()
        assert PG_URL is not None
        self.schema = f"t_{uuid.uuid4().hex[:12]}"
        self.admin = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
        with self.admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{self.schema}"'))
        sep = "&" if "?" in PG_URL else "?"
        self.server = open_store(f"{PG_URL}{sep}options=-csearch_path%3D{self.schema}")
        self.dir = Path(tempfile.mkdtemp(prefix="sync-prop-"))
        self.laptops: list[Store] = []
        for i in range(LAPTOPS):
            path = self.dir / f"portable-{i}.sqlite"
            shutil.copy(self.template, path)
            self.laptops.append(open_store(path))
        publish(self.laptops[0], self.server, "09", author="p0")
        for laptop in self.laptops[1:]:
            assert not fetch(self.server, laptop, "09", author="p").conflicts
        self.counter = 0
        #: comment text → identity of the action it was written on
        self.comment_on: dict[str, str] = {}
        #: (uid, field) → value of the last edit, in the order they were made
        self.last_edit: dict[tuple[str, str], Any] = {}
        self.conflicted: set[tuple[str, str]] = set()
        #: organisations created by the test (the only ones it deletes), and those ever deleted
        self.made: list[str] = []
        self.deleted: set[str] = set()
        #: indicators created by the test: identity → their one value (2025)
        self.made_values: dict[str, float] = {}

    def teardown(self) -> None:
        for store in (*self.laptops, self.server):
            store.dispose()
        with self.admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{self.schema}" CASCADE'))
        self.admin.dispose()
        shutil.rmtree(self.dir, ignore_errors=True)

    # --- what people do -----------------------------------------------------------------------

    def _actions(self, store: Store) -> dict[str, ActionData]:
        with store.engine.connect() as conn:
            return load_actions(conn, "09")

    @rule(n=st.integers(0, LAPTOPS - 1), pick=st.integers(0, 50), title=TITLES, progress=PROGRESS)
    def edit(self, n: int, pick: int, title: str, progress: int) -> None:
        store = self.laptops[n]
        self.counter += 1  # every value new: going back to an old one is no edit (A → B → A)
        title, progress = f"{title} {self.counter}", progress + 1 + 2 * (self.counter % 12)
        with store.writer.begin() as conn:
            actions = sorted(load_actions(conn, "09").values(), key=lambda a: a.code)
            before = actions[pick % len(actions)]
            field, value = ("title", title) if pick % 2 else ("progress", progress)
            if getattr(before, field) == value:
                return
            changes: dict[str, Any] = {field: value}
            update_action(conn, "09", before, replace(before, **changes), author=f"p{n}", source="test")
        self.last_edit[(before.uid or "", field)] = value

    @rule(n=st.integers(0, LAPTOPS - 1))
    def create(self, n: int) -> None:
        store = self.laptops[n]
        self.counter += 1
        with store.writer.begin() as conn:
            code = next_action_code(conn, "09")
            made = create_action(
                conn,
                "09",
                ActionData(code=code, title=f"Nouvelle {self.counter}"),
                author=f"p{n}",
                source="test",
            )
        self.last_edit[(made.uid or "", "title")] = made.title

    @rule(n=st.integers(0, LAPTOPS - 1), pick=st.integers(0, 50))
    def comment(self, n: int, pick: int) -> None:
        store = self.laptops[n]
        self.counter += 1
        text_ = f"commentaire {self.counter}"
        with store.writer.begin() as conn:
            actions = sorted(load_actions(conn, "09").values(), key=lambda a: a.code)
            target = actions[pick % len(actions)]
            add_comment(conn, "09", target, text_, author=f"p{n}", source="test")
        self.comment_on[text_] = target.uid or ""

    @rule(
        n=st.integers(0, LAPTOPS - 1),
        period=st.sampled_from(PERIODS),
        value=st.sampled_from([None, 1.0, 2.0, 3.0]),
    )
    def set_value(self, n: int, period: str, value: float | None) -> None:
        key = ValueKey("IND-001", period, "")
        with self.laptops[n].writer.begin() as conn:
            old = load_values(conn, "09").get(key)
            write_values(conn, "09", [ValueChange(key, old, value)], author=f"p{n}", source="test")

    @rule(n=st.integers(0, LAPTOPS - 1), aim=st.sampled_from([10.0, 20.0, 30.0]))
    def edit_indicator(self, n: int, aim: float) -> None:
        self.counter += 1
        aim += self.counter
        with self.laptops[n].writer.begin() as conn:
            before = load_indicators(conn, "09")["IND-001"]
            update_indicator(conn, "09", before, replace(before, target=aim))
        self.last_edit[(before.uid or "", "target")] = aim

    @rule(n=st.integers(0, LAPTOPS - 1), value=st.sampled_from([1.0, 2.0]))
    def create_indicator_(self, n: int, value: float) -> None:
        """A new indicator, with the next code free on this laptop, and a value."""
        self.counter += 1
        with self.laptops[n].writer.begin() as conn:
            code = next_code(conn, "09")
            made = create_indicator(
                conn, "09", IndicatorData(code=code, label=f"Indicateur {self.counter}", objective="E1-D4-O2")
            )
            key = ValueKey(code, "2025", "")
            write_values(conn, "09", [ValueChange(key, None, value)], author=f"p{n}", source="test")
        self.last_edit[(made.uid or "", "label")] = made.label
        self.made_values[made.uid or ""] = value

    @rule(n=st.integers(0, LAPTOPS - 1), pick=st.integers(0, 50), name=NAMES)
    def edit_organisation(self, n: int, pick: int, name: str) -> None:
        self.counter += 1
        name = f"{name} {self.counter}"
        codes = list(ORGANISATIONS) + self.made
        code = codes[pick % len(codes)]
        with self.laptops[n].writer.begin() as conn:
            if ("organisation", code) not in read_records(conn, "09"):
                return
            set_field(conn, "09", "organisation", code, "nom", name, author=f"p{n}", source="test")
        self.last_edit[(code, "nom")] = name

    @rule(n=st.integers(0, LAPTOPS - 1))
    def create_organisation(self, n: int) -> None:
        self.counter += 1
        code = f"ORG-{self.counter}"
        with self.laptops[n].writer.begin() as conn:
            fields = {"nom": f"Organisation {self.counter}", "type": "Association"}
            set_field(conn, "09", "organisation", code, WHOLE, fields, author=f"p{n}", source="test")
        self.made.append(code)

    @rule(n=st.integers(0, LAPTOPS - 1), pick=st.integers(0, 50))
    def delete_organisation(self, n: int, pick: int) -> None:
        if not self.made:
            return
        code = self.made[pick % len(self.made)]
        with self.laptops[n].writer.begin() as conn:
            if ("organisation", code) not in read_records(conn, "09"):
                return
            set_field(conn, "09", "organisation", code, WHOLE, None, author=f"p{n}", source="test")
        self.deleted.add(code)

    @rule(n=st.integers(0, LAPTOPS - 1))
    def publish_(self, n: int) -> None:
        publish(self.laptops[n], self.server, "09", author=f"p{n}")
        self._note_conflicts(n)

    @rule(n=st.integers(0, LAPTOPS - 1))
    def fetch_(self, n: int) -> None:
        fetch(self.server, self.laptops[n], "09", author=f"p{n}")
        self._note_conflicts(n)

    @rule(n=st.integers(0, LAPTOPS - 1), choice=st.sampled_from(["mine", "theirs", "value"]))
    def resolve(self, n: int, choice: str) -> None:
        self._resolve_all(n, choice)

    def _note_conflicts(self, n: int) -> None:
        with self.laptops[n].engine.connect() as conn:
            for c in pending_conflicts(conn, "09"):
                self.conflicted.add((c.uid, c.field))

    def _resolve_all(self, n: int, choice: str) -> None:
        store = self.laptops[n]
        with store.engine.connect() as conn:
            pending = pending_conflicts(conn, "09")
        for c in pending:
            typed = THIRD_VALUES.get(c.field) if choice == "value" else None
            how = "value" if typed is not None else ("theirs" if choice == "value" else choice)
            resolve_conflict(store, "09", c.id, how, author=f"p{n}", value=typed)

    # --- what must always hold -----------------------------------------------------------------

    @invariant()
    def codes_and_identities_are_unique(self) -> None:
        for store in (*self.laptops, self.server):
            actions = self._actions(store)
            uids = [a.uid for a in actions.values()]
            assert len(set(uids)) == len(uids) and None not in uids
            with store.engine.connect() as conn:
                indicators = load_indicators(conn, "09")  # by code: codes unique
            uids = [i.uid for i in indicators.values()]
            assert len(set(uids)) == len(uids) and None not in uids

    @invariant()
    def every_comment_is_on_its_action(self) -> None:
        for store in (*self.laptops, self.server):
            with store.engine.connect() as conn:
                rows = conn.execute(
                    select(ACTION.c.uid, ACTION_EVENT.c.comment)
                    .join(ACTION, ACTION.c.id == ACTION_EVENT.c.action_id)
                    .where(ACTION_EVENT.c.kind == "commentaire", ACTION_EVENT.c.comment.like("commentaire %"))
                ).all()
            seen = [c for _u, c in rows]
            assert len(seen) == len(set(seen)), "a comment copied twice"
            for uid, comment in rows:
                assert self.comment_on[comment] == uid, f"{comment} on the wrong action"

    def converge(self) -> None:
        """Settle every conflict, then publish and fetch everywhere until nothing moves."""
        for _round in range(4):
            for n in range(LAPTOPS):
                publish(self.laptops[n], self.server, "09", author=f"p{n}")
                self._note_conflicts(n)
                self._resolve_all(n, "theirs")
                fetch(self.server, self.laptops[n], "09", author=f"p{n}")

        def content(store: Store) -> Any:
            with store.engine.connect() as conn:
                actions = {a.uid: a for a in load_actions(conn, "09").values()}
                values = load_values(conn, "09")
                reference = read_records(conn, "09")
                indicators = load_indicators(conn, "09")
                comments = sorted(
                    conn.execute(
                        select(ACTION.c.uid, ACTION_EVENT.c.comment)
                        .join(ACTION, ACTION.c.id == ACTION_EVENT.c.action_id)
                        .where(
                            ACTION_EVENT.c.kind == "commentaire", ACTION_EVENT.c.comment.like("commentaire %")
                        )
                    ).all()
                )
            return actions, values, comments, reference, indicators

        server = content(self.server)
        indicators = {i.uid: i for i in server[4].values()}
        for uid, value in self.made_values.items():  # each new indicator kept its own value
            assert server[1][ValueKey(indicators[uid].code, "2025", "")] == value
        for laptop in self.laptops:
            assert content(laptop) == server
            with laptop.engine.connect() as conn:
                assert pending_conflicts(conn, "09") == []
        for (uid, field), value in self.last_edit.items():
            if (uid, field) in self.conflicted or (uid, WHOLE) in self.conflicted or uid in self.deleted:
                continue
            if field == "nom":
                found = server[3][("organisation", uid)][field]
            elif uid in indicators:
                found = getattr(indicators[uid], field)
            else:
                found = getattr(server[0][uid], field)
            assert found == value, f"edit of {field} lost without a conflict"
        assert len(server[2]) == len(self.comment_on)


@pytest.mark.skipif(not PG_URL and not REQUIRE_PG, reason="pas de serveur PostgreSQL")
def test_team_sync_state_machine(tmp_path: Path) -> None:
    template = tmp_path / "modele.sqlite"
    initialise(template, reference=MINI_REFERENCE).store.dispose()

    class Machine(TeamSync):
        def teardown(self) -> None:
            try:
                self.converge()
            finally:
                super().teardown()

    Machine.template = template
    run_state_machine_as_test(
        Machine,
        settings=settings(
            max_examples=int(os.environ.get("SUIVI_STS_SYNC_EXAMPLES", "2")),
            stateful_step_count=12,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.reuse, Phase.generate],  # shrinking against a server takes many minutes
        ),
    )
