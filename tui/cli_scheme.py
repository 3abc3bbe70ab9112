"""Commands on the store and its scheme: init, export yaml, check.

The store, importers and exports are imported by the handlers, not to build the parser.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tui.cli_support import INVALID, OK, UNUSABLE, department_of, not_a_file, open_existing, print_notices

# `typing` costs a few milliseconds at start-up: only type checkers import it here.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def register(commands: Any, export_kinds: Any) -> None:
    init = commands.add_parser("init", help="crée ou met à niveau la base et charge un schéma")
    init.add_argument(
        "--reference", type=Path, metavar="FICHIER.yaml", help="schéma à charger (défaut : Ariège)"
    )
    init.add_argument("--empty", action="store_true", help="crée la base sans charger de schéma")
    init.set_defaults(handler=run_init)
    yaml_export = export_kinds.add_parser("yaml", help="le schéma, au format de référence YAML")
    yaml_export.add_argument("file", type=Path, metavar="FICHIER.yaml")
    yaml_export.set_defaults(handler=run_export_yaml)
    commands.add_parser("check", help="vérifie l'intégrité de la base et compte les lignes").set_defaults(
        handler=run_check
    )


def run_init(args: argparse.Namespace, target: str) -> int:
    if args.empty and args.reference:
        print("Erreur : --empty et --reference s'excluent.", file=sys.stderr)
        return UNUSABLE
    if args.reference and not_a_file(args.reference):
        return UNUSABLE
    from importers.setup_store import initialise

    result = initialise(target, reference=args.reference, empty=args.empty)
    print_notices(result.store)
    print(f"Base prête : {result.store.address}")
    if result.report is not None:
        print(result.report.summary())
    result.store.dispose()
    return OK


def run_export_yaml(args: argparse.Namespace, target: str) -> int:
    from exports.reference_yaml import export_reference

    store = open_existing(target)
    doc = export_reference(store.engine, department_of(store, args.departement), args.file)
    store.dispose()
    print(f"Schéma exporté dans « {args.file} » :")
    for engagement in doc["engagements"]:
        print(f"Engagement {engagement['numero']} — {engagement['intitule']}")
        for challenge in engagement["defis"]:
            print(f"  Défi #{challenge['numero']} — {challenge['intitule']}")
            for objective in challenge["objectifs"]:
                number = f"#{objective['numero']}" if objective["numero"] is not None else "(sans numéro)"
                print(f"    Objectif {number} [{objective['code']}] — {objective['intitule']}")
    challenges = sum(len(e["defis"]) for e in doc["engagements"])
    objectives = sum(len(d["objectifs"]) for e in doc["engagements"] for d in e["defis"])
    print(f"{len(doc['engagements'])} engagements, {challenges} défis, {objectives} objectifs opérationnels.")
    return OK


def run_check(args: argparse.Namespace, target: str) -> int:
    from store.integrity import check

    store = open_existing(target)
    report = check(store.engine)
    store.dispose()
    width = max(len(name) for name in report.counts)
    for name, count in report.counts.items():
        print(f"{name:<{width}}  {count:>8}")
    if report.ok:
        print("Intégrité : OK")
        return OK
    for problem in report.problems:
        print(problem, file=sys.stderr)
    return INVALID
