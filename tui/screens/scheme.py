"""Schéma: the tree engagements → défis → objectifs, the selected node in full, its actions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Markdown, Tree

from store.views.action_list import ActionFilter
from store.views.scheme import EngagementNode, NodeDetail
from store.vocab import ActionStatus
from tui.screens.base import BaseScreen
from tui.widgets.columns import Column
from tui.widgets.record_table import RecordTable

#: The node's actions: code, title (the room left) and status stay; progress goes when narrow.
NODE_ACTION_COLUMNS = [
    Column("code", "Code", 0),
    Column("title", "Action", 40, flex=True, min_width=20),
    Column("status", "Statut", max(len(s.label) for s in ActionStatus)),
    Column("progress", "Av.", 5, priority=1),
]


def _action_cell(action: Any, key: str) -> str:
    if key == "status":
        return str(action.status_label)
    if key == "progress":
        return str(action.progress_label)
    return str(getattr(action, key))


def render_node(detail: NodeDetail) -> str:
    """The node as Markdown: sections, themes, parcours, key figures, citizens' words."""
    parts = [f"## {detail.label}"]
    if detail.parent_label:
        parts.append(f"*{detail.parent_label}*")
    if detail.regional_objective:
        parts.append(f"**Objectif régional de rattachement :** {detail.regional_objective}")
    for title, text in detail.sections:
        parts.append(f"### {title}\n\n{text.strip()}")
    for title, values in (
        ("Thèmes associés", detail.themes),
        ("Parcours associés", detail.pathways),
        ("Mots clés", detail.keywords),
    ):
        if values:
            parts.append(f"**{title} :** " + " · ".join(values))
    if detail.key_figures:
        parts.append("### Chiffres-clés\n\n" + "\n".join(f"- {f}" for f in detail.key_figures))
    if detail.citizen_quotes:
        parts.append(
            "### Parole de citoyen\n\n"
            + "\n\n".join(f"> « {q.strip('« »')} »" for q in detail.citizen_quotes)
        )
    return "\n\n".join(parts)


class SchemeScreen(BaseScreen):
    """Browse the scheme; `n` adds an action to the selected objective."""

    TITLE = "Schéma"
    WRITE_ACTIONS = frozenset({"new_action"})
    BINDINGS = [
        Binding("n", "new_action", "Nouvelle action", tooltip="Ajouter une action à l'objectif sélectionné"),
        Binding("a", "list_actions", "Ses actions", tooltip="Ouvrir la liste des actions de ce nœud"),
        Binding(
            "tab",
            "focus_next",
            "Changer de zone",
            show=False,
            tooltip="Passer de l'arbre au texte et aux actions",
        ),
    ]

    @dataclass
    class TreeLoaded(Message):
        nodes: list[EngagementNode]

    @dataclass
    class DetailLoaded(Message):
        detail: NodeDetail | None

    def __init__(self) -> None:
        super().__init__()
        self.selected: NodeDetail | None = None

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="scheme"):
            yield Tree("Schéma territorial de santé", id="scheme-tree")
            with Vertical(id="scheme-detail"):
                with VerticalScroll(id="node-scroll"):
                    yield Markdown("Choisissez un engagement, un défi ou un objectif.", id="node-text")
                yield RecordTable(NODE_ACTION_COLUMNS, _action_cell, key=lambda a: a.code, id="node-actions")

    def on_mount(self) -> None:
        self.load_tree()

    def refresh_data(self) -> None:
        if self.selected:
            self.load_detail(self.selected.code)

    @work(thread=True, exit_on_error=False, group="tree")
    def load_tree(self) -> None:
        self.post_message(self.TreeLoaded(self.service.scheme()))

    @on(TreeLoaded)
    def show_tree(self, message: TreeLoaded) -> None:
        tree = self.query_one("#scheme-tree", Tree)
        tree.clear()
        tree.root.expand()
        for e in message.nodes:
            e_node = tree.root.add(Text(e.label), data=e.code, expand=True)  # a text, not markup
            for c in e.challenges:
                c_node = e_node.add(Text(c.label), data=c.code, expand=True)
                for o in c.objectives:
                    c_node.add_leaf(Text(f"{o.label} ({o.actions})"), data=o.code)
        tree.focus()

    @on(Tree.NodeHighlighted, "#scheme-tree")
    def highlighted(self, event: Tree.NodeHighlighted[str]) -> None:
        if event.node.data:
            self.load_detail(event.node.data)

    @work(thread=True, exit_on_error=False, exclusive=True, group="detail")
    def load_detail(self, code: str) -> None:
        self.post_message(self.DetailLoaded(self.service.node(code)))

    @on(DetailLoaded)
    def show_detail(self, message: DetailLoaded) -> None:
        detail = message.detail
        self.selected = detail
        if detail is None:
            return
        self.query_one("#node-text", Markdown).update(render_node(detail))
        self.query_one("#node-scroll", VerticalScroll).scroll_home(animate=False)
        self.query_one("#node-actions", RecordTable).records = list(detail.actions)

    @on(DataTable.RowSelected, "#node-actions")
    def open_action(self, event: DataTable.RowSelected) -> None:
        self.suivi.open_action(str(event.row_key.value))

    def action_new_action(self) -> None:
        if self.refuse_if_read_only():
            return
        if self.selected is None or self.selected.kind != "objectif":
            self.notify("Sélectionnez d'abord un objectif opérationnel dans l'arbre.", severity="warning")
            return
        self.suivi.open_action(None, objective=self.selected.code)

    def action_list_actions(self) -> None:
        if self.selected is None:
            return
        code = (self.selected.code,)
        by_kind = {
            "objectif": ActionFilter(objectives=code),
            "defi": ActionFilter(challenges=code),
            "engagement": ActionFilter(engagements=code),
        }
        self.suivi.show_actions(by_kind[self.selected.kind])
