"""One synchronisation conflict shown in full: my value, theirs, the one before, who and when."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from tui.widgets.columns import theme_style


class ConflictSides(Static):
    """The conflict under the cursor (`conflict`: a `store.sync_conflicts.PendingConflict`)."""

    DEFAULT_CSS = """
    ConflictSides {
        height: auto;
        padding: 0 1;
        border-top: solid $primary;
    }
    """

    conflict: reactive[Any | None] = reactive(None, always_update=True)
    #: The department was ever synchronised: with no conflict, what agrees is said; else, that
    #: nothing was exchanged yet.
    synced: reactive[bool] = reactive(True)

    def on_mount(self) -> None:
        self.watch(self.app, "theme", lambda: self.mutate_reactive(ConflictSides.conflict), init=False)

    def render(self) -> Text:
        c = self.conflict
        if c is None and not self.synced:
            return Text(
                "Rien n'a encore été échangé avec un serveur régional (suivi-sts publish, puis "
                "fetch) : un conflit ne peut naître que d'un échange."
            )
        if c is None:
            return Text("Aucun conflit à régler : tout ce qui a été échangé avec le serveur concorde.")
        colours = self.app.theme_variables
        bold = theme_style(colours, "bold")
        out = Text()
        out.append(f"{c.heading}\n", style=bold)
        out.append("Ici        : ", style=theme_style(colours, "bold $text-success"))
        out.append(f"{c.mine}  ({c.mine_by})\n")
        out.append("Serveur    : ", style=theme_style(colours, "bold $text-warning"))
        out.append(f"{c.theirs}  ({c.theirs_by})\n")
        out.append("Avant      : ", style="dim")
        out.append(c.base)
        return out
