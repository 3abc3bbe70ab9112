"""Helpers shared by the command-line modules: exit codes, a parser that speaks French, store access.

Imported to build the parser (even for `--help`), so it imports nothing of the store at module
level: the store (SQLAlchemy, SQLModel, pydantic) is loaded by the functions that need it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# `typing` costs a few milliseconds at start-up: only type checkers import it here.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NoReturn

    from store.database import Store

#: Exit codes, documented in `suivi-sts --help` (EXIT_CODES_HELP) and README.md: 130 is the
#: shell's convention for a command stopped by Ctrl+C (128 + SIGINT), used for SIGTERM too.
OK, INVALID, UNUSABLE, INTERRUPTED = 0, 1, 2, 130
#: The reader of the output went away (« suivi-sts check | head »): as Unix tools, quietly.
OUTPUT_CLOSED = 141

EXIT_CODES_HELP = (
    "Codes de sortie : 0 succès ; 1 données invalides (rien n'a été écrit) ; "
    "2 erreur d'utilisation ou fichier illisible ; "
    "130 interrompu par Ctrl+C ou SIGTERM (rien n'a été écrit) ; "
    "141 sortie fermée avant la fin (… | head)."
)

#: What an interrupted export or import says (its temporary files are removed on the way out).
INTERRUPTED_LINE = "Interrompu : rien n'a été écrit (fichiers temporaires supprimés)."

#: argparse's messages (its gettext message ids, Python 3.11+) in French; a message missing
#: here stays in English rather than failing.
_FRENCH = {
    "usage: ": "utilisation : ",
    # argparse writes "title:"; French puts a space before the colon.
    "positional arguments": "arguments positionnels ",
    "options": "options ",
    "show this help message and exit": "affiche cette aide et quitte",
    "argument %(argument_name)s: %(message)s": "argument %(argument_name)s : %(message)s",
    "unrecognized arguments: %s": "arguments non reconnus : %s",
    "the following arguments are required: %s": "arguments obligatoires manquants : %s",
    "one of the arguments %s is required": "l'un des arguments %s est obligatoire",
    "not allowed with argument %s": "incompatible avec l'argument %s",
    "ignored explicit argument %r": "valeur %r ignorée",
    "expected one argument": "une valeur est attendue",
    "expected at most one argument": "une valeur au plus est attendue",
    "expected at least one argument": "une valeur au moins est attendue",
    "ambiguous option: %(option)s could match %(matches)s": (
        "option ambiguë : %(option)s peut désigner %(matches)s"
    ),
    "invalid %(type)s value: %(value)r": "valeur invalide (%(type)s) : « %(value)s »",
    "invalid choice: %(value)r (choose from %(choices)s)": (
        "choix invalide : « %(value)s » (au choix : %(choices)s)"
    ),
    "unknown parser %(parser_name)r (choices: %(choices)s)": (
        "commande inconnue : « %(parser_name)s » (au choix : %(choices)s)"
    ),
    "can't open '%(filename)s': %(error)s": "impossible d'ouvrir « %(filename)s » : %(error)s",
    "unexpected option string: %s": "option inattendue : %s",
}
_FRENCH_PLURALS = {"expected %s argument": ("%s valeur attendue", "%s valeurs attendues")}


def _gettext(message: str) -> str:
    return _FRENCH.get(message, message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    forms = _FRENCH_PLURALS.get(singular)
    if forms is None:
        return singular if n == 1 else plural
    return forms[0] if n <= 1 else forms[1]


@contextmanager
def french_argparse() -> Iterator[None]:
    """argparse's own words (usage, options, errors) in French while the parser is built and used.

    argparse translates through gettext, which has no French catalogue for it; its two
    translation functions are swapped for the table above, and put back afterwards.
    """
    saved = argparse._, argparse.ngettext  # type: ignore[attr-defined]
    argparse._, argparse.ngettext = _gettext, _ngettext  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]


@contextmanager
def interruptible() -> Iterator[None]:
    """Ctrl+C and SIGTERM raise KeyboardInterrupt, once: later signals are ignored.

    The exception unwinds through the `finally` blocks (the exports' temporary folders,
    `store.dispose()`, the import's transaction), which a second Ctrl+C would otherwise cut
    short; SIGTERM, which kills the process by default, takes the same path. The previous
    handlers are put back on the way out.
    """
    import signal

    def stop(signum: int, frame: object) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise KeyboardInterrupt

    saved = {number: signal.signal(number, stop) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in saved.items():
            signal.signal(number, handler)


class FrenchParser(argparse.ArgumentParser):
    """A parser whose usage errors are in French and exit with 2 (usage error)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        print(f"{self.prog} : erreur : {message}", file=sys.stderr)
        raise SystemExit(UNUSABLE)


def not_a_file(path: Path, what: str = "le fichier") -> bool:
    """Say on stderr why `path` cannot be read as a file (missing, a folder); True if so."""
    if path.is_file():
        return False
    why = "est un dossier, pas un fichier" if path.is_dir() else "est introuvable"
    print(f"Erreur : {what} « {path} » {why}.", file=sys.stderr)
    return True


def whole_number(text: str) -> int:
    """argparse type for a whole number, refused in French."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"« {text} » n'est pas un nombre entier") from None


def print_notices(store: Store) -> None:
    for notice in store.notices:
        print(f"Attention : {notice}", file=sys.stderr)


def open_existing(target: str) -> Store:
    """Open a store that must already exist (commands other than `init`)."""
    from store.database import open_store
    from store.engine import normalise_url, sqlite_path

    path = sqlite_path(normalise_url(target))
    if path is not None and not path.exists():
        raise FileNotFoundError(f"La base « {path} » n'existe pas : lancez d'abord « suivi-sts init ».")
    store = open_store(target)
    print_notices(store)
    return store


def department_of(store: Store, wanted: str | None) -> str:
    """The department to work on, or a StoreError naming the problem."""
    from store.departments import single_department

    return single_department(store.engine, wanted).code


#: Control characters as visible symbols (␛ for the escape character…): every one but tab, line
#: feed and carriage return (progress lines), so that no text of a store or of a file drives the
#: terminal (a title holding « ESC ]0;… » written on the regional server by any department).
_VISIBLE = {code: chr(0x2400 + code) for code in (*range(0, 9), *range(11, 13), *range(14, 32))}
_VISIBLE |= {0x7F: "\u2421"} | dict.fromkeys(range(0x80, 0xA0), "\ufffd")


class VisibleControls:
    """A text stream (stdout, stderr) that writes control characters as visible symbols."""

    def __init__(self, stream: object) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(text.translate(_VISIBLE))  # type: ignore[attr-defined]
        return len(text)

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


@contextmanager
def controls_shown() -> Iterator[None]:
    """While a command runs, what it prints shows control characters instead of obeying them."""
    saved = sys.stdout, sys.stderr
    sys.stdout = VisibleControls(saved[0])
    sys.stderr = VisibleControls(saved[1])
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
