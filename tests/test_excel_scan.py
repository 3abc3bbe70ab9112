"""The archive scan reads a sheet in chunks and skips the detailed checks of a chunk with nothing
unusual in it: whatever it checks is still refused far into a sheet (when the quick path is in
use), and a forbidden token cut in two by the chunk boundary is still found."""

from __future__ import annotations

from pathlib import Path

import pytest

from importers.excel import safety
from importers.excel.safety import Limits, UnreadableWorkbook, check_workbook_file
from tests.excel_fixtures import SHEET_HEAD, raw_sheet_workbook

#: Ordinary rows before the hostile one: about 1.5 chunks, so that it comes after the first.
FILLER_ROWS = 20_000


def _row(r: int) -> str:
    return f'<row r="{r}"><c r="A{r}"><v>{r}</v></c><c r="B{r}" t="inlineStr"><is><t>texte</t></is></c></row>'


def _sheet(fragment: str, rows: int = FILLER_ROWS, *, at: int | None = None, token: str = "") -> str:
    """A sheet of `rows` ordinary rows then `fragment` (its row numbers {n} = rows + 1); with
    `at`, blanks before the fragment put `token` (part of it) at that byte of the sheet."""
    head = SHEET_HEAD.format(doctype="") + "<sheetData>" + "".join(_row(r) for r in range(1, rows + 1))
    fragment = fragment.format(n=rows + 1)
    if at is not None:
        where = len(head.encode()) + len(fragment[: fragment.index(token)].encode())
        assert where <= at, "filler too long for the boundary asked"
        head += " " * (at - where)
    return head + fragment + "</sheetData></worksheet>"


def _refusal(tmp_path: Path, sheet: str, limits: Limits) -> str:
    path = raw_sheet_workbook(tmp_path / "classeur.xlsx", sheet)
    with pytest.raises(UnreadableWorkbook) as caught:
        check_workbook_file(path, limits)
    message = str(caught.value)
    assert "« classeur.xlsx »" in message and "« Actions »" in message, message
    return message


#: Each check of the scan, with a sheet only it refuses: dropping one makes its case fail.
CHECKS = {
    "déclaration DTD": ('<!DOCTYPE x [<!ENTITY a "b">]>', Limits(), "(DOCTYPE/ENTITY)"),
    "ligne lointaine": ('<row r="900000"><c r="A900000"><v>1</v></c></row>', Limits(), "900 000 lignes"),
    "cellule hors de sa ligne": (
        '<row r="{n}"><c r="A900000"><v>1</v></c></row>',
        Limits(),
        "900 000 lignes",
    ),
    "r après un autre attribut": (
        '<row r="{n}"><c s="0" r="A900000"><v>1</v></c></row>',
        Limits(),
        "900 000 lignes",
    ),
    "colonne de trois lettres": ('<row r="{n}"><c r="XFD{n}"><v>1</v></c></row>', Limits(), "colonnes"),
    "colonne de deux lettres": (
        '<row r="{n}"><c r="AZ{n}"><v>1</v></c></row>',
        Limits(max_columns=40),
        "plus de 40 colonnes",
    ),
    "colonne d'une lettre": (
        '<row r="{n}"><c r="H{n}"><v>1</v></c></row>',
        Limits(max_columns=5),
        "plus de 5 colonnes",
    ),
    "cellules sans référence": (
        '<row r="{n}">' + "<c><v>1</v></c>" * 20 + "</row>",
        Limits(max_columns=40),
        "plus de 40 colonnes",
    ),
    "lignes sans numéro": (
        "<row><c><v>1</v></c></row>" * 10,
        Limits(max_rows=FILLER_ROWS + 5),
        "au-delà du maximum accepté",
    ),
    "cellules en tout": (
        '<row r="{n}"><c r="B{n}"><v>1</v></c></row>',
        Limits(max_cells=2 * FILLER_ROWS + 1),
        "cellules",
    ),
    "formule sans référence": ('<row r="{n}"><c><f>1+1</f><v>2</v></c></row>', Limits(), "formule"),
    "erreur sans référence": ('<row r="{n}"><c t="e"><v>#N/A</v></c></row>', Limits(), "une erreur d'Excel"),
}


@pytest.mark.parametrize("case", list(CHECKS))
def test_every_check_still_refuses_far_into_a_sheet(tmp_path: Path, case: str) -> None:
    fragment, limits, expected = CHECKS[case]
    assert expected in _refusal(tmp_path, _sheet(fragment), limits)


def test_the_same_sheet_without_the_hostile_row_is_read(tmp_path: Path) -> None:
    path = raw_sheet_workbook(tmp_path / "classeur.xlsx", _sheet(""))
    report = check_workbook_file(path, Limits(max_columns=5, max_rows=FILLER_ROWS + 5))
    extent = report.sheets["xl/worksheets/sheet1.xml"]
    assert (extent.rows, extent.columns) == (FILLER_ROWS, 2)


@pytest.mark.parametrize(
    ("fragment", "token", "limits", "expected"),
    [
        ('<!DOCTYPE x [<!ENTITY a "b">]>', "<!DOCTYPE", Limits(), "(DOCTYPE/ENTITY)"),
        ('<row r="{n}"><c r="A900000"><v>1</v></c></row>', '<c r="A900000">', Limits(), "900 000 lignes"),
        ('<row r="{n}"><c s="0" r="A900000"><v>1</v></c></row>', '<c s="0"', Limits(), "900 000 lignes"),
        ('<row r="{n}"><c r="XFD{n}"><v>1</v></c></row>', '<c r="XFD', Limits(), "colonnes"),
        ('<row r="{n}"><c r="H{n}"><v>1</v></c></row>', '<c r="H', Limits(max_columns=5), "plus de 5"),
        ('<row r="{n}"><c><f>1+1</f><v>2</v></c></row>', "<f>", Limits(), "formule"),
    ],
)
def test_a_token_cut_by_the_chunk_boundary_is_found(
    tmp_path: Path, fragment: str, token: str, limits: Limits, expected: str
) -> None:
    for offset in range(1, len(token)):  # the token cut after each of its characters
        sheet = _sheet(fragment, rows=10_000, at=safety._CHUNK - offset, token=token)
        start = sheet.encode().index(token.encode())
        assert start < safety._CHUNK < start + len(token)
        assert expected in _refusal(tmp_path, sheet, limits), offset
