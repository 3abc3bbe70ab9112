"""Controlled vocabularies: stored codes and their French labels."""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum


class ActionStatus(StrEnum):
    """Status of an action ("en retard" is derived from the due date, never stored)."""

    TODO = "a_lancer"
    IN_PROGRESS = "en_cours"
    DONE = "realisee"
    POSTPONED = "reportee"
    ABANDONED = "abandonnee"
    #: Not given (an action named by the reference document, which says nothing of its state).
    UNKNOWN = "non_renseigne"

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
    ActionStatus.UNKNOWN: "Non renseigné",
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


#: Letters NFKD does not split (œ, æ, ß…), typographic apostrophes and dashes, as people type them.
_FOLD_TABLE = str.maketrans(
    {
        "œ": "oe",
        "Œ": "oe",
        "æ": "ae",
        "Æ": "ae",
        "ß": "ss",
        "ø": "o",
        "Ø": "o",
        "ł": "l",
        "Ł": "l",
        "đ": "d",
        **{c: "'" for c in "\u2019\u2018\u02bc\u2032\u00b4`"},
        **{c: " " for c in "-\u2010\u2011\u2012\u2013\u2014\u2212_"},
    }
)


_SPECIAL = {chr(code): str(kept) for code, kept in _FOLD_TABLE.items()}
_SPECIAL_RE = re.compile("[" + re.escape("".join(_SPECIAL)) + "]")
#: The accents of Latin letters once NFKD has split them (U+034F, a joiner, is no mark).
_LATIN_MARKS = re.compile("[\u0300-\u034e\u0350-\u036f]+")
_NON_ASCII = re.compile("[^\x00-\x7f]")


def _special(match: re.Match[str]) -> str:
    return _SPECIAL[match.group()]


def fold(text: str) -> str:
    """Lower-case, accent-free, space-normalised form of a text, for matching and search.

    "Mise en Œuvre" → "mise en oeuvre"; "Saint-Girons" → "saint girons"; "l’offre" → "l'offre".
    The search folds every action's texts, so the usual case is quick: plain ASCII skips the
    decomposition, Latin accents go in one regular expression, other marks one by one.
    """
    if not text.isascii():
        text = _LATIN_MARKS.sub("", unicodedata.normalize("NFKD", _SPECIAL_RE.sub(_special, text)))
        if not text.isascii() and any(unicodedata.combining(c) for c in set(_NON_ASCII.findall(text))):
            text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.casefold()
    if _SPECIAL_RE.search(text):
        text = _SPECIAL_RE.sub(_special, text)
    return " ".join(text.split())
