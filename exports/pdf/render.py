"""Typst compilation: a template of this package and its data, to a PDF file, offline.

The template and `data.json` are copied into a private temporary folder, which is the only
root Typst may read; only the fonts embedded in the Typst package are used (no system font,
so the PDF is the same on every machine), and no package is ever fetched.
"""

from __future__ import annotations

import json
import re
import tempfile
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from store.errors import StoreError

TEMPLATES = ("common.typ", "cts.typ", "workshop.typ")


class PdfError(StoreError):
    """The PDF could not be made (a template error: a bug, reported in French)."""


def render(template: str, data: dict[str, Any], target: Path, *, timestamp: datetime | None = None) -> int:
    """Compile `template` with `data` into `target`; returns the number of pages."""
    import typst

    with tempfile.TemporaryDirectory(prefix="suivi-sts-pdf-") as folder:
        root = Path(folder)
        package = resources.files("exports.pdf")
        for name in TEMPLATES:
            (root / name).write_text(package.joinpath(name).read_text(encoding="utf-8"), encoding="utf-8")
        (root / "data.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        fonts = typst.Fonts(include_system_fonts=False, include_embedded_fonts=True)
        # Empty package folders: an `@preview/…` import fails instead of reaching the network.
        (root / "packages").mkdir()
        compiler = typst.Compiler(
            root=str(root),
            font_paths=fonts,
            ignore_system_fonts=True,
            package_path=str(root / "packages"),
            package_cache_path=str(root / "packages"),
        )
        try:
            pdf = compiler.compile(
                input=str(root / template),
                format="pdf",
                timestamp=(timestamp or datetime.now().astimezone()).replace(microsecond=0),
            )
        except typst.TypstError as exc:  # pragma: no cover - a template bug
            raise PdfError(f"Le PDF n'a pas pu être composé : {exc.message}") from exc
        assert isinstance(pdf, bytes)
        target.write_bytes(pdf)
    return len(_PAGE.findall(pdf))


_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")
