"""Reading a workbook's sheets with python-calamine, after the archive checks.

calamine (Rust) reads a 100,000-row sheet about ten times faster than openpyxl, but it may
panic on malformed files, and a Rust panic reaches Python as `PanicException`, which derives
from BaseException: every call into it is wrapped by `_guarded`, which turns anything but
KeyboardInterrupt / SystemExit into an UnreadableWorkbook naming the file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from importers.excel.safety import DEFAULT_LIMITS, Limits, UnreadableWorkbook, check_workbook_file

T = TypeVar("T")


@contextmanager
def _guarded(path: Path, what: str) -> Iterator[None]:
    try:
        yield
    except UnreadableWorkbook:
        raise
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as exc:  # noqa: B036 - calamine's Rust panics derive from BaseException
        detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise UnreadableWorkbook(
            f"Le fichier « {path.name} » est illisible ({what} : {detail}). "
            "Ouvrez-le dans Excel ou LibreOffice, enregistrez-le au format .xlsx et recommencez."
        ) from None


@dataclass
class Workbook:
    """An opened, checked workbook; sheets are read on demand."""

    path: Path
    sheet_names: list[str]
    hidden: set[str] = field(default_factory=set)
    _book: Any = field(default=None, repr=False)

    def read(self, name: str) -> list[list[Any]]:
        """The sheet's cells, row 0 being Excel's row 1 and column 0 column A."""
        with _guarded(self.path, f"feuille « {name} »"):
            sheet = self._book.get_sheet_by_name(name)
            rows: list[list[Any]] = sheet.to_python(skip_empty_area=False)
        return rows

    def close(self) -> None:
        if self._book is not None:
            with _guarded(self.path, "fermeture"):
                self._book.close()
            self._book = None

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def open_workbook(path: Path, limits: Limits = DEFAULT_LIMITS) -> Workbook:
    """Check the file (safety.check_workbook_file), then open it with calamine."""
    path = Path(path)
    check_workbook_file(path, limits)
    from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    with _guarded(path, "ouverture"):
        book = CalamineWorkbook.from_path(str(path))
        metadata = book.sheets_metadata
        names = [m.name for m in metadata if m.typ == SheetTypeEnum.WorkSheet]
        hidden = {m.name for m in metadata if m.visible != SheetVisibleEnum.Visible}
    return Workbook(path=path, sheet_names=names, hidden=hidden, _book=book)


def call_guarded(path: Path, what: str, function: Callable[[], T]) -> T:
    with _guarded(path, what):
        return function()
