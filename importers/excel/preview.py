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
import time
from collections.abc import Callable, Iterable, Set
from dataclasses import dataclass, fields
from datetime import datetime
from functools import cache, partial
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, select

from importers.excel import cells
from importers.excel.absent import absent_rows
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
from importers.excel.reader import Reading, is_text_file
from importers.excel.resolve import Resolver, normalise_store_value
from importers.excel.safety import DEFAULT_LIMITS, MAX_CELL_TEXT, Limits, UnreadableWorkbook, spaced
from importers.excel.settings import Settings
from importers.excel.workbook import BaseRow, Meta, RowScan, SheetRows, check_formulas, read_native
from store import actions as action_rules
from store import indicators as indicator_rules
from store import resources as resource_rules
from store.actions import ActionData
from store.collector import collector_paused
from store.database import Store
from store.errors import ValidationError
from store.fields import INDICATOR, RECORDS, Record, evolve
from store.fingerprint import Fingerprint, cell_hash
from store.indicators import IndicatorData, ValueKey
from store.lookups import CodeMaps
from store.merge import three_way
from store.models import ActionEvent, Department
from store.parsing import ParseError
from store.resources import ResourceData
from store.tables import ACTION as ACTION_TABLE
from store.tables import ACTION_EVENT, RESOURCE_EVENT
from store.tables import INDICATOR as IND_TABLE
from store.tables import RESOURCE as RESOURCE_TABLE
from store.vocab import STATUSES_NEEDING_COMMENT, ActionStatus, fold

Progress = Callable[[int, int], None]
_NO_VALUE = object()
#: The exported value of a field both sides changed, which a fingerprint does not keep.
UNKNOWN: Any = object()
#: Codes a workbook names beyond which their table is read whole (one scan, not lists of codes).
WHOLE_TABLE = 5_000
#: A column's label (`label_of`), for the changes of every row.
_label = cache(label_of)
#: Workbooks from this size (bytes) have the department's whole tables read while the child reads
#: them (a 1,000-action exchange workbook is about 500 kB; a small one names few records).
EARLY_WHOLE_BYTES = 200_000
#: Texts of one column whose store value `parse` keeps (each column of a sheet holds at most that).
_KNOWN_TEXTS = 4096
#: Longest value quoted in a refusal (a 40,000-character cell is not printed whole).
SHOWN_VALUE = 120


def _text(raw: Any) -> str | None:
    """`cells.text`, quicker for the usual text cell (once or twice per row of a workbook)."""
    return (raw.strip() or None) if raw.__class__ is str else cells.text(raw)


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


@dataclass
class _RecordIndex:
    """Codes, identities and versions of the records of one kind that a workbook names."""

    table: Table
    department: str
    uids: dict[str, str | None]
    by_uid: dict[str, str]

    @classmethod
    def read(
        cls,
        conn: Connection,
        department: str,
        table: Table,
        codes: set[str],
        uids: set[str],
        by_code: bool,
        *,
        whole: bool = False,
    ) -> _RecordIndex:
        """The records of `codes` and `uids` (every record of the department if `whole`)."""
        index = cls(table, department, {}, {})
        if not by_code:
            return index
        query = select(table.c.code, table.c.uid).where(table.c.department_code == department)
        if whole or len(codes) + len(uids) > WHOLE_TABLE:  # one scan costs less than many lists
            queries = [query]
        else:
            queries = [
                query.where(column.in_(wanted[start : start + 900]))
                for column, wanted in ((table.c.code, sorted(codes)), (table.c.uid, sorted(uids)))
                for start in range(0, len(wanted), 900)
            ]
        for chunk in queries:
            for code, uid in conn.execute(chunk):
                index.uids[code] = uid
                if uid:
                    index.by_uid[uid] = code
        return index

    def code_of(self, key: str | None, uid: str | None) -> str | None:
        """The code of the record a row names: by its identity when the code written is no
        longer its own (renumbered since the export), else by its code."""
        if key is None:
            return None
        if uid is not None and self.uids.get(key) != uid and uid in self.by_uid:
            return self.by_uid[uid]
        return key if key in self.uids else None

    def all_codes(self, conn: Connection) -> list[str]:
        query = select(self.table.c.code).where(self.table.c.department_code == self.department)
        return list(conn.execute(query).scalars())


@dataclass
class _Early:
    """What planning reads from the store before the workbook's cells are there (read while the
    reading child works: the two go on at once). For a large workbook, the codes and identities
    of every action, resource and indicator of the department: a superset of those its rows
    name, which tells the same for each of them."""

    maps: CodeMaps
    resolver: Resolver
    index: dict[str, _RecordIndex] | None

    @classmethod
    def read(cls, conn: Connection, department: str, whole: bool) -> _Early:
        index = None
        if whole:
            index = {
                kind: _RecordIndex.read(conn, department, table, set(), set(), True, whole=True)
                for kind, table in (
                    (KIND_ACTION, ACTION_TABLE),
                    (KIND_RESOURCE, RESOURCE_TABLE),
                    (KIND_INDICATOR, IND_TABLE),
                )
            }
        actions = index[KIND_ACTION] if index is not None else _RecordIndex(ACTION_TABLE, department, {}, {})
        resolver = Resolver(conn, department, partial(actions.all_codes, conn))
        return cls(action_rules.code_maps(conn, department), resolver, index)


