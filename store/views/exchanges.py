"""The log of imports and exports, latest first (the dashboard's « Derniers échanges »)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, cast

from store.views.reader import Reader, as_datetime, as_reader

if TYPE_CHECKING:
    from sqlalchemy import Connection


@dataclass(frozen=True)
class ExchangeRow:
    at: datetime
    direction: str
    kind: str
    file_name: str
    author: str
    summary: str | None


def last_exchanges(conn: Connection | Reader, department: str, limit: int = 5) -> list[ExchangeRow]:
    rows = as_reader(conn)(
        "SELECT at, direction, kind, file_name, author, summary FROM exchange"
        " WHERE department_code = :dept ORDER BY at DESC, id DESC LIMIT :limit",
        {"dept": department, "limit": int(limit)},
    )
    return [ExchangeRow(cast(datetime, as_datetime(at)), *rest) for at, *rest in rows]
