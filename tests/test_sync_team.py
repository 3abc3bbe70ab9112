# ruff: noqa: F811  (pytest fixtures imported from tests.pg_support)
"""Team sync: two laptops and the regional server, in every order (issue 13)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from exports.excel import export_ars
from importers.excel import apply_import, preview_import
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
from store.reference import read_reference
from store.resources import load_resources, update_resource
from store.sync import fetch, publish, server_key
from store.sync_conflicts import pending_conflicts, resolve_conflict
from store.sync_reference import WHOLE, read_records, set_field
from store.tables import ACTION, ACTION_EVENT
from tests.conftest import MINI_REFERENCE
from tests.excel_fixtures import edit_workbook, set_cell
from tui.cli import main

pytestmark = pytest.mark.postgres


@pytest.fixture
def server(pg_url: str) -> Iterator[Store]:
    store = open_store(pg_url)
    yield store
    store.dispose()


def _laptop(path: Path) -> Store:
    return initialise(path, reference=MINI_REFERENCE).store


@pytest.fixture
def two(tmp_path: Path, server: Store) -> Iterator[tuple[Store, Store]]:
    """Laptop A loaded the department onto the server; laptop B was made by `init` then fetched."""
    a, b = _laptop(tmp_path / "a.sqlite"), _laptop(tmp_path / "b.sqlite")
    assert not publish(a, server, "09", author="ana").conflicts
    first = fetch(server, b, "09", author="bob")
    assert not first.conflicts, first.summary()  # no "jamais synchronisé": same identities
    yield a, b
    a.dispose()
    b.dispose()


def _edit(store: Store, code: str, comment: str | None = None, **changes: Any) -> None:
    with store.writer.begin() as conn:
        before = load_actions(conn, "09", [code])[code]
        update_action(
            conn, "09", before, replace(before, **changes), author="x", source="écran", comment=comment
        )


def _new_action(store: Store, title: str, author: str) -> str:
    with store.writer.begin() as conn:
        code = next_action_code(conn, "09")
        made = create_action(conn, "09", ActionData(code=code, title=title), author=author, source="écran")
        add_comment(conn, "09", made, f"commentaire sur « {title} »", author=author, source="écran")
    return code


def _actions(store: Store) -> dict[str, ActionData]:
    with store.engine.connect() as conn:
        return load_actions(conn, "09")


def _comments(store: Store) -> set[tuple[str, str]]:
    """(title of the action, comment) of every comment: a comment on the wrong action shows."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(ACTION.c.title, ACTION_EVENT.c.comment)
            .join(ACTION, ACTION.c.id == ACTION_EVENT.c.action_id)
            .where(ACTION_EVENT.c.kind == "commentaire", ACTION_EVENT.c.comment.like("commentaire sur%"))
        ).all()
    return {(t, c) for t, c in rows}


def _same(*stores: Store) -> None:
    def content(store: Store) -> Any:
        with store.engine.connect() as conn:
            doc = read_reference(conn, "09")
            for key in ("actions", "ressources", "indicateurs"):  # in the order of each store's ids
                doc[key] = sorted(doc.get(key) or [], key=lambda r: r["code"])
            resources = {d.uid: d for d in load_resources(conn, "09").values()}
            return doc, {d.uid: d for d in load_actions(conn, "09").values()}, resources

    first = content(stores[0])
    for other in stores[1:]:
        assert content(other) == first


def _sync_all(a: Store, b: Store, server: Store) -> None:
    for laptop, who in ((a, "ana"), (b, "bob"), (a, "ana")):
        publish(laptop, server, "09", author=who)
        fetch(server, laptop, "09", author=who)


def test_new_actions_on_both_laptops_never_share_a_code_nor_a_comment(
    two: tuple[Store, Store], server: Store
) -> None:
    a, b = two
    code_a, code_b = _new_action(a, "Action d'Ana", "ana"), _new_action(b, "Action de Bob", "bob")
    assert code_a == code_b == "ACT-003"  # both laptops chose the same code offline
    publish(a, server, "09", author="ana")
    report = publish(b, server, "09", author="bob")
    assert report.renumbered == ["action ACT-003 → ACT-004"]
    assert "RENUMÉROTÉ action ACT-003 → ACT-004" in report.summary()
    assert not report.conflicts
    fetch(server, a, "09", author="ana")
    fetch(server, b, "09", author="bob")
    for store in (a, b, server):
        titles = {d.code: d.title for d in _actions(store).values()}
        assert titles["ACT-003"] == "Action d'Ana" and titles["ACT-004"] == "Action de Bob"
        assert _comments(store) == {
            ("Action d'Ana", "commentaire sur « Action d'Ana »"),
            ("Action de Bob", "commentaire sur « Action de Bob »"),
        }
    _same(a, b, server)


