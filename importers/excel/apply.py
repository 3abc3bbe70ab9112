"""Applying a previewed import: one transaction, after a backup, journaled and logged."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import fields
from typing import Any

from sqlalchemy import Connection

from importers.excel.fields import KIND_ACTION, KIND_INDICATOR, KIND_RESOURCE, KIND_VALUE
from importers.excel.model import (
    NEW,
    TAKE_WORKBOOK,
    ConflictKey,
    ImportPreview,
    ImportRefused,
    ImportResult,
    Resolution,
    RowPlan,
)
from store import actions as action_rules
from store import indicators as indicator_rules
from store import resources as resource_rules
from store.actions import ActionData
from store.activity import record_exchange
from store.backup import backup_sqlite
from store.collector import collector_paused
from store.constraints import constraint_messages
from store.database import Store
from store.errors import ValidationError, VersionConflict
from store.fields import evolve
from store.indicators import IndicatorData, ValueChange, ValueKey
from store.lookups import code_maps

Progress = Callable[[int, int], None]


@collector_paused()
def apply_import(
    store: Store,
    department: str,
    preview: ImportPreview,
    resolutions: dict[ConflictKey, Resolution] | None = None,
    author: str = "inconnu",
    *,
    progress: Progress | None = None,
    backup: bool = True,
) -> ImportResult:
    """Write what `preview` planned, in one transaction, after a backup of a SQLite store.

    `resolutions` chooses, per conflict id (kind, key, field), the workbook's value
    ("classeur") or the store's ("base"). Refuses (ImportRefused) while there are rejected
    rows or unresolved conflicts, or when the store changed since the preview; nothing is
    written then. Every action change is journaled with the file name as its source.
    """
    resolutions = dict(resolutions or {})
    if preview.rejected:
        raise ImportRefused(
            f"Import de « {preview.file_name} » refusé : {len(preview.rejected)} problème(s) à corriger.",
            [str(p) for p in preview.rejected],
        )
    unresolved = preview.unresolved(resolutions)
    if unresolved:
        raise ImportRefused(
            f"Import de « {preview.file_name} » refusé : {len(unresolved)} conflit(s) à trancher.",
            [str(c) for c in unresolved],
        )
    result = ImportResult(preview.file_name)
    plans = [p for p in preview.rows if p.status != "inchangé" or p.conflicts]
    if not plans:
        return result
    if backup and store.path is not None:
        result.backup = backup_sqlite(store.path, "avant-import")
    source = preview.file_name
    total = len(plans)
    created: Counter[str] = Counter()
    updated: Counter[str] = Counter()
    with constraint_messages(), store.writer.begin() as conn:
        applier = _Applier(conn, department, author, source, resolutions, plans)
        plan = plans[0]
        try:
            with constraint_messages():  # the refusal below names the row (plan.describe())
                for done, plan in enumerate(plans, 1):
                    if applier.apply(plan):
                        (created if plan.status == NEW else updated)[plan.kind] += 1
                    if progress is not None and (done % 500 == 0 or done == total):
                        progress(done, total)
        except VersionConflict as exc:
            raise ImportRefused(
                f"La base a changé depuis l'aperçu de « {source} » : relancez l'import. ({exc})"
            ) from exc
        except ValidationError as exc:
            raise ImportRefused(f"Import de « {source} » refusé : {plan.describe()} : {exc}") from exc
        try:
            applier.flush_actions()
        except ValidationError as exc:
            plan = applier.new_actions[exc.index or 0][0]
            raise ImportRefused(f"Import de « {source} » refusé : {plan.describe()} : {exc}") from exc
        try:
            applier.flush_indicators()
        except ValidationError as exc:
            plan = applier.indicator_updates[exc.index or 0][0]
            raise ImportRefused(f"Import de « {source} » refusé : {plan.describe()} : {exc}") from exc
        result.values_changed = applier.flush_values()
        result.comments = applier.comments
        updated.pop(KIND_VALUE, None)
        result.created, result.updated = dict(created), dict(updated)
        record_exchange(
            conn,
            department,
            direction="import",
            kind=preview.mapping or "ars",
            file_name=source,
            author=author,
            summary=result.summary(),
        )
    return result


class _Applier:
    """Writes the plans of one import: the records they touch read once (not the whole store),
    new codes allocated once, new actions written in bulk through the domain rules."""

    def __init__(
        self,
        conn: Connection,
        department: str,
        author: str,
        source: str,
        resolutions: Mapping[ConflictKey, str],
        plans: list[RowPlan],
    ) -> None:
        self.conn = conn
        self.department = department
        self.author = author
        self.source = source
        self.resolutions = resolutions
        self.maps = code_maps(conn, department)
        existing: dict[str, list[str]] = {}
        for plan in plans:
            if plan.status != NEW:
                code = plan.before.code if plan.kind in (KIND_ACTION, KIND_RESOURCE) else plan.key
                existing.setdefault(plan.kind, []).append(code.split("|", 1)[0])
        maps = self.maps
        self.actions = action_rules.load_actions(conn, department, existing.get(KIND_ACTION, []), maps=maps)
        resources = existing.get(KIND_RESOURCE)
        self.resources = resource_rules.load_resources(conn, department, resources) if resources else {}
        self.indicators = indicator_rules.load_indicators(
            conn, department, existing.get(KIND_INDICATOR, []), maps=maps
        )
        self.values = indicator_rules.load_values(conn, department, existing.get(KIND_VALUE, []))
        #: Action ids of the actions indicators name (the only ones their rules need).
        self.action_ids = indicator_rules.action_ids(
            conn,
            department,
            [
                p.proposed.get("action") or (p.before.action if p.before is not None else None)
                for p in plans
                if p.kind == KIND_INDICATOR
            ]
            + [
                c.workbook
                for p in plans
                if p.kind == KIND_INDICATOR
                for c in p.conflicts
                if c.field == "action"
            ],
        )
        self.new_action_codes: Iterator[str] | None = None
        self.new_indicator_codes: Iterator[str] | None = None
        self.new_actions: list[tuple[RowPlan, ActionData]] = []
        self.indicator_updates: list[tuple[RowPlan, IndicatorData, IndicatorData]] = []
        self.value_changes: list[ValueChange] = []
        self.comments = 0

    def wanted(self, plan: RowPlan) -> dict[str, Any]:
        values = dict(plan.proposed)
        for conflict in plan.conflicts:
            if self.resolutions.get(conflict.id) == TAKE_WORKBOOK:
                values[conflict.field] = conflict.workbook
        return values

    def apply(self, plan: RowPlan) -> bool:
        if plan.kind == KIND_ACTION:
            return self._action(plan)
        if plan.kind == KIND_RESOURCE:
            return self._resource(plan)
        if plan.kind == KIND_INDICATOR:
            return self._indicator(plan)
        return self._values(plan)

    def _stale(self, what: str) -> ImportRefused:
        return ImportRefused(
            f"La base a changé depuis l'aperçu de « {self.source} » ({what}) : relancez l'import."
        )

    def _action(self, plan: RowPlan) -> bool:
        if plan.status == NEW:
            # A new row has no conflict: its fields are those the preview checked (`proposed`).
            given = plan.proposed
            if plan.conflicts or not given.keys() <= action_rules.DATA_FIELDS:
                given = {k: v for k, v in self.wanted(plan).items() if k in action_rules.DATA_FIELDS}
            if not given.get("code"):
                if self.new_action_codes is None:
                    first = action_rules.next_action_code(self.conn, self.department)
                    self.new_action_codes = action_rules.following_codes(first)
                given = {**given, "code": next(self.new_action_codes)}
            self.new_actions.append((plan, ActionData(**given)))
            return True
        values = self.wanted(plan)
        current = self.actions.get(plan.before.code)
        if current is None or current.version != plan.version:
            raise self._stale(f"action {plan.before.code}")
        changes = action_rules.update_action(
            self.conn,
            self.department,
            current,
            evolve(current, **values),
            author=self.author,
            source=self.source,
            comment=plan.comment,
            maps=self.maps,
        )
        if plan.comment:
            self.comments += 1
        return bool(changes or plan.comment)

    def _resource(self, plan: RowPlan) -> bool:
        values = self.wanted(plan)
        if plan.status == NEW:
            allowed = {f.name for f in fields(resource_rules.ResourceData) if f.compare}
            data = resource_rules.ResourceData(**{k: v for k, v in values.items() if k in allowed})
            created = resource_rules.create_resource(
                self.conn, self.department, data, author=self.author, source=self.source, maps=self.maps
            )
            plan.key = created.code
            return True
        current = self.resources.get(plan.before.code)
        if current is None or current.version != plan.version:
            raise self._stale(f"ressource {plan.before.code}")
        return bool(
            resource_rules.update_resource(
                self.conn,
                self.department,
                current,
                evolve(current, **values),
                author=self.author,
                source=self.source,
                maps=self.maps,
            )
        )

    def _indicator(self, plan: RowPlan) -> bool:
        values = self.wanted(plan)
        if plan.status == NEW:
            new_values = values.pop("values", {})
            if self.new_indicator_codes is None:
                first = indicator_rules.next_code(self.conn, self.department)
                self.new_indicator_codes = action_rules.following_codes(first)
            created = indicator_rules.create_indicator(
                self.conn,
                self.department,
                IndicatorData(code=next(self.new_indicator_codes), **values),
                maps=self.maps,
                actions=self.action_ids,
            )
            plan.key = created.code
            for (period, name), number in new_values.items():
                category = name[4:] if name.startswith("cat:") else ""
                self.value_changes.append(ValueChange(ValueKey(created.code, period, category), None, number))
            return True
        current = self.indicators.get(plan.key)
        if current is None or current != plan.before:
            raise self._stale(f"indicateur {plan.key}")
        after = evolve(current, **values)
        self.indicator_updates.append((plan, current, after))
        return bool(indicator_rules.changed_fields(current, after))

    def _values(self, plan: RowPlan) -> bool:
        code, period = plan.key.split("|", 1)
        values = self.wanted(plan)
        for name, new in values.items():
            category = name[4:] if name.startswith("cat:") else ""
            key = ValueKey(code, period, category)
            current = self.values.get(key)
            if current != plan.before.get(name):
                raise self._stale(f"valeur {code} {period}")
            self.value_changes.append(ValueChange(key, current, new))
        return bool(values)

    def flush_actions(self) -> None:
        """The new actions, checked one by one by the domain rules and written in bulk."""
        if not self.new_actions:
            return
        try:
            with constraint_messages():
                created = action_rules.create_actions(
                    self.conn,
                    self.department,
                    [data for _plan, data in self.new_actions],
                    author=self.author,
                    source=self.source,
                    maps=self.maps,
                    comments=[plan.comment for plan, _data in self.new_actions],
                    validated=True,  # by the preview (`Planner.validate`), row by row
                )
        except ValidationError as exc:
            if exc.index is None:  # refused by the database: the row is the one whose code it names
                codes = (f"« {data.code} »" for _plan, data in self.new_actions)
                exc.index = next((i for i, code in enumerate(codes) if code in str(exc)), 0)
            raise
        for (plan, _data), action in zip(self.new_actions, created, strict=True):
            plan.key = action.code
            self.comments += bool(plan.comment and plan.comment.strip())

    def flush_indicators(self) -> None:
        """The changed indicators, checked one by one by the domain rules and written in bulk."""
        indicator_rules.update_indicators(
            self.conn,
            self.department,
            [(before, after) for _plan, before, after in self.indicator_updates],
            maps=self.maps,
            actions=self.action_ids,
        )

    def flush_values(self) -> int:
        return indicator_rules.write_values(
            self.conn, self.department, self.value_changes, author=self.author, source=self.source
        )
