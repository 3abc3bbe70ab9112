"""Screens get the current theme's colours, without the whole stylesheet being read again."""

from __future__ import annotations

from collections.abc import Callable

from textual.color import Color

from tests.tui.support import settle as _settle
from tui.app import SuiviStsApp

AppFactory = Callable[..., SuiviStsApp]


async def test_a_screen_opened_after_a_theme_change_has_the_new_colours(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        dark = app.current_theme.dark
        await pilot.press("ctrl+t")
        await _settle(pilot)
        assert app.current_theme.dark is not dark
        for key in ("f4", "f6", "f2"):  # two screens never shown before, then the first one
            await pilot.press(key)
            await _settle(pilot)
            assert app.screen.styles.background == Color.parse(app.current_theme.background), key


async def test_opening_a_screen_does_not_read_the_stylesheet_again(app_factory: AppFactory) -> None:
    """Textual re-read every rule (twice) for the first screen of each mode."""
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        reads: list[None] = []
        reparse = app.stylesheet.reparse

        def counted() -> None:
            reads.append(None)
            reparse()

        app.stylesheet.reparse = counted  # type: ignore[method-assign]
        for key in ("f4", "f6", "f7"):  # screens with no stylesheet of their own
            await pilot.press(key)
            await _settle(pilot)
        assert reads == []