def test_a_laptop_that_fetches_first_renumbers_its_own_new_action(
    two: tuple[Store, Store], server: Store
) -> None:
    a, b = two
    _new_action(a, "Action d'Ana", "ana")
    _new_action(b, "Action de Bob", "bob")
    publish(a, server, "09", author="ana")
    assert fetch(server, b, "09", author="bob").renumbered == ["action ACT-003 → ACT-004"]
    publish(b, server, "09", author="bob")
    _sync_all(a, b, server)
    assert sorted(_actions(server)) == ["ACT-001", "ACT-002", "ACT-003", "ACT-004"]
    _same(a, b, server)


@contextmanager
def _publish_held(
    laptop: Store, server: Store, *, at_commit: bool
) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """`suivi-sts publish` run in a child process, held on the server by a trigger on `action`
    that sleeps (at the insert of an action, or at the server's COMMIT when `at_commit`):
    yields the child and its server session once it waits there."""
    when = "DEFERRABLE INITIALLY DEFERRED" if at_commit else ""
    with server.writer.begin() as conn:
        conn.execute(
            text(
                "CREATE FUNCTION held() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN PERFORM pg_catalog.pg_sleep(2); RETURN NULL; END $$"
            )
        )
        conn.execute(
            text(
                f"CREATE CONSTRAINT TRIGGER held AFTER INSERT ON action {when} "
                "FOR EACH ROW EXECUTE FUNCTION held()"
            )
        )
    laptop.dispose()
    child = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "--db", str(laptop.path), "publish", "--to", server.url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "SUIVI_STS_USER": "ana", "PYTHONWARNINGS": "ignore"},
    )
    query = "COMMIT" if at_commit else "%INSERT INTO action %"
    watch = "SELECT pid FROM pg_catalog.pg_stat_activity WHERE wait_event = 'PgSleep' AND query LIKE :q"
    try:
        deadline = time.monotonic() + 60
        with server.engine.connect() as conn:
            while (held := conn.execute(text(watch), {"q": query}).scalar()) is None:
                assert child.poll() is None and time.monotonic() < deadline, "publication jamais retenue"
                conn.rollback()
                time.sleep(0.02)
        yield child, held
    finally:
        child.kill()
        child.communicate()
        with server.engine.connect() as conn:  # the held session ends (its COMMIT, or its rollback)
            alive = "SELECT 1 FROM pg_catalog.pg_stat_activity WHERE pid = :p"
            while conn.execute(text(alive), {"p": held}).first():
                conn.rollback()
                time.sleep(0.05)
        with server.writer.begin() as conn:
            conn.execute(text("DROP TRIGGER held ON action"))
            conn.execute(text("DROP FUNCTION held()"))


def test_a_publish_killed_after_the_servers_commit_leaves_the_laptop_able_to_sync(
    two: tuple[Store, Store], server: Store
) -> None:
    """The laptop's renumbering was lost with its transaction, the server kept the new code:
    the laptop takes the server's code back (journaled), rather than refusing every exchange
    with « Le code « ACT-003 » est déjà utilisé par une autre action »."""
    a, b = two
    _new_action(b, "Action de Bob", "bob")
    _new_indicator(b, "Indicateur de Bob", "ACT-003", 2.0)
    publish(b, server, "09", author="bob")
    _new_action(a, "Action d'Ana", "ana")
    _new_indicator(a, "Indicateur d'Ana", "ACT-003", 1.0)
    with _publish_held(a, server, at_commit=True):  # SIGKILL: power cut, killed terminal
        pass  # the server's COMMIT goes on once the child is dead
    assert {d.code: d.title for d in _actions(server).values()}["ACT-004"] == "Action d'Ana"
    assert {d.code: d.title for d in _actions(a).values()}["ACT-003"] == "Action d'Ana"  # rolled back
    report = publish(a, server, "09", author="ana")
    assert report.renumbered == ["action ACT-003 → ACT-004", "indicateur IND-0002 → IND-0003"], (
        report.summary()
    )
    assert not report.conflicts and not report.refused, report.summary()
    _sync_all(a, b, server)
    for store in (a, b, server):
        titles = {d.code: d.title for d in _actions(store).values()}
        assert titles["ACT-003"] == "Action de Bob" and titles["ACT-004"] == "Action d'Ana"
        assert _indicators(store)["IND-0003"] == ("Indicateur d'Ana", {"2025": 1.0})
    _same(a, b, server)


