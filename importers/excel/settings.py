"""How an import matches and fills rows: built by the preview for the exchange workbook and by
a mapping (`mapping.py`) for a foreign one, read by the preview's planner."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Settings:
    """How rows are matched: by `key` (code, or FINESS for a foreign directory)."""

    key: str = "code"
    create_unknown_keys: bool = False
    source: str = "classeur d'échange Suivi STS"
    mapping: str | None = None
    #: Fields given to new records when the sheet has no value for them (raw cell values).
    defaults: dict[str, Any] = field(default_factory=dict)
    #: Excel rows that may update a record but not create one (mapping's `seulement_si_regle`).
    no_create_rows: set[int] = field(default_factory=set)
    #: Translations of cell values per (kind, field): folded text → value.
    value_maps: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