class Planner:
    """Builds the RowPlans of one import (read-only on the store)."""

    def __init__(
        self,
        conn: Connection,
        department: str,
        preview: ImportPreview,
        meta: Meta | None,
        settings: Settings,
        sheets: list[SheetRows],
        early: _Early | None = None,
    ) -> None:
        early = early if early is not None else _Early.read(conn, department, False)
        self.conn = conn
        self.department = department
        self.preview = preview
        self.file = preview.file_name
        self.meta = meta
        self.settings = settings
        # Only the records the workbook names are read (not the whole store): their codes, and
        # the identities of their fingerprints (a code renumbered since the export). Read whole
        # before (`early`), the department's records tell the same for each code of a row.
        named: dict[str, set[str]] = {KIND_ACTION: set(), KIND_RESOURCE: set(), KIND_INDICATOR: set()}
        uids: dict[str, set[str]] = {KIND_ACTION: set(), KIND_RESOURCE: set(), KIND_INDICATOR: set()}
        by_code = settings.key == "code"
        whole = early.index is not None and by_code
        for sheet in sheets if not whole else ():
            key_name = "code" if sheet.kind == KIND_INDICATOR else settings.key
            column = sheet.columns.get(key_name)
            kind_uids = uids.get(sheet.kind)
            rows = [values for _row, values in sheet.rows]
            if column is not None:
                named[sheet.kind].update(filter(None, (_text(v[column]) for v in rows if column < len(v))))
            if kind_uids is not None:
                kind_uids.update(f.uid for f in map(sheet.fingerprint, rows) if f is not None and f.uid)
        self.index = {
            kind: early.index[kind]
            if early.index is not None and by_code
            else _RecordIndex.read(conn, department, table, named[kind], uids[kind], by_code)
            for kind, table in ((KIND_ACTION, ACTION_TABLE), (KIND_RESOURCE, RESOURCE_TABLE))
        }
        #: The department's indicators by code and identity, if read before (else read when needed).
        self.indicator_index = early.index[KIND_INDICATOR] if early.index is not None else None
        self.actions: dict[str, ActionData] = {}
        self.resources: dict[str, ResourceData] = {}
        self.named_indicators = named[KIND_INDICATOR] | self._renumbered_indicators(
            sheets, uids[KIND_INDICATOR]
        )
        self.indicators: dict[str, IndicatorData] = {}
        self.values: dict[ValueKey, float] = {}
        # Every action code is read only if a cell names an action (to find it by folded code).
        self.resolver = early.resolver
        self.resolver.value_maps = settings.value_maps
        self.maps = early.maps
        self._comments: set[tuple[int, str]] | None = None
        self._known_titles: dict[str, str] | None = None
        self.new_titles: dict[str, int] = {}
        self.indicator_plans: dict[str, RowPlan] = {}
        self.ignored_rows = 0
        #: Per kind of record whose sheet was read, the codes of the store's records its rows name,
        #: and of those whose row was exported (it has its fingerprint).
        self.present: dict[str, set[str]] = {}
        self.exported: dict[str, set[str]] = {}
        self.unchanged_labels: dict[str, str] = {}
        self._indicator_titles: dict[tuple[str, str | None, str | None], str] | None = None
        self._readers: dict[int, list[tuple[str, int, Callable[[Any], Any], dict[str | float, Any]]]] = {}
        #: Each action field's verdict on the values met (`action_rules.validate`'s memo).
        self.verdicts: dict[tuple[str, Any], str | None] = {}

    def _renumbered_indicators(self, sheets: list[SheetRows], uids: set[str]) -> set[str]:
        """An indicator renumbered by a sync since the export (its provisional code now another's)
        is found by the identity in its row's fingerprint: the row is given its code of today, and
        the preview says so. Returns those codes. (`uids`: those of the rows' fingerprints, not
        gathered when every indicator was read before.)"""
        known = self.indicator_index
        if not uids and known is None:
            return set()
        if known is None:
            known = _RecordIndex.read(self.conn, self.department, IND_TABLE, set(), uids, True)
        current = known.by_uid
        found: set[str] = set()
        for sheet in sheets:
            column = sheet.columns.get("code")
            if sheet.kind != KIND_INDICATOR or column is None:
                continue
            for row, values in sheet.rows:
                printed = sheet.fingerprint(values)
                today = current.get(printed.uid) if printed is not None and printed.uid else None
                if today is None or (column < len(values) and values[column] == today):
                    continue  # the code as exported (compared before it is read as a text)
                written = cells.text(sheet.cell(values, "code"))
                if written is None or today == written:
                    continue
                sheet.set_cell(values, column, today)
                found.add(today)
                where = sheet.location_of(self.file, row, "code").describe()
                self.preview.warnings.append(
                    f"{where} : l'indicateur {written} de ce classeur s'appelle maintenant {today} "
                    "(renuméroté à la synchronisation) ; la ligne lui est rapportée."
                )
        return found

    @property
    def comments(self) -> set[tuple[int, str]]:
        """Comments already in the journal of the actions read (read once, when first needed)."""
        if self._comments is None:
            self._comments = self._imported_comments()
        return self._comments

    @property
    def known_titles(self) -> dict[str, str]:
        """Codes of the department's actions and resources by folded title (for codeless rows)."""
        if self._known_titles is None:
            titles: dict[str, str] = {}
            for kind, table, column in (
                (KIND_ACTION, ACTION_TABLE, "title"),
                (KIND_RESOURCE, RESOURCE_TABLE, "name"),
            ):
                query = select(table.c.code, table.c[column]).where(
                    table.c.department_code == self.department
                )
                titles.update({f"{kind}:{fold(title)}": code for code, title in self.conn.execute(query)})
            self._known_titles = titles
        return self._known_titles

    @property
    def indicator_titles(self) -> dict[tuple[str, str | None, str | None], str]:
        """Indicator codes by (folded label, action, objective), for codeless rows."""
        if self._indicator_titles is None:
            every = indicator_rules.load_indicators(self.conn, self.department)
            self._indicator_titles = {(fold(i.label), i.action, i.objective): i.code for i in every.values()}
            self.indicators = {**every, **self.indicators}
        return self._indicator_titles

    def load_records(self, kind: str, codes: Iterable[str] | None) -> None:
        """Read the snapshots of the records of `codes` (those the preview compares)."""
        if codes is not None:
            codes = list(codes)
            if not codes:  # every row as exported: nothing read
                return
        if kind == KIND_ACTION:
            self.actions.update(action_rules.load_actions(self.conn, self.department, codes))
        else:
            self.resources.update(resource_rules.load_resources(self.conn, self.department, codes))

    def _imported_comments(self) -> set[tuple[int, str]]:
        ev = ActionEvent.__table__  # type: ignore[attr-defined]
        # Whatever the file that brought it ("e1 (1).xlsx" is e1.xlsx saved twice), a comment
        # already in an action's journal is not journaled again.
        ids = sorted(a.id for a in self.actions.values() if a.id is not None)
        found: set[tuple[int, str]] = set()
        for start in range(0, len(ids), 900):
            query = select(ev.c.action_id, ev.c.comment).where(
                ev.c.action_id.in_(ids[start : start + 900]), ev.c.comment.is_not(None)
            )
            found.update((action_id, comment) for action_id, comment in self.conn.execute(query))
        return found

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
        """The store value of every mapped field of a row (blank cells left out if `skip_blank`).

        A text or number cell already read in the same column gives the value it gave (parsing
        and converting are functions of the cell alone): a status, a territory, an objective or
        a percentage written on thousands of rows is read once. A refused cell is read again,
        and refused again, on each row that holds it."""
        result: dict[str, Any] = {}
        width = len(values)
        for name, column, read, known in self.readers(kind, sheet):
            raw = values[column] if column < width else ""
            text = raw.__class__ is str
            if text:
                if skip_blank and not raw.strip():
                    continue
                found = known.get(raw, _NO_VALUE)
                if found is not _NO_VALUE:
                    result[name] = found
                    continue
                if len(raw) > MAX_CELL_TEXT:
                    self.problem(
                        sheet,
                        row,
                        name,
                        "texte de plus de 32 767 caractères, ce qu'une cellule Excel peut contenir au "
                        "plus : il serait coupé au prochain export",
                        raw,
                    )
                    continue
            elif skip_blank and raw is None:
                continue
            elif raw.__class__ is float and raw:  # a number (0.0 is -0.0 to a dictionary: not kept)
                found = known.get(raw, _NO_VALUE)
                if found is not _NO_VALUE:
                    result[name] = found
                    continue
                text = True  # kept below: only texts and floats are keys (1.0 never meets True)
            try:
                value = read(raw)
            except CellError as exc:
                self.problem(sheet, row, name, str(exc), raw)
                continue
            if text and len(known) < _KNOWN_TEXTS:
                known[raw] = value
            result[name] = value
        return result

    def readers(
        self, kind: str, sheet: SheetRows
    ) -> list[tuple[str, int, Callable[[Any], Any], dict[str | float, Any]]]:
        """The fields `parse` reads in a sheet: (name, column, the column's reading of a cell into
        its store value, the values of the texts it read), found once."""
        found = self._readers.get(id(sheet))
        if found is None:
            found = [
                (name, column, partial(self.read_cell, kind, name, spec(kind, name).parse), {})
                for name, column in sheet.columns.items()
                if not name.startswith("cat:") and name not in ("period", "value")
            ]
            self._readers[id(sheet)] = found
        return found

    def read_cell(self, kind: str, name: str, parse: Callable[[Any], Any], raw: Any) -> Any:
        """A cell's store value: parsed by the field's parser, converted by the resolver."""
        return self.resolver.convert(kind, name, parse(raw))

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

    def bases(
        self,
        kind: str,
        names: Iterable[str],
        store: dict[str, Any],
        workbook: dict[str, Any],
        raw: Callable[[str], Any],
        store_cell: Callable[[str], Any],
        printed: tuple[Fingerprint, list[str]] | None,
        exported: dict[str, Any] | None,
        store_unchanged: bool,
    ) -> dict[str, Any]:
        """The value each field had when exported, as far as it is known: from the fingerprint
        (a side whose cell hashes as exported did not change it), from a format-1 copy, or the
        store's (no export data: every difference is a change made in the workbook)."""
        base: dict[str, Any] = {}
        for name in names:
            if printed is not None:
                exported_hash = _exported_hash(printed, name)
                if exported_hash is not None and cell_hash(raw(name)) == exported_hash:
                    base[name] = workbook.get(name)
                elif exported_hash is None or store_unchanged or cell_hash(store_cell(name)) == exported_hash:
                    base[name] = store.get(name)
                else:
                    base[name] = UNKNOWN  # both sides changed it: the exported value was not kept
            elif exported is not None and name in exported:
                unchanged = store_unchanged and not _same(workbook.get(name), exported[name])
                base[name] = store.get(name) if unchanged else exported[name]
            else:
                base[name] = store.get(name)
        return base

    def merge_record(
        self,
        kind: str,
        before: Any,
        location: Callable[[str], Location],
        workbook: dict[str, Any],
        store: dict[str, Any],
        base: dict[str, Any],
    ) -> tuple[dict[str, Any], list[Conflict]]:
        """The fields to write and the conflicts, field by field, by the one merge engine
        (store.merge.three_way): the store's record is theirs, the workbook's mine."""
        theirs = evolve(before, **store)
        merged = three_way(RECORDS[kind], evolve(theirs, **base), evolve(theirs, **workbook), theirs)
        conflicts = []
        for f in merged.conflicts:
            if f.name not in workbook:
                continue
            exported = base[f.name]
            if exported is UNKNOWN:
                exported = self.exported_from_journal(kind, before, f.name)
            conflicts.append(
                Conflict(
                    kind,
                    before.code,
                    _title(before),
                    f.name,
                    label_of(kind, f.name),
                    None if exported is UNKNOWN else exported,
                    store[f.name],
                    workbook[f.name],
                    location(f.name),
                    exported_known=exported is not UNKNOWN,
                )
            )
        settled = {c.field for c in conflicts}
        proposed = {
            n: getattr(merged.merged, n)
            for n in workbook
            if n not in settled and not _same(getattr(merged.merged, n), store[n])
        }
        return proposed, conflicts

    def exported_from_journal(self, kind: str, before: Any, name: str) -> Any:
        """A field's value when the workbook was exported, read from the record's journal: the
        old value of its first change since (UNKNOWN without journal or export date)."""
        table = {KIND_ACTION: (ACTION_EVENT, "action_id"), KIND_RESOURCE: (RESOURCE_EVENT, "resource_id")}
        exported_at = self.preview.exported_at
        if kind not in table or not exported_at or before.id is None:
            return UNKNOWN
        events, owner = table[kind]
        try:
            since = datetime.fromisoformat(exported_at)
        except ValueError:
            return UNKNOWN
        query = (
            select(events.c.old_value)
            .where(events.c[owner] == before.id, events.c.field == name, events.c.at > since)
            .order_by(events.c.at, events.c.id)
            .limit(1)
        )
        found = self.conn.execute(query).first()
        if found is None:
            return UNKNOWN
        try:
            value = RECORDS[kind][name].read(found[0]) if found[0] is not None else None
        except ParseError:
            return UNKNOWN
        return normalise_store_value(kind, name, value)

    def merge(
        self,
        kind: str,
        key: str,
        title: str,
        location: Callable[[str], Location],
        workbook: dict[str, Any],
        store: dict[str, Any],
        base: dict[str, Any],
    ) -> tuple[dict[str, Any], list[Conflict]]:
        """The same three-way rule for the values of one indicator and period (a row of numbers
        keyed by category, not a record of the registry)."""
        proposed: dict[str, Any] = {}
        conflicts: list[Conflict] = []
        for name, wb in workbook.items():
            st, ex = store.get(name), base.get(name, store.get(name))
            if ex is not UNKNOWN and _same(wb, ex):
                continue
            if (ex is UNKNOWN or not _same(st, ex)) and not _same(wb, st):
                conflicts.append(
                    Conflict(
                        kind,
                        key,
                        title,
                        name,
                        label_of(kind, name),
                        None if ex is UNKNOWN else ex,
                        st,
                        wb,
                        location(name),
                        exported_known=ex is not UNKNOWN,
                    )
                )
                continue
            if not _same(wb, st):
                proposed[name] = wb
        return proposed, conflicts

    # --- actions and resources --------------------------------------------------------------

    def plan_records(self, sheet: SheetRows, progress: Callable[..., None]) -> None:
        """Two passes: rows whose cells are those exported are unchanged without reading their
        record; the records of the other rows are then read together, and compared."""
        kind = sheet.kind
        key_name = self.settings.key
        index = self.index[kind]
        base = self.base(kind)
        covered = self.meta.prints.get(kind) if self.meta is not None else None
        hashed = covered is not None and all(n in sheet.columns for n in covered)  # rows comparable
        seen: dict[str, int] = {}
        # Rows deleted since the export are told by the fingerprints of those left (not without them).
        counted = sheet.fingerprint_column is not None
        present = self.present.setdefault(kind, set()) if counted else set()
        fingerprinted = self.exported.setdefault(kind, set()) if counted else set()
        compared = [n for n in sheet.columns if n != "comment"]
        title_name = "title" if kind == KIND_ACTION else "name"
        pending: list[tuple[int, list[Any], str | None, str | None, Fingerprint | None] | RowPlan] = []
        for row, values in sheet.rows:
            progress()
            raw_key = sheet.cell(values, key_name) if key_name in sheet.columns else ""
            key = _text(raw_key)
            if key is not None and key_name != "code":
                key = self.resolver.convert(kind, key_name, key)
            if key is not None and key in seen:
                self.problem(sheet, row, key_name, f"code en double (déjà ligne {seen[key]})", raw_key)
                continue
            if key is not None:
                seen[key] = row
            printed = sheet.fingerprint(values) if covered is not None else None
            code = index.code_of(key, printed.uid if printed is not None and key is not None else None)
            if code is not None:
                present.add(code)
                if printed is not None and printed.uid:
                    fingerprinted.add(code)
            if row in sheet.refused_rows:
                continue  # still in the workbook (not said deleted), but not planned
            if code is None and key is not None and key_name != "code":
                code = key  # a mapping's key: every record was read, matched in the second pass
            if code is None and row in self.settings.no_create_rows:
                self.ignored_rows += 1
                continue
            if key is not None and code is None and not self.settings.create_unknown_keys:
                what = "action" if kind == KIND_ACTION else "ressource"
                self.problem(
                    sheet,
                    row,
                    key_name,
                    f"code inconnu dans la base : laissez la colonne vide pour créer une nouvelle {what}",
                    raw_key,
                )
                continue
            comment = _text(sheet.cell(values, "comment")) if "comment" in sheet.columns else None
            unchanged = False
            if code is not None and comment is None and key_name == "code":
                if printed is not None and covered is not None:
                    unchanged = hashed and printed.row == sheet.row_hash(values, covered)
                elif base is not None and (exported := base.get(code)) is not None:
                    unchanged = all(
                        n in exported.values and _same_raw(sheet.cell(values, n), exported.values[n])
                        for n in compared
                    )
            if unchanged and code is not None:
                title = _text(sheet.cell(values, title_name)) or ""
                pending.append(RowPlan(kind, code, title, sheet.location(self.file, row), UNCHANGED))
                continue
            pending.append((row, values, key, code, printed))
        wanted = [entry[3] for entry in pending if not isinstance(entry, RowPlan) and entry[3] is not None]
        self.load_records(kind, wanted if key_name == "code" else None)
        store: dict[str, Any] = self.actions if kind == KIND_ACTION else self.resources
        by_key = store if key_name == "code" else {getattr(r, key_name): r for r in store.values()}
        for entry in pending:
            if isinstance(entry, RowPlan):
                self.preview.rows.append(entry)
                continue
            row, values, key, code, printed = entry
            before = by_key.get(code) if code is not None else None
            if before is None and key_name != "code":
                if row in self.settings.no_create_rows:
                    self.ignored_rows += 1
                    continue
                if key is not None and not self.settings.create_unknown_keys:
                    self.problem(
                        sheet, row, key_name, "code inconnu dans la base", sheet.cell(values, key_name)
                    )
                    continue
            if before is None:
                self.plan_new(sheet, row, values, key)
                continue
            exported = base.get(key or "") if base is not None else None
            comment = _text(sheet.cell(values, "comment")) if "comment" in sheet.columns else None
            found = (printed, covered) if printed is not None and covered is not None else None
            self.plan_existing(sheet, row, values, before, exported, comment, found)

    def plan_existing(
        self,
        sheet: SheetRows,
        row: int,
        values: list[Any],
        before: Any,
        exported: BaseRow | None,
        comment: str | None,
        printed: tuple[Fingerprint, list[str]] | None = None,
    ) -> None:
        kind = sheet.kind
        rejected = len(self.preview.rejected)
        export_data = exported is not None or printed is not None
        # Without export data, a blank cell says nothing: it never clears a value of the store.
        workbook = self.parse(kind, sheet, row, values, skip_blank=not export_data)
        workbook.pop("comment", None)
        workbook.pop(self.settings.key, None)
        workbook.pop("code", None)
        if len(self.preview.rejected) > rejected:
            return
        store = {n: normalise_store_value(kind, n, getattr(before, n)) for n in workbook}
        version = printed[0].version if printed is not None else exported.version if exported else None
        record: Record = RECORDS[kind]
        base = self.bases(
            kind,
            workbook,
            store,
            workbook,
            lambda n: sheet.cell(values, n),
            partial(_exported_cell, record, before),
            printed,
            self.parse_base(kind, exported, workbook),
            export_data and version == before.version,
        )
        proposed, conflicts = self.merge_record(
            kind, before, lambda n: sheet.location_of(self.file, row, n), workbook, store, base
        )
        if kind == KIND_ACTION and comment is not None and (before.id, comment) in self.comments:
            comment = None
        after = evolve(before, **proposed)
        if kind == KIND_ACTION and not any(c.field in ("status", "progress") for c in conflicts):
            after = self.complete(sheet, row, proposed, before, after)
            if "progress" in proposed:  # also when the row has no progress of its own
                store.setdefault("progress", normalise_store_value(kind, "progress", before.progress))
        if not self.validate(sheet, row, values, after, comment, proposed, before):
            return
        changes = [Change(n, _label(kind, n), store[n], v, kind) for n, v in proposed.items()]
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

    def complete(
        self,
        sheet: SheetRows,
        row: int,
        proposed: dict[str, Any],
        before: ActionData | None,
        after: ActionData,
    ) -> ActionData:
        """`after` as written: « Réalisée » means 100 % (`action_rules.completed`, applied when the
        action is written). The preview shows that progress (in `proposed`), and says so when
        the row's own, lower, is not kept."""
        done = action_rules.completed(after)
        if done.progress == after.progress:
            return after
        if proposed.get("progress") is not None:
            where = sheet.location_of(self.file, row, "progress").describe()
            self.preview.warnings.append(
                f"{where} : l'action est « {ActionStatus(done.status).label} » : son avancement sera "
                f"{done.progress} % (et non {after.progress} %)"
            )
        if before is not None and before.progress == done.progress:
            proposed.pop("progress", None)
        else:
            proposed["progress"] = done.progress
        return done

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
        # What is written: the row's fields of the record (one dictionary, shared by its plan).
        if kind == KIND_ACTION:
            proposed = {k: v for k, v in workbook.items() if k in action_rules.DATA_FIELDS}
            data: Any = ActionData(**proposed) if "title" in proposed else ActionData(title="", **proposed)
            data = self.complete(sheet, row, proposed, None, data)
            title_key, what = f"action:{fold(data.title)}", "action"
        else:
            proposed = {k: v for k, v in workbook.items() if k in _RESOURCE_FIELDS}
            data = ResourceData(**{"name": "", "kind": "", **proposed})
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
            Change(n, _label(kind, n), None, v, kind)
            for n, v in proposed.items()
            if v is not None and v != () and n != "code"
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
                proposed=proposed,
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
            errors = action_rules.validate(after, self.maps, memo=self.verdicts)
            if not after.code:  # a new action's code is given when it is written
                errors = [e for e in errors if e.field != "code"]
            if (
                "status" in proposed
                and after.status in STATUSES_NEEDING_COMMENT  # a StrEnum: its values are its members
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
                doubts = [w for w in action_rules.warnings(after) if w not in already]
                if doubts:
                    where = sheet.location(self.file, row).describe()
                    self.preview.warnings.extend(f"{where} : {w[0].lower()}{w[1:]}" for w in doubts)
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

    def plan_indicators(self, sheet: SheetRows, progress: Callable[..., None]) -> None:
        covered = self.meta.prints.get(KIND_INDICATOR) if self.meta is not None else None
        base_ind = self.base(KIND_INDICATOR)
        base_val = self.base(KIND_VALUE)
        level = [n for n in INDICATOR_LEVEL if n in sheet.columns]
        value_fields = [n for n in sheet.columns if n == "value" or n.startswith("cat:")]
        pending: dict[str, dict[str, tuple[Any, int]]] = {}
        first_row: dict[str, int] = {}
        new_groups: dict[tuple[str, str | None, str | None], dict[str, Any]] = {}
        seen: dict[tuple[str, str], int] = {}
        level_merges: dict[tuple[Any, ...], tuple[dict[str, Any], list[Conflict]]] = {}
        level_places = [covered.index(n) if n in covered else -1 for n in level] if covered else []
        code_col = sheet.columns.get("code")
        period_col = sheet.columns.get("period")
        # First pass: rows whose cells hash as exported are unchanged, without reading their
        # indicator; only the indicators (and values) of the other rows are read.
        labels: dict[str, str] = {}
        existing: Set[str] = frozenset()
        if covered is not None and all(n in sheet.columns for n in covered):
            if self.indicator_index is not None:  # every indicator: each code of a row is named
                existing = self.indicator_index.uids.keys()
            else:
                existing = indicator_rules.existing_codes(self.conn, self.department, self.named_indicators)
        wanted: set[str] = set()
        # A codeless row may be one imported before: the values of the indicators of the same
        # label are read too, so that it compares with them (not with nothing).
        codeless: set[str] = set()
        others: list[tuple[int, list[Any]]] = []  # the rows not as exported, compared below
        fingerprint, row_hash, names = sheet.fingerprint, sheet.row_hash, covered or []
        for row, values in sheet.rows:
            code = _text(values[code_col]) if code_col is not None and code_col < len(values) else None
            if code is not None and code in existing:
                found = fingerprint(values)
                if found is not None and found.row == row_hash(values, names):
                    if code not in labels:
                        labels[code] = _text(sheet.cell(values, "label")) or ""
                        first_row[code] = row
                    continue
            others.append((row, values))
            if code:
                wanted.add(code)
            elif label := _text(sheet.cell(values, "label")):
                codeless.add(fold(label))
        if codeless:
            wanted |= {code for (label, _a, _o), code in self.indicator_titles.items() if label in codeless}
        self.indicators.update(
            indicator_rules.load_indicators(self.conn, self.department, wanted, maps=self.maps)
        )
        if value_fields:  # a sheet without values (targets, labels) compares none
            self.values.update(indicator_rules.load_values(self.conn, self.department, wanted))
        self.unchanged_labels = labels
        progress(len(sheet.rows) - len(others))

        def met(code: str, row: int) -> bool:
            """Whether `code` had a row before `row` (else `row` is its first)."""
            known = first_row.get(code)
            if known is not None and known < row:
                return True
            first_row[code] = row
            return False

        for row, values in others:
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
            found = sheet.fingerprint(values) if covered is not None and code else None
            printed = (found, covered) if found is not None and covered is not None else None
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
                met(code or "", row)
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
                if not met(code, row):
                    self.preview.warnings.append(
                        f"{sheet.location(self.file, row).describe()} : ligne sans code rapprochée de "
                        f"l'indicateur {code} de même intitulé (déjà importé ?)."
                    )
            assert before is not None and code is not None
            met(code, row)
            # The indicator's cells are on each of its periods' rows: merged once for the same
            # cells and the same exported hashes (the rows after the first give the same result).
            level_key = (
                code,
                tuple(cell(sheet.columns[n]) for n in level),
                None if printed is None else tuple(map(printed[0].field_hash, level_places)),
                None if exported_ind is None else id(exported_ind),
            )
            merged_level = level_merges.get(level_key)
            if merged_level is None:
                level_values = {n: parsed[n] for n in level if parsed.get(n) is not None}
                store_level = {
                    n: normalise_store_value(KIND_INDICATOR, n, getattr(before, n)) for n in level_values
                }
                base = self.bases(
                    KIND_INDICATOR,
                    level_values,
                    store_level,
                    level_values,
                    partial(sheet.cell, values),
                    partial(_exported_cell, INDICATOR, before),
                    printed,
                    self.parse_base(KIND_INDICATOR, exported_ind, level),
                    False,
                )
                merged_level = level_merges[level_key] = self.merge_record(
                    KIND_INDICATOR,
                    before,
                    partial(sheet.location_of, self.file, row),
                    level_values,
                    store_level,
                    base,
                )
            proposed, conflicts = merged_level
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
            if printed is not None and "period" in printed[1]:
                exported_period = printed[0].field_hash(printed[1].index("period"))
                if cell_hash(raw_period) != exported_period:
                    printed = None  # another period than the one exported: its values were not
            self.plan_values(sheet, row, before, period, numbers, exported_val, printed, values)
        # Each indicator's plan at its first row, in the sheet's order (unchanged ones were met first).
        first_row = dict(sorted(first_row.items(), key=lambda item: item[1]))
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
        printed: tuple[Fingerprint, list[str]] | None,
        values: list[Any],
    ) -> None:
        if printed is not None and all(
            (exported_hash := _exported_hash(printed, n)) is not None
            and cell_hash(sheet.cell(values, n)) == exported_hash
            for n in numbers
        ):
            return  # the values as exported: the store's stand (a side unchanged changes nothing)
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
            if number is None and exported is None and printed is None:
                continue  # without export data, an empty cell removes nothing
            workbook[name] = number
        base = self.bases(
            KIND_VALUE,
            workbook,
            store,
            workbook,
            partial(sheet.cell, values),
            store.get,
            printed,
            exported_values,
            False,
        )
        proposed, conflicts = self.merge(
            KIND_VALUE,
            key,
            before.label,
            lambda n: sheet.location_of(self.file, row, n),
            workbook,
            store,
            base,
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
        # The actions the changed and new indicators name, checked in one read (not every code).
        named: list[str | None] = [entry["fields"].get("action") for entry in new_groups.values()]
        for code, proposed_fields in pending.items():
            if code in self.indicators:
                named.append(self.indicators[code].action)
                named.append(proposed_fields.get("action", (None, 0))[0])
        action_codes = indicator_rules.action_ids(self.conn, self.department, named)
        for code, row in first_row.items():
            if code not in self.indicators:  # its rows are all as exported: never read
                location = sheet.location(self.file, row)
                self.preview.rows.append(
                    RowPlan(KIND_INDICATOR, code, self.unchanged_labels.get(code, ""), location, UNCHANGED)
                )
                continue
            before = self.indicators[code]
            proposed = {n: v for n, (v, _row) in pending.get(code, {}).items()}
            if proposed:
                after = evolve(before, **proposed)
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


#: The fields of a new resource a row may fill.
_RESOURCE_FIELDS = frozenset(f.name for f in fields(ResourceData) if f.compare)


def _exported_hash(printed: tuple[Fingerprint, list[str]], name: str) -> str | None:
    """The hash of field `name`'s cell as exported (None: the fingerprint does not cover it)."""
    found, covered = printed
    return found.field_hash(covered.index(name)) if name in covered else None


def _exported_cell(record: Record, data: Any, name: str) -> Any:
    """A store record's field as the exchange workbook writes it (what its fingerprint hashed)."""
    return record[name].cell_value(getattr(data, name))


def _value_label(name: str) -> str:
    return "Valeur" if name == "value" else breakdown_header(name[4:])


def _title(record: Any) -> str:
    return str(
        getattr(record, "title", None) or getattr(record, "name", None) or getattr(record, "label", "")
    )


def _department_name(conn: Connection, code: str) -> str | None:
    t = Department.__table__  # type: ignore[attr-defined]
    return conn.execute(select(t.c.name).where(t.c.code == code)).scalar()


@collector_paused()
def preview_import(
    store: Store,
    department: str,
    path: Path,
    mapping: Any = None,
    *,
    progress: Progress | None = None,
    limits: Limits = DEFAULT_LIMITS,
    ignore_columns: bool = False,
    reading: Reading | None = None,
) -> ImportPreview:
    """Read and check `path`, and say what importing it would do. Nothing is written.

    `mapping` is a foreign layout (a path to a mapping YAML file or a loaded `Mapping`); a
    `.csv` file is read with one (the public FINESS extract). The file is parsed in a child
    process under limits (reader.py). Raises UnreadableWorkbook for files that cannot or must
    not be read; every other problem is a `Problem` in `preview.rejected`. Columns with an
    unknown header are refused unless `ignore_columns`. `reading` is the reading of `path`
    already started (the command line starts it before it opens the store: both go on at once).
    """
    path = Path(path)
    started = time.monotonic()
    preview = ImportPreview(path=path, department=department, source="classeur d'échange Suivi STS")
    loaded = None
    if mapping is not None:
        from importers.excel.mapping import load_mapping

        loaded = load_mapping(mapping) if not hasattr(mapping, "target") else mapping
    if reading is None:
        reading = Reading(path, limits, csv_filters=loaded.row_filters() if loaded else None)
    with store.engine.connect() as conn:
        # While the child reads the cells, the store's side is read (large workbook: whole tables).
        try:
            whole = loaded is None and path.stat().st_size >= EARLY_WHOLE_BYTES
        except OSError:
            whole = False
        try:
            early = _Early.read(conn, department, whole)
        except BaseException:
            reading.cancel()
            raise
        return _preview(
            conn, department, path, preview, reading, loaded, early, started, progress, limits, ignore_columns
        )


def _preview(  # noqa: PLR0913 - preview_import's own arguments, once the store's side is read
    conn: Connection,
    department: str,
    path: Path,
    preview: ImportPreview,
    reading: Reading,
    loaded: Any,
    early: _Early,
    started: float,
    progress: Progress | None,
    limits: Limits,
    ignore_columns: bool,
) -> ImportPreview:
    """`preview_import` once the store's side that needs no cell is read (`early`)."""
    # An exchange workbook's rows are compared with their fingerprints while they arrive.
    scan = RowScan() if loaded is None else None
    reading.on_rows = scan.add if scan is not None else None
    with reading.result() as book:
        if loaded is not None:
            from importers.excel.mapping import read_mapped

            sheets, settings, warnings, problems = read_mapped(book, loaded, path.name)
            meta = None
        else:
            content = read_native(book, path.name, ignore_columns=ignore_columns, scan=scan)
            sheets, meta = content.sheets, content.meta
            warnings, problems = content.warnings, content.problems
            settings = Settings()
        for sheet in sheets:
            formula_problems, formula_warnings = check_formulas(
                sheet, book.formulas.get(sheet.sheet, {}), path.name
            )
            problems = [*problems, *formula_problems]
            warnings = [*warnings, *formula_warnings]
            if formula_problems:  # a refused cell's row is not planned (its cell reads empty)
                sheet.refused_rows = {p.location.row for p in formula_problems if p.location.row}
                if sheet.kind == KIND_INDICATOR:
                    refused = sheet.refused_rows
                    sheet.rows = [(number, values) for number, values in sheet.rows if number not in refused]
    preview.source = settings.source
    preview.mapping = settings.mapping
    preview.warnings.extend(warnings)
    preview.rejected.extend(problems)
    if meta is not None:
        if not _check_meta(preview, meta, conn, department):
            return preview
    elif loaded is None and sheets:  # (nothing read: the refusal says why, no merge to warn of)
        preview.warnings.append(
            (
                "un fichier texte ne garde pas les données de l'export (seul le classeur .xlsx les garde)"
                if is_text_file(path)
                else "le classeur ne contient pas les données de l'export (feuille cachée « _suivi_sts »)"
            )
            + " : les conflits ne peuvent pas être détectés, toute différence avec la base sera appliquée."
        )
    planner = Planner(conn, department, preview, meta, settings, sheets, early)
    total = sum(len(s.rows) for s in sheets)
    done = 0

    def tick(rows: int = 1) -> None:
        """`rows` more rows planned: the time limit checked every 256 rows, progress every 1,000."""
        nonlocal done
        before, done = done, done + rows
        timed = (done - 1) // 256 > (before - 1) // 256  # rows 1, 257, 513… reached
        if timed and time.monotonic() - started > limits.max_preview_seconds:
            raise UnreadableWorkbook(
                f"Le fichier « {path.name} » est refusé : son examen dépasse "
                f"{limits.max_preview_seconds} s ({spaced(total)} lignes) ; coupez-le en plusieurs "
                "fichiers, ou importez-le sur un poste moins chargé."
            )
        if progress is not None and (done // 1000 > before // 1000 or done == total):
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
    preview.warnings.extend(absent_rows(conn, department, meta, planner.present, planner.exported))
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
