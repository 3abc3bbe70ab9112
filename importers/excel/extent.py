"""How far a sheet's cells reach, measured on its XML as a stream, and its formula cells.

calamine allocates the whole bounding box of a sheet (about 32 bytes per cell): the box is
measured here first, chunk by chunk, on the cells that hold something (references in any case,
rows and cells without `r`), without parsing the XML. Texts longer than a cell holds are
noticed too (calamine cuts them).
"""

from __future__ import annotations

import re
from functools import lru_cache

from importers.excel.limits import MAX_CELL_TEXT, Limits, UnreadableWorkbook, spaced

_ROOT_PREFIX = re.compile(rb"<(\w+:)?worksheet\b")
_MAX_FORMULAS = 100_000


class SheetExtent:
    """The bounding box of a sheet, as measured on its XML, and its formula cells (a plain
    class: the reading child does not import `dataclasses`)."""

    def __init__(self, part: str, label: str = "") -> None:
        self.part = part
        self.label = label
        self.rows = 0
        self.columns = 0
        self.numbered_rows = 0
        self.unnumbered_rows = 0
        self.patterns: SheetPatterns | None = None
        #: (row, column) 1-based → whether a value was computed and saved with the formula, or
        #: the Excel error the cell holds ("#N/A"), which calamine reads as an empty cell.
        self.formulas: dict[tuple[int, int], bool | str] = {}
        #: Formula or error cells written without a reference (`r`): their place is not known.
        self.unplaced = 0
        #: The workbook's cell styles whose number format shows less than the number holds
        #: (styles.xml: style index → PERCENT, MONTH or YEAR), and the (row, column) of this
        #: sheet's number cells written in one, with that kind: « 100 % » is the number 1 there,
        #: « juin-25 » the 1st of June (`shown_text` sends what the cell shows).
        self.shown_styles: dict[int, str] = {}
        self.shown: dict[tuple[int, int], str] = {}
        self._shown_cell: re.Pattern[bytes] | None = None

    def __repr__(self) -> str:
        return f"SheetExtent({self.part!r}, {self.label!r}, rows={self.rows}, columns={self.columns})"


def column_number(letters: str) -> int:
    """1 for "A", 27 for "AA" (any case)."""
    number = 0
    for char in letters.upper():
        number = number * 26 + ord(char) - 64
    return number


_LONG_RUN = re.compile(rb">[^<]{%d,}" % (MAX_CELL_TEXT + 1))


class TextRuns:
    """Finds a run of text (between tags) longer than a cell holds, across chunk boundaries."""

    def __init__(self) -> None:
        self.carried = 0
        self.found = False

    def feed(self, chunk: bytes) -> None:
        if self.found:
            return
        first = chunk.find(b"<")
        if self.carried + (first if first >= 0 else len(chunk)) > MAX_CELL_TEXT:
            self.found = True
        # A run longer than 2 x 16 KB holds a whole aligned 16-KB window without "<": only such
        # windows (rare) are searched with the pattern.
        step = (MAX_CELL_TEXT + 1) // 2
        for start in range(0, len(chunk), step):
            if b"<" not in chunk[start : start + step] and _LONG_RUN.search(chunk, max(0, start - step * 2)):
                self.found = True
                break
        last = chunk.rfind(b"<")
        self.carried = self.carried + len(chunk) if last < 0 else len(chunk) - chunk.find(b">", last) - 1
        if last >= 0 and chunk.find(b">", last) < 0:
            self.carried = 0


