"""The exchange workbook's « Lisez-moi » counts what its sheets hold (the actions are streamed)."""

from __future__ import annotations

from pathlib import Path

from python_calamine import CalamineWorkbook

from exports.excel import export_ars
from store.database import Store


def test_the_readme_counts_the_exported_actions(loaded_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "echange.xlsx"
    export_ars(loaded_store, "09", path)
    book = CalamineWorkbook.from_path(str(path))
    actions = [r for r in book.get_sheet_by_name("Actions").to_python()[1:] if r and r[0]]
    readme = " ".join(str(c) for row in book.get_sheet_by_name("Lisez-moi").to_python() for c in row)
    assert actions and f": {len(actions)} actions," in readme
