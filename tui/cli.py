"""Command line of Suivi STS: a thin layer over the store, importers and exports.

Exit codes: 0 success, 1 invalid input (nothing written), 2 usage error or unreadable file,
130 interrupted by Ctrl+C or SIGTERM (nothing written: the exports' temporary files are removed,
an import's transaction is rolled back); listed in `--help` (EXIT_CODES_HELP) and README.md.
Each command registers itself with `set_defaults(handler=...)`; command families live in
their own modules (`cli_scheme`, and the others listed in `COMMAND_MODULES`).

Start-up: building the parser imports only argparse and the command modules, which import
the store, the importers, the exports and Textual inside their handlers. `--help`, a
subcommand's `--help` and a usage error therefore answer without loading SQLAlchemy, SQLModel,
pydantic or Textual (tests/test_cli_startup.py, bench/cli_startup_bench.py). Opening the app on
an existing store file imports only Textual before the window is drawn: the store layer is
loaded by the app's opening worker (bench/tui_bench.py times it in a terminal).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the store layer is imported by the app, after the first frame
    from store.server import ServerUnreachable
    from tui.first_figures import EarlyFigures

from tui.cli_support import (
    EXIT_CODES_HELP,
    INTERRUPTED,
    INTERRUPTED_LINE,
    INVALID,
    OK,
    OUTPUT_CLOSED,
    UNUSABLE,
    FrenchParser,
    controls_shown,
    french_argparse,
    interruptible,
)

#: Modules that add commands: each has `register(commands, export_kinds)` and imports nothing
#: heavy at module level.
COMMAND_MODULES = ("tui.cli_scheme", "tui.cli_excel", "tui.cli_admin", "tui.cli_sync")

#: The variable naming the default store (`store.location.ENV_DB`: repeated here for the help
#: text, so that `--help` imports nothing of the store; checked equal by the tests).
ENV_DB = "SUIVI_STS_DB"


def build_parser() -> argparse.ArgumentParser:
    with french_argparse():
        parser = FrenchParser(
            prog="suivi-sts",
            description="Suivi hors ligne du schéma territorial de santé et des ressources aidants/répit.",
            epilog=EXIT_CODES_HELP,
        )
        parser.add_argument(
            "--db", metavar="CHEMIN", help=f"base SQLite ou URL postgresql:// (sinon ${ENV_DB})"
        )
        parser.add_argument("--departement", metavar="CODE", help="département à utiliser (ex. 09)")
        commands = parser.add_subparsers(dest="command", metavar="COMMANDE", parser_class=FrenchParser)
        export = commands.add_parser("export", help="exporte des données")
        export_kinds = export.add_subparsers(
            dest="kind", metavar="TYPE", required=True, parser_class=FrenchParser
        )
        for name in COMMAND_MODULES:
            try:
                module = importlib.import_module(name)
            except ModuleNotFoundError as exc:
                if exc.name != name:
                    raise
                continue
            module.register(commands, export_kinds)
        for kind_parser in export_kinds.choices.values():
            kind_parser.add_argument(
                "--remplacer", action="store_true", help="remplace le fichier existant sans demander"
            )
    return parser


def _may_write(args: argparse.Namespace) -> bool:
    """An export onto an existing file: asked in a terminal, else refused without --remplacer."""
    path = getattr(args, "file", None)
    if args.command != "export" or path is None or args.remplacer or not path.exists():
        return True
    if sys.stdin.isatty():
        answer = input(f"« {path} » existe déjà. Le remplacer ? [o/N] ")
        if answer.strip().lower() in ("o", "oui"):
            return True
    else:
        print(f"« {path} » existe déjà : ajoutez --remplacer pour le remplacer.", file=sys.stderr)
    print("Rien n'a été écrit.", file=sys.stderr)
    return False


def _app_only(argv: Sequence[str]) -> argparse.Namespace | None:
    """`suivi-sts [--db X] [--departement Y]`, the app alone, read without building every
    command's parser (the window comes sooner); anything else is left to the parser."""
    found: dict[str, str | None] = {"--db": None, "--departement": None}
    rest = list(argv)
    while rest:
        name, equals, value = rest.pop(0).partition("=")
        if name not in found or found[name] is not None:
            return None
        if not equals:
            if not rest or rest[0].startswith("-"):
                return None
            value = rest.pop(0)
        found[name] = value
    return argparse.Namespace(db=found["--db"], departement=found["--departement"], command=None)