def test_ctrl_c_during_a_publish_says_interrupted_and_writes_nothing(
    two: tuple[Store, Store], server: Store
) -> None:
    """Ctrl+C while the server works: « Interrompu. », exit code 130 (as documented), not a
    network failure; nothing is written on either side."""
    a, _b = two
    _new_action(a, "Action d'Ana", "ana")
    with _publish_held(a, server, at_commit=False) as (child, _session):
        child.send_signal(signal.SIGINT)
        _out, said = child.communicate(timeout=60)
        assert child.returncode == 130, said
        assert said.strip().splitlines()[-1] == "Interrompu.", said
    assert sorted(_actions(server)) == ["ACT-001", "ACT-002"]
    assert _actions(a)["ACT-003"].title == "Action d'Ana"
    assert not publish(a, server, "09", author="ana").conflicts
    assert _actions(server)["ACT-003"].title == "Action d'Ana"


def test_a_fetch_reads_the_server_as_it_was_when_it_began(two: tuple[Store, Store], server: Store) -> None:
    """Another laptop's publish committed while a fetch reads the server: the fetch sees all of
    it or none of it. Before, it had renumbered its own new ACT-003 against the server without
    Ana's, then met Ana's ACT-003 among the server's actions, and failed with « Le code
    « ACT-003 » est déjà utilisé par une autre action »."""
    a, b = two
    _new_action(b, "Action de Bob", "bob")
    outcome: list[object] = []
    with server.writer.begin() as publishing:  # Ana's publish, under way
        publishing.execute(text("LOCK TABLE resource IN ACCESS EXCLUSIVE MODE"))
        reading = threading.Thread(
            target=lambda: outcome.append(_try(lambda: fetch(server, b, "09", author="bob")))
        )
        reading.start()
        deadline = time.monotonic() + 30
        waiting = (
            "SELECT 1 FROM pg_catalog.pg_stat_activity "
            "WHERE wait_event_type = 'Lock' AND query LIKE '%resource%'"
        )
        with server.engine.connect() as watch:
            while watch.execute(text(waiting)).first() is None:  # the fetch has read the actions
                assert reading.is_alive() and time.monotonic() < deadline, outcome
                watch.rollback()
                time.sleep(0.02)
        create_action(
            publishing, "09", ActionData(code="ACT-003", title="Action d'Ana"), author="ana", source="écran"
        )
    reading.join(60)
    assert len(outcome) == 1 and not isinstance(outcome[0], Exception), outcome
    assert {d.title for d in _actions(b).values()} >= {"Action de Bob"}
    assert fetch(server, b, "09", author="bob").renumbered == ["action ACT-003 → ACT-004"]
    _sync_all(a, b, server)
    for store in (a, b, server):
        titles = {d.code: d.title for d in _actions(store).values()}
        assert titles["ACT-003"] == "Action d'Ana" and titles["ACT-004"] == "Action de Bob"
    _same(a, b, server)


def test_two_laptops_publishing_at_the_same_moment_both_succeed(
    two: tuple[Store, Store], server: Store
) -> None:
    """Bob publishes while Ana's publish is under way on the server: his waits for hers, then
    renumbers his new action against it. Before, both inserted ACT-003 and his failed with
    « Le code « ACT-003 » est déjà utilisé par une autre action »."""
    a, b = two
    _new_action(a, "Action d'Ana", "ana")
    _new_action(b, "Action de Bob", "bob")
    with _publish_held(a, server, at_commit=False) as (child, _session):
        report = publish(b, server, "09", author="bob")
        _out, said = child.communicate(timeout=60)
        assert child.returncode == 0, said
    assert report.renumbered == ["action ACT-003 → ACT-004"], report.summary()
    _sync_all(a, b, server)
    for store in (a, b, server):
        titles = {d.code: d.title for d in _actions(store).values()}
        assert titles["ACT-003"] == "Action d'Ana" and titles["ACT-004"] == "Action de Bob"
    _same(a, b, server)


def _try(work: Any) -> object:
    try:
        return work()
    except Exception as exc:  # noqa: BLE001  (the test shows it)
        return exc


