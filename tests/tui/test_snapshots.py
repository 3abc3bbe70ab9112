"""Snapshots guarding the layout of the main screens (pytest-textual-snapshot).

Update them after an intended change with `pytest tests/tui/test_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tui.app import SuiviStsApp

AppFactory = Callable[..., SuiviStsApp]


async def _loaded(pilot: Any) -> None:
    for _ in range(4):
        await pilot.pause(0.05)
        await pilot.app.workers.wait_for_complete()
    await pilot.pause(0.2)


def _keys(*keys: str) -> Callable[[Any], Any]:
    async def run_before(pilot: Any) -> None:
        await _loaded(pilot)
        for key in keys:
            await pilot.press(key)
            await _loaded(pilot)

    return run_before


@pytest.mark.parametrize(
    ("name", "keys", "size"),
    [
        ("dashboard", (), (120, 40)),
        ("dashboard_80x24", (), (80, 24)),
        ("actions", ("f4",), (120, 40)),
        ("actions_80x24", ("f4",), (80, 24)),
        ("scheme", ("f3", "down", "down", "down"), (120, 40)),
        ("coverage", ("f6", "c"), (120, 40)),
        ("coverage_80x24", ("f6", "c"), (80, 24)),
        ("resources", ("f6",), (120, 40)),
        ("resources_80x24", ("f6",), (80, 24)),
        ("care_offer", ("f7",), (120, 40)),
        ("care_offer_80x24", ("f7",), (80, 24)),
    ],
)
def test_screen_layout(
    snap_compare: Any, app_factory: AppFactory, name: str, keys: tuple[str, ...], size: tuple[int, int]
) -> None:
    assert snap_compare(app_factory(), run_before=_keys(*keys), terminal_size=size)
