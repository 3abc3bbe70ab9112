"""Command palette: every screen by its French name, and the main actions."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from tui.app import SuiviStsApp


class SuiviCommands(Provider):
    """Screens and actions of Suivi STS, in French."""

    def _commands(self) -> list[tuple[str, Callable[[], object], str]]:
        from tui.app import SCREENS_BY_MODE

        app = cast("SuiviStsApp", self.app)
        commands: list[tuple[str, Callable[[], object], str]] = [
            (label, partial(app.action_go, mode), f"Ouvrir l'écran {label}")
            for mode, (label, _module, _cls) in SCREENS_BY_MODE.items()
        ]
        from store.views.action_rows import ActionFilter

        commands += [
            (
                "Actions en retard",
                partial(app.show_actions, ActionFilter(late_only=True, sort="due_date")),
                "Les actions dont l'échéance est passée",
            ),
            ("Nouvelle action", partial(app.open_action, None), "Créer une action"),
            ("Importer un classeur", app.action_import_workbook, "Aperçu puis import d'un classeur Excel"),
            ("Exporter (classeur ARS, rapport CTS)", app.action_export_workbook, "Écrire un classeur Excel"),
            ("Aide", app.action_help, "Les touches de l'écran courant"),
            ("Thème clair / sombre", app.action_toggle_theme, "Basculer le thème"),
        ]
        return commands

    async def discover(self) -> Hits:
        for name, callback, help_text in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
