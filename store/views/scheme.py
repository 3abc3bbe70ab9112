"""The scheme as a tree, and each node in full, with the actions attached to it."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, func, select

from store.models import (
    ChallengePathway,
    ChallengeTheme,
    ObjectivePathway,
    ObjectiveTheme,
    Pathway,
    Theme,
)
from store.tables import ACTION as A
from store.tables import ACTION_OBJECTIVE as AO
from store.tables import CHALLENGE as CH
from store.tables import ENGAGEMENT as ENG
from store.tables import OBJECTIVE as OBJ
from store.vocab import ActionStatus


@dataclass(frozen=True)
class ObjectiveNode:
    code: str
    number: int | None
    title: str
    actions: int

    @property
    def label(self) -> str:
        prefix = f"Objectif #{self.number}" if self.number is not None else "Objectif"
        return f"{prefix} — {self.title}"


@dataclass(frozen=True)
class ChallengeNode:
    code: str
    number: int | None
    title: str
    objectives: list[ObjectiveNode]

    @property
    def label(self) -> str:
        return f"Défi #{self.number} — {self.title}" if self.number is not None else f"Défi — {self.title}"


@dataclass(frozen=True)
class EngagementNode:
    code: str
    number: int | None
    title: str
    challenges: list[ChallengeNode]

    @property
    def label(self) -> str:
        return f"Engagement {self.number} — {self.title}" if self.number is not None else self.title


@dataclass(frozen=True)
class AttachedAction:
    code: str
    title: str
    status: str
    progress: int | None

    @property
    def status_label(self) -> str:
        return ActionStatus(self.status).label

    @property
    def progress_label(self) -> str:
        """« 40 % », or « — » when the progress is not known."""
        return "—" if self.progress is None else f"{self.progress} %"


@dataclass(frozen=True)
class NodeDetail:
    """A node rendered in full: its kind ("engagement", "defi", "objectif") and every section."""

    kind: str
    code: str
    label: str
    parent_label: str | None = None
    sections: list[tuple[str, str]] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    pathways: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    key_figures: list[str] = field(default_factory=list)
    citizen_quotes: list[str] = field(default_factory=list)
    regional_objective: str | None = None
    actions: list[AttachedAction] = field(default_factory=list)


def scheme_tree(conn: Connection, department: str) -> list[EngagementNode]:
    """Engagements → défis → objectifs in the document's order, with action counts."""
    counts: dict[int, int] = dict(
        conn.execute(select(AO.c.objective_id, func.count()).group_by(AO.c.objective_id)).all()
    )
    objectives: dict[int, list[ObjectiveNode]] = {}
    for oid, cid, code, number, title in conn.execute(
        select(OBJ.c.id, OBJ.c.challenge_id, OBJ.c.code, OBJ.c.number, OBJ.c.title)
        .where(OBJ.c.department_code == department)
        .order_by(OBJ.c.position)
    ):
        objectives.setdefault(cid, []).append(ObjectiveNode(code, number, title, int(counts.get(oid, 0))))
    challenges: dict[int, list[ChallengeNode]] = {}
    for cid, eid, code, number, title in conn.execute(
        select(CH.c.id, CH.c.engagement_id, CH.c.code, CH.c.number, CH.c.title)
        .where(CH.c.department_code == department)
        .order_by(CH.c.position)
    ):
        challenges.setdefault(eid, []).append(ChallengeNode(code, number, title, objectives.get(cid, [])))
    return [
        EngagementNode(code, number, title, challenges.get(eid, []))
        for eid, code, number, title in conn.execute(
            select(ENG.c.id, ENG.c.code, ENG.c.number, ENG.c.title)
            .where(ENG.c.department_code == department)
            .order_by(ENG.c.position)
        )
    ]


def _names(conn: Connection, link: type, vocab: type, owner: str, target: str, owner_id: int) -> list[str]:
    lt, vt = link.__table__, vocab.__table__  # type: ignore[attr-defined]
    return list(  # the name as the document wrote it there, when the vocabulary harmonised it
        conn.execute(
            select(func.coalesce(lt.c.written_as, vt.c.name))
            .join(lt, lt.c[target] == vt.c.id)
            .where(lt.c[owner] == owner_id)
            .order_by(lt.c.position)
        ).scalars()
    )


