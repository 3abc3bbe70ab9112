"""The CTS dossier and the workshop minutes as PDF: read back (pypdf), seen (pdftoppm).

The dossier's text holds the dashboard's figures for the same store and day; contacts appear
only when asked; every page is rendered to an image and compared with a reviewed one.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader
from sqlalchemy import update

from exports.excel import export_workshop
from exports.pdf import export_cts_pdf, export_workshop_pdf
from exports.pdf.cts import axis_ticks
from exports.pdf.typography import clock, french, long_date
from store import actions as action_rules
from store import resources as resource_rules
from store.database import Store, open_store
from store.tables import WORKSHOP_SESSION
from store.views.care_offer import shown
from store.views.dashboard import dashboard
from store.vocab import ActionStatus
from tests.pdf_support import (
    PAGE_TOLERANCE,
    REFERENCES,
    TILE_TOLERANCE,
    UPDATE_ENV,
    ariege_store_file,
    ariege_without_actions_file,
    image_difference,
    overlapping_words,
    pdftoppm,
    render_pages,
    run_short_workshop,
    store_copy,
)
from tui.cli import main

TODAY = date(2024, 3, 1)
PRINTED = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
PHONE, EMAIL, CONTACT = "05 61 00 00 00", "contact.repit@example.org", "Mme Repit Contact"


@pytest.fixture(scope="module")
def ariege_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ariege_store_file(tmp_path_factory.mktemp("pdf"))


@pytest.fixture
def ariege(tmp_path: Path, ariege_template: Path) -> Iterator[Store]:
    yield from store_copy(ariege_template, tmp_path)


def text_of(pdf: Path) -> str:
    """The PDF's text without spaces nor hyphens (extraction differs on them: a hyphen Typst may
    break after comes back as a soft hyphen)."""
    return squeeze("".join(p.extract_text() for p in PdfReader(pdf).pages))


def squeeze(text: str) -> str:
    return re.sub(r"[\s\u00a0\u202f\u00ad-]+", "", text)


def add_contact(store: Store) -> None:
    with store.writer.begin() as conn:
        before = next(iter(resource_rules.load_resources(conn, "09").values()))
        after = replace(before, phone=PHONE, email=EMAIL, contact_name=CONTACT)
        resource_rules.update_resource(conn, "09", before, after, author="test", source="test")


def test_the_dossier_holds_the_dashboards_figures(ariege: Store, tmp_path: Path) -> None:
    pdf = tmp_path / "rapport.pdf"
    result = export_cts_pdf(ariege, "09", pdf, today=TODAY, printed_at=PRINTED)
    with ariege.engine.connect() as conn:
        board = dashboard(conn, "09", TODAY)
    text = text_of(pdf)
    assert result.summary.startswith("dossier CTS (PDF, ")
    assert squeeze(f"{board.total} actions suivies") in text
    assert squeeze(f"{board.late_count} en retard") in text
    assert squeeze(f"{board.due_soon_count} à échéance sous 30 jours") in text
    assert squeeze(f"{len(board.coverage_gaps)} manques d’offre de répit") in text
    for status, count in board.by_status.items():
        assert squeeze(f"{ActionStatus(status).label}{count}") in text
    for e in board.engagements:
        assert squeeze(f"{e.rate.mean_text()} {e.done}/{e.actions}") in text, e.title
    for row in board.late:
        assert squeeze(row.code) in text
    # Names, not codes, in the charts and tables; French dates; the page numbers.
    assert squeeze("Patients post-COVID en situation complexe pris en charge") in text
    assert all(label in text for label in ("Mineurs", "Hommes", "Femmes", "août2023", "janv.2024"))
    assert squeeze(f"Situation au {long_date(TODAY)}") in text
    pages = len(PdfReader(pdf).pages)
    assert f"page2/{pages}" in text and f"page{pages}/{pages}" in text


def test_no_contact_unless_asked(ariege: Store, tmp_path: Path) -> None:
    add_contact(ariege)
    without, with_contacts = tmp_path / "sans.pdf", tmp_path / "avec.pdf"
    export_cts_pdf(ariege, "09", without, today=TODAY, printed_at=PRINTED)
    export_cts_pdf(ariege, "09", with_contacts, today=TODAY, printed_at=PRINTED, with_contacts=True)
    plain = text_of(without)
    for secret in (PHONE, EMAIL, CONTACT):
        assert squeeze(secret) not in plain
    rich = text_of(with_contacts)
    for secret in (PHONE, EMAIL, CONTACT):
        assert squeeze(secret) in rich


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) n'est pas installé")
def test_no_word_is_printed_over_another(ariege: Store, tmp_path: Path) -> None:
    """Every word stays in its column, with or without the contacts (a narrower table)."""
    add_contact(ariege)
    session = run_short_workshop(ariege)
    documents = [
        export_cts_pdf(ariege, "09", tmp_path / "sans.pdf", today=TODAY, printed_at=PRINTED).path,
        export_cts_pdf(ariege, "09", tmp_path / "avec.pdf", today=TODAY, with_contacts=True).path,
        export_workshop_pdf(ariege, "09", session, tmp_path / "atelier.pdf").path,
    ]
    for pdf in documents:
        assert overlapping_words(pdf) == [], pdf.name
        # and no invisible character slipped into the words (a search for « d’accompagnement »)
        printed = subprocess.run(
            ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert not re.search("[\u200b\u2060\ufeff]", printed), pdf.name


def test_an_emoji_the_fonts_cannot_draw_is_left_out_not_printed_as_a_box(
    ariege: Store, tmp_path: Path
) -> None:
    """The embedded fonts draw no emoji: typed in a title or a comment (👍, 🎉, ✅, a flag), each
    printed as an empty box. It is left out of the PDF (the workbooks keep it); « ✓ », « → » and
    « ½ », which the fonts draw, stay."""
    with ariege.writer.begin() as conn:
        before = action_rules.load_actions(conn, "09")["ACT-001"]
        after = replace(before, title="Comité 👍🏽 de pilotage ✓ → ½")
        action_rules.update_action(conn, "09", before, after, author="test", source="test")
        comment = "🎉 Réunion faite ✅ le 5 mars 🇫🇷"
        action_rules.add_comment(conn, "09", before, comment, author="t", source="t")
    pdf = export_cts_pdf(ariege, "09", tmp_path / "rapport.pdf", today=TODAY, printed_at=PRINTED).path
    printed = "".join(p.extract_text() for p in PdfReader(pdf).pages)
    assert "Comité de pilotage ✓ → ½" in printed
    assert "Réunion faite le 5 mars" in printed.replace("\n", " ")
    assert not re.search("[\U0001f000-\U0001faff\u2705\ufe0f\u200d]", printed)


def test_a_department_without_actions_nor_resources_says_so(tmp_path: Path) -> None:
    """A department just set up: each section says « Aucune… » instead of a table reduced to
    its header (the resources' was printed empty)."""
    store = open_store(ariege_without_actions_file(tmp_path))
    try:
        result = export_cts_pdf(store, "09", tmp_path / "vide.pdf", today=TODAY, printed_at=PRINTED)
    finally:
        store.dispose()
    text = text_of(result.path)
    assert squeeze("Ressources Aucune ressource.") in text
    assert squeeze("Actions en retard Aucune.") in text
    assert result.summary.endswith(": 0 action")


def test_a_workshops_minutes_and_workbook_count_the_same_changes(ariege: Store, tmp_path: Path) -> None:
    """The same session counted one way in its PDF minutes and in its workbook (sent to the ARS):
    the workbook counted its comment as a fifth change (« 5 changement(s) ») where the minutes
    said « 4 changement(s) sur 2 action(s), 1 commentaire(s) »."""
    session = run_short_workshop(ariege)
    minutes = export_workshop_pdf(ariege, "09", session, tmp_path / "atelier.pdf")
    workbook = export_workshop(ariege, "09", session, tmp_path / "atelier.xlsx")
    said = "4 changement(s) sur 2 action(s), 1 commentaire(s)"
    assert minutes.summary.endswith(f" : {said}")
    assert workbook.summary.endswith(f" : {said}")
    assert squeeze(said) in text_of(minutes.path)
    sheet = openpyxl.load_workbook(workbook.path)["Atelier"]
    assert f"{said}." in [row[0] for row in sheet.iter_rows(values_only=True)]


@pytest.mark.skipif(pdftoppm() is None, reason="poppler-utils (pdftoppm) n'est pas installé")
def test_the_synthesis_figures_stand_in_frames_of_one_height(ariege: Store, tmp_path: Path) -> None:
    """The five figures of the synthesis: the frame of « manques d'offre de répit (bassin ×
    public) », whose label takes two lines, hung below the others. Seen on the page: the frames'
    top and bottom edges each run as one line across the whole row."""
    from PIL import Image

    pdf = export_cts_pdf(ariege, "09", tmp_path / "rapport.pdf", today=TODAY, printed_at=PRINTED).path
    tool = pdftoppm()
    assert tool is not None
    image = tmp_path / "synthese"
    subprocess.run([tool, "-png", "-r", "100", "-f", "2", "-l", "2", "-singlefile", pdf, image], check=True)
    page = Image.open(f"{image}.png").convert("RGB")
    width, height = page.size
    rgb = page.tobytes()

    def frame_blue(y: int) -> int:
        row = rgb[y * width * 3 : (y + 1) * width * 3]
        return sum(1 for r, b in zip(row[0::3], row[2::3], strict=True) if b > r + 30 and r < 170)

    counts = [frame_blue(y) for y in range(height // 3)]
    full = [y for y, n in enumerate(counts) if n > 0.9 * max(counts)]
    edges = [y for y in full if y - 1 not in full]
    assert len(edges) == 2, edges  # the top edge and the bottom edge, each whole


def test_the_command_line_chooses_pdf_by_extension(ariege: Store, tmp_path: Path) -> None:
    session = run_short_workshop(ariege)
    path = tmp_path / "ariege.sqlite"
    ariege.dispose()
    report, minutes = tmp_path / "rapport.pdf", tmp_path / "compte-rendu.pdf"
    assert main(["--db", str(path), "export", "cts", str(report)]) == 0
    assert main(["--db", str(path), "export", "atelier", str(minutes), "--session", str(session)]) == 0
    assert report.read_bytes().startswith(b"%PDF") and minutes.read_bytes().startswith(b"%PDF")
    text = text_of(minutes)
    assert squeeze(f"Compte rendu de l’atelier n°{session}") in text
    assert text.count(squeeze("Objectif E1-D3-O7")) == 1  # the scope said once
    assert "ClaireMartin" in text and "Avancement(%)" in text and "0%" in text and "30%" in text
    assert squeeze("IRM : attente de l’ARS") in text
    assert "signature" in text


def test_a_chart_has_a_scale_in_round_steps() -> None:
    assert axis_ticks(154) == [0, 50, 100, 150, 200]  # the post-COVID months, stacked
    assert axis_ticks(53) == [0, 20, 40, 60]
    assert axis_ticks(0.4) == [0, 0.1, 0.2, 0.3, 0.4]
    assert axis_ticks(0) == [0, 1]


def test_care_offer_figures_are_written_one_way() -> None:
    assert [shown(f) for f in (None, "", "-", "3", "0/1", "1 / 2")] == [
        "—",
        "—",
        "—",
        "3",
        "0\u00a0/ 1",
        "1\u00a0/ 2",
    ]


def test_french_typography() -> None:
    assert french('Voir "le plan": urgent!') == "Voir «\u202fle plan\u202f»\u00a0: urgent\u202f!"
    assert french("l'Ariège ; 14:30 https://x") == "l’Ariège\u202f; 14:30 https://x"
    assert long_date(date(2024, 3, 1)) == "1er\u00a0mars 2024"
    assert clock(datetime(2024, 3, 1, 9, 5, tzinfo=UTC)) == "9\u00a0h\u00a005"


@pytest.mark.skipif(pdftoppm() is None, reason="poppler-utils (pdftoppm) n'est pas installé")
def test_every_page_looks_like_the_reviewed_image(ariege: Store, tmp_path: Path) -> None:
    session = run_short_workshop(ariege)
    with ariege.writer.begin() as conn:  # a fixed clock on the minutes
        conn.execute(
            update(WORKSHOP_SESSION)
            .where(WORKSHOP_SESSION.c.id == session)
            .values(started_at=PRINTED, ended_at=PRINTED.replace(hour=11))
        )
    documents = {
        "cts": export_cts_pdf(ariege, "09", tmp_path / "cts.pdf", today=TODAY, printed_at=PRINTED).path,
        "atelier": export_workshop_pdf(ariege, "09", session, tmp_path / "atelier.pdf").path,
    }
    update_references = os.environ.get(UPDATE_ENV) == "1"
    for name, pdf in documents.items():
        pages = render_pages(pdf, tmp_path, name)
        references = sorted(REFERENCES.glob(f"{name}-*.png"))
        if update_references:
            REFERENCES.mkdir(parents=True, exist_ok=True)
            for old in references:
                old.unlink()
            for page in pages:
                shutil.copy2(page, REFERENCES / page.name)
            continue
        assert [p.name for p in pages] == [r.name for r in references], f"{name} : nombre de pages"
        for page, reference in zip(pages, references, strict=True):
            mean, worst = image_difference(page, reference)
            assert mean <= PAGE_TOLERANCE and worst <= TILE_TOLERANCE, (page.name, mean, worst)


def test_the_statuses_are_told_apart_printed_in_black_and_white() -> None:
    """The dossier and the workbook are printed on the delegation's black-and-white printer: each
    status's grey stands apart from every other's (À lancer and Reportée printed alike, 188 and 189,
    as did En cours and Réalisée)."""
    from itertools import combinations

    from exports.palette import STATUS_COLOURS, grey_level

    greys = {status: grey_level(colour) for status, colour in STATUS_COLOURS.items()}
    close = [(a, b) for a, b in combinations(greys, 2) if abs(greys[a] - greys[b]) < 30]
    assert close == [], greys
