"""Bulk writes below SQLAlchemy's per-row processing (store/bulk.py), on SQLite and PostgreSQL:
the rows read back are those SQLAlchemy's own INSERT writes, defaults and conversions included."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import insert, select, text

from store.bulk import insert_many
from store.database import Store
from store.errors import ValidationError
from store.models.identities import new_uid, new_uids
from store.tables import ACTION, ACTION_EVENT

DEPT = "09"


def action_rows(prefix: str) -> list[dict[str, Any]]:
    at = datetime(2026, 11, 27, 8, 30, 15, 123456, tzinfo=UTC)
    return [
        {
            "department_code": DEPT,
            "code": f"{prefix}-{n}",
            "title": f"Action « {n} » à l'essai",
            "description": None if n % 2 else "Sur deux\nlignes",
            "status": "en_cours",
            "progress": n * 10,
            "start_date": date(2025, 1 + n, 1) if n else None,
            "start_date_precision": "month",
            "due_date": date(2026, 12, 31),
            "due_date_precision": "day",
            "budget_cents": 1_250_050 if n == 1 else None,
            "created_at": at,
            "updated_at": at,
            "version": 1,
        }
        for n in range(3)
    ]


def read_back(store: Store, prefix: str) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        query = select(ACTION).where(ACTION.c.code.like(f"{prefix}-%")).order_by(ACTION.c.code)
        rows = [dict(r) for r in conn.execute(query).mappings()]
    for row in rows:
        assert row.pop("id") and row.pop("code").startswith(prefix)
    return rows


def stored_as(store: Store, prefix: str) -> list[tuple[Any, ...]]:
    """The values as the database keeps them (text dates on SQLite), read without SQLAlchemy types."""
    with store.engine.connect() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT title, start_date, due_date, created_at, updated_at, budget_cents FROM action "
                    "WHERE code LIKE :codes ORDER BY code"
                ),
                {"codes": f"{prefix}-%"},
            )
        )


def test_rows_written_in_bulk_read_back_as_sqlalchemy_writes_them(loaded_store: Store) -> None:
    with loaded_store.writer.begin() as conn:
        conn.execute(insert(ACTION), action_rows("ORM"))
        insert_many(conn, ACTION, action_rows("BULK"))
    ours, theirs = read_back(loaded_store, "BULK"), read_back(loaded_store, "ORM")
    uids = [r.pop("uid") for r in ours] + [r.pop("uid") for r in theirs]
    assert ours == theirs and len(ours) == 3
    assert stored_as(loaded_store, "BULK") == stored_as(loaded_store, "ORM")
    assert theirs[0]["created_at"] == datetime(2026, 11, 27, 8, 30, 15, 123456, tzinfo=UTC)
    # the column's Python default gives each row its own identity, as SQLAlchemy does
    assert len(set(uids)) == 6 and all(uuid.UUID(u).version == 4 for u in uids)


def test_a_refused_bulk_write_leaves_nothing(loaded_store: Store) -> None:
    rows = action_rows("DOUBLE")
    rows[2]["code"] = rows[0]["code"]  # the department's codes are unique
    with pytest.raises(Exception), loaded_store.writer.begin() as conn:  # noqa: B017, PT011
        insert_many(conn, ACTION, rows)
    assert read_back(loaded_store, "DOUBLE") == []


def test_journal_lines_written_in_bulk_get_their_default_identity(loaded_store: Store) -> None:
    with loaded_store.writer.begin() as conn:
        insert_many(conn, ACTION, action_rows("JRN"))
        ids = list(conn.execute(select(ACTION.c.id).where(ACTION.c.code.like("JRN-%"))).scalars())
        at = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
        insert_many(
            conn,
            ACTION_EVENT,
            [
                {
                    "department_code": DEPT,
                    "action_id": i,
                    "at": at,
                    "author": "testeur",
                    "kind": "creation",
                    "source": "t",
                }
                for i in ids
            ],
        )
        lines = conn.execute(select(ACTION_EVENT).where(ACTION_EVENT.c.action_id.in_(ids))).mappings().all()
    assert len(lines) == 3 and len({line["uid"] for line in lines}) == 3
    assert all(line["at"] == datetime(2026, 11, 27, 9, 0, tzinfo=UTC) for line in lines)


def test_identities_drawn_in_bulk_are_random_uuids_written_as_one_by_one() -> None:
    drawn = new_uids(2000)
    assert len(set(drawn)) == 2000 and new_uids(0) == []
    for drawn_text in drawn:
        found = uuid.UUID(drawn_text)
        assert str(found) == drawn_text and found.version == 4 and found.variant == uuid.RFC_4122
        assert len(drawn_text) == len(new_uid()) == 36


def test_validation_error_is_still_the_domain_rules_refusal(loaded_store: Store) -> None:
    """The bulk path is below the domain rules, not instead of them: create_actions still refuses."""
    from store.actions import ActionData, create_actions

    with pytest.raises(ValidationError, match="Territoire inconnu"), loaded_store.writer.begin() as conn:
        create_actions(
            conn,
            DEPT,
            [ActionData(code="NEW-1", title="Une", territories=("99",))],
            author="testeur",
            source="test",
        )
    assert read_back(loaded_store, "NEW") == []


def test_a_snapshot_evolved_is_the_one_dataclasses_replace_gives() -> None:
    import dataclasses

    from store.actions import ActionData
    from store.fields import evolve
    from store.indicators import IndicatorData

    action = ActionData(code="ACT-001", title="Une", territories=("09",), progress=40, id=3, version=2)
    changes: dict[str, Any] = {
        "title": "Deux",
        "id": 7,
        "version": 1,
        "uid": new_uid(),
        "objectives": ("O1",),
    }
    evolved, replaced = evolve(action, **changes), dataclasses.replace(action, **changes)
    assert evolved == replaced and vars(evolved) == vars(replaced) and vars(action)["title"] == "Une"
    assert type(evolved) is ActionData and hash(evolved) == hash(replaced)
    with pytest.raises(dataclasses.FrozenInstanceError):
        evolved.title = "Trois"  # type: ignore[misc]
    with pytest.raises(TypeError):
        evolve(action, nothing=1)  # as replace refuses it
    indicator = IndicatorData(code="IND-1", label="Taux", action="ACT-001", target=10.0)
    assert vars(evolve(indicator, target=20.0)) == vars(dataclasses.replace(indicator, target=20.0))


def test_a_bulk_update_writes_what_sqlalchemys_update_writes(loaded_store: Store) -> None:
    from sqlalchemy import bindparam, update

    from store.bulk import execute_many

    with loaded_store.writer.begin() as conn:
        insert_many(conn, ACTION, action_rows("ORMU") + action_rows("BULKU"))
        ids = dict(conn.execute(select(ACTION.c.code, ACTION.c.id).where(ACTION.c.code.like("%U-%"))).all())
        statement = (
            update(ACTION)
            .where(ACTION.c.id == bindparam("v_id"))
            .values(due_date=bindparam("v_due"), updated_at=bindparam("v_at"), title=bindparam("v_title"))
        )
        at = datetime(2027, 1, 2, 3, 4, 5, 6, tzinfo=UTC)

        def rows(prefix: str) -> list[dict[str, Any]]:
            return [
                {
                    "v_id": ids[f"{prefix}-{n}"],
                    "v_due": date(2027, 6, n + 1),
                    "v_at": at,
                    "v_title": f"« {n} »",
                }
                for n in range(3)
            ]

        conn.execute(statement, rows("ORMU"))
        execute_many(conn, statement, rows("BULKU"))
    ours, theirs = read_back(loaded_store, "BULKU"), read_back(loaded_store, "ORMU")
    assert [r.pop("uid") for r in ours] != [r.pop("uid") for r in theirs]
    assert ours == theirs and ours[2]["due_date"] == date(2027, 6, 3) and ours[0]["updated_at"] == at
    assert stored_as(loaded_store, "BULKU") == stored_as(loaded_store, "ORMU")


def test_an_indicator_update_sets_only_the_columns_that_changed(loaded_store: Store) -> None:
    from sqlalchemy import event

    from store import indicators as indicator_rules

    with loaded_store.writer.begin() as conn:
        action = conn.execute(select(ACTION.c.code).limit(1)).scalar_one()
        created = [
            indicator_rules.create_indicator(
                conn, DEPT, indicator_rules.IndicatorData(code=f"IND-T{n}", label=f"Suivi {n}", action=action)
            )
            for n in range(3)
        ]
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(loaded_store.engine, "before_cursor_execute", seen)  # the store is disposed after
    with loaded_store.writer.begin() as conn:
        changed = indicator_rules.update_indicators(
            conn,
            DEPT,
            [
                (created[0], indicator_rules.evolve(created[0], target=12.5)),
                (created[1], indicator_rules.evolve(created[1], target=7.0)),
                (created[2], indicator_rules.evolve(created[2], label="Suivi renommé", unit="%")),
            ],
        )
    assert changed == [["target"], ["target"], ["label", "unit"]]
    updates = [s for s in statements if s.startswith("UPDATE indicator")]
    assert len(updates) == 2 and all("action_id" not in s and "objective_id" not in s for s in updates)
    with loaded_store.engine.connect() as conn:
        after = indicator_rules.load_indicators(conn, DEPT, ["IND-T0", "IND-T1", "IND-T2"])
    assert [after[f"IND-T{n}"].target for n in range(3)] == [12.5, 7.0, None]
    assert (after["IND-T2"].label, after["IND-T2"].unit, after["IND-T2"].action) == (
        "Suivi renommé",
        "%",
        action,
    )
