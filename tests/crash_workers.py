"""Work done in child processes by the crash and concurrency tests (run as `python -m tests.crash_workers`).

Each mode says "START" (on a pipe, or stdout) once everything is imported and ready, so that
the parent can kill it with SIGKILL at a random moment *during* the work, then one line per
committed transaction.

- `saves DB TAG N`: N TUI-like saves of action ACT-001 (each reads the action and writes it back
  with `update_action` in its own BEGIN IMMEDIATE transaction: two fields, two journal lines);
- `reference DB N`: loads a generated reference document with N actions in one transaction;
- `upgrade DB`: upgrades the store's schema to the head revision;
- `excel DB WORKBOOK`: previews then applies an Excel exchange workbook (importers.excel).
"""

from __future__ import annotations

import copy
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

BIG_PREFIX = "GEN"


def big_document(base: dict[str, Any], n_actions: int) -> dict[str, Any]:
    """The test scheme plus many generated objectives, organisations, resources and actions."""
    doc = copy.deepcopy(base)
    challenge = doc["engagements"][0]["defis"][0]
    for i in range(n_actions // 10):
        challenge["objectifs"].append(
            {
                "numero": 100 + i,
                "code": f"{BIG_PREFIX}-O{i:04d}",
                "intitule": f"Objectif généré n°{i}",
                "objectif_regional": None,
                "constats": "Constat " * 20,
                "objectif": None,
                "resultats_attendus": None,
                "en_pratique": None,
                "themes": ["Prévention, promotion de la santé"],
                "parcours": [],
                "chiffres_cles": [f"{i} chiffres"],
                "paroles_citoyens": [],
            }
        )
        doc["organisations"].append(
            {"code": f"{BIG_PREFIX}-ORG{i:04d}", "nom": f"Organisation {i}", "type": "Autre"}
        )
    for i in range(n_actions):
        doc["actions"].append(
            {
                "code": f"{BIG_PREFIX}-A{i:05d}",
                "intitule": f"Action générée n°{i} — « aller-vers » en Ariège",
                "description": "Description longue. " * 10,
                "objectifs": [f"{BIG_PREFIX}-O{i % (n_actions // 10):04d}"],
                "pilote": f"{BIG_PREFIX}-ORG{i % (n_actions // 10):04d}",
                "partenaires": ["CPAM-09"],
                "territoires": ["09"],
                "debut": None,
                "echeance": None,
                "statut": "En cours",
                "avancement": i % 101,
                "meteo": "vert",
                "budget": float(i),
                "financement": None,
                "source": None,
            }
        )
    return doc


def _say(out: Any, message: str) -> None:
    """Tell the parent (through a multiprocessing pipe, or on stdout)."""
    if out is None:
        print(message, flush=True)
    else:
        out.send(message)


def saves(db: str, tag: str, count: int, out: Any = None) -> None:
    from store.actions import load_actions, update_action
    from store.database import open_store

    store = open_store(db, daily_backup=False)
    _say(out, "START")
    for i in range(count):
        with store.writer.begin() as conn:
            before = load_actions(conn, "09", ["ACT-001"])["ACT-001"]
            after = replace(before, description=f"{tag}-{i}", progress=((before.progress or 0) + 1) % 101)
            update_action(conn, "09", before, after, author=tag, source="écran")
        _say(out, f"saved {i}")


def reference(db: str, n_actions: int, out: Any = None) -> None:
    from importers.reference_yaml import read_reference_file
    from store.database import open_store
    from store.reference import apply_reference
    from tests.conftest import MINI_REFERENCE

    doc = big_document(read_reference_file(MINI_REFERENCE), n_actions)
    store = open_store(db, daily_backup=False)
    _say(out, "START")
    with store.import_transaction("avant-import") as conn:
        apply_reference(conn, doc, author="crash", source="gros-referentiel.yaml")
    _say(out, "committed")


def upgrade(db: str, out: Any = None) -> None:
    from store.engine import make_engine
    from store.schema import upgrade as run_upgrade

    engine = make_engine(db)
    _say(out, "START")
    run_upgrade(engine)
    _say(out, "committed")


def excel(db: str, workbook: str, out: Any = None) -> None:
    """Preview then apply an Excel exchange workbook (apply_import: backup, then one transaction)."""
    from importers.excel import apply_import, preview_import
    from store.database import open_store

    store = open_store(db, daily_backup=False)
    preview = preview_import(store, "09", Path(workbook))
    _say(out, "START")
    apply_import(store, "09", preview, {}, "crash")
    _say(out, "committed")


if __name__ == "__main__":
    mode, *args = sys.argv[1:]
    if mode == "saves":
        saves(args[0], args[1], int(args[2]))
    elif mode == "reference":
        reference(args[0], int(args[1]))
    elif mode == "upgrade":
        upgrade(args[0])
    elif mode == "excel":
        excel(args[0], args[1])
    else:
        raise SystemExit(f"mode inconnu : {mode}")
