"""The CTS report workbook as a CTS member reads it, printed or on screen.

Read back with openpyxl: rows as high as their wrapped text, section headings instead of a title
repeated on every row, a chart naming the défis, the indicators' values (or no such sheet), and
the dashboard's figures for the same store. Printed by LibreOffice when it is installed: no
blank page, the synthesis and the chart on a page each.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from exports.excel import export_ars, export_cts
from exports.excel.cts import CHART_LABEL, WITHOUT_OBJECTIVE, short_title
from exports.excel.data import load
from store.database import Store, open_store
from store.views.care_offer import care_offer_lines
from store.views.coverage import coverage_matrix
from store.views.dashboard import dashboard
from tests.excel_fixtures import libreoffice_convert, soffice
from tests.pdf_support import (
    add_post_covid_indicator,
    ariege_store_file,
    ariege_without_actions_file,
    store_copy,
)

DEPT = "09"
#: A lower bound of the printed width of a character of Arial 10 (points): lower-case French text
#: averages more. Column width unit: 5.25 points (Excel) to 5.56 (LibreOffice).
MIN_CHAR_POINTS = 4.4
UNIT_POINTS = 5.56


@pytest.fixture(scope="module")
def ariege_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ariege_store_file(tmp_path_factory.mktemp("cts"), indicator=False)


@pytest.fixture
def ariege(tmp_path: Path, ariege_template: Path) -> Iterator[Store]:
    yield from store_copy(ariege_template, tmp_path)


def _report(store: Store, folder: Path) -> Path:
    path = folder / "rapport-cts.xlsx"
    export_cts(store, DEPT, path)
    return path


def _values(sheet: Any) -> list[list[Any]]:
    return [[c.value for c in row] for row in sheet.iter_rows()]


def test_every_wrapped_text_has_the_height_it_needs(ariege: Store, tmp_path: Path) -> None:
    book = openpyxl.load_workbook(_report(ariege, tmp_path))
    checked = 0
    for sheet in book.worksheets:
        widths = {
            column: dimension.width
            for dimension in sheet.column_dimensions.values()
            if dimension.min and dimension.width
            for column in range(dimension.min, dimension.max + 1)
        }
        merged = {r.min_row: r for r in sheet.merged_cells.ranges}
        for row in sheet.iter_rows():
            for cell in row:
                if not isinstance(cell.value, str) or not cell.alignment.wrap_text:
                    continue
                span = merged.get(cell.row)
                columns = range(span.min_col, span.max_col + 1) if span else [cell.column]
                width = sum(widths.get(c, 8.43) for c in columns)
                lines = math.ceil(len(cell.value) * MIN_CHAR_POINTS / (width * UNIT_POINTS))
                height = sheet.row_dimensions[cell.row].height or 12.75
                assert height >= 12 * lines, f"{sheet.title}!{cell.coordinate} : {cell.value!r}"
                checked += 1
    assert checked > 500


def test_headings_instead_of_a_title_repeated_on_every_row(ariege: Store, tmp_path: Path) -> None:
    book = openpyxl.load_workbook(_report(ariege, tmp_path))
    with ariege.engine.connect() as conn:
        lines = care_offer_lines(conn, DEPT)
    sheet = book["Offre de soins"]
    texts = [v for row in _values(sheet) for v in row if isinstance(v, str)]
    tables = {(line.activity, line.table) for line in lines}
    for title in {line.table for line in lines}:
        assert texts.count(title) == sum(1 for _a, t in tables if t == title), title
    assert [c.value for c in sheet[1]] == ["Modalité", "Mention", "Existant", "Cible", "Manque"]
    assert len(sheet.merged_cells.ranges) >= len(tables)
    actions = book["Actions par objectif"]
    headings = [row[0] for row in _values(actions) if isinstance(row[0], str) and row[1] is None]
    assert any(h.startswith("Engagement E1 — ") for h in headings)
    assert any(h.startswith("Défi E1-D3 — ") for h in headings)
    assert any(h.startswith("Objectif E1-D3-S1 — ") for h in headings)
    # The actions without objective of the scheme: one line of the synthesis, not a heading and its copy
    synthesis = [row[:3] for row in _values(book["Synthèse"])]
    without = [row for row in synthesis if row[0] == "—"]
    assert without == [["—", WITHOUT_OBJECTIVE, 2]]


def test_the_chart_names_the_defis(ariege: Store, tmp_path: Path) -> None:
    path = _report(ariege, tmp_path)
    with zipfile.ZipFile(path) as archive:
        charts = [n for n in archive.namelist() if n.startswith("xl/charts/chart")]
        xml = archive.read(charts[0]).decode()
    (categories,) = set(re.findall(r"<c:cat>.*?<c:f>(.*?)</c:f>", xml, re.DOTALL))
    sheet_name, cells = categories.split("!")
    first, last = (int(re.sub(r"\D", "", c)) for c in cells.split(":"))
    book = openpyxl.load_workbook(path)
    assert sheet_name.strip("'") == "Graphique"
    labels = [book["Graphique"][f"A{row}"].value for row in range(first, last + 1)]
    with ariege.engine.connect() as conn:
        data = load(conn, DEPT)
    titles = list(dict.fromkeys(o.challenge_title for o in data.objectives))
    assert labels[: len(titles)] == [short_title(t) for t in titles]
    for label, title in zip(labels, titles, strict=False):
        assert not re.fullmatch(r"E\d+-D\d+", label)
        assert len(label) <= CHART_LABEL and title.startswith(label.rstrip("…"))
    assert (
        short_title("Soutenir l'expression et l'accompagnement du projet de vie de la personne vulnérable")
        == "Soutenir l'expression et l'accompagnement du projet de vie…"
    )
    assert short_title("Anticiper, se préparer et gérer les situations sanitaires exceptionnelles", 40) == (
        "Anticiper, se préparer et gérer…"  # not « … gérer les… »
    )


def test_indicators_sheet_holds_the_values_or_is_left_out(ariege: Store, tmp_path: Path) -> None:
    book = openpyxl.load_workbook(_report(ariege, tmp_path))
    assert "Indicateurs" not in book.sheetnames  # the Ariège scheme follows no indicator yet
    synthesis = " ".join(str(v) for row in _values(book["Synthèse"]) for v in row if v)
    assert "Aucun indicateur n'est suivi pour l'instant : le rapport n'a pas de feuille « Indicateurs »." in (
        synthesis
    )

    add_post_covid_indicator(ariege)
    book = openpyxl.load_workbook(_report(ariege, tmp_path))
    rows = _values(book["Indicateurs"])
    start = next(i for i, r in enumerate(rows) if r[0] == "Valeurs par période")
    header = rows[start + 1]
    assert header[:4] == ["Code", "Indicateur", "Période", "Total"]
    assert set(header[4:7]) == {"Femmes", "Hommes", "Mineurs"}
    values = {r[2]: dict(zip(header[3:7], r[3:7], strict=True)) for r in rows[start + 2 :] if r[2]}
    assert values["2023-10"] == {"Total": 136, "Mineurs": 4, "Hommes": 54, "Femmes": 78}
    assert len(values) == 6
    summary = rows[1]
    assert summary[6] == 46 and summary[7] == "2024-01"  # latest value and its period


def test_the_figures_are_the_dashboards(ariege: Store, tmp_path: Path) -> None:
    path = _report(ariege, tmp_path)
    today = datetime.now().astimezone().date()  # the day the report was written
    with ariege.engine.connect() as conn:
        board = dashboard(conn, DEPT, today)
        matrix = coverage_matrix(conn, DEPT, today=today)
    book = openpyxl.load_workbook(path)
    rows = _values(book["Synthèse"])
    figures = {r[1]: r[2] for r in rows[3:12] if isinstance(r[1], str)}
    done = board.by_status["realisee"]
    counted = sum(n for s, n in board.by_status.items() if s not in ("abandonnee", "non_renseigne"))
    assert figures["Actions suivies"] == board.total
    assert figures["Actions en retard"] == board.late_count
    assert figures["Actions à échéance sous 30 jours"] == board.due_soon_count
    assert figures["Manques d'offre de répit (bassin × public sans ressource existante)"] == len(
        matrix.gaps()
    )
    assert figures[f"Part réalisée ({done} sur {counted}, hors abandonnées et « Non renseigné »)"] == (
        pytest.approx(done / counted)
    )
    header_index = next(i for i, r in enumerate(rows) if r[0] == "Code")
    header = rows[header_index]
    by_code = {r[0]: r for r in rows[header_index + 1 :] if r[0]}
    for engagement in board.engagements:
        line = by_code[engagement.code]
        if engagement.actions:
            assert line[header.index("Part réalisée")] == pytest.approx(engagement.done_share)
        if engagement.mean_progress is not None:
            assert line[header.index("Avancement moyen")] == pytest.approx(engagement.mean_progress / 100)
    assert by_code["Total"][header.index("En retard")] == board.late_count

    # Aidants-répit: the app's coverage (a department-wide resource in every bassin, existing only)
    coverage = _values(book["Aidants-répit"])
    top = next(i for i, r in enumerate(coverage) if r[0] == "Bassin")
    columns = coverage[top][1 : 1 + len(matrix.columns)]
    assert columns == matrix.columns
    counts = {
        (code, column): value
        for (code, _name), line in zip(matrix.territories, coverage[top + 1 :], strict=False)
        for column, value in zip(matrix.columns, line[1:], strict=False)
        if value
    }
    assert counts == matrix.counts and counts  # Ariège: the PFR covers every bassin


def _pages(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True)
    return text.stdout.split("\f")[:-1]


@pytest.mark.skipif(
    soffice() is None or shutil.which("pdftotext") is None,
    reason="LibreOffice (soffice) ou pdftotext n'est pas installé : l'impression n'est pas vérifiée",
)
def test_printed_by_libreoffice_without_blank_page(ariege: Store, tmp_path: Path) -> None:
    add_post_covid_indicator(ariege)
    report = _report(ariege, tmp_path)
    exchange = tmp_path / "echange.xlsx"
    export_ars(ariege, DEPT, exchange)
    furniture = re.compile(
        r"^\s*(09 Ariège|\d\d/\d\d/\d{4}|Suivi STS — (rapport au CTS|classeur d'échange)|Page \d+ / \d+)\s*$"
    )
    pdfs = [libreoffice_convert(workbook, tmp_path, "pdf") for workbook in (report, exchange)]
    for pdf in pdfs:
        pages = _pages(pdf)
        assert pages, pdf.name
        for number, page in enumerate(pages, 1):
            body = [line for line in page.splitlines() if line.strip()]
            body = [" ".join(w for w in line.split("  ") if w and not furniture.match(w)) for line in body]
            assert any(len(line.strip()) > 3 for line in body), f"{pdf.name} : page {number} vide"
    cts = _pages(pdfs[0])
    assert "Toutes les actions" in cts[0]  # the synthesis on one page
    chart = [i for i, page in enumerate(cts) if "Actions par statut et par défi (" in page]
    assert len(chart) == 1 and "Adapter la stratégie de prévention" in cts[chart[0]]
    assert len(cts) <= 20
    readme = _pages(pdfs[1])[0]
    assert "suivi-sts import FICHIER.xlsx" in readme  # the Lisez-moi on one page


def test_the_export_summaries_count_in_french(ariege: Store, tmp_path: Path) -> None:
    """What the command line prints and the dashboard's last exports show: zero and one take the
    singular in French (« 1 action », « 0 indicateur »), not « 1 actions »."""
    report = export_cts(ariege, DEPT, tmp_path / "une.xlsx", codes={"ACT-001"})
    assert report.summary == "rapport CTS : 1 action"
    exchange = export_ars(ariege, DEPT, tmp_path / "echange.xlsx", codes={"ACT-001"})
    assert exchange.summary == "1 action, 0 indicateur (0 valeur), 3 ressources"


def test_a_department_without_actions_nor_resources_says_so(tmp_path: Path) -> None:
    """A department just set up: « Actions par objectif » and the resources' list say « Aucune… »
    instead of a header over nothing, and the chart's axis counts whole actions (not 0.1…)."""
    store = open_store(ariege_without_actions_file(tmp_path))
    try:
        path = _report(store, tmp_path)
    finally:
        store.dispose()
    book = openpyxl.load_workbook(path)
    actions = _values(book["Actions par objectif"])
    assert actions[1][0] == "Aucune action."
    resources = _values(book["Aidants-répit"])
    below = resources[[r[0] for r in resources].index("Nom") + 1]
    assert below[0] == "Aucune ressource."
    with zipfile.ZipFile(path) as workbook:
        chart = workbook.read("xl/charts/chart1.xml").decode()
    assert '<c:majorUnit val="1"/>' in chart
    assert "Actions par statut et par défi (0 action)" in chart