def _new_indicator(store: Store, label: str, action: str | None, value: float) -> str:
    """An indicator made offline with the next free code on this laptop, and one value."""
    with store.writer.begin() as conn:
        code = next_code(conn, "09")
        objective = None if action else "E1-D4-O2"
        create_indicator(
            conn, "09", IndicatorData(code=code, label=label, action=action, objective=objective)
        )
        write_values(
            conn, "09", [ValueChange(ValueKey(code, "2025"), None, value)], author="x", source="écran"
        )
    return code


def _indicators(store: Store) -> dict[str, tuple[str, dict[str, float]]]:
    """Label and values (by period) of each indicator, by code."""
    with store.engine.connect() as conn:
        values = load_values(conn, "09")
        return {
            code: (d.label, {k.period: v for k, v in values.items() if k.indicator == code})
            for code, d in load_indicators(conn, "09").items()
        }


@pytest.mark.parametrize("order", ["publish-publish", "publish-fetch"])
def test_new_indicators_on_both_laptops_never_share_a_code_nor_a_value(
    two: tuple[Store, Store], server: Store, order: str
) -> None:
    a, b = two
    action_a = _new_action(a, "Action d'Ana", "ana")
    code_a = _new_indicator(a, "Indicateur d'Ana", action_a, 11)
    code_b = _new_indicator(b, "Indicateur de Bob", None, 22)
    assert code_a == code_b  # both laptops chose the same code offline
    assert not publish(a, server, "09", author="ana").conflicts
    second = publish(b, server, "09", author="bob") if order == "publish-publish" else None
    if second is None:
        second = fetch(server, b, "09", author="bob")
    renamed = f"indicateur {code_b} → {_following(code_b)}"
    assert renamed in second.renumbered and not second.conflicts, second.summary()
    _sync_all(a, b, server)
    for store in (a, b, server):
        found = _indicators(store)
        assert found[code_a] == ("Indicateur d'Ana", {"2025": 11})
        assert found[_following(code_b)] == ("Indicateur de Bob", {"2025": 22})
    assert not _pending(a) and not _pending(b)
    _same(a, b, server)


def test_a_workbook_exported_before_the_renumbering_reaches_the_right_indicator(
    two: tuple[Store, Store], server: Store, tmp_path: Path
) -> None:
    a, b = two
    code = _new_indicator(a, "Indicateur d'Ana", None, 11)
    assert _new_indicator(b, "Indicateur de Bob", None, 22) == code
    exported = tmp_path / "bob.xlsx"
    export_ars(b, "09", exported, author="bob")  # Bob's indicator still carries its provisional code
    publish(a, server, "09", author="ana")
    publish(b, server, "09", author="bob")  # Bob's becomes the next code
    bobs = _following(code)
    edited = edit_workbook(
        exported, tmp_path / "bob-edite.xlsx", lambda book: set_cell(book, "Indicateurs", code, "Cible", 99)
    )
    preview = preview_import(b, "09", edited)
    assert not preview.rejected, [str(p) for p in preview.rejected]
    assert any(f"{code} de ce classeur s'appelle maintenant {bobs}" in w for w in preview.warnings)
    apply_import(b, "09", preview, {}, "bob", backup=False)
    with b.engine.connect() as conn:
        indicators = load_indicators(conn, "09")
    assert (indicators[bobs].label, indicators[bobs].target) == ("Indicateur de Bob", 99)
    assert (indicators[code].label, indicators[code].target) == ("Indicateur d'Ana", None)


def _following(code: str) -> str:
    prefix, number = code.rsplit("-", 1)
    return f"{prefix}-{int(number) + 1:0{len(number)}d}"


def test_the_renumbering_of_an_indicator_is_journaled_on_its_action(
    two: tuple[Store, Store], server: Store
) -> None:
    a, b = two
    _new_indicator(a, "Indicateur d'Ana", None, 1)
    action_b = _new_action(b, "Action de Bob", "bob")
    code = _new_indicator(b, "Indicateur de Bob", action_b, 2)
    publish(a, server, "09", author="ana")
    publish(b, server, "09", author="bob")
    with b.engine.connect() as conn:
        said = (
            conn.execute(
                select(ACTION_EVENT.c.comment)
                .join(ACTION, ACTION.c.id == ACTION_EVENT.c.action_id)
                .where(ACTION.c.title == "Action de Bob", ACTION_EVENT.c.source == "Synchronisation")
            )
            .scalars()
            .all()
        )
    assert f"Indicateur renuméroté : {code} → {_following(code)}" in " ".join(said)


