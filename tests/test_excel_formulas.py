"""No text a user typed ever becomes a live formula, in any sheet of any workbook written."""

from __future__ import annotations

import re
import zipfile
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import update

from exports.excel import export_ars, export_cts, export_workshop
from exports.excel.safe import looks_like_formula
from importers.excel import preview_import
from store import actions as action_rules
from store import resources as resource_rules
from store.activity import start_workshop
from store.database import Store
from store.models import Indicator, Organisation, Territory

HOSTILE = {
    "title": '=HYPERLINK("http://exemple.invalid","clic")',
    "description": "+33 5 61 00 00 00",
    "funding": "-FIR",
    "res_name": "@SUM(A1:A9)",
    "notes": "\tindenté",
    "address": "\r1 rue du Pont",
    "contact": "\nMme Exemple",
    "indicator": "＝1+1 dépistages",
    "unit": "＋personnes",
    "organisation": "=cmd|' /C calc'!A0",
    "territory": "－Couserans",
    "comment": "@atelier du 12",
    "email": "-x@exemple.fr",
}


def make_hostile(store: Store) -> int:
    with store.writer.begin() as conn:
        a = action_rules.load_actions(conn, "09")["ACT-001"]
        session = start_workshop(
            conn, "09", scope_kind="objectif", scope_code="E1-D4-S2", scope_label="=2+2", author="=moi"
        )
        action_rules.update_action(
            conn,
            "09",
            a,
            replace(
                a, title=HOSTILE["title"], description=HOSTILE["description"], funding=HOSTILE["funding"]
            ),
            author="testeur",
            source=session.source,
        )
        action_rules.add_comment(conn, "09", a, HOSTILE["comment"], author="testeur", source=session.source)
        r = resource_rules.load_resources(conn, "09")["RES-PFR"]
        resource_rules.update_resource(
            conn,
            "09",
            r,
            replace(
                r,
                name=HOSTILE["res_name"],
                notes=HOSTILE["notes"],
                address=HOSTILE["address"],
                contact_name=HOSTILE["contact"],
                email="x@exemple.fr",
            ),
            author="testeur",
            source=session.source,
        )
        conn.execute(
            update(Indicator.__table__).values(label=HOSTILE["indicator"], unit=HOSTILE["unit"])  # type: ignore[attr-defined]
        )
        t = Organisation.__table__  # type: ignore[attr-defined]
        conn.execute(update(t).where(t.c.code == "CPTS-AP").values(name=HOSTILE["organisation"]))
        t = Territory.__table__  # type: ignore[attr-defined]
        conn.execute(update(t).where(t.c.code == "COUSERANS").values(name=HOSTILE["territory"]))
    return session.id


def assert_no_formula(path: Path, expected: set[str]) -> None:
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                assert not re.search(rb"<(?:\w+:)?f[ >]", archive.read(name)), f"formule dans {name}"
    book = openpyxl.load_workbook(path)
    found: set[str] = set()
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} = {cell.value!r}"
                # openpyxl leaves OOXML's escapes of control characters (_x000D_ for CR) as they are.
                value = re.sub(r"_x([0-9A-F]{4})_", lambda m: chr(int(m.group(1), 16)), str(cell.value or ""))
                if looks_like_formula(value):
                    assert cell.quotePrefix, f"{sheet.title}!{cell.coordinate} sans préfixe"
                    found.add(value)
    missing = {text for text in expected if not any(text in value for value in found)}
    assert not missing, missing


@pytest.mark.parametrize("triggers", [list(HOSTILE.values())])
def test_every_workbook_writes_formula_like_texts_as_text(
    loaded_store: Store, tmp_path: Path, triggers: list[str]
) -> None:
    session = make_hostile(loaded_store)
    ars, cts, cts_contacts, workshop = (tmp_path / n for n in ("a.xlsx", "c.xlsx", "cc.xlsx", "w.xlsx"))
    export_ars(loaded_store, "09", ars)
    export_cts(loaded_store, "09", cts)
    export_cts(loaded_store, "09", cts_contacts, with_contacts=True)
    export_workshop(loaded_store, "09", session, workshop)
    in_ars = {
        HOSTILE[k] for k in ("title", "description", "funding", "res_name", "notes", "address", "contact")
    }
    in_ars |= {HOSTILE[k] for k in ("indicator", "unit", "organisation", "territory")}
    assert_no_formula(ars, in_ars)
    assert_no_formula(cts, {HOSTILE[k] for k in ("title", "res_name", "organisation", "indicator", "unit")})
    assert_no_formula(cts_contacts, {HOSTILE["contact"]})
    assert_no_formula(workshop, {HOSTILE["title"], HOSTILE["comment"], "=2+2"})
    # The texts come back unchanged: re-importing the exchange workbook changes nothing.
    preview = preview_import(loaded_store, "09", ars)
    assert not preview.rejected and not preview.has_changes


def test_every_trigger_is_recognised() -> None:
    for text in ("=1", "+1", "-1", "@1", "\t1", "\r1", "\n1", "＝1", "＋1", "－1", "＠1"):
        assert looks_like_formula(text)
    assert not looks_like_formula("Mammobile") and not looks_like_formula(" =1")
