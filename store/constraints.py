"""Database constraints that still fire, explained in French (never the driver's message).

The domain rules (store.actions, store.resources, store.indicators…) refuse bad input before
anything is written; what they cannot see (a code taken meanwhile by another window, a record
deleted elsewhere) is refused by the database itself. `constraint_messages()` turns those
refusals — unique, foreign key, check, not null, on SQLite and on PostgreSQL — into a
`ValidationError` naming the record and the field, so that a form shows it under the field:

    with constraint_messages(code=data.code), store.writer.begin() as conn:
        create_action(conn, department, data, ...)

Put it outside the transaction: the transaction is rolled back first, then the error explained.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ForeignKey, Table
from sqlalchemy.exc import IntegrityError

from store.actions import FIELD_LABELS as ACTION_LABELS
from store.errors import ValidationError
from store.health import AccessDenied
from store.indicators import FIELD_LABELS as INDICATOR_LABELS
from store.models import metadata
from store.resources import FIELD_LABELS as RESOURCE_LABELS
from store.vocab import ACTION_STATUS_LABELS, RESOURCE_STATUS_LABELS, Periodicity, Weather


@dataclass(frozen=True)
class RecordName:
    """How a table's record is named in a sentence."""

    definite: str  # « l'action »
    other: str  # « une autre action »
    plural: str  # « des actions »
    feminine: bool

    def agree(self, word: str) -> str:
        """« désigné » → « désignée » for a feminine record."""
        return f"{word}e" if self.feminine else word


def _name(definite: str, other: str, plural: str, feminine: bool) -> RecordName:
    return RecordName(definite, other, plural, feminine)


#: French names of each table's records.
RECORDS: dict[str, RecordName] = {
    "action": _name("l'action", "une autre action", "des actions", True),
    "action_event": _name("la ligne du journal", "une autre ligne du journal", "des lignes du journal", True),
    "care_offer_activity": _name(
        "l'activité de l'offre de soins", "une autre activité", "des activités de l'offre de soins", True
    ),
    "care_offer_target": _name(
        "la ligne de l'offre de soins", "une autre ligne", "des lignes de l'offre de soins", True
    ),
    "challenge": _name("le défi", "un autre défi", "des défis", False),
    "cnr_proposal": _name("la proposition du CNR", "une autre proposition", "des propositions du CNR", True),
    "cts_challenge": _name("le défi du CTS", "un autre défi du CTS", "des défis du CTS", False),
    "department": _name(
        "le département", "un autre département", "des enregistrements du département", False
    ),
    "engagement": _name("l'engagement", "un autre engagement", "des engagements", False),
    "exchange": _name("l'import ou export", "un autre import ou export", "des imports ou exports", False),
    "indicator": _name("l'indicateur", "un autre indicateur", "des indicateurs", False),
    "indicator_value": _name(
        "la valeur d'indicateur", "une autre valeur d'indicateur", "des valeurs d'indicateur", True
    ),
    "objective": _name("l'objectif", "un autre objectif", "des objectifs", False),
    "organisation": _name("l'organisation", "une autre organisation", "des organisations", True),
    "pathway": _name("le parcours", "un autre parcours", "des parcours", False),
    "reference_event": _name(
        "la ligne du journal du référentiel", "une autre ligne du journal", "des lignes du journal", True
    ),
    "resource": _name("la ressource", "une autre ressource", "des ressources", True),
    "resource_event": _name(
        "la ligne du journal de la ressource", "une autre ligne du journal", "des lignes du journal", True
    ),
    "saved_filter": _name(
        "le filtre enregistré", "un autre filtre enregistré", "des filtres enregistrés", False
    ),
    "store_identity": _name("l'identité de la base", "une autre identité", "des identités de la base", True),
    "sync_conflict": _name(
        "le conflit de synchronisation", "un autre conflit", "des conflits de synchronisation", False
    ),
    "sync_state": _name(
        "l'état de synchronisation", "un autre état de synchronisation", "des états de synchronisation", False
    ),
    "territory": _name("le territoire", "un autre territoire", "des territoires", False),
    "theme": _name("le thème", "un autre thème", "des thèmes", False),
    "workshop_session": _name(
        "la séance d'atelier", "une autre séance d'atelier", "des séances d'atelier", True
    ),
}
_UNKNOWN_RECORD = _name("l'enregistrement", "un autre enregistrement", "d'autres enregistrements", False)