def test_different_fields_of_one_action_merge_without_conflict(
    two: tuple[Store, Store], server: Store
) -> None:
    a, b = two
    _edit(a, "ACT-001", title="Titre d'Ana")
    _edit(b, "ACT-001", progress=80)
    assert not publish(a, server, "09", author="ana").conflicts
    report = publish(b, server, "09", author="bob")
    assert (
        not report.conflicts
        and report.updated == ["action ACT-001"]
        and report.received == ["action ACT-001"]
    )
    fetch(server, a, "09", author="ana")
    for store in (a, b, server):
        action = _actions(store)["ACT-001"]
        assert (action.title, action.progress) == ("Titre d'Ana", 80)
    _same(a, b, server)


def test_resource_phone_here_and_email_there_merge(two: tuple[Store, Store], server: Store) -> None:
    a, b = two
    edits: tuple[tuple[Store, dict[str, Any]], ...] = (
        (a, {"phone": "05 61 00 00 00"}),
        (b, {"email": "pfr@example.org"}),
    )
    for store, changes in edits:
        with store.writer.begin() as conn:
            before = load_resources(conn, "09")["RES-PFR"]
            update_resource(conn, "09", before, replace(before, **changes), author="x", source="écran")
    publish(a, server, "09", author="ana")
    assert not publish(b, server, "09", author="bob").conflicts
    fetch(server, a, "09", author="ana")
    for store in (a, b, server):
        with store.engine.connect() as conn:
            res = load_resources(conn, "09")["RES-PFR"]
        assert (res.phone, res.email) == ("05 61 00 00 00", "pfr@example.org")


@pytest.mark.parametrize("choice", ["mine", "theirs", "value"])
def test_the_same_field_is_a_conflict_settled_by_a_person(
    two: tuple[Store, Store], server: Store, choice: str
) -> None:
    a, b = two
    _edit(a, "ACT-001", title="Titre d'Ana")
    _edit(b, "ACT-001", title="Titre de Bob", progress=30)
    publish(a, server, "09", author="ana")
    report = publish(b, server, "09", author="bob")
    assert [(c.kind, c.code) for c in report.conflicts] == [("action", "ACT-001")]
    assert "Titre de Bob" in report.summary() and "Titre d'Ana" in report.summary()
    assert _actions(server)["ACT-001"].progress == 30  # the rest of the record went through
    with b.engine.connect() as conn:
        (pending,) = pending_conflicts(conn, "09")
    assert (pending.mine, pending.theirs, pending.label) == ("Titre de Bob", "Titre d'Ana", "Intitulé")
    assert (
        pending.theirs_author == "x" and pending.theirs_at is not None
    )  # who made the edit, not who published it
    assert publish(b, server, "09", author="bob").conflicts  # still open, never overwritten
    resolve_conflict(b, "09", pending.id, choice, author="bob", value="Titre commun")
    expected = {"mine": "Titre de Bob", "theirs": "Titre d'Ana", "value": "Titre commun"}[choice]
    assert not publish(b, server, "09", author="bob").conflicts
    fetch(server, a, "09", author="ana")
    for store in (a, b, server):
        assert _actions(store)["ACT-001"].title == expected
    _same(a, b, server)
    with b.engine.connect() as conn:
        assert pending_conflicts(conn, "09") == []


