"""A select's options given by a worker before the select has built its menu are not lost."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Select
from textual.widgets._select import SelectOverlay

from tui.widgets.select_options import set_select_options

STATUSES = [("En cours", "en_cours"), ("Réalisée", "realisee")]


class OneSelect(App[None]):
    def __init__(self, select: Select[str]) -> None:
        super().__init__()
        self.select = select

    def compose(self) -> ComposeResult:
        yield self.select


async def test_choices_arriving_before_the_menu_is_built_are_offered_once_it_is_shown() -> None:
    select = Select[str]([], prompt="Statut", id="filter-status")
    set_select_options(select, STATUSES)  # the worker answered before the screen was mounted
    async with OneSelect(select).run_test() as pilot:
        await pilot.pause()
        menu = select.query_one(SelectOverlay)
        assert [str(menu.get_option_at_index(i).prompt) for i in range(menu.option_count)] == [
            "Statut",
            "En cours",
            "Réalisée",
        ]
        select.value = "realisee"
        assert select.value == "realisee"


async def test_choices_arriving_later_replace_the_menu() -> None:
    select = Select[str]([("Ancien", "ancien")], prompt="Statut")
    async with OneSelect(select).run_test() as pilot:
        set_select_options(select, STATUSES)
        await pilot.pause()
        menu = select.query_one(SelectOverlay)
        assert menu.option_count == 3
        assert select.is_blank()