#: Link tables belong to a record: (owner table, owner column, field of the owner they hold).
LINKS: dict[str, tuple[str, str, str]] = {
    "action_objective": ("action", "action_id", "objectives"),
    "action_partner": ("action", "action_id", "partners"),
    "action_territory": ("action", "action_id", "territories"),
    "resource_audience": ("resource", "resource_id", "audiences"),
    "resource_territory": ("resource", "resource_id", "territories"),
    "challenge_theme": ("challenge", "challenge_id", "themes"),
    "challenge_pathway": ("challenge", "challenge_id", "pathways"),
    "objective_theme": ("objective", "objective_id", "themes"),
    "objective_pathway": ("objective", "objective_id", "pathways"),
}

#: Columns whose field has another name (a reference by id shown as a code).
COLUMN_FIELDS: dict[str, dict[str, str]] = {
    "action": {"lead_id": "lead"},
    "resource": {"carrier_id": "carrier"},
    "indicator": {"action_id": "action", "objective_id": "objective"},
    "indicator_value": {"indicator_id": "indicator"},
    "action_event": {"action_id": "action"},
    "resource_event": {"resource_id": "resource"},
    "challenge": {"engagement_id": "engagement"},
    "objective": {"challenge_id": "challenge"},
    "care_offer_target": {"activity_id": "activity"},
}

_COMMON_LABELS = {"code": "Code", "department_code": "Département", "position": "Position"}
_JOURNAL_LABELS = {
    "kind": "Type de ligne",
    "author": "Auteur",
    "source": "Source",
    "comment": "Commentaire",
    "at": "Date",
}
_SCHEME_LABELS = {"title": "Intitulé", "number": "Numéro", "themes": "Thèmes", "pathways": "Parcours"}
#: French labels of the fields of tables without a rules module of their own.
LOCAL_LABELS: dict[str, dict[str, str]] = {
    "action": {**ACTION_LABELS, "code": "Code"},
    "resource": {**RESOURCE_LABELS, "code": "Code"},
    "indicator": {**INDICATOR_LABELS, "code": "Code"},
    "organisation": {"name": "Nom", "kind": "Type"},
    "territory": {"name": "Nom", "kind": "Type"},
    "department": {"name": "Nom"},
    "engagement": _SCHEME_LABELS,
    "challenge": {**_SCHEME_LABELS, "engagement": "Engagement", "stakes": "Enjeux"},
    "objective": {**_SCHEME_LABELS, "challenge": "Défi"},
    "theme": {"name": "Nom"},
    "pathway": {"name": "Nom"},
    "indicator_value": {
        "indicator": "Indicateur",
        "period": "Période",
        "category": "Catégorie",
        "value": "Valeur",
    },
    "action_event": {"action": "Action", **_JOURNAL_LABELS},
    "resource_event": {"resource": "Ressource", **_JOURNAL_LABELS},
    "saved_filter": {"name": "Nom", "criteria": "Critères"},
    "workshop_session": {
        "scope_kind": "Portée",
        "scope_code": "Code de la portée",
        "scope_label": "Intitulé",
        "author": "Auteur",
    },
    "exchange": {"direction": "Sens", "kind": "Type", "file_name": "Fichier", "author": "Auteur"},
    "care_offer_activity": {"name": "Activité"},
    "care_offer_target": {"activity": "Activité", "table_title": "Titre du tableau"},
    "cts_challenge": {"text": "Texte"},
    "cnr_proposal": {"section": "Rubrique", "text": "Texte"},
    "sync_state": {"server": "Serveur", "kind": "Type", "code": "Code"},
    "sync_conflict": {"server": "Serveur", "kind": "Type", "uid": "Identité", "field": "Champ"},
    "store_identity": {"uid": "Identité"},
}


