"""`net_changes` (one line per action and field in a workshop's list and export); `open_workshop`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from store.activity import end_workshop, open_workshop, start_workshop
from store.database import Store
from store.journal import JournalLine, net_changes

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def line(
    code: str, field: str | None, old: str | None, new: str | None, minute: int, *, comment: str | None = None
) -> JournalLine:
    kind = "modification" if field else "commentaire"
    return JournalLine(
        code=code,
        title=f"Action {code}",
        at=T0 + timedelta(minutes=minute),
        author="coordinatrice",
        kind=kind,
        field_name=field,
        old_value=old,
        new_value=new,
        source="Atelier n°1",
        comment=comment,
        what=field or "Commentaire",
        old_text=f"{old} %" if old else "",
        new_text=f"{new} %" if new else "",
    )


def test_steps_of_one_field_become_one_change_first_old_to_last_new() -> None:
    lines = [line("A1", "progress", str(10 * i), str(10 * (i + 1)), i) for i in range(3)]
    [net] = net_changes(lines)
    assert (net.old_value, net.new_value, net.old_text, net.new_text) == ("0", "30", "0 %", "30 %")
    assert net.at == lines[-1].at


def test_a_field_brought_back_to_its_first_value_disappears() -> None:
    lines = [line("A1", "progress", "20", "30", 0), line("A1", "progress", "30", "20", 1)]
    assert net_changes(lines) == []


def test_fields_and_actions_stay_apart_comments_kept_in_order_of_last_change() -> None:
    lines = [
        line("A1", "progress", "0", "10", 0),
        line("A2", "progress", "0", "10", 1),
        line("A1", "status", "a_lancer", "reportee", 2, comment="attente ARS"),
        line("A1", None, None, None, 3, comment="point fait en CTS"),
        line("A1", "progress", "10", "20", 4),
        line("A1", "status", "reportee", "abandonnee", 5, comment="plus de porteur"),
    ]
    net = net_changes(lines)
    assert [(n.code, n.field_name, n.old_value, n.new_value) for n in net] == [
        ("A2", "progress", "0", "10"),
        ("A1", None, None, None),
        ("A1", "progress", "0", "20"),
        ("A1", "status", "a_lancer", "abandonnee"),
    ]
    assert net[-1].comment == "attente ARS · plus de porteur"


def test_comments_and_creations_are_never_merged() -> None:
    lines = [line("A1", None, None, None, 0, comment="un"), line("A1", None, None, None, 1, comment="deux")]
    assert net_changes(lines) == lines


def open_id(store: Store) -> int | None:
    with store.engine.connect() as conn:
        session = open_workshop(conn, "09")
    return None if session is None else session.id


def test_the_open_session_of_the_department_is_found_until_it_is_closed(loaded_store: Store) -> None:
    assert open_id(loaded_store) is None
    with loaded_store.writer.begin() as conn:
        first = start_workshop(conn, "09", scope_kind="defi", scope_code="D", scope_label="Défi", author="a")
        second = start_workshop(conn, "09", scope_kind="defi", scope_code="O", scope_label="O", author="b")
    assert open_id(loaded_store) == second.id  # the latest one
    with loaded_store.writer.begin() as conn:
        end_workshop(conn, second.id)
    assert open_id(loaded_store) == first.id
    with loaded_store.writer.begin() as conn:
        end_workshop(conn, first.id)
    assert open_id(loaded_store) is None
