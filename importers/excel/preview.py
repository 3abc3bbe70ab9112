"""The import preview: read the workbook, check every cell, compare three ways; write nothing.

For each record, three versions of each field are compared: the value **exported** (kept
in the workbook's hidden sheet), the value in the **workbook** now, and the value in the
**store** now. Workbook ≠ exported means "changed in the workbook" and is applied; store ≠
exported means "changed in the store" and is kept; both, to different values, is a
**conflict**, never applied silently. Without export data (a foreign or hand-made workbook)
every difference with the store counts as a change from the workbook.

A row whose cells are exactly those exported is unchanged without further parsing, which
keeps re-importing an unchanged 100,000-row workbook cheap.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import fields, replace
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from importers.excel import cells
from importers.excel.cells import CellError
from importers.excel.fields import (
    FORMAT,
    INDICATOR_LEVEL,
    KIND_ACTION,
    KIND_INDICATOR,
    KIND_RESOURCE,
    KIND_VALUE,
    breakdown_header,
    label_of,
    spec,
)
from importers.excel.model import (
    CHANGED,
    NEW,
    UNCHANGED,
    Change,
    Conflict,
    ImportPreview,
    Location,
    Problem,
    RowPlan,
)
from importers.excel.reader import open_workbook
from importers.excel.resolve import Resolver, normalise_store_value
from importers.excel.safety import DEFAULT_LIMITS, MAX_CELL_TEXT, Limits
from importers.excel.settings import Settings
from importers.excel.workbook import BaseRow, Meta, SheetRows, check_formulas, read_native
from store import actions as action_rules
from store import indicators as indicator_rules
from store import resources as resource_rules
from store.actions import ActionData
from store.database import Store
from store.errors import ValidationError
from store.indicators import IndicatorData, ValueKey
from store.models import ActionEvent, Department
from store.resources import ResourceData
from store.vocab import STATUSES_NEEDING_COMMENT, ActionStatus, fold

Progress = Callable[[int, int], None]
_NO_VALUE = object()
#: Longest value quoted in a refusal (a 40,000-character cell is not printed whole).
SHOWN_VALUE = 120


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)
    return bool(a == b)


def _same_raw(a: Any, b: Any) -> bool:
    if cells.is_blank(a) and cells.is_blank(b):
        return True
    return type(a) is type(b) and bool(a == b)


class Planner:
    """Builds the RowPlans of one import (read-only on the store)."""

    def __init__(
        self, conn: Connection, department: str, preview: ImportPreview, meta: Meta | None, settings: Settings
    ) -> None:
        self.conn = conn
        self.department = department
        self.preview = preview
        self.file = preview.file_name
        self.meta = meta
        self.settings = settings
        self.actions = action_rules.load_actions(conn, department)
        self.resources = resource_rules.load_resources(conn, department)
        self.indicators = indicator_rules.load_indicators(conn, department)
        self.values = indicator_rules.load_values(conn, department)
        self.resolver = Resolver(conn, department, self.actions)
        self.resolver.value_maps = settings.value_maps
        self.maps = action_rules.code_maps(conn, department)
        self.comments = self._imported_comments()
        self.known_titles = {f"action:{fold(a.title)}": a.code for a in self.actions.values()}
        self.known_titles.update({f"resource:{fold(r.name)}": r.code for r in self.resources.values()})
        self.new_titles: dict[str, int] = {}
        self.indicator_plans: dict[str, RowPlan] = {}
        self.indicator_titles = {
            (fold(i.label), i.action, i.objective): i.code for i in self.indicators.values()
        }
        self.ignored_rows = 0

    def _imported_comments(self) -> set[tuple[int, str]]:
        ev = ActionEvent.__table__  # type: ignore[attr-defined]
        # Whatever the file that brought it ("e1 (1).xlsx" is e1.xlsx saved twice), a comment
        # already in an action's journal is not journaled again.
        query = select(ev.c.action_id, ev.c.comment).where(
            ev.c.department_code == self.department, ev.c.comment.is_not(None)
        )
        return {(action_id, comment) for action_id, comment in self.conn.execute(query)}

    def base(self, kind: str) -> dict[str, BaseRow] | None:
        if self.meta is None:
            return None
        return self.meta.base.get(kind, {})

    def problem(
        self, sheet: SheetRows, row: int, name: str | None, message: str, raw: Any = _NO_VALUE
    ) -> None:
        location = sheet.location_of(self.file, row, name) if name else sheet.location(self.file, row)
        value = None if raw is _NO_VALUE or cells.is_blank(raw) else cells.raw_text(raw)
        if value is not None and len(value) > SHOWN_VALUE:
            value = value[: SHOWN_VALUE - 1] + "…"
        if value is not None and f"« {value} »" in message:
            value = None  # the message quotes it already
        self.preview.rejected.append(Problem(location, message, value))

    # --- cells -------------------------------------------------------------------------

    def parse(
        self, kind: str, sheet: SheetRows, row: int, values: list[Any], *, skip_blank: bool = False
    ) -> dict[str, Any]:
        """The store value of every mapped field of a row (blank cells left out if `skip_blank`)."""
        result: dict[str, Any] = {}
        for name, column in sheet.columns.items():
            if name.startswith("cat:") or name in ("period", "value"):
                continue
            raw = values[column] if column < len(values) else ""
            if skip_blank and cells.is_blank(raw):
                continue
            if isinstance(raw, str) and len(raw) > MAX_CELL_TEXT:
                self.problem(
                    sheet,
                    row,
                    name,
                    "texte de plus de 32 767 caractères, ce qu'une cellule Excel peut contenir au "
                    "plus : il serait coupé au prochain export",
                    raw,
                )
                continue
            try:
                result[name] = self.resolver.convert(kind, name, spec(kind, name).parse(raw))
            except CellError as exc:
                self.problem(sheet, row, name, str(exc), raw)
        return result

    def parse_base(self, kind: str, base: BaseRow | None, names: Iterable[str]) -> dict[str, Any] | None:
        if base is None:
            return None
        result = {}
        for name in names:
            if name in base.values:
                try:
                    result[name] = self.resolver.convert(
                        kind, name, spec(kind, name).parse(base.values[name])
                    )
                except CellError:
                    continue
        return result

    # --- three-way comparison --------------------------------------------------------------

    def merge(
        self,
        kind: str,
        key: str,
        title: str,
        location: Callable[[str], Location],
        workbook: dict[str, Any],
        store: dict[str, Any],
        exported: dict[str, Any] | None,
        store_unchanged: bool,
    ) -> tuple[dict[str, Any], list[Conflict]]:
        proposed: dict[str, Any] = {}
        conflicts: list[Conflict] = []
        for name, wb in workbook.items():
            st = store.get(name)
            if exported is not None and name in exported:
                ex = exported[name]
                if _same(wb, ex):
                    continue
                if not store_unchanged and not _same(st, ex) and not _same(wb, st):
                    conflicts.append(
                        Conflict(kind, key, title, name, label_of(kind, name), ex, st, wb, location(name))
                    )
                    continue
            if not _same(wb, st):
                proposed[name] = wb
        return proposed, conflicts

    # --- actions and resources --------------------------------------------------------------

    def plan_records(self, sheet: SheetRows, progress: Callable[[], None]) -> None:
        kind = sheet.kind
        store: dict[str, Any] = self.actions if kind == KIND_ACTION else self.resources
        key_name = self.settings.key
        by_key = store if key_name == "code" else {getattr(r, key_name): r for r in store.values()}
        base = self.base(kind)
        seen: dict[str, int] = {}
        compared = [n for n in sheet.columns if n != "comment"]
        for row, values in sheet.rows:
            progress()
            key_column = sheet.columns.get(key_name)
            raw_key = values[key_column] if key_column is not None and key_column < len(values) else ""
            key = cells.text(raw_key)
            if key is not None and key_name != "code":
                key = self.resolver.convert(kind, key_name, key)
            if key is not None and key in seen:
                self.problem(sheet, row, key_name, f"code en double (déjà ligne {seen[key]})", raw_key)
                continue
            if key is not None:
                seen[key] = row
            before = by_key.get(key) if key is not None else None
            if before is None and row in self.settings.no_create_rows:
                self.ignored_rows += 1
                continue
            if key is not None and before is None and not self.settings.create_unknown_keys:
                what = "action" if kind == KIND_ACTION else "ressource"
                self.problem(
                    sheet,
                    row,
                    key_name,
                    f"code inconnu dans la base : laissez la colonne vide pour créer une nouvelle {what}",
                    raw_key,
                )
                continue
            exported = base.get(before.code) if base is not None and before is not None else None
            comment_column = sheet.columns.get("comment")
            comment = (
                cells.text(values[comment_column])
                if comment_column is not None and comment_column < len(values)
                else None
            )
            if (
                exported is not None
                and before is not None
                and comment is None
                and all(
                    n in exported.values
                    and _same_raw(
                        values[sheet.columns[n]] if sheet.columns[n] < len(values) else "", exported.values[n]
                    )
                    for n in compared
                )
            ):
                self.preview.rows.append(
                    RowPlan(
                        kind,
                        before.code,
                        _title(before),
                        sheet.location(self.file, row),
                        UNCHANGED,
                        before=before,
                    )
                )
                continue
            if before is None:
                self.plan_new(sheet, row, values, key)
            else:
                self.plan_existing(sheet, row, values, before, exported, comment)

    def plan_existing(
        self,
        sheet: SheetRows,
        row: int,
        values: list[Any],
        before: Any,
        exported: BaseRow | None,
        comment: str | None,
    ) -> None:
        kind = sheet.kind
        rejected = len(self.preview.rejected)
        # Without export data, a blank cell says nothing: it never clears a value of the store.
        workbook = self.parse(kind, sheet, row, values, skip_blank=exported is None)
        workbook.pop("comment", None)
        workbook.pop(self.settings.key, None)
        workbook.pop("code", None)
        if len(self.preview.rejected) > rejected:
            return
        store = {n: normalise_store_value(kind, n, getattr(before, n)) for n in workbook}
        base_values = self.parse_base(kind, exported, workbook)
        store_unchanged = exported is not None and exported.version == before.version
        proposed, conflicts = self.merge(
            kind,
            before.code,
            _title(before),
            lambda n: sheet.location_of(self.file, row, n),
            workbook,
            store,
            base_values,
            store_unchanged,
        )
        if kind == KIND_ACTION and comment is not None and (before.id, comment) in self.comments:
            comment = None
        if not self.validate(sheet, row, values, replace(before, **proposed), comment, proposed, before):
            return
        changes = [Change(n, label_of(kind, n), store[n], v, kind) for n, v in proposed.items()]
        status = CHANGED if changes or conflicts or (comment and kind == KIND_ACTION) else UNCHANGED
        self.preview.rows.append(
            RowPlan(
                kind,
                before.code,
                _title(before),
                sheet.location(self.file, row),
                status,
                changes,
                conflicts,
                comment=comment if kind == KIND_ACTION else None,
                before=before,
                version=before.version,
                proposed=proposed,
            )
        )

    def plan_new(self, sheet: SheetRows, row: int, values: list[Any], key: str | None) -> None:
        kind = sheet.kind
        rejected = len(self.preview.rejected)
        workbook = self.parse(kind, sheet, row, values)
        comment = workbook.pop("comment", None)
        name_field, what = ("title", "action") if kind == KIND_ACTION else ("name", "ressource")
        column = sheet.columns.get(name_field)
        if column is None or column >= len(values) or cells.is_blank(values[column]):
            self.problem(
                sheet,
                row,
                name_field,
                f"{label_of(kind, name_field).lower()} obligatoire pour créer une nouvelle {what} "
                "(la cellule est vide)",
            )
        if len(self.preview.rejected) > rejected:
            return
        for name, raw in self.settings.defaults.items():
            if workbook.get(name) in (None, ()):
                try:
                    workbook[name] = self.resolver.convert(kind, name, spec(kind, name).parse(raw))
                except CellError as exc:
                    self.problem(
                        sheet, row, None, f"valeur par défaut de « {label_of(kind, name)} » : {exc}", raw
                    )
                    return
        workbook["code"] = key if key is not None and self.settings.key == "code" else ""
        if kind == KIND_ACTION:
            allowed = {f.name for f in fields(ActionData) if f.compare}
            data: Any = ActionData(**{"title": "", **{k: v for k, v in workbook.items() if k in allowed}})
            title_key, what = f"action:{fold(data.title)}", "action"
        else:
            allowed = {f.name for f in fields(ResourceData) if f.compare}
            data = ResourceData(
                **{"name": "", "kind": "", **{k: v for k, v in workbook.items() if k in allowed}}
            )
            title_key, what = f"resource:{fold(data.name)}", "ressource"
        existing = self.known_titles.get(title_key)
        if existing and not key:
            self.preview.warnings.append(
                f"{sheet.location(self.file, row).describe()} : ligne sans code ignorée, une {what} "
                f"de même nom existe déjà ({existing}) — déjà importée ?"
            )
            return
        if title_key in self.new_titles:
            self.problem(
                sheet,
                row,
                "title" if kind == KIND_ACTION else "name",
                f"nouvelle {what} en double (déjà ligne {self.new_titles[title_key]})",
            )
            return
        self.new_titles[title_key] = row
        if not self.validate(sheet, row, values, data, comment, workbook, None):
            return
        changes = [
            Change(n, label_of(kind, n), None, v, kind)
            for n, v in workbook.items()
            if n in allowed and n != "code" and v not in (None, ())
        ]
        self.preview.rows.append(
            RowPlan(
                kind,
                data.code or "(nouveau code)",
                _title(data),
                sheet.location(self.file, row),
                NEW,
                changes,
                comment=comment if kind == KIND_ACTION else None,
                proposed={k: v for k, v in workbook.items() if k in allowed},
            )
        )

    def validate(
        self,
        sheet: SheetRows,
        row: int,
        values: list[Any],
        after: Any,
        comment: str | None,
        proposed: dict[str, Any],
        before: Any,
    ) -> bool:
        errors: list[ValidationError]
        if sheet.kind == KIND_ACTION:
            errors = action_rules.validate(replace(after, code=after.code or "NOUVEAU"), self.maps)
            if (
                "status" in proposed
                and ActionStatus(after.status) in STATUSES_NEEDING_COMMENT
                and (before is None or before.status != after.status)
                and not comment
            ):
                errors.append(
                    ValidationError(
                        "un commentaire est obligatoire pour passer l'action en "
                        f"« {ActionStatus(after.status).label} » (remplissez la colonne Commentaire)",
                        "comment" if "comment" in sheet.columns else "status",
                    )
                )
            if not errors:  # allowed but doubtful: said, not refused (new ones only, for an update)
                already = action_rules.warnings(before) if before is not None else []
                where = sheet.location(self.file, row).describe()
                self.preview.warnings.extend(
                    f"{where} : {w[0].lower()}{w[1:]}"
                    for w in action_rules.warnings(after)
                    if w not in already
                )
        else:
            errors = resource_rules.validate(after, self.maps)
        for error in errors:
            name = error.field if error.field in sheet.columns else None
            column = sheet.columns.get(name) if name else None
            raw = _NO_VALUE
            if column is not None:
                raw = values[column] if column < len(values) else ""
            message = str(error)
            self.problem(sheet, row, name, message[0].lower() + message[1:] if message else message, raw)
        return not errors

    # --- indicators ----------------------------------------------------------------------

    def plan_indicators(self, sheet: SheetRows, progress: Callable[[], None]) -> None:
        base_ind = self.base(KIND_INDICATOR)
        base_val = self.base(KIND_VALUE)
        level = [n for n in INDICATOR_LEVEL if n in sheet.columns]
        value_fields = [n for n in sheet.columns if n == "value" or n.startswith("cat:")]
        pending: dict[str, dict[str, tuple[Any, int]]] = {}
        first_row: dict[str, int] = {}
        new_groups: dict[tuple[str, str | None, str | None], dict[str, Any]] = {}
        seen: dict[tuple[str, str], int] = {}
        code_col = sheet.columns.get("code")
        period_col = sheet.columns.get("period")
        for row, values in sheet.rows:
            progress()

            def cell(column: int | None, values: list[Any] = values) -> Any:
                return values[column] if column is not None and column < len(values) else ""

            raw_code = cell(code_col)
            code = cells.text(raw_code)
            raw_period = cell(period_col)
            before = self.indicators.get(code) if code else None
            if code and before is None:
                self.problem(sheet, row, "code", "indicateur inconnu dans la base", raw_code)
                continue
            exported_ind = base_ind.get(code) if base_ind is not None and code else None
            period_key = cells.text(raw_period)
            exported_val = base_val.get(f"{code}|{period_key}") if base_val is not None and code else None
            if (
                exported_ind is not None
                and exported_val is not None
                and all(
                    n in exported_ind.values and _same_raw(cell(sheet.columns[n]), exported_ind.values[n])
                    for n in level
                )
                and all(
                    n in exported_val.values and _same_raw(cell(sheet.columns[n]), exported_val.values[n])
                    for n in value_fields
                )
                and (period_col is None or _same_raw(raw_period, exported_val.values.get("period")))
            ):
                first_row.setdefault(code or "", row)
                continue
            rejected = len(self.preview.rejected)
            parsed = self.parse(KIND_INDICATOR, sheet, row, values)
            periodicity = parsed.get("periodicity") or (before.periodicity if before else None)
            period = None
            try:
                period = cells.period(raw_period, periodicity)
                if period is not None:
                    problem = indicator_rules.period_error(period, periodicity)
                    if problem:
                        raise CellError(problem[0].lower() + problem[1:].rstrip("."))
            except CellError as exc:
                self.problem(sheet, row, "period", str(exc), raw_period)
            numbers: dict[str, float | None] = {}
            for name in value_fields:
                raw = cell(sheet.columns[name])
                try:
                    numbers[name] = cells.number(raw)
                except CellError as exc:
                    self.problem(sheet, row, name, str(exc), raw)
            if len(self.preview.rejected) > rejected:
                continue
            if period is None and any(v is not None for v in numbers.values()):
                self.problem(sheet, row, "period", "période manquante pour les valeurs de cette ligne")
                continue
            if code is None:
                label = parsed.get("label")
                if not label:
                    self.problem(
                        sheet, row, "label", "intitulé obligatoire pour un nouvel indicateur (code vide)"
                    )
                    continue
                group = (fold(label), parsed.get("action"), parsed.get("objective"))
                same = self.indicator_titles.get(group)
                if same is None:
                    entry = new_groups.setdefault(group, {"row": row, "fields": parsed, "values": {}})
                    if period is not None:
                        for name, number in numbers.items():
                            if number is not None:
                                entry["values"][(period, name)] = number
                    continue
                # Already imported (a codeless row imported again): the same indicator, not a new one.
                code, before = same, self.indicators[same]
                if code not in first_row:
                    self.preview.warnings.append(
                        f"{sheet.location(self.file, row).describe()} : ligne sans code rapprochée de "
                        f"l'indicateur {code} de même intitulé (déjà importé ?)."
                    )
            assert before is not None and code is not None
            first_row.setdefault(code, row)
            exported_level = self.parse_base(KIND_INDICATOR, exported_ind, level)
            store_level = {n: normalise_store_value(KIND_INDICATOR, n, getattr(before, n)) for n in level}
            proposed, conflicts = self.merge(
                KIND_INDICATOR,
                code,
                before.label,
                partial(sheet.location_of, self.file, row),
                {n: parsed[n] for n in level if parsed.get(n) is not None},
                store_level,
                exported_level,
                False,
            )
            for name, value in proposed.items():
                known = pending.setdefault(code, {}).get(name)
                if known is not None and not _same(known[0], value):
                    self.problem(
                        sheet,
                        row,
                        name,
                        f"valeur différente de celle de la ligne {known[1]} pour le même indicateur",
                        cell(sheet.columns[name]),
                    )
                    continue
                pending[code][name] = (value, row)
            for conflict in conflicts:
                self._add_conflict(KIND_INDICATOR, code, before, conflict, row, sheet)
            if period is None:
                continue
            if (code, period) in seen:
                self.problem(
                    sheet,
                    row,
                    "period",
                    f"période en double pour cet indicateur (déjà ligne {seen[(code, period)]})",
                    raw_period,
                )
                continue
            seen[(code, period)] = row
            if period != period_key:
                exported_val = base_val.get(f"{code}|{period}") if base_val is not None else None
            self.plan_values(sheet, row, before, period, numbers, exported_val)
        self._finish_indicators(sheet, pending, first_row, new_groups)

    def _add_conflict(
        self, kind: str, key: str, before: Any, conflict: Conflict, row: int, sheet: SheetRows
    ) -> None:
        plan = self.indicator_plans.get(key)
        if plan is None:
            plan = RowPlan(kind, key, _title(before), sheet.location(self.file, row), CHANGED, before=before)
            self.indicator_plans[key] = plan
            self.preview.rows.append(plan)
        if not any(c.field == conflict.field for c in plan.conflicts):
            plan.conflicts.append(conflict)
        plan.status = CHANGED

    def plan_values(
        self,
        sheet: SheetRows,
        row: int,
        before: IndicatorData,
        period: str,
        numbers: dict[str, float | None],
        exported: BaseRow | None,
    ) -> None:
        key = f"{before.code}|{period}"
        store: dict[str, Any] = {}
        workbook: dict[str, Any] = {}
        exported_values: dict[str, Any] | None = {} if exported is not None else None
        for name, number in numbers.items():
            category = name[4:] if name.startswith("cat:") else ""
            store[name] = self.values.get(ValueKey(before.code, period, category))
            if exported is not None and exported_values is not None:
                try:
                    exported_values[name] = cells.number(exported.values.get(name, ""))
                except CellError:
                    exported_values.pop(name, None)
            if number is None and exported is None:
                continue  # without export data, an empty cell removes nothing
            workbook[name] = number
        proposed, conflicts = self.merge(
            KIND_VALUE,
            key,
            before.label,
            lambda n: sheet.location_of(self.file, row, n),
            workbook,
            store,
            exported_values,
            False,
        )
        if not proposed and not conflicts:
            return
        changes = [Change(n, _value_label(n), store.get(n), v) for n, v in proposed.items()]
        self.preview.rows.append(
            RowPlan(
                KIND_VALUE,
                key,
                before.label,
                sheet.location(self.file, row),
                CHANGED,
                changes,
                conflicts,
                before={n: store.get(n) for n in numbers},
                proposed=proposed,
            )
        )

    def _finish_indicators(
        self,
        sheet: SheetRows,
        pending: dict[str, dict[str, tuple[Any, int]]],
        first_row: dict[str, int],
        new_groups: dict[tuple[str, str | None, str | None], dict[str, Any]],
    ) -> None:
        action_codes = set(self.actions)
        for code, row in first_row.items():
            before = self.indicators[code]
            proposed = {n: v for n, (v, _row) in pending.get(code, {}).items()}
            if proposed:
                after = replace(before, **proposed)
                errors = indicator_rules.validate(after, self.maps, action_codes)
                for error in errors:
                    self.problem(sheet, row, error.field, str(error))
                if errors:
                    continue
            plan = self.indicator_plans.get(code)
            changes = [
                Change(n, label_of(KIND_INDICATOR, n), getattr(before, n), v, KIND_INDICATOR)
                for n, v in proposed.items()
            ]
            if plan is None:
                status = CHANGED if changes else UNCHANGED
                plan = RowPlan(
                    KIND_INDICATOR, code, before.label, sheet.location(self.file, row), status, before=before
                )
                self.indicator_plans[code] = plan
                self.preview.rows.append(plan)
            plan.changes, plan.proposed = changes, proposed
            if changes:
                plan.status = CHANGED
        for entry in new_groups.values():
            fields_ = {k: v for k, v in entry["fields"].items() if k in INDICATOR_LEVEL and v is not None}
            data = IndicatorData(code="NOUVEAU", **fields_)
            errors = indicator_rules.validate(data, self.maps, action_codes)
            for period, _name in entry["values"]:
                problem = indicator_rules.period_error(period, data.periodicity)
                if problem:
                    errors.append(ValidationError(problem, "period"))
                    break
            for error in errors:
                self.problem(sheet, entry["row"], error.field, str(error))
            if errors:
                continue
            changes = [
                Change(n, label_of(KIND_INDICATOR, n), None, v, KIND_INDICATOR)
                for n, v in fields_.items()
                if v is not None
            ]
            changes += [
                Change(f"{p} {n}", f"{_value_label(n)} {p}", None, v) for (p, n), v in entry["values"].items()
            ]
            self.preview.rows.append(
                RowPlan(
                    KIND_INDICATOR,
                    "(nouveau code)",
                    data.label,
                    sheet.location(self.file, entry["row"]),
                    NEW,
                    changes,
                    proposed={**fields_, "values": dict(entry["values"])},
                )
            )


def _value_label(name: str) -> str:
    return "Valeur" if name == "value" else breakdown_header(name[4:])


def _title(record: Any) -> str:
    return str(
        getattr(record, "title", None) or getattr(record, "name", None) or getattr(record, "label", "")
    )


def _department_name(conn: Connection, code: str) -> str | None:
    t = Department.__table__  # type: ignore[attr-defined]
    return conn.execute(select(t.c.name).where(t.c.code == code)).scalar()


def preview_import(
    store: Store,
    department: str,
    path: Path,
    mapping: Any = None,
    *,
    progress: Progress | None = None,
    limits: Limits = DEFAULT_LIMITS,
    ignore_columns: bool = False,
) -> ImportPreview:
    """Read and check `path`, and say what importing it would do. Nothing is written.

    `mapping` is a foreign layout (a path to a mapping YAML file or a loaded `Mapping`); a
    `.csv` file is read with one (the public FINESS extract). The file is parsed in a child
    process under limits (reader.py). Raises UnreadableWorkbook for files that cannot or must
    not be read; every other problem is a `Problem` in `preview.rejected`. Columns with an
    unknown header are refused unless `ignore_columns`.
    """
    path = Path(path)
    preview = ImportPreview(path=path, department=department, source="classeur d'échange Suivi STS")
    loaded = None
    if mapping is not None:
        from importers.excel.mapping import load_mapping, read_mapped

        loaded = load_mapping(mapping) if not hasattr(mapping, "target") else mapping
    with open_workbook(path, limits, csv_filters=loaded.row_filters() if loaded else None) as book:
        if loaded is not None:
            sheets, settings, warnings, problems = read_mapped(book, loaded, path.name)
            meta = None
        else:
            content = read_native(book, path.name, ignore_columns=ignore_columns)
            sheets, meta = content.sheets, content.meta
            warnings, problems = content.warnings, content.problems
            settings = Settings()
        for sheet in sheets:
            formula_problems, formula_warnings = check_formulas(
                sheet, book.formulas.get(sheet.sheet, {}), path.name
            )
            problems = [*problems, *formula_problems]
            warnings = [*warnings, *formula_warnings]
    preview.source = settings.source
    preview.mapping = settings.mapping
    preview.warnings.extend(warnings)
    preview.rejected.extend(problems)
    with store.engine.connect() as conn:
        if meta is not None:
            if not _check_meta(preview, meta, conn, department):
                return preview
        elif mapping is None:
            preview.warnings.append(
                "le classeur ne contient pas les données de l'export (feuille cachée « _suivi_sts ») : "
                "les conflits ne peuvent pas être détectés, toute différence avec la base sera appliquée."
            )
        planner = Planner(conn, department, preview, meta, settings)
        total = sum(len(s.rows) for s in sheets)
        done = 0

        def tick() -> None:
            nonlocal done
            done += 1
            if progress is not None and (done % 1000 == 0 or done == total):
                progress(done, total)

        order = {KIND_ACTION: 0, KIND_INDICATOR: 1, KIND_RESOURCE: 2}
        for sheet in sorted(sheets, key=lambda s: order[s.kind]):
            if sheet.kind == KIND_INDICATOR:
                planner.plan_indicators(sheet, tick)
            else:
                planner.plan_records(sheet, tick)
        if planner.ignored_rows:
            preview.warnings.append(
                f"{planner.ignored_rows} ligne(s) sans correspondance dans la base ni règle de la "
                "correspondance ignorée(s)."
            )
    return preview


def _check_meta(preview: ImportPreview, meta: Meta, conn: Connection, department: str) -> bool:
    preview.exported_at = cells.text(meta.info.get("exporte_le"))
    where = Location(preview.file_name)
    if meta.format > FORMAT:
        preview.rejected.append(
            Problem(
                where, f"classeur produit par une version plus récente de Suivi STS (format {meta.format})"
            )
        )
        return False
    if meta.department and meta.department != department:
        theirs = cells.text(meta.info.get("departement_nom")) or ""
        ours = _department_name(conn, department) or ""
        preview.rejected.append(
            Problem(
                where,
                f"ce classeur a été exporté pour le département {meta.department} {theirs}".rstrip()
                + f", la base ouverte est celle du {department} {ours}".rstrip()
                + " : import refusé",
            )
        )
        return False
    return True
