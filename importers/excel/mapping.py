"""Foreign workbook layouts: a YAML mapping says which column holds which field.

The ARS's own templates, a partner's list of respite places, the national open-data
directory of services for older people… none of them looks like the exchange workbook. A
mapping file (format in docs/excel.md, examples in importers/mappings/) names the sheet,
the columns, how rows match existing records (``cle``: Code, or FINESS for resources),
filters, rules turning yes/no flags into types, value translations, and defaults for new
records. The mapped rows then go through the same checks and preview as the exchange
workbook (without export data: no conflicts, differences are applied).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from importers.excel import cells
from importers.excel.fields import (
    FIELDS_BY_KIND,
    KIND_ACTION,
    KIND_INDICATOR,
    KIND_RESOURCE,
    header_key,
    label_of,
)
from importers.excel.headers import alias_table, locate_header
from importers.excel.model import Location, Problem
from importers.excel.reader import Workbook
from importers.excel.settings import Settings
from importers.excel.workbook import SheetRows
from store.errors import system_error_text
from store.vocab import fold

TARGETS = {"actions": KIND_ACTION, "ressources": KIND_RESOURCE, "indicateurs": KIND_INDICATOR}
KEYS = frozenset(
    ("format", "nom", "description", "cible", "feuille", "ligne_entete", "cle", "creer")
    + ("colonnes", "filtre", "regles", "seulement_si_regle", "valeurs", "defauts", "colonnes_par_position")
)
MAX_MAPPING_BYTES = 256 * 1024


class MappingError(Exception):
    """A mapping file that cannot be used; the message is French and names the file."""


@dataclass(frozen=True)
class Rule:
    column: str  # header key of the source column tested
    values: frozenset[str]  # folded values that trigger the rule
    assignments: dict[str, Any]  # field → literal, or ("column", header key)


@dataclass
class Mapping:
    name: str
    target: str
    path: Path | None = None
    sheet: str | None = None
    header_row: int | None = None
    key: str = "code"
    create: bool = True
    columns: dict[str, str] = field(default_factory=dict)  # source header key → field
    written: dict[str, str] = field(default_factory=dict)  # source header key → header as written
    filters: list[tuple[str, frozenset[str]]] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    #: Rows matching no rule only update existing records (never create one).
    rules_required: bool = False
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # field → folded raw → value
    defaults: dict[str, Any] = field(default_factory=dict)  # field → raw value
    #: A file without header row (the FINESS extract): the names of its columns, in order.
    positions: list[str] | None = None

    def row_filters(self) -> list[tuple[int, list[str]]] | None:
        """The filters by column position, applied while the file is read (None: no positions)."""
        if self.positions is None:
            return None
        index = {header_key(n): i for i, n in enumerate(self.positions)}
        return [(index[column], sorted(values)) for column, values in self.filters]


def load_mapping(source: Path | str | dict[str, Any]) -> Mapping:
    """Read and check a mapping (a YAML file, or its already-parsed content)."""
    if isinstance(source, dict):
        return parse_mapping(source, "correspondance")
    path = Path(source)
    try:
        if path.stat().st_size > MAX_MAPPING_BYTES:
            raise MappingError(f"Le fichier de correspondance « {path.name} » est trop gros.")
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MappingError(
            f"Le fichier de correspondance « {path} » est illisible : "
            f"{system_error_text(exc, with_file=False)}."
        ) from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise MappingError(
            f"Le fichier de correspondance « {path.name} » n'est pas un YAML valide : {exc}"
        ) from exc
    if not isinstance(doc, dict):
        raise MappingError(f"Le fichier de correspondance « {path.name} » doit décrire un dictionnaire.")
    mapping = parse_mapping(doc, path.name)
    mapping.path = path
    return mapping


def parse_mapping(doc: dict[str, Any], where: str) -> Mapping:
    def fail(message: str) -> MappingError:
        return MappingError(f"Correspondance « {where} » : {message}")

    unknown = set(doc) - KEYS
    if unknown:
        raise fail(
            f"clé(s) inconnue(s) : {', '.join(sorted(map(str, unknown)))} "
            f"(admises : {', '.join(sorted(KEYS))})"
        )
    target = TARGETS.get(fold(str(doc.get("cible", ""))))
    if target is None:
        raise fail("« cible » doit valoir actions, ressources ou indicateurs")
    aliases = alias_table(FIELDS_BY_KIND[target])

    def target_field(name: Any) -> str:
        found = aliases.get(header_key(name))
        if found is None:
            choices = ", ".join(f.header for f in FIELDS_BY_KIND[target])
            raise fail(f"colonne cible inconnue « {name} » (colonnes possibles : {choices})")
        return found

    mapping = Mapping(name=str(doc.get("nom") or where), target=target)
    mapping.sheet = cells.text(doc.get("feuille"))
    positions = doc.get("colonnes_par_position")
    if positions is not None:
        if not isinstance(positions, list) or not positions or doc.get("ligne_entete") is not None:
            raise fail(
                "« colonnes_par_position » est la liste des noms des colonnes d'un fichier sans ligne "
                "d'en-têtes, dans l'ordre (sans « ligne_entete »)"
            )
        mapping.positions = [str(p) for p in positions]
    if doc.get("ligne_entete") is not None:
        if not isinstance(doc["ligne_entete"], int) or doc["ligne_entete"] < 1:
            raise fail("« ligne_entete » doit être un numéro de ligne (1, 2…)")
        mapping.header_row = doc["ligne_entete"]
    columns = doc.get("colonnes")
    if not isinstance(columns, dict) or not columns:
        raise fail("« colonnes » doit associer des en-têtes du classeur à des colonnes cibles")
    for source, target_name in columns.items():
        mapping.columns[header_key(source)] = target_field(target_name)
        mapping.written[header_key(source)] = str(source)
    mapping.key = target_field(doc.get("cle") or "Code")
    if target == KIND_INDICATOR and mapping.key != "code":
        raise fail("pour des indicateurs, « cle » doit être le code de l'indicateur")
    if mapping.key not in ("code", "finess"):
        raise fail("« cle » doit être Code ou FINESS")
    mapping.create = bool(doc.get("creer", True))
    for item in doc.get("filtre") or []:
        if not isinstance(item, dict) or "colonne" not in item or not isinstance(item.get("valeurs"), list):
            raise fail("chaque « filtre » a une « colonne » et une liste de « valeurs »")
        mapping.filters.append(
            (header_key(item["colonne"]), frozenset(fold(str(v)) for v in item["valeurs"]))
        )
    for item in doc.get("regles") or []:
        condition = item.get("si") if isinstance(item, dict) else None
        then = item.get("alors") if isinstance(item, dict) else None
        if not isinstance(condition, dict) or "colonne" not in condition or not isinstance(then, dict):
            raise fail("chaque règle a « si: {colonne, valeurs} » et « alors: {colonne cible: valeur} »")
        values = condition.get("valeurs") or ["oui", "x", "1", "vrai"]
        assignments: dict[str, Any] = {}
        for name, value in then.items():
            if isinstance(value, dict) and "colonne" in value:
                assignments[target_field(name)] = ("column", header_key(value["colonne"]))
            else:
                assignments[target_field(name)] = value
        mapping.rules.append(
            Rule(header_key(condition["colonne"]), frozenset(fold(str(v)) for v in values), assignments)
        )
    if mapping.positions is not None:
        named = {header_key(n) for n in mapping.positions}
        used = [*mapping.columns, *(c for c, _v in mapping.filters), *(r.column for r in mapping.rules)]
        used += [v[1] for r in mapping.rules for v in r.assignments.values() if isinstance(v, tuple)]
        absent = sorted({c for c in used if c not in named})
        if absent:
            raise fail(f"colonne(s) absente(s) de « colonnes_par_position » : {', '.join(absent)}")
    mapping.rules_required = bool(doc.get("seulement_si_regle", False))
    if mapping.rules_required and not mapping.rules:
        raise fail("« seulement_si_regle » demande au moins une règle")
    for name, table in (doc.get("valeurs") or {}).items():
        if not isinstance(table, dict):
            raise fail(f"« valeurs » de « {name} » doit associer des valeurs lues à des valeurs de la base")
        mapping.values[target_field(name)] = {fold(str(k)): str(v) for k, v in table.items()}
    for name, value in (doc.get("defauts") or {}).items():
        mapping.defaults[target_field(name)] = (
            ", ".join(map(str, value)) if isinstance(value, list) else value
        )
    return mapping


def read_mapped(
    book: Workbook, mapping: Mapping, file_name: str
) -> tuple[list[SheetRows], Settings, list[str], list[Problem]]:
    """The rows of a foreign workbook, as the mapping describes them."""
    warnings: list[str] = []
    problems: list[Problem] = []
    settings = Settings(
        key=mapping.key,
        create_unknown_keys=mapping.create,
        source=f"modèle « {mapping.name} »",
        mapping=mapping.name,
        defaults=dict(mapping.defaults),
        value_maps={(mapping.target, f): table for f, table in mapping.values.items()},
    )
    visible = [n for n in book.sheet_names if n not in book.hidden]
    if mapping.sheet and book.sheet_names != [""]:  # "" is a CSV file's one sheet
        name = next((n for n in book.sheet_names if fold(n) == fold(mapping.sheet)), None)
        if name is None:
            problems.append(
                Problem(
                    Location(file_name),
                    f"feuille « {mapping.sheet} » introuvable (feuilles : {', '.join(visible)})",
                )
            )
            return [], settings, warnings, problems
    elif visible:
        name = visible[0]
    else:
        problems.append(Problem(Location(file_name), "aucune feuille visible"))
        return [], settings, warnings, problems
    rows = book.read(name)
    wanted = dict(mapping.columns)
    header_cells: list[Any]
    if mapping.positions is not None:
        index, header_cells = -1, list(mapping.positions)
    elif mapping.header_row is not None:
        index = mapping.header_row - 1
        if index >= len(rows):
            problems.append(
                Problem(Location(file_name, name), f"ligne d'en-têtes {mapping.header_row} absente")
            )
            return [], settings, warnings, problems
    else:
        found = locate_header(rows, wanted, min_matches=min(2, len(wanted)))
        if found is None:
            expected = ", ".join(list(mapping.written.values())[:4])
            problems.append(
                Problem(
                    Location(file_name, name),
                    f"ligne d'en-têtes introuvable (colonnes attendues : {expected}…)",
                )
            )
            return [], settings, warnings, problems
        index = found.row
    if mapping.positions is None:
        header_cells = list(rows[index])
    by_key = {header_key(v): c for c, v in enumerate(header_cells) if not cells.is_blank(v)}
    missing = [mapping.written[k] for k in mapping.columns if k not in by_key]
    if missing:
        problems.append(
            Problem(Location(file_name, name, index + 1), f"colonne(s) absente(s) : {', '.join(missing)}")
        )
        return [], settings, warnings, problems
    needed = [k for k, _ in mapping.filters] + [r.column for r in mapping.rules]
    needed += [v[1] for r in mapping.rules for v in r.assignments.values() if isinstance(v, tuple)]
    absent = sorted({k for k in needed if k not in by_key})
    if absent:
        problems.append(
            Problem(
                Location(file_name, name, index + 1),
                f"colonne(s) des filtres ou règles absente(s) : {', '.join(absent)}",
            )
        )
        return [], settings, warnings, problems
    # Synthetic layout: mapped columns first (their own letters), then one column per ruled field.
    columns: dict[str, int] = {field_: by_key[key] for key, field_ in mapping.columns.items()}
    headers = {by_key[key]: str(header_cells[by_key[key]]) for key in mapping.columns}
    width = max(len(header_cells), *(len(r) for r in rows)) if rows else len(header_cells)
    ruled = sorted({f for r in mapping.rules for f in r.assignments} - set(columns))
    for offset, field_ in enumerate(ruled):
        columns[field_] = width + offset
        headers[width + offset] = f"{label_of(mapping.target, field_)} (règle de la correspondance)"
    data: list[tuple[int, list[Any]]] = []
    skipped = 0
    for number in range(index + 1, len(rows)):
        values = list(rows[number]) + [""] * (width - len(rows[number]) + len(ruled))
        if all(cells.is_blank(values[c]) for c in columns.values() if c < width):
            continue
        if any(fold(cells.text(values[by_key[k]]) or "") not in allowed for k, allowed in mapping.filters):
            skipped += 1
            continue
        done: set[str] = set()
        matched = False
        for rule in mapping.rules:
            if fold(cells.text(values[by_key[rule.column]]) or "") not in rule.values:
                continue
            matched = True
            for field_, value in rule.assignments.items():
                if field_ in done:
                    continue
                column = columns[field_]
                if column < width and not cells.is_blank(values[column]):
                    continue
                values[column] = values[by_key[value[1]]] if isinstance(value, tuple) else value
                done.add(field_)
        if mapping.rules_required and not matched:
            settings.no_create_rows.add(number + 1)
        data.append((number + 1, values))
    if skipped:
        warnings.append(
            f"feuille « {name} » : {skipped} ligne(s) écartée(s) par les filtres ou règles "
            "de la correspondance."
        )
    return [SheetRows(mapping.target, name, columns, headers, data)], settings, warnings, problems