def _choices(values: list[str]) -> str:
    return ", ".join(values[:-1]) + f" ou {values[-1]}" if len(values) > 1 else "".join(values)


#: Why each check constraint refuses a value: (table, short name) → (field, French rule).
CHECKS: dict[tuple[str, str], tuple[str | None, str]] = {
    ("action", "status"): ("status", _choices(list(ACTION_STATUS_LABELS.values()))),
    ("action", "progress"): ("progress", "doit être entre 0 et 100"),
    ("action", "weather"): ("weather", ", ".join(w.value for w in Weather) + " ou vide"),
    ("action", "dates"): ("due_date", "l'échéance ne peut pas précéder le début"),
    ("action", "start_date_precision"): ("start_date", "précision year, month ou day"),
    ("action", "due_date_precision"): ("due_date", "précision year, month ou day"),
    ("action", "budget"): ("budget_cents", "ne peut pas être négatif"),
    ("action_event", "kind"): ("kind", "création, modification ou commentaire"),
    ("resource_event", "kind"): ("kind", "création, modification ou commentaire"),
    ("resource", "status"): ("status", _choices(list(RESOURCE_STATUS_LABELS.values()))),
    ("resource", "capacity"): ("capacity", "ne peut pas être négative"),
    ("territory", "kind"): ("kind", "département ou bassin"),
    ("indicator", "owner"): ("action", "un indicateur mesure une action ou un objectif, l'un des deux"),
    ("indicator", "periodicity"): ("periodicity", _choices([p.value for p in Periodicity])),
    ("workshop_session", "scope_kind"): ("scope_kind", "objectif, défi ou territoire"),
    ("exchange", "direction"): ("direction", "import ou export"),
}


def record_name(table: str) -> RecordName:
    return RECORDS.get(table, _UNKNOWN_RECORD)


def field_of(table: str, column: str) -> str:
    """The field a table's column holds (`lead_id` → `lead`)."""
    return COLUMN_FIELDS.get(table, {}).get(column, column)


def field_label(table: str, field: str) -> str:
    return LOCAL_LABELS.get(table, {}).get(field) or _COMMON_LABELS.get(field) or field


@contextmanager
def constraint_messages(code: str | None = None) -> Iterator[None]:
    """Turn a database constraint refusal inside the block into a French `ValidationError`.

    `code` is the code of the record being written, named in the message when given.
    """
    try:
        yield
    except IntegrityError as exc:
        raise explain(exc, code=code) from exc
    except AccessDenied as exc:
        explained = explain_reference_refusal(str(exc), code=code)
        if explained is None:
            raise
        raise explained from exc


# --- what the database said ---------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """A constraint refusal, whatever the database: which kind, table, columns, constraint."""

    kind: str  # "unique", "foreign_key", "check", "not_null"
    table: str | None
    columns: tuple[str, ...] = ()
    constraint: str | None = None
    deleting: bool = False  # a foreign key refused the deletion of `table`'s record
    referrer: str | None = None  # then: the table still pointing at it, when known
    values: Mapping[str, Any] | None = None  # the written values, by column, when known


_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (.+)")
_SQLITE_CHECK = re.compile(r"CHECK constraint failed: (.+)")
_SQLITE_NOT_NULL = re.compile(r"NOT NULL constraint failed: (\w+)\.(\w+)")
_INSERT = re.compile(r'^\s*INSERT\s+INTO\s+"?(\w+)"?\s*\(([^)]*)\)', re.IGNORECASE)
_UPDATE = re.compile(
    r'^\s*UPDATE\s+"?(\w+)"?\s+SET\s+(.+?)(?:\s+WHERE\s|\s+RETURNING\s|$)', re.IGNORECASE | re.DOTALL
)
_DELETE = re.compile(r'^\s*DELETE\s+FROM\s+"?(\w+)"?', re.IGNORECASE)
_PG_KEY = re.compile(r"Key \(([^)]*)\)")
_PG_STATES = {"23505": "unique", "23503": "foreign_key", "23514": "check", "23502": "not_null"}


