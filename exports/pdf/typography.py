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
#: What the embedded fonts (Libertinus Serif, New Computer Modern, DejaVu Sans Mono) draw no
#: glyph for, printed as an empty box: the emoji and pictographs of U+1F000-U+1FAFF (flags and
#: skin tones included), the joiner and variation selectors that compose them, the tags, and the
#: emoji of the symbol blocks (✅ ❌ ❓ ✨ ⛔…; checked by rendering each character). « ✓ », « → »,
#: « ★ », « ☺ », « ⚠ », which the fonts draw, are kept.
_UNDRAWN = (
    "[\U0001f000-\U0001faff\U000e0000-\U000e007f\u200d\ufe0e\ufe0f\u20e3"
    "\u2607\u2608\u2630-\u2637\u268c-\u268f\u269d-\u269f\u26a8\u26a9\u26b0\u26b1\u26b3-\u2700"
    "\u2705\u270a\u270b\u2715\u2716\u2727-\u2729\u274c\u274e\u2753-\u2755\u2757\u275f\u2760"
    "\u2780-\u2793\u2795-\u2797\u27b0\u303d\u3297-\u3299]+"
)
#: An undrawn run with one of the spaces around it (« l’été 🎉 à » → « l’été à »).
_UNDRAWN_RUN = re.compile(f"{_UNDRAWN} ?| ?{_UNDRAWN}")


def french(text: str | None) -> str:
    """`text` with French typography: « » for straight double quotes, ’ for the apostrophe, a
    non-breaking space before
    « : » and a narrow one before ; ! ?, inside the guillemets and between thousands.

    A colon between digits (« 14:30 ») or in an address (« https:// ») is left alone. What the
    fonts cannot draw (an emoji) is left out rather than printed as an empty box.
    """
    if not text:
        return ""
    out = _UNDRAWN_RUN.sub("", text)
    out = _QUOTED.sub(lambda m: f"«{m.group(1)}»", out).replace("'", "’")
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