class SheetPatterns:
    """Fast patterns for one sheet: literal tags, with the sheet's namespace prefix if any.

    Excel, LibreOffice, openpyxl and xlsxwriter write `r` as the first attribute of <row>
    and <c>; a tag written otherwise is counted as a row without number (rows) or makes the
    scan fall back to slower, attribute-order-proof patterns (cells). Only cells that hold
    something count: an empty styled cell (`<c r="A1048576" s="0"/>`, Gnumeric) is not read.
    """

    def __init__(self, prefix: bytes) -> None:
        p = re.escape(prefix)
        self.prefix = p
        self.cell_tag = b"<" + prefix + b"c "
        self.literal_cell = b"<" + prefix + b'c r="'
        self.literal_row = b"<" + prefix + b'row r="'
        self.row = re.compile(
            rb"<"
            + p
            + rb'row r="(\d+)"[^>]*>(?=(?:\s*<'
            + p
            + rb"c\b[^>]*/>)*\s*<"
            + p
            + rb"c\b[^>]*(?<!/)>)"
        )
        self.row_other = re.compile(rb"<" + p + rb"row\b(?!\s+r=)[^>]*(?<!/)>")
        self.cell_other = re.compile(rb"<" + p + rb"c\b(?! r=)[^>]*?\sr=")
        self.cell_no_ref = re.compile(rb"<" + p + rb"c\b(?![^>]*\sr=)[^>]*(?<!/)>")
        self.row_start = re.compile(rb"<" + p + rb"row\b")
        # Every <row> tag in one pass: its number when `r` comes first, else b"".
        self.rows = re.compile(rb"<" + p + rb'row(?: r="(\d+)"|>| (?!r="))')
        self.odd_cell = re.compile(rb"<" + p + rb'c(?:>| (?!r="))')
        self.formula = re.compile(rb"<" + p + rb"f\b")
        self.set_cell_ref(rb"<" + p + rb'c r="')

    def set_cell_ref(self, cell_ref: bytes) -> None:
        self.cell_ref = cell_ref
        content = rb'"[^>]*(?<!/)>'
        self.two_letters = re.compile(cell_ref + rb"([A-Za-z]{2})\d+" + content)
        self.wide = re.compile(cell_ref + rb"[A-Za-z]{3,}\d+" + content)
        self.lettered = re.compile(cell_ref + rb"[A-Za-z]{2,}\d")

    def beyond(self, row: int) -> re.Pattern[bytes]:
        """Cell references holding something whose row number is clearly above `row`."""
        return _beyond(self.cell_ref, _numbers_above(row))

    def unusual(self, rows: int, columns: int) -> re.Pattern[bytes] | None:
        """One search for every cell tag the column and row checks would read further: a tag
        not opening with `r`, a reference of two letters or more, of one letter after column
        `columns` (< 26), or of a row clearly above `rows`. None when `r` is not always first."""
        if self.cell_ref == _CELL_ANY_ORDER:
            return None
        return _unusual(self.odd_cell.pattern, self.literal_cell, _numbers_above(rows), columns)


def measure(data: bytes, first: bool, extent: SheetExtent, name: str, limits: Limits) -> None:
    """Grow the sheet's known extent with one chunk of its XML (chunks overlap a little).

    Rows come from the <row r> tags of rows holding a cell with content; cells normally sit
    in their row, so a cell reference beyond the highest row seen so far is hostile or broken:
    references clearly beyond it (more digits, or a higher leading digit) are read and counted.
    Cells without `r` take the next column: they are counted per row. The bounding box is thus
    known within a factor 2 at worst, without reading every cell reference.
    """
    if first:
        root = _ROOT_PREFIX.search(data[:4096])
        extent.patterns = SheetPatterns(root.group(1) or b"" if root else b"")
    patterns = extent.patterns
    assert patterns is not None
    numbers = patterns.rows.findall(data)
    highest = max(int(n) for n in numbers if n) if any(numbers) else 0
    if highest > extent.numbered_rows:
        # The highest row counts if it holds a cell with content (Gnumeric writes styled empty
        # rows down to 1,048,576); otherwise every row of the chunk is checked.
        where = data.rfind(patterns.literal_row + b'%d"' % highest)
        if where < 0 or not patterns.row.match(data, where):
            held = patterns.row.findall(data)
            highest = max(map(int, held)) if held else 0
        extent.numbered_rows = max(extent.numbered_rows, highest)
    if not all(numbers):
        extent.unnumbered_rows += len(patterns.row_other.findall(data))
    extent.rows = max(extent.rows, extent.numbered_rows + extent.unnumbered_rows)
    # The cell checks below run only when one search finds a cell tag they would read (the
    # usual chunk has none): each of them is a scan of the chunk.
    unusual = patterns.unusual(extent.rows, extent.columns if extent.columns < 26 else 26)
    if unusual is None or unusual.search(data):
        _measure_cells(data, extent, name, limits)
    elif extent.columns < 1 and patterns.cell_tag in data:
        extent.columns = 1  # cells, none with a one-letter reference (what _widest_letter says)
    if extent.rows > limits.max_rows:
        raise _too_many_rows(name, extent.label, extent.rows, limits)
    if extent.columns > limits.max_columns:
        raise _too_wide(name, extent.label, limits)
    check_cells(name, extent.label, extent.rows, extent.columns, limits)  # as soon as it is known
    if extent.shown_styles:
        _shown_cells(data, extent, patterns.prefix)
    if patterns.formula.search(data) or b't="e"' in data or b"t='e'" in data:
        _formulas(data, extent, patterns.prefix)
        if extent.unplaced:
            raise UnreadableWorkbook(
                f"Le fichier « {name} » est refusé : la feuille « {extent.label} » contient une "
                "formule ou une erreur d'Excel dans une cellule sans référence de place : elle se "
                "lirait vide, ou sans dire d'où vient sa valeur. Ce fichier n'a pas été écrit par un "
                "tableur courant : ouvrez-le et enregistrez-le dans Excel ou LibreOffice, puis "
                "importez-le à nouveau."
            )


