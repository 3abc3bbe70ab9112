"""Controlled vocabularies: stored codes and their French labels."""

from __future__ import annotations

import unicodedata
from enum import StrEnum


class ActionStatus(StrEnum):
    """Status of an action ("en retard" is derived from the due date, never stored)."""

    TODO = "a_lancer"
    IN_PROGRESS = "en_cours"
    DONE = "realisee"
    POSTPONED = "reportee"
    ABANDONED = "abandonnee"

    @property
    def label(self) -> str:
        return ACTION_STATUS_LABELS[self]

    @property
    def is_open(self) -> bool:
        """An open action can still be late."""
        return self in (ActionStatus.TODO, ActionStatus.IN_PROGRESS, ActionStatus.POSTPONED)


ACTION_STATUS_LABELS: dict[ActionStatus, str] = {
    ActionStatus.TODO: "À lancer",
    ActionStatus.IN_PROGRESS: "En cours",
    ActionStatus.DONE: "Réalisée",
    ActionStatus.POSTPONED: "Reportée",
    ActionStatus.ABANDONED: "Abandonnée",
}

#: Statuses for which a comment is required when an action moves to them.
STATUSES_NEEDING_COMMENT = frozenset({ActionStatus.POSTPONED, ActionStatus.ABANDONED})


class Weather(StrEnum):
    """The "météo" of an action."""

    GREEN = "vert"
    ORANGE = "orange"
    RED = "rouge"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class ResourceStatus(StrEnum):
    """Status of an aidant / répit resource."""

    EXISTING = "existant"
    PLANNED = "en_projet"
    CLOSED = "ferme"

    @property
    def label(self) -> str:
        return RESOURCE_STATUS_LABELS[self]


RESOURCE_STATUS_LABELS: dict[ResourceStatus, str] = {
    ResourceStatus.EXISTING: "Existant",
    ResourceStatus.PLANNED: "En projet",
    ResourceStatus.CLOSED: "Fermé",
}


class Periodicity(StrEnum):
    """How often an indicator is measured."""

    MONTHLY = "mensuelle"
    QUARTERLY = "trimestrielle"
    HALF_YEARLY = "semestrielle"
    YEARLY = "annuelle"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class TerritoryKind(StrEnum):
    """The department itself, or one of its bassins."""

    DEPARTMENT = "departement"
    BASIN = "bassin"


RESOURCE_TYPES: tuple[str, ...] = (
    "Plateforme d'accompagnement et de répit",
    "Accueil de jour",
    "Hébergement temporaire",
    "Halte-répit",
    "Relayage",
    "Séjour de répit",
    "Café des aidants",
    "Formation des aidants",
    "Dispositif jeunes aidants",
    "Centre de ressources territorial",
    "Association",
    "Autre",
)

AUDIENCES: tuple[str, ...] = (
    "Personnes âgées",
    "Personnes en situation de handicap",
    "Maladies neuro-évolutives",
    "Maladie chronique",
    "Jeunes aidants",
    "Tous publics",
)

ORGANISATION_KINDS: tuple[str, ...] = (
    "CPTS",
    "MSP",
    "Établissement de santé",
    "GHT",
    "Établissement médico-social",
    "Assurance maladie",
    "DAC",
    "Association",
    "Collectivité",
    "ARS",
    "Autre",
)


def fold(text: str) -> str:
    """Lower-case, accent-free, space-normalised form of a text, for matching and search."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().replace("’", "'").split())


# Common words people write for a status, folded, including the labels themselves.
_STATUS_SYNONYMS: dict[str, ActionStatus] = {
    **{fold(label): status for status, label in ACTION_STATUS_LABELS.items()},
    **{fold(status.value.replace("_", " ")): status for status in ActionStatus},
    "a faire": ActionStatus.TODO,
    "a demarrer": ActionStatus.TODO,
    "non demarree": ActionStatus.TODO,
    "non demarre": ActionStatus.TODO,
    "prevue": ActionStatus.TODO,
    "en projet": ActionStatus.TODO,
    "demarree": ActionStatus.IN_PROGRESS,
    "en cours de realisation": ActionStatus.IN_PROGRESS,
    "commencee": ActionStatus.IN_PROGRESS,
    "realise": ActionStatus.DONE,
    "terminee": ActionStatus.DONE,
    "termine": ActionStatus.DONE,
    "fait": ActionStatus.DONE,
    "faite": ActionStatus.DONE,
    "achevee": ActionStatus.DONE,
    "fini": ActionStatus.DONE,
    "finie": ActionStatus.DONE,
    "reporte": ActionStatus.POSTPONED,
    "suspendue": ActionStatus.POSTPONED,
    "en attente": ActionStatus.POSTPONED,
    "abandonne": ActionStatus.ABANDONED,
    "annulee": ActionStatus.ABANDONED,
    "annule": ActionStatus.ABANDONED,
}


def parse_action_status(text: str) -> ActionStatus | None:
    """The status a user meant by `text` (any case or accent, common synonyms), or None."""
    return _STATUS_SYNONYMS.get(fold(text))


def parse_weather(text: str) -> Weather | None:
    """The weather a user meant by `text` ("Vert", "ORANGE", "red"…), or None."""
    folded = fold(text)
    synonyms = {"green": Weather.GREEN, "red": Weather.RED, "soleil": Weather.GREEN}
    return synonyms.get(folded) or next((w for w in Weather if w.value == folded), None)


def parse_resource_status(text: str) -> ResourceStatus | None:
    """The resource status a user meant by `text`, or None."""
    folded = fold(text).replace("_", " ")
    synonyms = {
        "existante": ResourceStatus.EXISTING,
        "ouvert": ResourceStatus.EXISTING,
        "en service": ResourceStatus.EXISTING,
        "projet": ResourceStatus.PLANNED,
        "fermee": ResourceStatus.CLOSED,
        "ferme": ResourceStatus.CLOSED,
    }
    by_label = {fold(label): status for status, label in RESOURCE_STATUS_LABELS.items()}
    return by_label.get(folded) or synonyms.get(folded)


def match_label(text: str, labels: tuple[str, ...]) -> str | None:
    """The label of `labels` that `text` names, ignoring case, accents and spacing."""
    folded = fold(text)
    return next((label for label in labels if fold(label) == folded), None)