def main(argv: Sequence[str] | None = None) -> int:
    args = _app_only(sys.argv[1:] if argv is None else argv)
    if args is None:
        parser = build_parser()
        with french_argparse():
            args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        # The app: Textual reads Ctrl+C as a key; its export workers clean up on quit.
        from store import location

        path = location.plain_file(args.db or str(location.default_store_path()))
        if path is not None and path.is_file():
            # an existing file: the window comes first, the store layer loads in its worker; the
            # dashboard's figures are read meanwhile, from now on (while Textual loads)
            from tui.first_figures import EarlyFigures

            return _open_app(path, args.departement, early=EarlyFigures(path, args.departement))
        return _run(args)
    with interruptible(), controls_shown():  # a text of a store or a file never drives the terminal
        try:
            if not _may_write(args):
                return UNUSABLE
            return _run(args)
        except KeyboardInterrupt:
            if sys.stderr.isatty():
                print(file=sys.stderr)  # after a progress line updated in place
            exchanges = args.command in ("export", "import")
            print(INTERRUPTED_LINE if exchanges else "Interrompu.", file=sys.stderr)
            return INTERRUPTED


def _run(args: argparse.Namespace) -> int:
    # A command is known: only now load the store (and what reports its errors).
    from importers.reference_yaml import ReferenceFileError
    from store.errors import StoreError, system_error_text
    from store.location import default_store_path

    target = args.db or str(default_store_path())
    _guard_server_passwords(args)
    try:
        handler = getattr(args, "handler", None)
        if handler is None:
            return _run_app(target, args.departement)
        return int(handler(args, target))
    except ReferenceFileError as exc:
        print(exc, file=sys.stderr)
        print("Rien n'a été écrit.", file=sys.stderr)
        return INVALID
    except StoreError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return UNUSABLE
    except BrokenPipeError:
        # what is still buffered for the closed pipe is dropped, else Python says so at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return OUTPUT_CLOSED
    except OSError as exc:
        print(f"Erreur : {system_error_text(exc)}.", file=sys.stderr)
        return UNUSABLE


def _guard_server_passwords(args: argparse.Namespace) -> None:
    """A password missing from a server address is asked (hidden); one written in it is
    visible to every user of the machine (`ps`): say so."""
    from store import server

    if sys.stdin.isatty():
        import getpass

        server.set_password_prompt(lambda where: getpass.getpass(f"Mot de passe pour {where} : "))
    addresses = [args.db, getattr(args, "to", None), getattr(args, "source", None)]
    if any(a and a.startswith(("postgresql", "postgres:")) for a in addresses):
        problem = server.unsafe_passfile()
        if problem:
            print(problem, file=sys.stderr)
    for address in addresses:
        if address and address.startswith(("postgresql", "postgres:")) and server.has_password(address):
            print(
                "Attention : le mot de passe écrit dans l'adresse du serveur est visible des autres "
                "utilisateurs de cette machine (liste des processus). Retirez-le de l'adresse : il "
                "sera demandé, ou lu dans ~/.pgpass (voir docs/deployment.md).",
                file=sys.stderr,
            )


def _run_app(target: str, department: str | None) -> int:
    from importers.setup_store import initialise
    from store.engine import normalise_url, sqlite_path

    path = sqlite_path(normalise_url(target))
    unreachable = None
    if path is None:  # the server: reached (password asked, failure said) before the screens
        from store import server
        from store.database import open_store

        try:
            open_store(target).dispose()
        except server.ServerUnreachable as failure:
            if not failure.transient:  # trying again would not help: said in French, exit 2
                raise
            unreachable = failure  # out of reach for now: the app's banner says so, and retries
        server.set_password_prompt(None)  # no terminal prompt under the screens
    if path is not None and not path.exists():
        print(f"Première ouverture : création de « {path} » avec le schéma de l'Ariège…", file=sys.stderr)
        initialise(target).store.dispose()
    return _open_app(target, department, unreachable)


def _open_app(
    target: str | Path,
    department: str | None,
    unreachable: ServerUnreachable | None = None,
    *,
    early: EarlyFigures | None = None,
) -> int:
    from tui.app import make_app

    app = make_app(target, department=department, unreachable=unreachable, early_figures=early)
    app.run()
    return app.return_code or OK


if __name__ == "__main__":
    sys.exit(main())
