"""Horizontal bars drawn with block characters."""

from __future__ import annotations

from rich.text import Text

_PARTS = " ▏▎▍▌▋▊▉█"


def bar(fraction: float, width: int = 20, style: str = "green") -> Text:
    """A bar filled to `fraction` (0…1) of `width` cells, with eighth-cell precision."""
    fraction = min(max(fraction, 0.0), 1.0)
    eighths = round(fraction * width * 8)
    full, rest = divmod(eighths, 8)
    text = Text("█" * full, style=style)
    if rest and full < width:
        text.append(_PARTS[rest], style=style)
        full += 1
    text.append("·" * (width - full), style="dim")
    return text
