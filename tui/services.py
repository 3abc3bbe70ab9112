"""What the screens ask of the store, as plain data. Runs in worker threads, never in widgets."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from store import actions as action_rules
from store import activity
from store import journal as journals
from store import resources as resource_rules
from store.actions import ActionData, FieldChange
from store.changes import ChangeStamp
from store.constraints import constraint_messages
from store.database import Store
from store.indicators import IndicatorData, ValueChange, ValueKey, create_indicator, write_values
from store.lookups import department_territory
from store.resources import SOURCE_SCREEN, ResourceData
from store.sync_conflicts import (
    PendingConflict,
    ever_synced,
    pending_conflicts,
    resolve_conflict,
    value_problem,
)
from store.views.action_list import ActionFilter, ActionList, ActionPage, filter_choices
from store.views.care_offer import CareOfferLine, care_offer_lines
from store.views.coverage import CoverageMatrix, coverage_matrix
from store.views.dashboard import Dashboard, dashboard
from store.views.indicator_grid import IndicatorGrid, action_indicator_grids
from store.views.resource_list import (
    ResourceFilter,
    ResourceRow,
    TownInBassin,
    resource_rows,
    searched_towns,
    serving_everywhere,
)
from store.views.scheme import EngagementNode, NodeDetail, node_detail, scheme_tree


@dataclass(frozen=True)
class Choices:
    """Pick-lists of the forms: (label, code) pairs."""

    objectives: list[tuple[str, str]]
    organisations: list[tuple[str, str]]
    territories: list[tuple[str, str]]
    department_territory: str | None


class StoreService:
    """The store, seen from the screens: one department, plain data in and out."""

    def __init__(self, store: Store, department: str, author: str, *, today: date | None = None) -> None:
        self.store = store
        self._today = today
        self.department = department
        self.author = author
        self.changes = ChangeStamp(store.engine)
        self.actions_list = ActionList(department, self.changes)

    def close(self) -> None:
        """Let the store go (the app is closing)."""
        self.changes.close()
        self.store.dispose()

    @property
    def read_only(self) -> bool:
        return self.store.read_only

    def today(self) -> date:
        """The calendar day (fixed in tests, so that "late" does not depend on when they run)."""
        return self._today or datetime.now().astimezone().date()

    def ping(self) -> None:
        """Reach the store once (a lost server: raises its French `ServerUnreachable`)."""
        with self.store.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1").all()

    # --- reading ---------------------------------------------------------------------

    def dashboard(self) -> Dashboard:
        with self.store.engine.connect() as conn:
            return dashboard(conn, self.department, self.today())

    def scheme(self) -> list[EngagementNode]:
        with self.store.engine.connect() as conn:
            return scheme_tree(conn, self.department)

    def node(self, code: str) -> NodeDetail | None:
        with self.store.engine.connect() as conn:
            return node_detail(conn, self.department, code)

    def action_page(self, criteria: ActionFilter, offset: int = 0, limit: int = 200) -> ActionPage:
        with self.store.engine.connect() as conn:
            return self.actions_list.page(conn, criteria, offset=offset, limit=limit, today=self.today())

    def warm_up_search(self) -> None:
        with self.store.engine.connect() as conn:
            self.actions_list.warm_up(conn)

    def filter_choices(self) -> dict[str, list[tuple[str, str]]]:
        with self.store.engine.connect() as conn:
            return filter_choices(conn, self.department)

    def choices(self) -> Choices:
        with self.store.engine.connect() as conn:
            nodes = scheme_tree(conn, self.department)
            choices = filter_choices(conn, self.department)
            whole = department_territory(conn, self.department)
        objectives = [
            (f"{o.code} — {o.title}", o.code) for e in nodes for c in e.challenges for o in c.objectives
        ]
        return Choices(objectives, choices["leads"], choices["territories"], whole)

    def action(self, code: str) -> ActionData | None:
        with self.store.engine.connect() as conn:
            return action_rules.load_actions(conn, self.department, [code]).get(code)

    def actions(self, codes: list[str]) -> dict[str, ActionData]:
        with self.store.engine.connect() as conn:
            return action_rules.load_actions(conn, self.department, codes)

    def journal(self, action_id: int) -> list[journals.JournalLine]:
        with self.store.engine.connect() as conn:
            return journals.journal_lines(conn, self.department, action_id=action_id)

    def care_offer(self) -> list[CareOfferLine]:
        with self.store.engine.connect() as conn:
            return care_offer_lines(conn, self.department)

    def coverage(self, by: str) -> CoverageMatrix:
        with self.store.engine.connect() as conn:
            return coverage_matrix(conn, self.department, by=by, today=self.today())

    def resources(self, criteria: ResourceFilter) -> list[ResourceRow]:
        with self.store.engine.connect() as conn:
            return resource_rows(conn, self.department, criteria, today=self.today())

    def resources_everywhere(self, criteria: ResourceFilter) -> list[ResourceRow]:
        with self.store.engine.connect() as conn:
            return serving_everywhere(conn, self.department, criteria, today=self.today())

    def searched_towns(self, search: str) -> list[TownInBassin]:
        with self.store.engine.connect() as conn:
            return searched_towns(conn, self.department, search)

    def resource(self, code: str) -> ResourceData | None:
        with self.store.engine.connect() as conn:
            return resource_rules.load_resources(conn, self.department, [code]).get(code)

    def saved_filters(self) -> dict[str, dict[str, Any]]:
        with self.store.engine.connect() as conn:
            return activity.saved_filters(conn, self.department)

    def resource_journal(self, resource_id: int) -> list[journals.JournalLine]:
        with self.store.engine.connect() as conn:
            return journals.resource_journal_lines(conn, self.department, resource_id=resource_id)

    def workshop_lines(self, source: str) -> list[journals.JournalLine]:
        with self.store.engine.connect() as conn:
            return journals.journal_lines(conn, self.department, source=source)

    def conflicts(self) -> list[PendingConflict]:
        """The synchronisation conflicts waiting for a person (« Conflits »)."""
        with self.store.engine.connect() as conn:
            return pending_conflicts(conn, self.department)

    def ever_synced(self) -> bool:
        """The department was published or fetched once at least (no conflict can exist before)."""
        with self.store.engine.connect() as conn:
            return ever_synced(conn, self.department)

    def conflict_value_problem(self, conflict: PendingConflict, text: str) -> str | None:
        """Why a third value typed for a conflict is refused (the field registry's reading), or None."""
        return value_problem(conflict, text)

    # --- writing (each call is one transaction) ----------------------------------------

    def save_action(
        self,
        before: ActionData | None,
        after: ActionData,
        *,
        source: str = "écran Action",
        comment: str | None = None,
    ) -> tuple[ActionData, list[FieldChange]]:
        """Create or update an action; returns it as stored and the changed fields."""
        with constraint_messages(code=after.code), self.store.writer.begin() as conn:
            if before is None:
                created = action_rules.create_action(
                    conn, self.department, after, author=self.author, source=source
                )
                if comment:
                    action_rules.add_comment(
                        conn, self.department, created, comment, author=self.author, source=source
                    )
                return created, []
            changes = action_rules.update_action(
                conn, self.department, before, after, author=self.author, source=source, comment=comment
            )
            stored = action_rules.load_actions(conn, self.department, [before.code])[before.code]
            return stored, changes

    def comment_action(self, action: ActionData, comment: str, *, source: str) -> None:
        with constraint_messages(code=action.code), self.store.writer.begin() as conn:
            action_rules.add_comment(
                conn, self.department, action, comment, author=self.author, source=source
            )

    def next_action_code(self) -> str:
        with self.store.engine.connect() as conn:
            return action_rules.next_action_code(conn, self.department)

    def indicator_grids(self, action_code: str) -> list[IndicatorGrid]:
        with self.store.engine.connect() as conn:
            return action_indicator_grids(conn, self.department, action_code)

    def set_indicator_value(self, key: ValueKey, old: float | None, new: float | None) -> None:
        """Set (or remove, with None) one value; journaled on the indicator's action."""
        with constraint_messages(code=key.indicator), self.store.writer.begin() as conn:
            write_values(
                conn, self.department, [ValueChange(key, old, new)], author=self.author, source="écran Action"
            )

    def create_indicator(self, data: IndicatorData) -> IndicatorData:
        with constraint_messages(code=data.code or None), self.store.writer.begin() as conn:
            return create_indicator(conn, self.department, data)

    def save_filter(self, name: str, criteria: ActionFilter) -> None:
        with constraint_messages(), self.store.writer.begin() as conn:
            activity.save_filter(conn, self.department, name, criteria.to_dict())

    def save_resource(self, before: ResourceData | None, after: ResourceData) -> ResourceData:
        with constraint_messages(code=after.code or None), self.store.writer.begin() as conn:
            if before is None:
                return resource_rules.create_resource(
                    conn, self.department, after, author=self.author, source=SOURCE_SCREEN
                )
            resource_rules.update_resource(
                conn, self.department, before, after, author=self.author, source=SOURCE_SCREEN
            )
            return resource_rules.load_resources(conn, self.department, [before.code])[before.code]

    def open_workshop(self) -> activity.WorkshopInfo | None:
        """The department's latest workshop session not closed yet, to resume."""
        with self.store.engine.connect() as conn:
            return activity.open_workshop(conn, self.department)

    def open_workshops(self) -> list[activity.WorkshopInfo]:
        """Every workshop session of the department not closed yet, the latest first."""
        with self.store.engine.connect() as conn:
            return activity.open_workshops(conn, self.department)

    def start_workshop(
        self, scope_kind: str, scope_code: str, scope_label: str, participants: str = ""
    ) -> activity.WorkshopInfo:
        """Open a session; `participants`: the names as typed (commas, semicolons)."""
        with constraint_messages(), self.store.writer.begin() as conn:
            return activity.start_workshop(
                conn,
                self.department,
                scope_kind=scope_kind,
                scope_code=scope_code,
                scope_label=scope_label,
                author=self.author,
                participants=activity.clean_participants(participants),
            )

    def resolve_conflict(self, conflict_id: int, choice: str, value: str | None = None) -> str:
        """Settle a conflict on this laptop (keep mine, take theirs, a third value): the sentence to show."""
        return resolve_conflict(
            self.store, self.department, conflict_id, choice, author=self.author, value=value
        )

    def end_workshop(self, session_id: int) -> None:
        with constraint_messages(), self.store.writer.begin() as conn:
            activity.end_workshop(conn, session_id)


def with_status(data: ActionData, status: str, progress: int | None = None) -> ActionData:
    """The action with a new status (Réalisée brings the progress to 100 %: `store.actions.completed`,
    applied again when it is saved)."""
    return action_rules.completed(
        replace(data, status=status, progress=data.progress if progress is None else progress)
    )