def _measure_cells(data: bytes, extent: SheetExtent, name: str, limits: Limits) -> None:
    """Rows and columns reached by the cell references of a chunk (cells out of the order
    Excel writes them included)."""
    patterns = extent.patterns
    assert patterns is not None
    odd_cells = patterns.odd_cell.search(data) is not None
    if odd_cells and patterns.cell_other.search(data):
        patterns.set_cell_ref(_CELL_ANY_ORDER)
    for found in patterns.beyond(extent.rows).findall(data):
        extent.rows = max(extent.rows, int(found))
    if extent.rows > limits.max_rows:
        raise _too_many_rows(name, extent.label, extent.rows, limits)
    if patterns.lettered.search(data):
        if patterns.wide.search(data):
            raise _too_wide(name, extent.label, limits)
        wider = patterns.two_letters if extent.columns < 27 else _wider(patterns.cell_ref, extent.columns)
        if wider.search(data):
            letters = set(wider.findall(data))
            extent.columns = max(extent.columns, *(column_number(x.decode()) for x in letters))
    if extent.columns < 26 and patterns.cell_tag in data:
        extent.columns = max(extent.columns, _widest_letter(data, patterns, extent.columns))
    if odd_cells and patterns.cell_no_ref.search(data):
        widest = max(len(patterns.cell_no_ref.findall(row)) for row in patterns.row_start.split(data))
        extent.columns = max(extent.columns, widest + 26)


_CELL_ANY_ORDER = rb'<(?:\w+:)?c\b[^>]*?\sr="'


def _widest_letter(data: bytes, patterns: SheetPatterns, known: int) -> int:
    """The last one-letter column holding a cell in this chunk (26 when `r` is not first), or
    `known` (at least 1) when none is beyond it: one scan for the letters after `known`, then
    the range halved only if one is found (a handful of scans of the chunk)."""
    if patterns.cell_ref == _CELL_ANY_ORDER:
        return 26
    low, high = max(known, 0) + 1, 26
    if not _letters(patterns.literal_cell, low, high).search(data):
        return max(known, 1)
    while low < high:
        middle = (low + high + 1) // 2
        if _letters(patterns.literal_cell, middle, high).search(data):
            low = middle
        else:
            high = middle - 1
    return low


def _numbers_above(row: int) -> bytes:
    """A pattern of the row numbers clearly above `row`: more digits, or a higher first digit."""
    text = str(max(row, 1))
    lead = int(text[0])
    alternatives = [rb"\d{%d,}" % (len(text) + 1)]
    if lead < 9:
        alternatives.append(rb"[%d-9]\d{%d}" % (lead + 1, len(text) - 1))
    return b"|".join(alternatives)


