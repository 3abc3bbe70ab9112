"""French typography for the PDF texts: « » quotes, non-breaking spaces, long dates.

Texts reach Typst as data (never as markup), so these rules are applied here, once, to every
text the documents show.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from store.formatting import MONTH_NAMES

NBSP = "\u00a0"
#: The narrow non-breaking space French puts before ; ! ? (and inside « »).
NNBSP = "\u202f"

_BEFORE_HIGH = re.compile(r"[ \u00a0\u202f]*([;!?])")
_BEFORE_COLON = re.compile(r"(?<=\S)[ \u00a0\u202f]*:(?=\s|$)")
_QUOTED = re.compile(r"\"([^\"]*)\"")
_OPEN = re.compile(r"«[ \u00a0\u202f]*")
_CLOSE = re.compile(r"[ \u00a0\u202f]*»")
_THOUSANDS = re.compile(r"(?<=\d) (?=\d{3}\b)")


def french(text: str | None) -> str:
    """`text` with French typography: « » for straight double quotes, ’ for the apostrophe, a
    non-breaking space before
    « : » and a narrow one before ; ! ?, inside the guillemets and between thousands.

    A colon between digits (« 14:30 ») or in an address (« https:// ») is left alone.
    """
    if not text:
        return ""
    out = _QUOTED.sub(lambda m: f"«{m.group(1)}»", text).replace("'", "’")
    out = _OPEN.sub("«" + NNBSP, out)
    out = _CLOSE.sub(NNBSP + "»", out)
    out = _BEFORE_HIGH.sub(lambda m: NNBSP + m.group(1), out)
    out = _BEFORE_COLON.sub(NBSP + ":", out)
    out = _THOUSANDS.sub(NNBSP, out)
    # No space before a sign at the start of the text (« ?… » or a lone « ! »).
    return out.lstrip(NNBSP)


def long_date(value: date | datetime) -> str:
    """« 26 novembre 2026 » (« 1er » for the first of the month)."""
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day}{NBSP}{MONTH_NAMES[value.month - 1]} {value.year}"


def clock(value: datetime) -> str:
    """« 9 h 05 », unbreakable."""
    return f"{value.hour}{NBSP}h{NBSP}{value.minute:02d}"


def percent(share: float | None) -> str:
    """A share (0-1) as « 42 % », or « — » when unknown."""
    return "—" if share is None else f"{round(share * 100)}{NNBSP}%"
