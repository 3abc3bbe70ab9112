"""The colours of the reports (CTS workbook and PDF dossier): one palette for both.

The statuses' colours are told apart printed in black and white too: their grey levels
(`grey_level`) stand at least 30 apart, darkest for the actions done, lightest for those
whose state is not given.
"""

from __future__ import annotations

from store.vocab import ActionStatus

#: Colours of the statuses, in the order of `ActionStatus` (grey levels 204, 103, 61, 171, 135, 238).
STATUS_COLOURS: dict[str, str] = {
    ActionStatus.TODO: "#B4D2EC",
    ActionStatus.IN_PROGRESS: "#2E75B6",
    ActionStatus.DONE: "#2F4A1E",
    ActionStatus.POSTPONED: "#F0A030",
    ActionStatus.ABANDONED: "#878787",
    ActionStatus.UNKNOWN: "#EEEEEE",
}


def grey_level(colour: str) -> float:
    """The grey a colour prints as in black and white (0 black, 255 white; ITU-R BT.601)."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.299 * red + 0.587 * green + 0.114 * blue
