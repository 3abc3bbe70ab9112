"""What a workbook may weigh, and the exception every refusal raises (French, naming the file).

Imported by the reading child process (isolated.py): only the language itself here, no
`dataclasses` nor `typing` (importing them is a good part of the child's start-up).
"""

from __future__ import annotations

#: Excel's limit on the length of a cell's text.
MAX_CELL_TEXT = 32_767


class Limits:
    """What a workbook may weigh: limits the app holds within 512 MB and 60 s (docs/excel.md).

    ``Limits(max_rows=10)`` changes some of them; a `Limits` cannot be changed afterwards.
    """

    max_file_bytes: int = 100 * 1024 * 1024
    max_entries: int = 5_000
    max_entry_bytes: int = 256 * 1024 * 1024
    max_total_bytes: int = 512 * 1024 * 1024
    #: Uncompressed / compressed, checked on parts larger than `ratio_floor_bytes`.
    max_ratio: float = 200.0
    ratio_floor_bytes: int = 1024 * 1024
    max_rows: int = 250_000
    max_columns: int = 702  # "ZZ"
    #: Rows x columns of a sheet's bounding box (calamine: ~32 bytes per cell).
    max_cells: int = 4_000_000
    #: Cells of all sheets together, as handed to the importer (what the app holds in memory).
    max_workbook_cells: int = 6_000_000
    #: Python memory of the cells handed to the importer (estimated by the reading process).
    max_cell_bytes: int = 160 * 1024 * 1024
    max_shared_strings: int = 2_000_000
    max_shared_strings_bytes: int = 64 * 1024 * 1024
    #: The reading child process: address space, CPU seconds, wall-clock seconds (40, not 50:
    #: the command's own start and its preview must fit in the 60-s budget around it; a 4-million-
    #: text-cell sheet on a loaded machine was refused after 61 s with 50).
    max_memory_bytes: int = 512 * 1024 * 1024
    max_cpu_seconds: int = 40
    max_wall_seconds: int = 40
    #: The whole preview, reading included: past it the file is refused, so that the command
    #: (its start-up included) answers within the 60-s budget even on a loaded machine.
    max_preview_seconds: int = 45

    def __init__(self, **changes: float) -> None:
        for name, value in changes.items():
            if name not in LIMIT_NAMES:
                raise TypeError(f"Limits: unknown limit {name!r}")
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Limits cannot be changed ({name})")

    def as_dict(self) -> dict[str, float]:
        """Every limit by name (what the reading child is given)."""
        return {name: getattr(self, name) for name in LIMIT_NAMES}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Limits) and self.as_dict() == other.as_dict()

    def __hash__(self) -> int:
        return hash(tuple(self.as_dict().values()))

    def __repr__(self) -> str:
        changed = ", ".join(f"{k}={v}" for k, v in self.as_dict().items() if v != getattr(Limits, k))
        return f"Limits({changed})"


#: The names of the limits, in the order above.
LIMIT_NAMES = tuple(Limits.__annotations__)
DEFAULT_LIMITS = Limits()


class UnreadableWorkbook(Exception):
    """The file cannot (or must not) be read; the message is French and names the file."""


def spaced(number: int) -> str:
    """1048576 → "1 048 576" (French thousands)."""
    return f"{number:,}".replace(",", " ")
