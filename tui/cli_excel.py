"""Excel commands: `import FICHIER.xlsx`, `export ars|cts|atelier FICHIER.xlsx`.

Exit codes of `import`: 0 applied (or nothing to apply, or --dry-run with nothing refused),
1 rejected rows or conflicts (nothing written), 2 unreadable file or mapping.
The store, the Excel libraries and their importers/exports are imported only when a command runs.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tui.cli_support import INVALID, OK, UNUSABLE, department_of, not_a_file, open_existing, whole_number

# `typing` costs a few milliseconds at start-up: only type checkers import it here.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def register(commands: Any, export_kinds: Any) -> None:
    imp = commands.add_parser(
        "import", help="importe un classeur Excel (classeur d'échange ARS, ou autre modèle avec --mapping)"
    )
    imp.add_argument("file", type=Path, metavar="FICHIER.xlsx|.csv")
    imp.add_argument("--dry-run", action="store_true", help="affiche l'aperçu sans rien écrire")
    imp.add_argument(
        "--mapping",
        type=Path,
        metavar="CORRESPONDANCE.yaml",
        help="décrit les colonnes d'un classeur étranger",
    )
    imp.add_argument("--details", action="store_true", help="liste aussi les lignes inchangées")
    imp.add_argument(
        "--ignore-columns",
        action="store_true",
        help="ignore les colonnes dont l'en-tête est inconnu (sinon, elles sont refusées)",
    )
    imp.set_defaults(handler=run_import)
    ars = export_kinds.add_parser("ars", help="classeur d'échange avec l'ARS (modifiable, réimportable)")
    ars.add_argument("file", type=Path, metavar="FICHIER.xlsx")
    ars.set_defaults(handler=run_export_ars)
    cts = export_kinds.add_parser(
        "cts", help="rapport pour le CTS : dossier à imprimer (.pdf) ou classeur (.xlsx)"
    )
    cts.add_argument("file", type=Path, metavar="FICHIER.pdf|.xlsx")
    cts.add_argument(
        "--with-contacts", action="store_true", help="inclut noms, téléphones et courriels des contacts"
    )
    cts.set_defaults(handler=run_export_cts)
    workshop = export_kinds.add_parser(
        "atelier", help="changements d'une session d'atelier : compte rendu (.pdf) ou classeur (.xlsx)"
    )
    workshop.add_argument("file", type=Path, metavar="FICHIER.pdf|.xlsx")
    workshop.add_argument(
        "--session", type=whole_number, metavar="N", help="numéro de l'atelier (défaut : le dernier)"
    )
    workshop.set_defaults(handler=run_export_workshop)


def progress_printer(label: str) -> Callable[[int, int], None]:
    """Progress on stderr: one updating line on a terminal, a line per 10 % otherwise."""
    interactive = sys.stderr.isatty()
    state = {"last": -1, "start": time.monotonic()}

    def show(done: int, total: int) -> None:
        if total <= 0:
            return
        percent = done * 100 // total
        if interactive:
            end = "\n" if done >= total else ""
            print(f"\r{label} : {done}/{total} ({percent} %)", end=end, file=sys.stderr, flush=True)
        elif percent // 10 != state["last"] // 10 or done >= total:
            state["last"] = percent
            print(f"{label} : {done}/{total} ({percent} %)", file=sys.stderr)

    return show


def run_import(args: argparse.Namespace, target: str) -> int:
    if not_a_file(args.file):
        return UNUSABLE
    # The exchange workbook's reading (a child process) starts first, and goes on while the
    # store layer is imported and the store opened (a mapping's file is read by the preview).
    from importers.excel.reader import Reading

    reading = Reading(args.file) if args.mapping is None else None
    try:
        return _import(args, target, reading)
    finally:
        if reading is not None:
            reading.cancel()  # the preview collected it, or it is not wanted any more


def _import(args: argparse.Namespace, target: str, reading: Any) -> int:
    from importers.excel import ImportRefused, UnreadableWorkbook, apply_import, preview_import
    from importers.excel.mapping import MappingError
    from importers.excel.model import LISTED, summarised
    from importers.setup_store import current_user

    store = open_existing(target)
    try:
        department = department_of(store, args.departement)
        try:
            preview = preview_import(
                store,
                department,
                args.file,
                args.mapping,
                progress=progress_printer("Lecture"),
                ignore_columns=args.ignore_columns,
                reading=reading,
            )
        except UnreadableWorkbook as exc:
            print(f"Erreur : {exc}", file=sys.stderr)
            print("Rien n'a été écrit.", file=sys.stderr)
            return UNUSABLE
        except MappingError as exc:
            print(f"Erreur : {exc}", file=sys.stderr)
            return UNUSABLE
        for line in preview.report_lines(unchanged_details=args.details):
            print(line)
        if preview.rejected or preview.conflicts:
            print(
                f"Import refusé : {len(preview.rejected)} problème(s), {len(preview.conflicts)} conflit(s). "
                "Rien n'a été écrit.",
                file=sys.stderr,
            )
            if preview.conflicts:
                print(
                    "Les conflits (un même champ modifié dans la base et dans le classeur) se tranchent dans "
                    "l'écran d'import de l'application, ou en corrigeant le classeur.",
                    file=sys.stderr,
                )
            return INVALID
        if args.dry_run:
            print("--dry-run : aperçu seulement, rien n'a été écrit.")
            return OK
        if not preview.rows:
            print("Rien à importer : aucune ligne du fichier n'est retenue.")
            return OK
        if not preview.has_changes:
            print("Rien à importer : la base contient déjà ces données.")
            return OK
        try:
            result = apply_import(
                store, department, preview, {}, current_user(), progress=progress_printer("Écriture")
            )
        except ImportRefused as exc:
            print(exc, file=sys.stderr)
            for detail in summarised(exc.details, LISTED, "détail(s)"):
                print(f"  {detail}", file=sys.stderr)
            print("Rien n'a été écrit.", file=sys.stderr)
            return INVALID
        print(f"Import appliqué : {result.summary()}.")
        if result.backup is not None:
            print(f"Sauvegarde de la base avant import : {result.backup}")
        return OK
    finally:
        store.dispose()


def _report_export(result: Any) -> int:
    print(f"Exporté dans « {result.path} » : {result.summary}.")
    if result.truncated_cells:
        print(
            f"Attention : {result.truncated_cells} texte(s) dépassaient 32 767 caractères (limite d'Excel) "
            "et ont été tronqués dans le classeur.",
            file=sys.stderr,
        )
    if not result.logged:
        print("Attention : base en lecture seule, l'export n'a pas été inscrit au journal.", file=sys.stderr)
    return OK


def run_export_ars(args: argparse.Namespace, target: str) -> int:
    from exports.excel import export_ars

    store = open_existing(target)
    try:
        department = department_of(store, args.departement)
        return _report_export(export_ars(store, department, args.file, progress=progress_printer("Export")))
    finally:
        store.dispose()


def _is_pdf(path: Path) -> bool:
    """The file's extension chooses the format: « .pdf » a PDF, anything else a workbook."""
    return path.suffix.lower() == ".pdf"


def run_export_cts(args: argparse.Namespace, target: str) -> int:
    from exports.excel import export_cts
    from exports.pdf import export_cts_pdf

    store = open_existing(target)
    try:
        department = department_of(store, args.departement)
        result = (export_cts_pdf if _is_pdf(args.file) else export_cts)(
            store,
            department,
            args.file,
            with_contacts=args.with_contacts,
            progress=progress_printer("Export"),
        )
        return _report_export(result)
    finally:
        store.dispose()


def run_export_workshop(args: argparse.Namespace, target: str) -> int:
    from exports.excel import export_workshop
    from exports.pdf import export_workshop_pdf

    store = open_existing(target)
    try:
        department = department_of(store, args.departement)
        result = (export_workshop_pdf if _is_pdf(args.file) else export_workshop)(
            store, department, args.session, args.file, progress=progress_printer("Export")
        )
        return _report_export(result)
    finally:
        store.dispose()