def test_conflicts_on_the_command_line(
    two: tuple[Store, Store], server: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = two
    _edit(a, "ACT-002", title="Ici A")
    _edit(b, "ACT-002", title="Ici B")
    publish(a, server, "09", author="ana")
    db = str(b.path)
    b.dispose()
    assert main(["--db", db, "publish", "--to", server.url]) == 1
    assert "sync conflicts" in capsys.readouterr().out
    assert main(["--db", db, "sync", "conflicts"]) == 1
    out = capsys.readouterr().out
    assert "ici          : Ici B" in out and "sur serveur  : Ici A" in out
    number = out.split("[", 1)[1].split("]", 1)[0]
    assert main(["--db", db, "sync", "resolve", number, "--take-theirs"]) == 0
    assert main(["--db", db, "sync", "conflicts"]) == 0
    assert main(["--db", db, "publish", "--to", server.url]) == 0


def test_the_server_is_known_by_its_identity_not_its_address(two: tuple[Store, Store], server: Store) -> None:
    a, _b = two
    other_spelling = server.url.replace("127.0.0.1", "localhost")
    other_spelling += "&sslmode=disable" if "?" in other_spelling else "?sslmode=disable"
    again = open_store(other_spelling)
    try:
        assert server_key(again) == server_key(server)
        assert server_key(server).startswith("pg:")
        _edit(a, "ACT-001", progress=55)
        report = publish(a, again, "09", author="ana")
        assert not report.conflicts and report.updated == ["action ACT-001"]
    finally:
        again.dispose()


def test_comments_keep_their_original_author_and_time(two: tuple[Store, Store], server: Store) -> None:
    a, b = two
    with a.writer.begin() as conn:
        action = load_actions(conn, "09", ["ACT-001"])["ACT-001"]
        add_comment(conn, "09", action, "Vu hors ligne", author="ana", source="écran")
    publish(a, server, "09", author="ana")
    fetch(server, b, "09", author="bob")
    for store in (a, server, b):
        with store.engine.connect() as conn:
            row = conn.execute(
                select(
                    ACTION_EVENT.c.uid,
                    ACTION_EVENT.c.author,
                    ACTION_EVENT.c.origin_author,
                    ACTION_EVENT.c.at,
                    ACTION_EVENT.c.origin_at,
                ).where(ACTION_EVENT.c.comment == "Vu hors ligne")
            ).one()
        assert (row.origin_author or row.author) == "ana"
        assert row.uid is not None


def _values(store: Store) -> dict[ValueKey, float]:
    with store.engine.connect() as conn:
        return load_values(conn, "09")


def _set_value(store: Store, key: ValueKey, new: float | None) -> None:
    with store.writer.begin() as conn:
        old = load_values(conn, "09").get(key)
        write_values(conn, "09", [ValueChange(key, old, new)], author="x", source="écran")


def test_indicator_values_one_by_one_and_a_deletion_travels(two: tuple[Store, Store], server: Store) -> None:
    a, b = two
    existing = sorted(_values(a), key=repr)
    assert existing, "the test scheme has indicator values"
    gone = existing[0]
    period = _free_period(a, existing[0])
    new_a, new_b = (
        ValueKey(gone.indicator, period[0], gone.category),
        ValueKey(gone.indicator, period[1], gone.category),
    )
    _set_value(a, gone, None)  # deleted on one laptop
    _set_value(a, new_a, 11)
    _set_value(b, new_b, 22)  # another value on the other laptop: no conflict
    assert not publish(a, server, "09", author="ana").conflicts
    assert not publish(b, server, "09", author="bob").conflicts
    _sync_all(a, b, server)
    for store in (a, b, server):
        values = _values(store)
        assert gone not in values and values[new_a] == 11 and values[new_b] == 22
    # the same value on both sides: a conflict, nothing overwritten
    _set_value(a, new_a, 12)
    _set_value(b, new_a, 13)
    publish(a, server, "09", author="ana")
    report = publish(b, server, "09", author="bob")
    assert [c.kind for c in report.conflicts] == ["valeur"]
    assert _values(server)[new_a] == 12 and _values(b)[new_a] == 13


def _free_period(store: Store, like: ValueKey) -> tuple[str, str]:
    """Two periods of the same shape as `like`'s, not used yet."""
    used = {k.period for k in _values(store) if k.indicator == like.indicator}
    if "-" in like.period:
        candidates = [f"20{y}-{m:02d}" for y in (40, 41) for m in range(1, 13)]
    else:
        candidates = [str(y) for y in range(2040, 2060)]
    free = [p for p in candidates if p not in used]
    return free[0], free[1]


def test_every_copy_of_a_journal_line_keeps_its_original_author(
    two: tuple[Store, Store], server: Store
) -> None:
    a, b = two
    _edit(a, "ACT-001", title="Titre d'Ana")  # journaled with author "x" on laptop A
    code = _new_action(a, "Action d'Ana", "ana")
    publish(a, server, "09", author="publieur")
    fetch(server, b, "09", author="bob")
    for store in (server, b):
        with store.engine.connect() as conn:
            lines = conn.execute(
                select(
                    ACTION.c.code,
                    ACTION_EVENT.c.kind,
                    ACTION_EVENT.c.field,
                    ACTION_EVENT.c.source,
                    ACTION_EVENT.c.origin_author,
                )
                .join(ACTION, ACTION.c.id == ACTION_EVENT.c.action_id)
                .where(
                    ACTION_EVENT.c.kind.in_(["creation", "modification"]),
                    ACTION.c.code.in_(["ACT-001", code]),
                )
            ).all()
        title = [r for r in lines if r.code == "ACT-001" and r.field == "title"]
        assert [r.origin_author for r in title] == ["x"]
        assert "Publication (publieur)" in title[0].source or "Récupération" in title[0].source
        assert [r.origin_author for r in lines if r.code == code and r.kind == "creation"] == ["ana"]


# --- reference records, indicator conflicts, records made on the server ------------------------


def _set_reference(store: Store, kind: str, code: str, name: str, value: Any, author: str = "x") -> None:
    with store.writer.begin() as conn:
        set_field(conn, "09", kind, code, name, value, author=author, source="écran")


def _reference(store: Store) -> dict[Any, Any]:
    with store.engine.connect() as conn:
        return read_records(conn, "09")


def _pending(store: Store) -> list[Any]:
    with store.engine.connect() as conn:
        return pending_conflicts(conn, "09")


def test_reference_records_merge_one_by_one_and_field_by_field(
    two: tuple[Store, Store], server: Store
) -> None:
    a, b = two
    _set_reference(a, "organisation", "CPTS-AP", "nom", "CPTS Ariège-Pyrénées")
    _set_reference(b, "organisation", "GHT-PA", "nom", "GHT Ariège")  # another record
    _set_reference(a, "objectif", "E1-D4-O2", "intitule", "Prévenir, ensemble")
    _set_reference(b, "objectif", "E1-D4-O2", "constats", "Moins de signalements.")  # another field
    _set_reference(b, "organisation", "ASSO-1", WHOLE, {"nom": "Association nouvelle", "type": "Association"})
    for laptop, who in ((a, "ana"), (b, "bob")):
        report = publish(laptop, server, "09", author=who)
        assert not report.conflicts, report.summary()
    _sync_all(a, b, server)
    _same(a, b, server)
    records = _reference(server)
    assert records[("organisation", "CPTS-AP")]["nom"] == "CPTS Ariège-Pyrénées"
    assert records[("organisation", "GHT-PA")]["nom"] == "GHT Ariège"
    assert records[("organisation", "ASSO-1")]["nom"] == "Association nouvelle"
    objective = records[("objectif", "E1-D4-O2")]
    assert (objective["intitule"], objective["constats"]) == ("Prévenir, ensemble", "Moins de signalements.")


def test_a_reference_conflict_says_who_changed_each_side_and_when(
    two: tuple[Store, Store], server: Store
) -> None:
    a, b = two
    _set_reference(a, "organisation", "CPTS-AP", "nom", "CPTS Ariège-Pyrénées", author="claire")
    _set_reference(b, "organisation", "CPTS-AP", "nom", "CPTS des Pyrénées ariégeoises", author="dora")
    publish(a, server, "09", author="ana")  # Ana publishes Claire's change: Claire stays its author
    report = publish(b, server, "09", author="bob")
    assert [(c.kind, c.code) for c in report.conflicts] == [("organisation", "CPTS-AP")]
    (pending,) = _pending(b)
    assert (pending.mine_author, pending.theirs_author) == ("dora", "claire")
    assert pending.mine_at is not None and pending.theirs_at is not None
    assert main(["--db", str(b.path), "sync", "conflicts"]) == 1
    resolve_conflict(b, "09", pending.id, "mine", author="dora")
    _sync_all(a, b, server)
    assert _reference(a)[("organisation", "CPTS-AP")]["nom"] == "CPTS des Pyrénées ariégeoises"
    _same(a, b, server)


@pytest.mark.parametrize(
    ("second", "choice", "kept"),
    [("bob", "theirs", False), ("bob", "mine", True), ("ana", "mine", False), ("ana", "theirs", True)],
)
def test_a_deleted_reference_record_travels_unless_changed_on_the_other_side(
    two: tuple[Store, Store], server: Store, second: str, choice: str, kept: bool
) -> None:
    a, b = two
    for code in ("ASSO-1", "ASSO-2"):
        _set_reference(a, "organisation", code, WHOLE, {"nom": f"Association {code}", "type": "Association"})
    _sync_all(a, b, server)
    _set_reference(a, "organisation", "ASSO-1", WHOLE, None)  # deleted, untouched elsewhere
    _set_reference(a, "organisation", "ASSO-2", WHOLE, None)  # deleted here…
    _set_reference(b, "organisation", "ASSO-2", "nom", "Association renommée")  # …changed there
    first, last = (a, b) if second == "bob" else (b, a)
    assert not publish(first, server, "09", author="un").conflicts
    report = publish(last, server, "09", author="deux")
    assert [(c.kind, c.code) for c in report.conflicts] == [("organisation", "ASSO-2")]
    assert ("organisation", "ASSO-1") not in _reference(last) | _reference(server)
    assert ("organisation", "ASSO-2") in _reference(b)  # the edit is not lost before a person decides
    (pending,) = _pending(last)
    renamed, gone = "présente : Association renommée", "supprimée"
    assert (pending.mine, pending.theirs) == ((renamed, gone) if last is b else (gone, renamed))
    resolve_conflict(last, "09", pending.id, choice, author="deux")
    _sync_all(a, b, server)
    _same(a, b, server)
    assert not _pending(a) and not _pending(b)
    assert (("organisation", "ASSO-2") in _reference(server)) is kept


@pytest.mark.parametrize("choice", ["mine", "theirs", "value"])
def test_an_indicator_value_conflict_is_kept_and_settled(
    two: tuple[Store, Store], server: Store, choice: str
) -> None:
    a, b = two
    key = sorted(_values(a), key=repr)[0]
    _set_value(a, key, 41)
    _set_value(b, key, 42)
    publish(a, server, "09", author="ana")
    assert [c.kind for c in publish(b, server, "09", author="bob").conflicts] == ["valeur"]
    (pending,) = _pending(b)
    assert (pending.mine, pending.theirs) == ("42", "41")
    resolve_conflict(b, "09", pending.id, choice, author="bob", value="43")
    _sync_all(a, b, server)
    _same(a, b, server)
    wanted = {"mine": 42, "theirs": 41, "value": 43}[choice]
    assert {_values(s)[key] for s in (a, b, server)} == {wanted}
    assert not _pending(a) and not _pending(b)


def test_a_value_deleted_here_and_changed_there_is_asked(two: tuple[Store, Store], server: Store) -> None:
    a, b = two
    key = sorted(_values(a), key=repr)[0]
    _set_value(a, key, None)
    _set_value(b, key, 99)
    publish(a, server, "09", author="ana")
    publish(b, server, "09", author="bob")
    (pending,) = _pending(b)
    assert (pending.mine, pending.theirs) == ("99", "supprimée")
    assert main(["--db", str(b.path), "sync", "resolve", str(pending.id), "--take-theirs"]) == 0
    _sync_all(a, b, server)
    assert all(key not in _values(s) for s in (a, b, server))


def test_an_indicator_field_conflict_is_settled_on_the_command_line(
    two: tuple[Store, Store], server: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = two
    for store, target in ((a, 10.0), (b, 20.0)):
        with store.writer.begin() as conn:
            before = load_indicators(conn, "09")["IND-001"]
            update_indicator(conn, "09", before, replace(before, target=target))
    publish(a, server, "09", author="ana")
    publish(b, server, "09", author="bob")
    assert main(["--db", str(b.path), "sync", "conflicts"]) == 1
    shown = capsys.readouterr().out
    assert "indicateur IND-001 — Cible" in shown and "20" in shown and "10" in shown
    (pending,) = _pending(b)
    assert main(["--db", str(b.path), "sync", "resolve", str(pending.id), "--value", "15"]) == 0
    _sync_all(a, b, server)
    for store in (a, b, server):
        with store.engine.connect() as conn:
            assert load_indicators(conn, "09")["IND-001"].target == 15


@pytest.mark.parametrize("first", ["publish", "fetch"])
def test_records_made_on_the_server_reach_a_laptop_that_publishes_or_fetches(
    two: tuple[Store, Store], server: Store, first: str
) -> None:
    a, b = two
    code = _new_action(a, "Action d'Ana", "ana")
    with a.writer.begin() as conn:
        create_indicator(
            conn, "09", IndicatorData(code="IND-900", label="Nouvel indicateur", objective="E1-D4-O2")
        )
    publish(a, server, "09", author="ana")
    own = _new_action(b, "Action de Bob", "bob")
    if first == "publish":
        report = publish(b, server, "09", author="bob")
        assert f"action {code}" in report.received and "indicateur IND-900" in report.received
    else:
        fetch(server, b, "09", author="bob")
        publish(b, server, "09", author="bob")
    titles = {d.title for d in _actions(b).values()}
    assert {"Action d'Ana", "Action de Bob"} <= titles
    assert ("Action d'Ana", "commentaire sur « Action d'Ana »") in _comments(b)
    assert len({d.code for d in _actions(b).values()}) == len(_actions(b))
    assert own in _actions(server) or any(d.title == "Action de Bob" for d in _actions(server).values())
    _sync_all(a, b, server)
    _same(a, b, server)