@lru_cache(maxsize=256)
def _beyond(cell_ref: bytes, rows: bytes) -> re.Pattern[bytes]:
    """Cell references holding something with a row number matching `rows`."""
    return re.compile(cell_ref + rb"[A-Za-z]{1,3}(" + rows + rb')"[^>]*(?<!/)>')


@lru_cache(maxsize=256)
def _unusual(odd_cell: bytes, literal_cell: bytes, rows: bytes, columns: int) -> re.Pattern[bytes]:
    """See `SheetPatterns.unusual` (`columns` 26: no one-letter reference is unusual)."""
    options = [rb"[A-Za-z]{2}", rb"[A-Za-z](?:" + rows + rb')"']
    if columns < 26:
        options.append(b"[%c-Z%c-z]\\d" % (65 + columns, 97 + columns))
    return re.compile(odd_cell + b"|" + re.escape(literal_cell) + b"(?:" + b"|".join(options) + b")")


@lru_cache(maxsize=64)
def _wider(cell_ref: bytes, columns: int) -> re.Pattern[bytes]:
    """Two-letter cell references (holding something) beyond column number `columns` (>= 27)."""
    first, second = divmod(columns - 1, 26)  # "AA" is 27: first 1 (A), second 0 (A)

    def span(low: int) -> bytes:  # letters from number `low` (1 = A) to Z, any case
        if low > 26:
            return b""
        return b"%c-Z%c-z" % (64 + low, 96 + low)

    options = []
    if span(first + 1):
        options.append(b"[" + span(first + 1) + b"][A-Za-z]")
    if span(second + 2):
        options.append(b"[%c%c][" % (64 + first, 96 + first) + span(second + 2) + b"]")
    if not options:
        return re.compile(rb"(?!)")
    return re.compile(cell_ref + b"(" + b"|".join(options) + rb')\d+"[^>]*(?<!/)>')


@lru_cache(maxsize=256)
def _letters(cell: bytes, first: int, last: int) -> re.Pattern[bytes]:
    """Cell references whose column is one letter between `first` and `last` (any case)."""
    upper = b"%c-%c" % (64 + first, 64 + last)
    lower = b"%c-%c" % (96 + first, 96 + last)
    return re.compile(re.escape(cell) + b"[" + upper + lower + rb"]\d")


_REF = re.compile(rb'\sr\s*=\s*"([A-Za-z]{1,3})(\d+)"')
_ERROR = re.compile(rb"""\st\s*=\s*["']e["']""")


def _formulas(data: bytes, extent: SheetExtent, prefix: bytes) -> None:
    """Record the formula cells of a chunk and whether each kept its computed value, and the
    cells holding an Excel error (with or without a formula)."""
    cell_open = re.compile(rb"<" + prefix + rb"c\b([^>]*)>")
    cell_close = re.compile(rb"</" + prefix + rb"c>")
    value = re.compile(rb"<" + prefix + rb"v\b[^>]*?(?:/>|>([^<]*)</" + prefix + rb"v>)")
    for start in cell_open.finditer(data):
        attrs = start.group(1)
        if attrs.endswith(b"/"):
            continue
        end = cell_close.search(data, start.end())
        if end is None:
            break
        body = data[start.end() : end.start()]
        error = b"e" in attrs and _ERROR.search(attrs) is not None
        if not error and (b"f" not in body or not re.search(rb"<" + prefix + rb"f\b", body)):
            continue
        ref = _REF.search(attrs)
        if ref is None:
            extent.unplaced += 1
            continue
        if len(extent.formulas) >= _MAX_FORMULAS:
            continue
        found = value.search(body)
        kept: bool | str = found is not None and (bool(found.group(1)) or b't="str"' in attrs)
        if error:
            kept = (found.group(1) if found is not None and found.group(1) else b"#?")[:16].decode(
                "utf-8", "replace"
            )
        extent.formulas[(int(ref.group(2)), column_number(ref.group(1).decode()))] = kept


