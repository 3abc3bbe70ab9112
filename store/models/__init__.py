"""SQLModel tables of the store (one module per area)."""

from store.models.actions import Action, ActionEvent, ActionObjective, ActionPartner, ActionTerritory
from store.models.activity import Exchange, SavedFilter, WorkshopSession, workshop_source
from store.models.base import metadata, utcnow
from store.models.care_offer import CareOfferActivity, CareOfferTarget
from store.models.identities import StoreIdentity
from store.models.indicators import Indicator, IndicatorValue
from store.models.resources import Resource, ResourceAudience, ResourceEvent, ResourceTerritory
from store.models.scheme import (
    Challenge,
    ChallengePathway,
    ChallengeTheme,
    CnrProposal,
    CtsChallenge,
    Engagement,
    Objective,
    ObjectivePathway,
    ObjectiveTheme,
    Pathway,
    Theme,
)
from store.models.sync import ReferenceEvent, SyncConflict, SyncState
from store.models.territory import Department, Organisation, Territory

__all__ = [
    "Action",
    "ActionEvent",
    "ActionObjective",
    "ActionPartner",
    "ActionTerritory",
    "CareOfferActivity",
    "CareOfferTarget",
    "Challenge",
    "ChallengePathway",
    "ChallengeTheme",
    "CnrProposal",
    "CtsChallenge",
    "Department",
    "Engagement",
    "Exchange",
    "Indicator",
    "IndicatorValue",
    "Objective",
    "ObjectivePathway",
    "ObjectiveTheme",
    "Organisation",
    "Pathway",
    "ReferenceEvent",
    "Resource",
    "ResourceAudience",
    "ResourceEvent",
    "ResourceTerritory",
    "SavedFilter",
    "StoreIdentity",
    "SyncConflict",
    "SyncState",
    "Territory",
    "Theme",
    "WorkshopSession",
    "metadata",
    "utcnow",
    "workshop_source",
]