def _statement(statement: str | None, params: Any) -> tuple[str | None, str | None, dict[str, Any]]:
    """(verb, table, written values by column) of the SQL statement that failed."""
    if not statement:
        return None, None, {}
    if match := _INSERT.match(statement):
        columns = [c.strip().strip('"') for c in match.group(2).split(",")]
        return "insert", match.group(1), _values(columns, params)
    if match := _UPDATE.match(statement):
        columns = [a.split("=")[0].strip().strip('"') for a in match.group(2).split(",")]
        return "update", match.group(1), _values(columns, params)
    if match := _DELETE.match(statement):
        return "delete", match.group(1), {}
    return None, None, {}


def _values(columns: list[str], params: Any) -> dict[str, Any]:
    if isinstance(params, Mapping):
        return {c: params[c] for c in columns if c in params}
    if isinstance(params, tuple) and len(params) >= len(columns):
        return dict(zip(columns, params, strict=False))
    return {}


def refusal_of(exc: IntegrityError) -> Refusal | None:
    """What an IntegrityError says, read from SQLite's message or PostgreSQL's diagnostics."""
    orig = exc.orig
    verb, statement_table, values = _statement(exc.statement, exc.params)
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate is not None:
        kind = _PG_STATES.get(sqlstate)
        if kind is None:
            return None
        diag = getattr(orig, "diag", None)
        table = getattr(diag, "table_name", None) or statement_table
        constraint = getattr(diag, "constraint_name", None)
        column = getattr(diag, "column_name", None)
        if kind == "not_null":
            columns: tuple[str, ...] = (column,) if column else ()
        elif kind == "unique":
            columns = _unique_columns(table, constraint, getattr(diag, "message_detail", None))
        elif kind == "foreign_key":
            columns = _foreign_key_column(table, constraint)
            if verb == "delete":  # PostgreSQL names the referencing table: report the deleted one
                return Refusal(kind, statement_table, (), constraint, deleting=True, referrer=table)
        else:
            columns = ()
        if kind == "check" and table and constraint and constraint.startswith(f"ck_{table}_"):
            constraint = constraint[len(f"ck_{table}_") :]
        return Refusal(kind, table, columns, constraint, deleting=verb == "delete", values=values)
    text = str(orig)
    if match := _SQLITE_UNIQUE.search(text):
        pairs = [part.strip().split(".", 1) for part in match.group(1).split(",")]
        table = pairs[0][0] if pairs and len(pairs[0]) == 2 else statement_table
        return Refusal("unique", table, tuple(p[-1] for p in pairs), values=values)
    if match := _SQLITE_NOT_NULL.search(text):
        return Refusal("not_null", match.group(1), (match.group(2),), values=values)
    if match := _SQLITE_CHECK.search(text):
        name = match.group(1).strip()
        table = statement_table
        if table and name.startswith(f"ck_{table}_"):
            name = name[len(f"ck_{table}_") :]
        elif table:
            name = _check_by_expression(table, name) or name
        return Refusal("check", table, (), name, values=values)
    if "FOREIGN KEY constraint failed" in text:
        columns = () if verb == "delete" else _suspect_foreign_keys(statement_table, values)
        return Refusal("foreign_key", statement_table, columns, deleting=verb == "delete", values=values)
    return None


def _table(name: str | None) -> Table | None:
    return metadata.tables.get(name) if name else None


def _foreign_keys(name: str | None) -> list[ForeignKey]:
    found = _table(name)
    return list(found.foreign_keys) if found is not None else []


