"""Helpers shared by the command-line modules."""

from __future__ import annotations

import sys

from store.database import Store, open_store
from store.departments import single_department
from store.engine import normalise_url, sqlite_path
from store.errors import StoreError

OK, INVALID, UNUSABLE = 0, 1, 2


def print_notices(store: Store) -> None:
    for notice in store.notices:
        print(f"Attention : {notice}", file=sys.stderr)


def open_existing(target: str) -> Store:
    """Open a store that must already exist (commands other than `init`)."""
    path = sqlite_path(normalise_url(target))
    if path is not None and not path.exists():
        raise FileNotFoundError(f"La base « {path} » n'existe pas : lancez d'abord « suivi-sts init ».")
    store = open_store(target)
    print_notices(store)
    return store


def department_of(store: Store, wanted: str | None) -> str:
    """The department to work on, or a StoreError naming the problem."""
    dept = single_department(store.engine, wanted)
    if dept is None:
        which = f"« {wanted} »" if wanted else "unique"
        raise StoreError(f"Département {which} introuvable dans la base (précisez --departement).")
    return dept.code
