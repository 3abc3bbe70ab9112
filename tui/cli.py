"""Command line of Suivi STS: a thin layer over the store, importers and exports.

Exit codes: 0 success, 1 invalid input (nothing written), 2 usage error or unreadable file.
Each command registers itself with `set_defaults(handler=...)`; command families live in
their own modules (`cli_scheme`, and the others listed in `COMMAND_MODULES`).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from importers.reference_yaml import ReferenceFileError
from store.database import ENV_DB, default_store_path
from store.errors import StoreError
from tui.cli_support import INVALID, OK, UNUSABLE

#: Modules that add commands: each has `register(commands, export_kinds)`.
COMMAND_MODULES = ("tui.cli_scheme", "tui.cli_excel", "tui.cli_admin")


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
    parser.add_argument("--db", metavar="CHEMIN", help=f"base SQLite ou URL postgresql:// (sinon ${ENV_DB})")
    parser.add_argument("--departement", metavar="CODE", help="département à utiliser (ex. 09)")
    commands = parser.add_subparsers(dest="command", metavar="COMMANDE", parser_class=_Parser)
    export = commands.add_parser("export", help="exporte des données")
    export_kinds = export.add_subparsers(dest="kind", metavar="TYPE", required=True, parser_class=_Parser)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(commands, export_kinds)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    target = args.db or str(default_store_path())
    try:
        handler = getattr(args, "handler", None)
        if handler is None:
            return _run_app(target, args.departement)
        return int(handler(args, target))
    except ReferenceFileError as exc:
        print(exc, file=sys.stderr)
        print("Rien n'a été écrit.", file=sys.stderr)
        return INVALID
    except (StoreError, OSError) as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return UNUSABLE


def _run_app(target: str, department: str | None) -> int:
    from importers.setup_store import initialise
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
