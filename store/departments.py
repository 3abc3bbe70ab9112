"""Which departments a store holds."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select

from store.errors import StoreError
from store.glance import pick_department
from store.models import Department


@dataclass(frozen=True)
class DepartmentInfo:
    code: str
    name: str


def list_departments(engine: Engine) -> list[DepartmentInfo]:
    t = Department.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        return [DepartmentInfo(c, n) for c, n in conn.execute(select(t.c.code, t.c.name).order_by(t.c.code))]


def single_department(engine: Engine, wanted: str | None = None) -> DepartmentInfo:
    """The department to work on: `wanted`, or the only one the store holds; a StoreError
    saying what the store holds otherwise (none, not that one, several)."""
    held = list_departments(engine)
    found = pick_department([(d.code, d.name) for d in held], wanted)
    if found is not None:
        return DepartmentInfo(*found)
    if not held:
        raise StoreError(
            "La base ne contient aucun département : chargez-y un schéma "
            "(« suivi-sts init --reference FICHIER.yaml », ou « suivi-sts init » pour celui de l'Ariège)."
        )
    codes = ", ".join(d.code for d in held)
    if wanted:
        raise StoreError(f"Département « {wanted} » introuvable dans la base (elle contient : {codes}).")
    raise StoreError(f"La base contient plusieurs départements ({codes}) : précisez --departement.")