def _attached(conn: Connection, objective_ids: list[int]) -> list[AttachedAction]:
    if not objective_ids:
        return []
    rows = conn.execute(
        select(A.c.code, A.c.title, A.c.status, A.c.progress)
        .where(A.c.id.in_(select(AO.c.action_id).where(AO.c.objective_id.in_(objective_ids))))
        .order_by(A.c.code)
    )
    return [AttachedAction(*row) for row in rows]


def node_detail(conn: Connection, department: str, code: str) -> NodeDetail | None:
    """The engagement, défi or objective of that code, in full."""
    row = (
        conn.execute(select(OBJ).where(OBJ.c.department_code == department, OBJ.c.code == code))
        .mappings()
        .first()
    )
    if row is not None:
        challenge = conn.execute(select(CH.c.number, CH.c.title).where(CH.c.id == row["challenge_id"])).one()
        node = ObjectiveNode(row["code"], row["number"], row["title"], 0)
        return NodeDetail(
            kind="objectif",
            code=code,
            label=node.label,
            parent_label=ChallengeNode("", challenge.number, challenge.title, []).label,
            sections=[
                (title, text)
                for title, text in (
                    ("Le défi à relever", row["challenge_statement"]),
                    ("Les constats", row["findings"]),
                    ("L'objectif", row["goal"]),
                    ("Les résultats attendus", row["expected_results"]),
                    ("En pratique", row["in_practice"]),
                )
                if text
            ],
            themes=_names(conn, ObjectiveTheme, Theme, "objective_id", "theme_id", row["id"]),
            pathways=_names(conn, ObjectivePathway, Pathway, "objective_id", "pathway_id", row["id"]),
            key_figures=list(row["key_figures"] or []),
            citizen_quotes=list(row["citizen_quotes"] or []),
            regional_objective=row["regional_objective"],
            actions=_attached(conn, [row["id"]]),
        )
    row = (
        conn.execute(select(CH).where(CH.c.department_code == department, CH.c.code == code))
        .mappings()
        .first()
    )
    if row is not None:
        engagement = conn.execute(
            select(ENG.c.number, ENG.c.title).where(ENG.c.id == row["engagement_id"])
        ).one()
        objective_ids = list(conn.execute(select(OBJ.c.id).where(OBJ.c.challenge_id == row["id"])).scalars())
        return NodeDetail(
            kind="defi",
            code=code,
            label=ChallengeNode(code, row["number"], row["title"], []).label,
            parent_label=EngagementNode("", engagement.number, engagement.title, []).label,
            sections=[
                (title, text)
                for title, text in (
                    ("Les enjeux", row["stakes"]),
                    (
                        "Les objectifs opérationnels (page du défi)",
                        "\n".join(f"- {line}" for line in row["objective_list"] or []),
                    ),
                )
                if text
            ],
            themes=_names(conn, ChallengeTheme, Theme, "challenge_id", "theme_id", row["id"]),
            pathways=_names(conn, ChallengePathway, Pathway, "challenge_id", "pathway_id", row["id"]),
            keywords=list(row["keywords"] or []),
            key_figures=list(row["key_figures"] or []),
            citizen_quotes=list(row["citizen_quotes"] or []),
            actions=_attached(conn, objective_ids),
        )
    row = (
        conn.execute(select(ENG).where(ENG.c.department_code == department, ENG.c.code == code))
        .mappings()
        .first()
    )
    if row is None:
        return None
    objective_ids = list(
        conn.execute(
            select(OBJ.c.id).join(CH, CH.c.id == OBJ.c.challenge_id).where(CH.c.engagement_id == row["id"])
        ).scalars()
    )
    return NodeDetail(
        kind="engagement",
        code=code,
        label=EngagementNode(code, row["number"], row["title"], []).label,
        actions=_attached(conn, objective_ids),
    )