def _unique_columns(table: str | None, constraint: str | None, detail: str | None) -> tuple[str, ...]:
    found = _table(table)
    if found is not None and constraint:
        if constraint == f"pk_{table}":
            return tuple(c.name for c in found.primary_key.columns)
        for candidate in found.constraints:
            columns = tuple(c.name for c in getattr(candidate, "columns", ()))
            if columns and constraint == f"uq_{table}_{'_'.join(columns)}":
                return columns
    if detail and (match := _PG_KEY.search(detail)):
        return tuple(c.strip() for c in match.group(1).split(","))
    return ()


def _foreign_key_column(table: str | None, constraint: str | None) -> tuple[str, ...]:
    for key in _foreign_keys(table):
        if constraint == f"fk_{table}_{key.parent.name}_{key.column.table.name}":
            return (key.parent.name,)
    return ()


def _suspect_foreign_keys(table: str | None, values: Mapping[str, Any]) -> tuple[str, ...]:
    """SQLite does not say which reference failed: the one written, when only one was."""
    owner = LINKS.get(table or "", (None, None, None))[1]
    written = [
        k.parent.name
        for k in _foreign_keys(table)
        if k.parent.name in values and k.parent.name != owner and values[k.parent.name] is not None
    ]
    # The department is the app's own: suspect it only when nothing else was written.
    others = [c for c in written if c != "department_code"]
    suspects = others or written
    return tuple(suspects) if len(suspects) == 1 else ()


def _check_by_expression(table: str, text: str) -> str | None:
    """Older SQLite versions name a check by its expression: find its short name."""
    found = _table(table)
    if found is None:
        return None
    squeeze = "".join(text.split()).lower()
    for constraint in found.constraints:
        sqltext = getattr(constraint, "sqltext", None)
        if sqltext is not None and "".join(str(sqltext).split()).lower() == squeeze:
            name = str(constraint.name or "")
            return name[len(f"ck_{table}_") :] if name.startswith(f"ck_{table}_") else name
    return None


# --- the French message ---------------------------------------------------------------------------


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _subject(record: RecordName, code: str | None) -> str:
    """« l'action « ACT-012 » » or « l'action »."""
    return f"{record.definite} « {code} »" if code else record.definite


def explain(exc: IntegrityError, *, code: str | None = None) -> ValidationError:
    """The French ValidationError for a constraint refusal (a general one if unrecognised)."""
    refusal = refusal_of(exc)
    if refusal is None:
        return ValidationError(
            "La base a refusé l'enregistrement (une règle d'intégrité n'est pas respectée) ; "
            "rien n'a été enregistré."
        )
    return message_for(refusal, code=code)


def message_for(refusal: Refusal, *, code: str | None = None) -> ValidationError:
    table = refusal.table or ""
    link = LINKS.get(table)
    owner_table = link[0] if link else table
    record = record_name(owner_table)
    if refusal.kind == "unique":
        return _unique(refusal, table, link, record, code)
    if refusal.kind == "not_null":
        column = refusal.columns[0] if refusal.columns else ""
        field = link[2] if link else field_of(table, column)
        label = field_label(owner_table, field)
        return ValidationError(f"{label} : une valeur est obligatoire pour {_subject(record, code)}.", field)
    if refusal.kind == "check":
        return _check(refusal, table, record, code)
    return _foreign_key(refusal, table, link, record, code)


