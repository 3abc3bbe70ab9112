"""The rows of an exchange workbook deleted since its export: the import deletes nothing, and
says so, so that nobody believes an action was removed by deleting its line.

The hidden sheet says how many actions and resources the export wrote, and whether it wrote
every action; the rows that still carry their fingerprint tell how many were deleted. Which
ones: the store's records of the export's time that no row names, when every action was exported
and they are exactly that many (a record received by a synchronisation since the export, created
earlier elsewhere, makes the list uncertain: then only the count is said).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime, timedelta

from sqlalchemy import Connection, Table, select

from importers.excel import cells
from importers.excel.cells import CellError
from importers.excel.fields import KIND_ACTION, KIND_RESOURCE
from importers.excel.limits import spaced
from importers.excel.workbook import Meta
from store.tables import ACTION, RESOURCE
from store.workbook_layout import META_ACTIONS, META_RESOURCES, META_SCOPE, SCOPE_EVERY_ACTION

#: At most this many codes are named; the others are counted.
NAMED = 10

_KINDS: dict[str, tuple[Table, str, str, tuple[str, str], str]] = {
    # kind: table, title column, hidden sheet's key, what (one, several), what to do instead
    KIND_ACTION: (
        ACTION,
        "title",
        META_ACTIONS,
        ("action exportée n'est plus", "actions exportées ne sont plus"),
        "l'import ne supprime aucune action ; pour en arrêter une, passez-la en « Abandonnée »",
    ),
    KIND_RESOURCE: (
        RESOURCE,
        "name",
        META_RESOURCES,
        ("ressource exportée n'est plus", "ressources exportées ne sont plus"),
        "l'import ne supprime aucune ressource ; pour en retirer une, passez-la en « Fermée »",
    ),
}


def absent_rows(
    conn: Connection,
    department: str,
    meta: Meta | None,
    present: Mapping[str, Collection[str]],
    exported: Mapping[str, Collection[str]],
) -> list[str]:
    """Warnings for the records an exchange workbook held at its export and no longer holds.

    Per kind whose sheet was read: `present`, the codes of the store's records its rows name;
    `exported`, those of them whose row was exported (it has its fingerprint).
    """
    if meta is None:
        return []
    warnings = []
    for kind, codes in present.items():
        table, title_column, key, what, instead = _KINDS[kind]
        count = _count(meta.info.get(key))
        absent = count - len(exported.get(kind, ())) if count is not None else 0
        if absent <= 0:
            continue
        said = f"{spaced(absent)} {what[absent > 1]} dans le classeur"
        every = kind != KIND_ACTION or meta.info.get(META_SCOPE) == SCOPE_EVERY_ACTION
        named = _named(conn, department, meta, table, title_column, codes) if every else None
        if named is not None and len(named) == absent:
            listed = ", ".join(f"{code} « {title} »" for code, title in named[:NAMED])
            more = f" et {spaced(absent - NAMED)} autre(s)" if absent > NAMED else ""
            said += f" ({listed}{more})"
        warnings.append(f"{said} : {instead}.")
    return warnings


def _named(
    conn: Connection, department: str, meta: Meta, table: Table, title_column: str, codes: Collection[str]
) -> list[tuple[str, str]] | None:
    """The store's records of the export's time that no row names, by code (None: no time)."""
    exported_at = _exported_at(meta)
    if exported_at is None:
        return None
    # A time to the second (its microseconds nought): a record of that second may have been exported.
    until = exported_at + (timedelta(seconds=1) if exported_at.microsecond == 0 else timedelta(0))
    query = select(table.c.code, table.c[title_column]).where(
        table.c.department_code == department, table.c.created_at <= until
    )
    found = set(codes)
    return sorted((code, title) for code, title in conn.execute(query) if code not in found)


def _exported_at(meta: Meta) -> datetime | None:
    text = cells.text(meta.info.get("exporte_le"))
    try:
        moment = datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
    return moment if moment is not None and moment.tzinfo is not None else None


def _count(value: object) -> int | None:
    try:
        return cells.integer(value)
    except CellError:
        return None
