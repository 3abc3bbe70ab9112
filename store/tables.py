"""The core tables behind the models, for bulk reads and writes with SQLAlchemy core."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, insert

from store import models


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


ACTION = _table(models.Action)
ACTION_EVENT = _table(models.ActionEvent)
ACTION_OBJECTIVE = _table(models.ActionObjective)
ACTION_PARTNER = _table(models.ActionPartner)
ACTION_TERRITORY = _table(models.ActionTerritory)
CARE_OFFER_ACTIVITY = _table(models.CareOfferActivity)
CARE_OFFER_TARGET = _table(models.CareOfferTarget)
CHALLENGE = _table(models.Challenge)
CHALLENGE_PATHWAY = _table(models.ChallengePathway)
CHALLENGE_THEME = _table(models.ChallengeTheme)
CNR_PROPOSAL = _table(models.CnrProposal)
CTS_CHALLENGE = _table(models.CtsChallenge)
DEPARTMENT = _table(models.Department)
ENGAGEMENT = _table(models.Engagement)
EXCHANGE = _table(models.Exchange)
INDICATOR = _table(models.Indicator)
INDICATOR_VALUE = _table(models.IndicatorValue)
OBJECTIVE = _table(models.Objective)
OBJECTIVE_PATHWAY = _table(models.ObjectivePathway)
OBJECTIVE_THEME = _table(models.ObjectiveTheme)
ORGANISATION = _table(models.Organisation)
PATHWAY = _table(models.Pathway)
REFERENCE_EVENT = _table(models.ReferenceEvent)
RESOURCE = _table(models.Resource)
RESOURCE_AUDIENCE = _table(models.ResourceAudience)
RESOURCE_EVENT = _table(models.ResourceEvent)
RESOURCE_TERRITORY = _table(models.ResourceTerritory)
SAVED_FILTER = _table(models.SavedFilter)
TERRITORY = _table(models.Territory)
THEME = _table(models.Theme)
WORKSHOP_SESSION = _table(models.WorkshopSession)


def insert_versioned(
    conn: Connection, table: Table, department: str, code: str, values: dict[str, Any]
) -> int:
    """Insert a record that carries a version (actions, resources) at version 1; its id."""
    now = models.utcnow()
    statement = insert(table).values(
        department_code=department, code=code, created_at=now, updated_at=now, version=1, **values
    )
    return int(conn.execute(statement.returning(table.c.id)).scalar_one())