def _unique(
    refusal: Refusal, table: str, link: tuple[str, str, str] | None, record: RecordName, code: str | None
) -> ValidationError:
    if link is not None:
        owner_table, _owner_column, field = link
        label = field_label(owner_table, field)
        return ValidationError(
            f"{label} : une même valeur figure deux fois pour {_subject(record, code)}.", field
        )
    ids = {k.parent.name for k in _foreign_keys(table)}
    meaningful = [c for c in refusal.columns if c != "department_code" and c not in ids]
    column = (meaningful or list(refusal.columns) or ["code"])[0]
    field = field_of(table, column)
    values = refusal.values or {}
    value = values.get(column) or (code if field == "code" else None)
    if field == "code":
        if value:
            return ValidationError(f"Le code « {value} » est déjà utilisé par {record.other}.", "code")
        return ValidationError(f"Ce code est déjà utilisé par {record.other}.", "code")
    label = field_label(table, field)
    shown = f"la valeur « {value} »" if value not in (None, "") else "cette valeur"
    about = f" (pour {_subject(record, code)})" if code else ""
    return ValidationError(f"{label} : {shown} est déjà utilisée par {record.other}{about}.", field)


def _check(refusal: Refusal, table: str, record: RecordName, code: str | None) -> ValidationError:
    known = CHECKS.get((table, refusal.constraint or ""))
    about = f" pour {_subject(record, code)}" if code else ""
    if known is None:
        rule = f"règle « {refusal.constraint} »" if refusal.constraint else "règle d'intégrité"
        return ValidationError(f"{_capital(record.definite)} : valeur refusée par la base{about} ({rule}).")
    field, rule = known
    label = field_label(table, field) if field else _capital(record.definite)
    return ValidationError(f"{label} : valeur refusée par la base{about} ({rule}).", field)


def _foreign_key(
    refusal: Refusal, table: str, link: tuple[str, str, str] | None, record: RecordName, code: str | None
) -> ValidationError:
    if refusal.deleting:
        deleted = record_name(table)
        others = record_name(refusal.referrer).plural if refusal.referrer else "d'autres enregistrements"
        return ValidationError(
            f"{_capital(_subject(deleted, code))} ne peut pas être {deleted.agree('supprimé')} : "
            f"{others} y font encore référence."
        )
    column = refusal.columns[0] if refusal.columns else None
    if column is None:
        subject = _capital(_subject(record, code))
        return ValidationError(f"{subject} fait référence à un enregistrement qui n'existe pas (ou plus).")
    return _missing_reference(table, column, link, record, code)


def _missing_reference(
    table: str, column: str, link: tuple[str, str, str] | None, record: RecordName, code: str | None
) -> ValidationError:
    target = next((k.column.table.name for k in _foreign_keys(table) if k.parent.name == column), None)
    referred = record_name(target or "")
    if link is not None and column == link[1]:
        return ValidationError(f"{_capital(_subject(record, code))} n'existe pas (ou plus).")
    owner_table = link[0] if link else table
    field = link[2] if link else field_of(table, column)
    label = field_label(owner_table, field)
    after = f" ; {_subject(record, code)} n'a pas été {record.agree('enregistré')}" if code else ""
    return ValidationError(
        f"{label} : {referred.definite} {referred.agree('désigné')} n'existe pas (ou plus){after}.", field
    )


# --- PostgreSQL: references checked by the same-department triggers (migration 0005) ------------

_OTHER_DEPARTMENT = re.compile(r"référence hors du département \S+ : (\w+)\.(\w+) = ")
_CROSS_LINK = re.compile(r"lien entre départements refusé : (\w+)\.(\w+) = \S+ et \w+\.(\w+) = ")


def explain_reference_refusal(text: str, *, code: str | None = None) -> ValidationError | None:
    """The French message for a reference refused by PostgreSQL's same-department triggers.

    Those triggers run before the foreign keys: a reference to a record that does not exist
    (or that this account cannot see) is refused by them. Other access refusals are left as they are.
    """
    if match := _OTHER_DEPARTMENT.search(text):
        table, column = match.group(1), match.group(2)
    elif match := _CROSS_LINK.search(text):
        table, column = match.group(1), match.group(3)
    else:
        return None
    link = LINKS.get(table)
    record = record_name(link[0] if link else table)
    error = _missing_reference(table, column, link, record, code)
    return ValidationError(
        str(error).replace("n'existe pas (ou plus)", "n'existe pas (ou plus) dans ce département"),
        error.field,
    )
