"""Quantitative targets of the care offer: existing versus target, gaps highlighted."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Connection

from store.reference import read_care_offer

_NUMBER = re.compile(r"\d+")


@dataclass(frozen=True)
class CareOfferLine:
    activity: str
    table: str
    modality: str | None
    mention: str | None
    existing: str | None
    target: str | None

    @property
    def gap(self) -> int | None:
        """How many implantations are missing to reach the target's low end (None: not comparable).

        Targets such as "0/1" or "1 / 2" are ranges: the low end is the commitment.
        """
        existing = _first_number(self.existing)
        low = _first_number(self.target)
        if existing is None or low is None:
            return None
        return max(low - existing, 0)

    @property
    def above_target(self) -> bool:
        """More existing than the target's high end (a reduction is planned)."""
        existing = _first_number(self.existing)
        high = _last_number(self.target)
        return existing is not None and high is not None and existing > high


def shown(figure: str | None) -> str:
    """An existing count or a target as printed: « — » when there is none (empty, or « - » in
    the document), a range as « 1 / 2 » whichever way it was typed (« 0/1 »)."""
    text = (figure or "").strip()
    if text in ("", "-", "—"):
        return "—"
    return re.sub(r"\s*/\s*", "\u00a0/ ", text)


def _first_number(text: str | None) -> int | None:
    found = _NUMBER.search(text or "")
    return int(found.group()) if found else None


def _last_number(text: str | None) -> int | None:
    found = _NUMBER.findall(text or "")
    return int(found[-1]) if found else None


def care_offer_lines(conn: Connection, department: str) -> list[CareOfferLine]:
    """Every row of every care-offer table, in the document's order."""
    return [
        CareOfferLine(
            activity["activite"],
            table["titre"],
            line["modalite"],
            line["mention"],
            line["existant"],
            line["cible"],
        )
        for activity in read_care_offer(conn, department)
        for table in activity["tableaux"]
        for line in table["lignes"]
    ]