_TYPED = re.compile(rb"""\st\s*=\s*["']([a-z]*)["']""")
_MAX_SHOWN_CELLS = 1_000_000
_NAMED_STYLES = 64


def _shown_cells(data: bytes, extent: SheetExtent, prefix: bytes) -> None:
    """Record the number cells of a chunk written in a style of `extent.shown_styles`."""
    if extent._shown_cell is None:
        # the styles named in the pattern, unless a hostile styles.xml names thousands of them
        few = len(extent.shown_styles) <= _NAMED_STYLES
        styles = b"|".join(b"%d" % n for n in extent.shown_styles) if few else rb"\d{1,9}"
        extent._shown_cell = re.compile(
            rb"<" + prefix + rb"""c\b([^>]*?\ss\s*=\s*["'](""" + styles + rb""")["'][^>]*)>"""
        )
    for cell in extent._shown_cell.finditer(data):
        attrs = cell.group(1)
        kind = extent.shown_styles.get(int(cell.group(2)))
        typed = _TYPED.search(attrs)
        if kind is None or attrs.endswith(b"/") or (typed is not None and typed.group(1) != b"n"):
            continue  # another style, an empty cell, a text, a boolean, an error
        ref = _REF.search(attrs)
        if ref is not None and len(extent.shown) < _MAX_SHOWN_CELLS:
            extent.shown[(int(ref.group(2)), column_number(ref.group(1).decode()))] = kind


#: What a number format shows, when it shows less than, or other than, the number it holds.
PERCENT, MONTH, YEAR = "pourcentage", "mois", "année"
#: Built-in number formats: 0 %, 0.00 % (percentages), mmm-yy (a month).
BUILT_IN_SHOWN = {9: PERCENT, 10: PERCENT, 17: MONTH}


def shown_kind(code: str) -> str | None:
    """What a number format code shows, if it is a percentage (a « % » outside quotes and
    escapes: « 0" %" », the exchange workbook's, shows a number and a sign), a month and its
    year without the day (« mmm-yy », « mmmm yyyy »), or a year alone (« yyyy »); else None."""
    plain = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", code.split(";")[0]).lower()
    if "%" in plain:
        return PERCENT
    if "y" not in plain or "d" in plain or "h" in plain or "s" in plain:
        return None
    return MONTH if "m" in plain else YEAR


def shown_text(value: object, kind: str) -> object:
    """What a number cell of that kind shows, as a text the importer reads (1 → « 100 % »,
    0.125 → « 12.5 % », the 1st of June 2025 → « 06/2025 » or « 2025 »); other values as they are."""
    if kind == PERCENT and isinstance(value, int | float) and not isinstance(value, bool):
        shown = round(value * 100, 9)
        return f"{int(shown) if shown == int(shown) else shown} %"
    year, month = getattr(value, "year", None), getattr(value, "month", None)
    if kind == MONTH and isinstance(year, int) and isinstance(month, int):
        return f"{month:02d}/{year}"
    if kind == YEAR and isinstance(year, int):
        return str(year)
    return value


def check_cells(name: str, label: str, rows: int, columns: int, limits: Limits) -> None:
    if rows * columns > limits.max_cells:
        raise UnreadableWorkbook(
            f"Le fichier « {name} » est refusé : la feuille « {label} » s'étend sur au moins "
            f"{spaced(rows)} lignes et {columns} colonnes, au-delà de ce que l'application lit "
            f"({spaced(limits.max_cells)} cellules)."
        )


def _too_many_rows(name: str, label: str, rows: int, limits: Limits) -> UnreadableWorkbook:
    return UnreadableWorkbook(
        f"Le fichier « {name} » est refusé : la feuille « {label} » compte {spaced(rows)} lignes, "
        f"au-delà du maximum accepté ({spaced(limits.max_rows)})."
    )


def _too_wide(name: str, label: str, limits: Limits) -> UnreadableWorkbook:
    return UnreadableWorkbook(
        f"Le fichier « {name} » est refusé : la feuille « {label} » a plus de {limits.max_columns} colonnes."
    )
