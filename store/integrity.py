"""Integrity check of a store and counts per table."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine, func, select, text

from store.models import metadata


@dataclass
class IntegrityReport:
    problems: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def check(engine: Engine, *, quick: bool = False) -> IntegrityReport:
    """Run the database's own checks (SQLite) and count the rows of every table."""
    report = IntegrityReport()
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            pragma = "quick_check" if quick else "integrity_check"
            result = [r[0] for r in conn.execute(text(f"PRAGMA {pragma}"))]
            if result != ["ok"]:
                report.problems.extend(f"Intégrité SQLite : {r}" for r in result)
            for table, rowid, parent, _fk in conn.execute(text("PRAGMA foreign_key_check")):
                report.problems.append(f"Référence cassée : {table} ligne {rowid} → {parent} absent")
        for name, table in sorted(metadata.tables.items()):
            report.counts[name] = conn.execute(select(func.count()).select_from(table)).scalar_one()
    return report
