"""Commands on the store file and the regional server: backup, restore, admin grant, publish, fetch.

The store is imported by the handlers, not to build the parser.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from tui.cli_support import INVALID, OK, UNUSABLE, department_of, not_a_file, open_existing, print_notices

# `typing` costs a few milliseconds at start-up: only type checkers import it here.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


ENV_ROLE_PASSWORD = "SUIVI_STS_ROLE_PASSWORD"


def register(commands: Any, export_kinds: Any) -> None:
    save = commands.add_parser("backup", help="sauvegarde la base maintenant (dossier sauvegardes/)")
    save.set_defaults(handler=run_backup)

    back = commands.add_parser(
        "restore", help="remplace la base par une sauvegarde (vérifiée ; l'état actuel est sauvegardé avant)"
    )
    back.add_argument("file", type=Path, metavar="FICHIER", help="la sauvegarde à remettre en place")
    back.set_defaults(handler=run_restore)

    listing = commands.add_parser("backups", help="liste les sauvegardes de la base")
    listing.set_defaults(handler=run_list_backups)

    admin = commands.add_parser("admin", help="administration du serveur régional PostgreSQL")
    admin_commands = admin.add_subparsers(
        dest="admin_command", metavar="ACTION", required=True, parser_class=type(admin)
    )
    setup = admin_commands.add_parser(
        "setup",
        help="installe ou met à niveau le schéma et ferme ce que PostgreSQL ouvre à tous (CVE-2018-1058)",
    )
    setup.set_defaults(handler=run_setup)
    grant = admin_commands.add_parser(
        "grant", help="crée ou met à jour un rôle de connexion lié à un département"
    )
    grant.add_argument("role", metavar="ROLE", help="nom du rôle (ex. dt09)")
    grant.add_argument(
        "--department", "--departement", required=True, metavar="CODE", dest="grant_department"
    )
    grant.add_argument("--read-only", "--lecture-seule", action="store_true", help="lecture seule")
    grant.set_defaults(handler=run_grant)
    revoke = admin_commands.add_parser("revoke", help="retire l'accès d'un rôle à un département (ou à tous)")
    revoke.add_argument("role", metavar="ROLE")
    revoke.add_argument("--department", "--departement", metavar="CODE", dest="grant_department")
    revoke.set_defaults(handler=run_revoke)

    send = commands.add_parser("publish", help="envoie la base locale d'un département au serveur régional")
    send.add_argument("--to", required=True, metavar="URL", help="postgresql://rôle@serveur/base")
    send.set_defaults(handler=run_publish)
    get = commands.add_parser(
        "fetch", help="récupère les données d'un département depuis le serveur régional"
    )
    get.add_argument(
        "--from", required=True, metavar="URL", dest="source", help="postgresql://rôle@serveur/base"
    )
    get.set_defaults(handler=run_fetch)


def _store_path(target: str) -> Path:
    from store.engine import normalise_url, sqlite_path
    from store.errors import StoreError

    path = sqlite_path(normalise_url(target))
    if path is None:
        raise StoreError("Cette commande porte sur une base locale (fichier SQLite), pas sur un serveur.")
    return path


def run_backup(args: argparse.Namespace, target: str) -> int:
    from store import backup

    path = _store_path(target)
    if not path.exists():
        print(f"Erreur : la base « {path} » n'existe pas.", file=sys.stderr)
        return UNUSABLE
    made = backup.manual_backup(path)
    print(f"Sauvegarde faite : {made}")
    print(
        f"(sauvegarde manuelle : jamais supprimée automatiquement ; les {backup.keep_backups()} "
        f"dernières sauvegardes automatiques sont gardées dans {backup.backup_dir(path)})"
    )
    return OK


def run_list_backups(args: argparse.Namespace, target: str) -> int:
    from store import backup

    path = _store_path(target)
    found = backup.list_backups(path)
    if not found:
        print(f"Aucune sauvegarde dans {backup.backup_dir(path)}.")
        return OK
    for item in found:
        checked = backup.verify_backup(item)
        state = "intacte" if checked.ok else "ENDOMMAGÉE : " + "; ".join(checked.problems)
        kind = backup.describe_backup(item).label
        print(f"{item}  — {kind} (schéma {checked.revision or '?'}, {state})")
    return OK


def run_restore(args: argparse.Namespace, target: str) -> int:
    from store import backup
    from store.database import open_store

    path = _store_path(target)
    file: Path = args.file
    if not_a_file(file, "la sauvegarde"):
        return UNUSABLE
    checked = backup.verify_backup(file)
    if not checked.ok:
        print(f"Erreur : la sauvegarde « {file} » est inutilisable :", file=sys.stderr)
        for problem in checked.problems:
            print(f"  - {problem}", file=sys.stderr)
        print("La base actuelle n'a pas été modifiée.", file=sys.stderr)
        return INVALID
    result = backup.restore(path, file)
    if result.previous_state is not None:
        print(f"État précédent sauvegardé dans : {result.previous_state}")
    print(f"Base restaurée depuis « {file} » (schéma {checked.revision}).")
    store = open_store(path, daily_backup=False)  # upgrades an older backup's schema (backed up first)
    print_notices(store)
    store.dispose()
    return OK


def _password(role: str) -> str | None:
    password = os.environ.get(ENV_ROLE_PASSWORD)
    if password:
        return password
    if sys.stdin.isatty():
        import getpass

        first = getpass.getpass(f"Mot de passe du rôle {role} (vide : inchangé) : ")
        if first and getpass.getpass("Confirmez : ") != first:
            from store.errors import StoreError

            raise StoreError("Les deux mots de passe diffèrent : rien n'a été changé.")
        return first or None
    return None


def run_setup(args: argparse.Namespace, target: str) -> int:
    from store import access
    from store.database import open_store

    store = open_store(target)
    try:
        done = access.secure_database(store.engine)
    finally:
        store.dispose()
    print(f"Serveur prêt : {store.address}")
    for line in done:
        print(f"  - {line}")
    return UNUSABLE if any(line.startswith("À FAIRE") for line in done) else OK


def run_grant(args: argparse.Namespace, target: str) -> int:
    from store import access
    from store.database import open_store

    store = open_store(target)
    try:
        done = access.grant(
            store.engine,
            args.role,
            args.grant_department,
            read_only=args.read_only,
            password=_password(args.role),
        )
    finally:
        store.dispose()
    what = "créé" if done.created else "mis à jour"
    mode = "lecture seule" if done.read_only else "lecture et écriture"
    print(f"Rôle {done.role} {what} : département {done.department}, {mode}.")
    return OK


def run_revoke(args: argparse.Namespace, target: str) -> int:
    from store import access
    from store.database import open_store

    store = open_store(target)
    try:
        access.revoke(store.engine, args.role, args.grant_department)
    finally:
        store.dispose()
    print(f"Accès du rôle {args.role} retiré ({args.grant_department or 'tous les départements'}).")
    return OK


def _author() -> str:
    import getpass

    try:
        return os.environ.get("SUIVI_STS_USER") or getpass.getuser()
    except (KeyError, OSError):
        return "inconnu"


def run_publish(args: argparse.Namespace, target: str) -> int:
    from store.sync import open_server, publish

    local = open_existing(target)
    try:
        department = department_of(local, args.departement)
        server = open_server(args.to)
        try:
            print_notices(server)
            report = publish(local, server, department, author=_author())
        finally:
            server.dispose()
    finally:
        local.dispose()
    print(report.summary())
    return INVALID if report.conflicts or report.refused else OK


def run_fetch(args: argparse.Namespace, target: str) -> int:
    from store.database import open_store
    from store.sync import fetch, open_server

    path = _store_path(target)
    local = open_store(path)
    print_notices(local)
    try:
        server = open_server(args.source)
        try:
            department = department_of(server, args.departement)
            report = fetch(server, local, department, author=_author())
        finally:
            server.dispose()
    finally:
        local.dispose()
    print(report.summary())
    return INVALID if report.conflicts or report.refused else OK
