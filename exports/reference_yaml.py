"""Writing a department's scheme as a reference YAML file (the format `init` reads)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine

from exports.atomic import atomic_path
from store.reference import read_reference

HEADER = (
    "# Suivi STS — schéma territorial de santé exporté le {date}\n"
    "# Département : {code} {nom}\n"
    "# Format : docs/reference-format.md (rechargeable avec « suivi-sts init --reference »)\n"
)


class _Dumper(yaml.SafeDumper):
    """Block scalars for multi-line texts, dates as YYYY-MM-DD, key order kept."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else ('"' if value.isdigit() else None)
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _date(dumper: yaml.SafeDumper, value: date) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:timestamp", value.isoformat())


_Dumper.add_representer(str, _str)
_Dumper.add_representer(date, _date)


def dump_reference(doc: dict[str, Any]) -> str:
    """The text of a reference document."""
    body = yaml.dump(doc, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
    dept = doc["departement"]
    today = datetime.now().astimezone().date().isoformat()

    def one_line(value: object) -> str:  # the header is a comment: no line break may escape it
        return " ".join(str(value).split())

    return HEADER.format(date=today, code=one_line(dept["code"]), nom=one_line(dept["nom"])) + body


def export_reference(engine: Engine, department: str, path: Path) -> dict[str, Any]:
    """Write the department's scheme to `path` (atomically). Returns the document written."""
    with engine.connect() as conn:
        doc = read_reference(conn, department)
    text = dump_reference(doc)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return doc
