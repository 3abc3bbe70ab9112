"""The aidant / répit resources list: filters, accent-insensitive search, verification flag."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import Connection, Table, select

from store.lookups import department_territory
from store.resources import ResourceData, load_resources
from store.tables import ORGANISATION, TERRITORY
from store.vocab import ResourceStatus, fold


@dataclass(frozen=True)
class ResourceFilter:
    search: str = ""
    kinds: tuple[str, ...] = ()
    audiences: tuple[str, ...] = ()
    territories: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    unverified_only: bool = False


@dataclass(frozen=True)
class ResourceRow:
    code: str
    name: str
    kind: str
    audiences: str
    carrier: str | None
    territories: str
    status: str
    commune: str | None
    needs_verification: bool

    @property
    def status_label(self) -> str:
        return ResourceStatus(self.status).label


@dataclass(frozen=True)
class TownInBassin:
    """A town the reference document places in a bassin, and the words that say so."""

    town: str
    bassin: str
    source: str


def _territories(conn: Connection, department: str) -> dict[str, tuple[str, list[TownInBassin]]]:
    """Per territory code, its name and the towns the reference document places in it."""
    query = select(TERRITORY.c.code, TERRITORY.c.name, TERRITORY.c.communes).where(
        TERRITORY.c.department_code == department
    )
    return {
        code: (name, [TownInBassin(c["nom"], name, c.get("source", "")) for c in communes or []])
        for code, name, communes in conn.execute(query)
    }


def searched_towns(conn: Connection, department: str, search: str) -> list[TownInBassin]:
    """The towns of the document named by a search (« Lavelanet » → Pays d'Olmes)."""
    words = fold(search).split()
    return [
        town
        for _name, towns in _territories(conn, department).values()
        for town in towns
        if words and all(word in fold(town.town) for word in words)
    ]


def resource_rows(
    conn: Connection,
    department: str,
    criteria: ResourceFilter,
    *,
    today: date,
) -> list[ResourceRow]:
    """Resources matching `criteria` (a territory filter also matches department-wide resources)."""
    territories_read = _territories(conn, department)
    territory_names = {code: name for code, (name, _towns) in territories_read.items()}
    organisation_names = _names(conn, ORGANISATION, department)
    whole = department_territory(conn, department)
    needle = fold(criteria.search).split()
    # a bassin is found by its name and by the towns the document places in it
    places_of = {
        code: " ".join([name, *(t.town for t in towns)]) for code, (name, towns) in territories_read.items()
    }
    # a department-wide resource serves every bassin: it is found by any bassin's name too
    every_bassin = " ".join(places_of.values())
    rows = []
    for data in sorted(load_resources(conn, department).values(), key=lambda r: r.name):
        territories = ", ".join(territory_names.get(t, t) for t in data.territories)
        carrier = organisation_names.get(data.carrier or "")
        places = (
            every_bassin
            if whole is not None and whole in data.territories
            else " ".join(places_of.get(t, t) for t in data.territories)
        )
        if not _matches(data, criteria, needle, today, whole, (places, carrier)):
            continue
        rows.append(
            ResourceRow(
                code=data.code,
                name=data.name,
                kind=data.kind,
                audiences=", ".join(data.audiences),
                carrier=carrier,
                territories=territories,
                status=data.status,
                commune=data.commune,
                needs_verification=data.needs_verification(today),
            )
        )
    return rows


def serving_everywhere(
    conn: Connection, department: str, criteria: ResourceFilter, *, today: date
) -> list[ResourceRow]:
    """The resources of the whole department that meet `criteria`'s filters, its search aside:
    what serves a place the store knows nothing of (a town the reference document does not name)."""
    whole = department_territory(conn, department)
    if whole is None:
        return []
    return resource_rows(conn, department, replace(criteria, search="", territories=(whole,)), today=today)


def _names(conn: Connection, table: Table, department: str) -> dict[str, str]:
    query = select(table.c.code, table.c.name).where(table.c.department_code == department)
    return {code: name for code, name in conn.execute(query)}


def _matches(
    data: ResourceData,
    c: ResourceFilter,
    needle: list[str],
    today: date,
    department_territory: str | None,
    names: tuple[str | None, ...],
) -> bool:
    """The filters, then every searched word in the resource's text, public, places and names."""
    if c.kinds and data.kind not in c.kinds:
        return False
    if c.audiences and not (set(c.audiences) & set(data.audiences)) and "Tous publics" not in data.audiences:
        return False
    covers_all = department_territory is not None and department_territory in data.territories
    if c.territories and not (set(c.territories) & set(data.territories)) and not covers_all:
        return False
    if c.statuses and data.status not in c.statuses:
        return False
    if c.unverified_only and not data.needs_verification(today):
        return False
    searched = (
        data.code,
        data.name,
        data.kind,
        data.commune,
        data.insee_code,
        data.notes,
        data.address,
        data.phone,
        data.finess,
        *data.audiences,
        *data.territories,
        *names,  # territory names, carrier name
    )
    haystack = fold(" ".join(filter(None, searched)))
    return all(word in haystack for word in needle)