def test_a_long_action_code_is_not_broken_over_two_lines(ariege: Store, tmp_path: Path) -> None:
    """A code longer than the Ariège's « ACT-001 » (an ARS numbering, « ARS09-2025-0042 ») was cut
    at its hyphen on two lines in « Actions par objectif », each row twice as high."""
    from store import actions as action_rules
    from store.actions import ActionData

    code = "ARS09-2025-0042"
    with ariege.writer.begin() as conn:
        data = ActionData(code=code, title="Action numérotée par l'ARS", objectives=("E1-D3-S1",))
        action_rules.create_action(conn, DEPT, data, author="test", source="test")
    sheet = openpyxl.load_workbook(_report(ariege, tmp_path))["Actions par objectif"]
    assert code in [row[0] for row in _values(sheet)]
    assert sheet.column_dimensions["A"].width >= len(code) + 1  # in characters, a margin besides


def test_care_offer_figures_kept_as_written_raise_no_excel_warning(ariege: Store, tmp_path: Path) -> None:
    """« Existant » and « Cible » are kept as written (« 3 », « 0 / 1 »): texts, which Excel marked
    each with a green triangle (« nombre stocké sous forme de texte ») on screen."""
    path = _report(ariege, tmp_path)
    book = openpyxl.load_workbook(path)
    names = book.sheetnames
    sheet = book["Offre de soins"]
    figures = [r[2] for r in _values(sheet)[1:] if isinstance(r[2], str) and r[2].isdigit()]
    assert figures  # some are plain numbers written as text
    with zipfile.ZipFile(path) as workbook:
        xml = workbook.read(f"xl/worksheets/sheet{names.index('Offre de soins') + 1}.xml").decode()
    ignored = re.search(r'<ignoredError sqref="C2:D(\d+)" numberStoredAsText="1"/>', xml)
    assert ignored is not None and int(ignored.group(1)) >= sheet.max_row


def test_the_cts_report_imported_by_mistake_is_said_in_one_sentence(ariege: Store, tmp_path: Path) -> None:
    """The two workbooks sit side by side in the same folder: the CTS report picked instead of
    the exchange workbook was refused with 42 « code inconnu » lines read from its Indicateurs."""
    from importers.excel.preview import preview_import

    preview = preview_import(ariege, DEPT, _report(ariege, tmp_path))
    assert [str(p) for p in preview.rejected] == [
        "« rapport-cts.xlsx » : ce classeur est le rapport CTS de Suivi STS (feuilles « Synthèse », "
        "« Actions par objectif »…) : un document à lire, qui ne s'importe pas. Pour rapporter des "
        "changements, exportez le classeur d'échange ARS (Ctrl+E, ou « suivi-sts export ars »), "
        "modifiez-le, puis importez-le"
    ]
    assert not preview.rows and not preview.warnings
