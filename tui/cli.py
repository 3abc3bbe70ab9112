"""Command line of Suivi STS: a thin layer over the store, importers and exports.

Exit codes: 0 success, 1 invalid input (nothing written), 2 usage error or unreadable file.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from exports.reference_yaml import export_reference
from importers.reference_yaml import ReferenceFileError
from importers.setup_store import initialise
from store.database import ENV_DB, Store, default_store_path, open_store
from store.departments import single_department
from store.errors import StoreError
from store.integrity import check

OK, INVALID, UNUSABLE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"suivi-sts : erreur : {message}", file=sys.stderr)
        raise SystemExit(UNUSABLE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="suivi-sts",
        description="Suivi hors ligne du schéma territorial de santé et des ressources aidants/répit.",
    )
    parser.add_argument(
        "--db",
        metavar="CHEMIN",
        help=f"base à utiliser (fichier SQLite ou URL postgresql://) ; sinon ${ENV_DB}",
    )
    parser.add_argument("--departement", metavar="CODE", help="département à utiliser (ex. 09)")
    commands = parser.add_subparsers(dest="command", metavar="COMMANDE")
    init = commands.add_parser("init", help="crée ou met à niveau la base et charge un schéma")
    init.add_argument(
        "--reference", type=Path, metavar="FICHIER.yaml", help="schéma à charger (défaut : Ariège)"
    )
    init.add_argument("--empty", action="store_true", help="crée la base sans charger de schéma")
    export = commands.add_parser("export", help="exporte des données")
    export_kinds = export.add_subparsers(dest="kind", metavar="TYPE", required=True)
    yaml_export = export_kinds.add_parser("yaml", help="le schéma, au format de référence YAML")
    yaml_export.add_argument("file", type=Path, metavar="FICHIER.yaml")
    commands.add_parser("check", help="vérifie l'intégrité de la base et compte les lignes")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    target = args.db or str(default_store_path())
    try:
        if args.command == "init":
            return _init(target, args)
        if args.command == "export":
            return _export_yaml(target, args)
        if args.command == "check":
            return _check(target)
        return _run_app(target, args.departement)
    except ReferenceFileError as exc:
        print(exc, file=sys.stderr)
        print("Rien n'a été écrit.", file=sys.stderr)
        return INVALID
    except (StoreError, OSError) as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return UNUSABLE


def _init(target: str, args: argparse.Namespace) -> int:
    if args.empty and args.reference:
        print("Erreur : --empty et --reference s'excluent.", file=sys.stderr)
        return UNUSABLE
    if args.reference and not args.reference.is_file():
        print(f"Erreur : le fichier « {args.reference} » est introuvable.", file=sys.stderr)
        return UNUSABLE
    result = initialise(target, reference=args.reference, empty=args.empty)
    _print_notices(result.store)
    print(f"Base prête : {result.store.path or result.store.url}")
    if result.report is not None:
        print(result.report.summary())
    return OK


def _open_existing(target: str) -> Store:
    from store.engine import normalise_url, sqlite_path

    path = sqlite_path(normalise_url(target))
    if path is not None and not path.exists():
        raise FileNotFoundError(f"La base « {path} » n'existe pas : lancez d'abord « suivi-sts init ».")
    store = open_store(target)
    _print_notices(store)
    return store


def _department(store: Store, wanted: str | None) -> str:
    dept = single_department(store.engine, wanted)
    if dept is None:
        which = f"« {wanted} »" if wanted else "unique"
        raise StoreError(f"Département {which} introuvable dans la base (précisez --departement).")
    return dept.code


def _export_yaml(target: str, args: argparse.Namespace) -> int:
    store = _open_existing(target)
    doc = export_reference(store.engine, _department(store, args.departement), args.file)
    objectives = sum(len(d["objectifs"]) for e in doc["engagements"] for d in e["defis"])
    print(f"Schéma exporté dans « {args.file} » :")
    for engagement in doc["engagements"]:
        print(f"Engagement {engagement['numero']} — {engagement['intitule']}")
        for challenge in engagement["defis"]:
            print(f"  Défi #{challenge['numero']} — {challenge['intitule']}")
            for objective in challenge["objectifs"]:
                number = f"#{objective['numero']}" if objective["numero"] is not None else "(sans numéro)"
                print(f"    Objectif {number} [{objective['code']}] — {objective['intitule']}")
    challenges = sum(len(e["defis"]) for e in doc["engagements"])
    print(f"{len(doc['engagements'])} engagements, {challenges} défis, {objectives} objectifs opérationnels.")
    return OK


def _check(target: str) -> int:
    store = _open_existing(target)
    report = check(store.engine)
    width = max(len(name) for name in report.counts)
    for name, count in report.counts.items():
        print(f"{name:<{width}}  {count:>8}")
    if report.ok:
        print("Intégrité : OK")
        return OK
    for problem in report.problems:
        print(problem, file=sys.stderr)
    return INVALID


def _print_notices(store: Store) -> None:
    for notice in store.notices:
        print(f"Attention : {notice}", file=sys.stderr)


def _run_app(target: str, department: str | None) -> int:
    from store.engine import normalise_url, sqlite_path

    path = sqlite_path(normalise_url(target))
    if path is not None and not path.exists():
        print(f"Première ouverture : création de « {path} » avec le schéma de l'Ariège…", file=sys.stderr)
        initialise(target).store.dispose()
    from tui.app import make_app

    app = make_app(target, department=department)
    app.run()
    return app.return_code or OK


if __name__ == "__main__":
    sys.exit(main())
