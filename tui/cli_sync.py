"""Conflicts of the team sync on the command line: `sync conflicts`, `sync resolve`.

The store is imported by the handlers, not to build the parser.
"""

from __future__ import annotations

import argparse
import sys

from tui.cli_support import INVALID, OK, department_of, open_existing

# `typing` costs a few milliseconds at start-up: only type checkers import it here.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def register(commands: Any, export_kinds: Any) -> None:
    sync = commands.add_parser("sync", help="conflits de synchronisation avec le serveur régional")
    sync_commands = sync.add_subparsers(dest="sync_command", required=True, metavar="COMMANDE")
    listing = sync_commands.add_parser(
        "conflicts", help="liste les conflits à régler (ma valeur, la leur, qui, quand)"
    )
    listing.set_defaults(handler=run_conflicts)
    settle = sync_commands.add_parser(
        "resolve",
        help="règle un conflit : garder ma valeur, prendre la leur, ou une autre",
    )
    settle.add_argument("conflict", type=int, metavar="N", help="le numéro donné par « sync conflicts »")
    choice = settle.add_mutually_exclusive_group(required=True)
    choice.add_argument(
        "--keep-mine", "--garder-la-mienne", dest="choice", action="store_const", const="mine"
    )
    choice.add_argument(
        "--take-theirs", "--prendre-la-leur", dest="choice", action="store_const", const="theirs"
    )
    choice.add_argument("--value", "--valeur", dest="value", metavar="TEXTE", help="une troisième valeur")
    settle.add_argument("--comment", "--commentaire", metavar="TEXTE", help="commentaire (statut Reportée…)")
    settle.set_defaults(handler=run_resolve)


def run_conflicts(args: argparse.Namespace, target: str) -> int:
    from store.sync_conflicts import pending_conflicts

    local = open_existing(target)
    try:
        department = department_of(local, args.departement)
        with local.engine.connect() as conn:
            found = pending_conflicts(conn, department)
    finally:
        local.dispose()
    if not found:
        print("Aucun conflit de synchronisation à régler.")
        return OK
    how = "suivi-sts sync resolve N --keep-mine | --take-theirs | --value …"
    print(f"{len(found)} conflit(s) à régler ({how}) :")
    for conflict in found:
        print(conflict.describe())
    return INVALID


def run_resolve(args: argparse.Namespace, target: str) -> int:
    from store.errors import StoreError
    from store.identity import current_user
    from store.sync_conflicts import resolve_conflict

    local = open_existing(target)
    try:
        department = department_of(local, args.departement)
        choice = "value" if args.value is not None else args.choice
        try:
            message = resolve_conflict(
                local,
                department,
                args.conflict,
                choice,
                author=current_user(),
                value=args.value,
                comment=args.comment,
            )
        except StoreError as exc:
            print(str(exc), file=sys.stderr)
            return INVALID
    finally:
        local.dispose()
    print(message)
    return OK
