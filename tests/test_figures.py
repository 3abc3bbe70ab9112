"""Issue 10, "figures that disagree": each derived figure has one definition (store.figures) and
every path that shows it (dashboard, coverage matrix, CTS report, exchange workbook) agrees.
Also: Réalisée means 100 % on every path, and doubtful actions are warned about, not refused."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from exports.excel import export_ars, export_cts
from store import figures
from store.actions import ActionData, completed, create_action, load_actions, update_action, warnings
from store.database import Store
from store.resources import ResourceData, create_resource
from store.views.coverage import coverage_matrix
from store.views.dashboard import dashboard
from store.vocab import ActionStatus, ResourceStatus
from tui.services import with_status

DEPT = "09"
TODAY = datetime.now().astimezone().date()  # the exports count from the day they are written
PAST = TODAY - timedelta(days=40)
FUTURE = TODAY + timedelta(days=90)
WHO: dict[str, Any] = {"author": "test", "source": "test"}


def _add_actions(conn: Any, actions: Sequence[tuple[str, str, ActionStatus, int | None, Any]]) -> None:
    """(code, objective, status, progress, due date) of test actions, created in the department."""
    for code, objective, status, progress, due in actions:
        create_action(
            conn,
            DEPT,
            ActionData(
                code=code,
                title=f"Action {code}",
                objectives=(objective,),
                territories=("09",),
                status=status.value,
                progress=progress,
                start_date=PAST - timedelta(days=400) if due else None,
                due_date=due,
            ),
            **WHO,
        )


def _populate(store: Store) -> None:
    """Beside the two actions of the mini scheme: every status, late or not, and resources of every
    status, department-wide or on one bassin."""
    actions = [
        ("F-DONE-1", "E1-D4-O2", ActionStatus.DONE, 100, PAST),
        ("F-DONE-2", "E1-D4-S2", ActionStatus.DONE, 100, None),
        ("F-ABANDONED", "E1-D4-O2", ActionStatus.ABANDONED, 30, PAST),
        ("F-LATE-RUNNING", "E1-D4-O2", ActionStatus.IN_PROGRESS, 20, PAST),
        ("F-LATE-POSTPONED", "E1-D4-S2", ActionStatus.POSTPONED, 10, PAST),
        ("F-TODO", "E1-D4-S2", ActionStatus.TODO, 0, FUTURE),
    ]
    resources = [
        ("F-R-WHOLE", ("Jeunes aidants",), ("09",), ResourceStatus.EXISTING),
        ("F-R-COUSERANS", ("Tous publics",), ("COUSERANS",), ResourceStatus.EXISTING),
        ("F-R-PLANNED", ("Maladie chronique",), ("HAUTE-ARIEGE",), ResourceStatus.PLANNED),
        ("F-R-CLOSED", ("Personnes âgées",), ("HAUTE-ARIEGE",), ResourceStatus.CLOSED),
    ]
    with store.writer.begin() as conn:
        _add_actions(conn, actions)
        for code, audiences, territories, rstatus in resources:
            create_resource(
                conn,
                DEPT,
                ResourceData(
                    code=code,
                    name=f"Ressource {code}",
                    kind="Plateforme d'accompagnement et de répit",
                    audiences=audiences,
                    territories=territories,
                    status=rstatus.value,
                ),
                **WHO,
            )


def _sheet_rows(path: Path, sheet: str) -> list[tuple[Any, ...]]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return [tuple(row) for row in book[sheet].iter_rows(values_only=True)]
    finally:
        book.close()


def test_every_path_shows_the_same_figures(loaded_store: Store, tmp_path: Path) -> None:
    _populate(loaded_store)
    with loaded_store.engine.connect() as conn:
        actions = list(load_actions(conn, DEPT).values())
        board = dashboard(conn, DEPT, TODAY)
        matrix = coverage_matrix(conn, DEPT, today=TODAY)

    # the figures, from their one definition
    late = sum(1 for a in actions if figures.is_late(a.status, a.due_date, TODAY))
    rate = figures.done_rate((a.status, a.progress) for a in actions)
    # mini scheme: ACT-002 (À lancer, due 2023) is late; here two more late ones
    assert late == 3
    assert (rate.done, rate.counted) == (2, 7)  # the abandoned action is left out

    # dashboard
    assert board.late_count == late
    assert board.total == len(actions)
    (e1,) = [e for e in board.engagements if e.code == "E1"]
    assert (e1.done, e1.actions) == (rate.done, rate.counted)
    assert e1.done_share == pytest.approx(rate.share)
    assert e1.mean_progress == pytest.approx(rate.mean_progress)

    # coverage: existing resources only, the department-wide one in every bassin
    assert matrix.counts == {
        ("COUSERANS", "Jeunes aidants"): 2,  # department-wide + « Tous publics » here
        ("HAUTE-ARIEGE", "Jeunes aidants"): 1,
        ("COUSERANS", "Personnes âgées"): 2,  # RES-PFR (whole department) + « Tous publics »
        ("HAUTE-ARIEGE", "Personnes âgées"): 1,  # RES-PFR; the closed one does not count
        ("COUSERANS", "Maladies neuro-évolutives"): 2,
        ("HAUTE-ARIEGE", "Maladies neuro-évolutives"): 1,
        ("COUSERANS", "Personnes en situation de handicap"): 1,
        ("COUSERANS", "Maladie chronique"): 1,  # the planned one in Haute-Ariège does not count
    }
    assert board.coverage_gaps == matrix.gaps()
    assert ("Haute-Ariège", "Maladie chronique") in board.coverage_gaps

    # CTS report, read back
    report = tmp_path / "cts.xlsx"
    export_cts(loaded_store, DEPT, report)
    rows = _sheet_rows(report, "Synthèse")
    header_index = next(i for i, r in enumerate(rows) if r[0] == "Code")
    header = rows[header_index]
    col = {name: header.index(name) for name in ("Actions", "Part réalisée", "Avancement moyen", "En retard")}
    by_code = {r[0]: r for r in rows[header_index + 1 :] if r and r[0]}
    total = by_code["Total"]
    assert total[col["En retard"]] == late
    assert total[col["Actions"]] == len(actions)  # every action is listed, abandoned ones too
    assert total[col["Part réalisée"]] == pytest.approx(rate.share)
    assert total[col["Avancement moyen"]] == pytest.approx((rate.mean_progress or 0) / 100)
    assert by_code["E1"][col["Part réalisée"]] == pytest.approx(e1.done_share)
    assert by_code["E1"][col["Avancement moyen"]] == pytest.approx((e1.mean_progress or 0) / 100)
    assert by_code["E1"][col["En retard"]] == board.late_count

    coverage_rows = _sheet_rows(report, "Aidants-répit")
    top = next(i for i, r in enumerate(coverage_rows) if r[0] == "Bassin")
    columns = coverage_rows[top][1:]
    assert list(columns[:-1]) == matrix.columns
    sheet_counts = {}
    for line in coverage_rows[top + 1 : top + 1 + len(matrix.territories)]:
        code = str(line[0]).rsplit("(", 1)[1].rstrip(")")
        for column, value in zip(matrix.columns, line[1:], strict=False):
            if value:
                sheet_counts[(code, column)] = value
    assert sheet_counts == matrix.counts
    assert [str(r[0]) for r in coverage_rows[top + 1 : top + 1 + len(matrix.territories)]] == [
        f"{name} ({code})" for code, name in matrix.territories
    ]

    # exchange workbook: its « En retard » column says the same
    exchange = tmp_path / "ars.xlsx"
    export_ars(loaded_store, DEPT, exchange)
    book = openpyxl.load_workbook(exchange, read_only=True)
    try:
        sheet = book["Actions"]
        lines = [tuple(r) for r in sheet.iter_rows(values_only=True)]
    finally:
        book.close()
    head = next(i for i, r in enumerate(lines) if "En retard" in r)
    late_col = lines[head].index("En retard")
    assert sum(1 for r in lines[head + 1 :] if r and r[late_col] == "Oui") == late


def test_done_means_100_percent_on_creation_and_update_journaled(loaded_store: Store) -> None:
    with loaded_store.writer.begin() as conn:
        created = create_action(
            conn,
            DEPT,
            ActionData(code="F-NEW", title="Nouvelle", status=ActionStatus.DONE.value, progress=40),
            **WHO,
        )
        assert created.progress == 100
        before = load_actions(conn, DEPT, ["ACT-001"])["ACT-001"]
        assert before.progress == 50
        changes = update_action(
            conn, DEPT, before, ActionData(**{**_fields(before), "status": "realisee"}), **WHO
        )
    assert {c.field: c.new for c in changes} == {"status": "realisee", "progress": 100}
    with loaded_store.engine.connect() as conn:
        stored = load_actions(conn, DEPT, ["ACT-001", "F-NEW"])
    assert stored["ACT-001"].progress == 100
    assert stored["F-NEW"].progress == 100


def _fields(data: ActionData) -> dict[str, Any]:
    from dataclasses import fields

    return {f.name: getattr(data, f.name) for f in fields(data) if f.compare}


def test_completed_and_the_app_helper_follow_the_same_rule() -> None:
    action = ActionData(code="A", title="A", status="en_cours", progress=30)
    assert completed(action) == action
    assert completed(ActionData(code="A", title="A", status="realisee", progress=30)).progress == 100
    assert with_status(action, "realisee").progress == 100
    assert with_status(action, "realisee", 60).progress == 100
    assert with_status(action, "reportee").progress == 30


def test_doubtful_actions_are_warned_about_not_refused() -> None:
    clean = ActionData(
        code="A", title="A", objectives=("O",), territories=("09",), status="en_cours", progress=40
    )
    assert warnings(clean) == []
    todo = ActionData(
        code="A", title="A", objectives=("O",), territories=("09",), status="a_lancer", progress=40
    )
    (message,) = warnings(todo)
    assert "40 %" in message and "À lancer" in message
    bare = ActionData(code="A", title="A")
    assert len(warnings(bare)) == 2
    assert any("objectif" in w for w in warnings(bare)) and any("territoire" in w for w in warnings(bare))


def test_the_import_preview_lists_doubtful_actions_and_terminé_brings_100(
    loaded_store: Store, tmp_path: Path
) -> None:
    from importers.excel import apply_import, preview_import
    from tests.excel_fixtures import edit_workbook, set_cell

    path = tmp_path / "echange.xlsx"
    export_ars(loaded_store, DEPT, path)

    def edit(book: Any) -> None:
        set_cell(book, "Actions", "ACT-002", "Avancement (%)", 40)  # still « À lancer »
        set_cell(book, "Actions", "ACT-001", "Statut", "terminé")

    edited = edit_workbook(path, tmp_path / "edited.xlsx", edit)
    preview = preview_import(loaded_store, DEPT, edited)
    assert not preview.rejected
    doubtful = [w for w in preview.warnings if "À lancer" in w]
    assert len(doubtful) == 1 and "40 %" in doubtful[0], preview.warnings
    apply_import(loaded_store, DEPT, preview, {}, "testeur", backup=False)
    with loaded_store.engine.connect() as conn:
        stored = load_actions(conn, DEPT, ["ACT-001", "ACT-002"])
    assert stored["ACT-001"].status == "realisee" and stored["ACT-001"].progress == 100
    assert stored["ACT-002"].status == "a_lancer" and stored["ACT-002"].progress == 40  # warned, not refused


def test_a_mean_progress_says_over_how_many_actions_when_only_some_are_known() -> None:
    """An engagement of 14 actions where only one done action gives its progress is not « 100 % »
    done on the dashboard or in the dossier: the mean says whose it is."""
    from store.figures import DoneRate

    assert DoneRate(1, 14, 100, 1).mean_text() == "100 % (1 sur 14)"
    assert DoneRate(2, 4, 220, 4).mean_text() == "55 %"
    assert DoneRate(0, 3, 0, 0).mean_text() == "—"
    assert DoneRate(0, 0).mean_text() == "—"


def test_a_passed_due_date_of_unknown_status_is_counted_beside_the_late_ones(loaded_store: Store) -> None:
    """« Non renseigné » is never late (nothing says it is still open), but the dashboard says how
    many such actions are past their due date, so that the question is asked."""
    with loaded_store.writer.begin() as conn:
        _add_actions(
            conn,
            [
                ("F-UNKNOWN-PAST", "E1-D4-O2", ActionStatus.UNKNOWN, None, PAST),
                ("F-UNKNOWN-NEXT", "E1-D4-O2", ActionStatus.UNKNOWN, None, TODAY + timedelta(days=400)),
            ],
        )
    with loaded_store.engine.connect() as conn:
        actions = list(load_actions(conn, DEPT).values())
        board = dashboard(conn, DEPT, TODAY)
    expected = sum(1 for a in actions if figures.is_past_due_unknown(a.status, a.due_date, TODAY))
    assert board.past_due_unknown == expected >= 1
    assert board.late_count == sum(1 for a in actions if figures.is_late(a.status, a.due_date, TODAY))
