"""Test data for the PDF exports: a short workshop and a monthly indicator with its breakdown.

The indicator has the shape of the post-COVID monthly counts of the seed documents (patients in
complex situations, by minors, men and women); its numbers are made up for the tests.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from html import unescape
from pathlib import Path

import yaml

from exports.reference_yaml import dump_reference
from importers.reference_yaml import embedded_reference_text
from importers.setup_store import initialise
from store import actions as action_rules
from store import indicators as indicator_rules
from store.activity import end_workshop, start_workshop
from store.database import Store, open_store
from store.indicators import IndicatorData, ValueChange, ValueKey

#: (period, minors, men, women), made-up counts.
POST_COVID = (
    ("2023-08", 2, 6, 8),
    ("2023-09", 1, 20, 30),
    ("2023-10", 4, 54, 78),
    ("2023-11", 0, 59, 93),
    ("2023-12", 2, 26, 50),
    ("2024-01", 0, 18, 28),
)
CATEGORIES = ("Mineurs", "Hommes", "Femmes")


def add_post_covid_indicator(store: Store, department: str = "09", action: str = "ACT-058") -> None:
    with store.writer.begin() as conn:
        indicator = indicator_rules.create_indicator(
            conn,
            department,
            IndicatorData(
                code="",
                label="Patients post-COVID en situation complexe pris en charge",
                action=action,
                unit="patients",
                periodicity="mensuelle",
            ),
        )
        changes = []
        for period, *counts in POST_COVID:
            changes.append(ValueChange(ValueKey(indicator.code, period), None, float(sum(counts))))
            for category, count in zip(CATEGORIES, counts, strict=True):
                changes.append(ValueChange(ValueKey(indicator.code, period, category), None, float(count)))
        indicator_rules.write_values(conn, department, changes, author="coordinatrice", source="test")


def run_short_workshop(store: Store, department: str = "09") -> int:
    """A workshop on objective E1-D3-O7: two actions changed, a comment; returns its id."""
    with store.writer.begin() as conn:
        session = start_workshop(
            conn,
            department,
            scope_kind="objectif",
            scope_code="E1-D3-O7",
            # As the workshop screen stores it: the kind and code, then the title.
            scope_label="Objectif E1-D3-O7 — Renforcer les démarches d'« aller vers » en prévention",
            author="Claire Martin",
            participants=["Claire Martin", "Dr Paul Dupuy (CPTS)", "Anne Roux (CD 09)"],
        )
        found = action_rules.load_actions(conn, department, ["ACT-003", "ACT-007"])
        a3, a7 = found["ACT-003"], found["ACT-007"]
        source = session.source
        step = replace(a3, status="en_cours", progress=10)
        action_rules.update_action(conn, department, a3, step, author="Claire Martin", source=source)
        step = action_rules.load_actions(conn, department, ["ACT-003"])["ACT-003"]
        action_rules.update_action(
            conn, department, step, replace(step, progress=30), author="Claire Martin", source=source
        )
        done = replace(a7, status="reportee", weather="orange")
        action_rules.update_action(
            conn,
            department,
            a7,
            done,
            author="Claire Martin",
            source=source,
            comment="IRM : attente de l'ARS",
        )
        action_rules.add_comment(
            conn,
            department,
            a3,
            "Le bus passera aussi à Lavelanet ; point en juin !",
            author="Claire Martin",
            source=source,
        )
        end_workshop(conn, session.id)
    return session.id


# --- The Ariège store of the app tests, and pages as images -----------------------------------

FIXTURES = Path(__file__).parent / "fixtures"
REFERENCES = FIXTURES / "pdf_reference"
#: Set to 1 to rewrite the reference images (then look at each one before committing it).
UPDATE_ENV = "SUIVI_STS_UPDATE_PDF_REFERENCES"
DPI = 30
#: Mean absolute difference (0-255) allowed over a page, and over any tile of it.
PAGE_TOLERANCE = 3.0
TILE_TOLERANCE = 40.0
TILE = 24


def ariege_reference(folder: Path) -> Path:
    """The embedded Ariège scheme with the follow-up the app tests use (late actions, progress)."""
    doc = yaml.safe_load(embedded_reference_text())
    follow_up = yaml.safe_load((FIXTURES / "ariege_followup.yaml").read_text(encoding="utf-8"))["actions"]
    for action in doc["actions"]:
        action.update(follow_up.get(action["code"], {}))
    reference = folder / "ariege_suivi.yaml"
    reference.write_text(dump_reference(doc), encoding="utf-8")
    return reference


def ariege_store_file(folder: Path, *, indicator: bool = True) -> Path:
    """A store of `ariege_reference` in `folder` (with the post-COVID indicator if `indicator`)."""
    path = folder / "ariege.sqlite"
    result = initialise(path, reference=ariege_reference(folder))
    if indicator:
        add_post_covid_indicator(result.store)
    result.store.dispose()
    return path


def ariege_without_actions_file(folder: Path) -> Path:
    """A store of the Ariège scheme just set up: no action, no resource (`folder`/vide.sqlite)."""
    doc = yaml.safe_load(embedded_reference_text())
    doc["actions"], doc["ressources"] = [], []
    reference = folder / "vide.yaml"
    reference.write_text(dump_reference(doc), encoding="utf-8")
    path = folder / "vide.sqlite"
    initialise(path, reference=reference).store.dispose()
    return path


def store_copy(template: Path, folder: Path) -> Iterator[Store]:
    """A copy of the store file `template` in `folder`, open (for a fixture: `yield from`)."""
    path = folder / template.name
    shutil.copy2(template, path)
    store = open_store(path)
    yield store
    store.dispose()


def pdftoppm() -> str | None:
    return shutil.which("pdftoppm")


def render_pages(pdf: Path, folder: Path, prefix: str) -> list[Path]:
    """Each page of `pdf` as a grey PNG at `DPI` (poppler's pdftoppm)."""
    subprocess.run(
        [pdftoppm() or "pdftoppm", "-png", "-gray", "-r", str(DPI), str(pdf), str(folder / prefix)],
        check=True,
        timeout=120,
    )
    return sorted(folder.glob(f"{prefix}-*.png"))


def image_difference(first: Path, second: Path) -> tuple[float, float]:
    """(mean absolute difference over the page, worst mean over a TILE × TILE square)."""
    from PIL import Image, ImageChops, ImageStat

    a = Image.open(first).convert("L")
    b = Image.open(second).convert("L")
    if a.size != b.size:
        return 255.0, 255.0
    diff = ImageChops.difference(a, b)
    width, height = diff.size
    total = 0.0
    worst = 0.0
    for top in range(0, height, TILE):
        for left in range(0, width, TILE):
            tile = diff.crop((left, top, min(left + TILE, width), min(top + TILE, height)))
            tile_sum = ImageStat.Stat(tile).sum[0]
            total += tile_sum
            worst = max(worst, tile_sum / (tile.width * tile.height))
    return total / (width * height), worst


_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>')


def overlapping_words(pdf: Path) -> list[tuple[int, str, str]]:
    """(page, word, word) for each two words printed over each other on a line (poppler's
    `pdftotext -bbox`): a word running out of its table column into the next one."""
    out = subprocess.run(
        [shutil.which("pdftotext") or "pdftotext", "-bbox", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    found = []
    for number, page in enumerate(out.split("<page ")[1:], 1):
        # (top, left, bottom, right, text), top first
        words = sorted(
            (float(y0), float(x0), float(y1), float(x1), unescape(text))
            for x0, y0, x1, y1, text in _WORD.findall(page)
        )
        for i, (y0, x0, y1, x1, text) in enumerate(words):
            for v0, u0, v1, u1, other in words[i + 1 :]:
                if v0 >= y1:
                    break
                same_line = min(y1, v1) - max(y0, v0) > 0.5 * min(y1 - y0, v1 - v0)
                if same_line and min(x1, u1) - max(x0, u0) > 0.5:
                    found.append((number, text, other))
    return found
