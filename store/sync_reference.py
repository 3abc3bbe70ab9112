"""The scheme and reference data of a department as records, for the team sync (`store.sync`).

The reference document (`store.reference.read_reference`) is cut into records, each known by
its kind and code: the department's own texts, every territory, organisation, engagement, défi
and objective, and the document-wide lists (CTS challenges, CNR proposals, vocabularies, care
offer). Each record is a mapping of its YAML keys, merged field by field like any other record
(`store.merge.merge_mappings`); a document is written back with `apply_reference`, and records
removed on one side are deleted from the other (refused, and said so, while still in use).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, insert, or_, select
from sqlalchemy.exc import IntegrityError

from store import fields as fields_registry
from store.errors import StoreError
from store.fields import Field
from store.journal import Edit, who_and_when
from store.link_rows import delete_rows
from store.models import Challenge, Engagement, Objective, Organisation, Territory, utcnow
from store.reference import apply_reference, read_reference, table
from store.tables import DEPARTMENT
from store.tables import REFERENCE_EVENT as EVENTS

#: Key of a record: (kind, code); a document-wide list has the department's code.
Key = tuple[str, str]
Records = dict[Key, dict[str, Any]]

#: The field standing for the whole record, in a conflict between a deletion and an edit.
WHOLE = "*"

#: Each kind of reference record, in the words shown to people.
KINDS = (
    "département",
    "territoire",
    "organisation",
    "engagement",
    "défi",
    "objectif",
    "défis du CTS",
    "propositions CNR",
    "vocabulaires",
    "offre de soins",
)
#: The record kinds that may be deleted (tables by code), the most dependent first.
_DELETABLE = {"objectif": Objective, "défi": Challenge, "engagement": Engagement}
_DELETABLE_LAST = {"organisation": Organisation, "territoire": Territory}
#: Document-wide lists, each one record: kind → its YAML key(s).
_WHOLE_LISTS = {
    "défis du CTS": ("defis_cts",),
    "propositions CNR": ("propositions_cnr",),
    "vocabulaires": ("vocabulaires",),
    "offre de soins": ("offre_de_soins",),
}
_DEPARTMENT_KEYS = ("paroles_citoyens", "data_repere", "enjeux_en_bref", "mesures_sans_action")

_LABELS = {
    "nom": "Nom",
    "type": "Type",
    "numero": "Numéro",
    "intitule": "Intitulé",
    "engagement": "Engagement",
    "defi": "Défi",
    "enjeux": "Les enjeux",
    "themes": "Thèmes",
    "parcours": "Parcours",
    "mots_cles": "Mots clés",
    "chiffres_cles": "Chiffres clés",
    "paroles_citoyens": "Paroles citoyennes",
    "objectifs_listes": "Objectifs tels que listés",
    "defi_a_relever": "Le défi à relever",
    "data_repere": "DATA REPÈRE",
    "enjeux_en_bref": "Les enjeux en bref",
    "mesures_sans_action": "Mesures sans action",
    "defis_cts": "Défis du CTS",
    "propositions_cnr": "Propositions CNR",
    "vocabulaires": "Vocabulaires harmonisés",
    "offre_de_soins": "Offre de soins",
    WHOLE: "Fiche (supprimée d'un côté, modifiée de l'autre)",
}
_REGISTRY = {
    "territoire": fields_registry.TERRITORY,
    "organisation": fields_registry.ORGANISATION,
    "objectif": fields_registry.OBJECTIVE,
}
#: Lists of texts a person may type, separated by « ; ».
_TEXT_LISTS = {"themes", "parcours", "mots_cles", "chiffres_cles", "paroles_citoyens", "objectifs_listes"}


def records(doc: dict[str, Any]) -> Records:
    """The document's reference records, in the document's order."""
    dept = doc["departement"]["code"]
    out: Records = {
        ("département", dept): {"nom": doc["departement"]["nom"]}
        | {k: list(doc.get(k) or []) for k in _DEPARTMENT_KEYS}
    }
    for t in doc.get("territoires") or []:
        out[("territoire", t["code"])] = {"nom": t["nom"], "type": t.get("type") or "bassin"}
    for o in doc.get("organisations") or []:
        out[("organisation", o["code"])] = {"nom": o["nom"], "type": o.get("type")}
    for e in doc.get("engagements") or []:
        out[("engagement", e["code"])] = {k: v for k, v in e.items() if k not in ("code", "defis")}
        for d in e.get("defis") or []:
            out[("défi", d["code"])] = {"engagement": e["code"]} | {
                k: v for k, v in d.items() if k not in ("code", "objectifs")
            }
            for o in d.get("objectifs") or []:
                out[("objectif", o["code"])] = {"defi": d["code"]} | {
                    k: v for k, v in o.items() if k != "code"
                }
    for kind, keys in _WHOLE_LISTS.items():
        out[(kind, dept)] = {k: doc.get(k) or ([] if k != "vocabulaires" else {}) for k in keys}
    return out


def document(dept: str, recs: Records) -> dict[str, Any]:
    """The reference document of these records (without actions, resources and indicators)."""
    department = recs[("département", dept)]
    of = [(kind, code, fields) for (kind, code), fields in recs.items()]
    objectives = [(c, f) for k, c, f in of if k == "objectif"]
    challenges = [(c, f) for k, c, f in of if k == "défi"]
    doc: dict[str, Any] = {
        "format": 1,
        "departement": {"code": dept, "nom": department["nom"]},
        **{k: department.get(k) or [] for k in _DEPARTMENT_KEYS},
        "territoires": [{"code": c, **f} for k, c, f in of if k == "territoire"],
        "organisations": [{"code": c, **f} for k, c, f in of if k == "organisation"],
        "engagements": [
            {
                "code": ec,
                **ef,
                "defis": [
                    {
                        "code": dc,
                        **{k: v for k, v in df.items() if k != "engagement"},
                        "objectifs": [
                            {"code": oc, **{k: v for k, v in of_.items() if k != "defi"}}
                            for oc, of_ in objectives
                            if of_.get("defi") == dc
                        ],
                    }
                    for dc, df in challenges
                    if df.get("engagement") == ec
                ],
            }
            for k, ec, ef in of
            if k == "engagement"
        ],
        "actions": [],
        "ressources": [],
        "indicateurs": [],
    }
    for kind, keys in _WHOLE_LISTS.items():
        for key in keys:
            doc[key] = recs.get((kind, dept), {}).get(key) or ([] if key != "vocabulaires" else {})
    return doc


def read_records(conn: Connection, dept: str) -> Records:
    return records(read_reference(conn, dept))


def last_edit(conn: Connection, dept: str, key: Key, name: str) -> Edit:
    """Who last changed this field of this record on this side (or created or deleted the
    record), and when: its original author and time when the change came by a copy."""
    kind, code = key
    return who_and_when(
        conn,
        EVENTS,
        EVENTS.c.department_code == dept,
        EVENTS.c.kind == kind,
        EVENTS.c.code == code,
        or_(EVENTS.c.field == name, EVENTS.c.field == WHOLE),
    )


@contextmanager
def journaled(
    conn: Connection,
    dept: str,
    *,
    author: str,
    source: str,
    origin: Callable[[Key, str], Edit] | None = None,
    before: Records | None = None,
) -> Iterator[None]:
    """Journal every change the block makes to the department's reference records: one line per
    changed field, one per record created or deleted (`WHOLE`). `origin` gives who made each
    change where it is a copy (a publish or fetch); `before`, the records as the caller already
    read them. A department's first load is not journaled."""
    if before is None:
        known = conn.execute(select(DEPARTMENT.c.code).where(DEPARTMENT.c.code == dept)).first()
        before = read_records(conn, dept) if known is not None else None
    yield
    if before is None:
        return
    after = read_records(conn, dept)
    now, lines = utcnow(), []
    for key in dict.fromkeys([*before, *after]):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if old is None or new is None:
            whole = field_of(key[0], WHOLE)
            changes = [(WHOLE, shown(whole, old) if old else None, shown(whole, new) if new else None)]
        else:
            changes = [
                (
                    name,
                    shown(field_of(key[0], name), old.get(name)),
                    shown(field_of(key[0], name), new.get(name)),
                )
                for name in sorted(set(old) | set(new))
                if old.get(name) != new.get(name)
            ]
        for name, old_text, new_text in changes:
            by, at = origin(key, name) if origin else (None, None)
            lines.append(
                {
                    "department_code": dept,
                    "kind": key[0],
                    "code": key[1],
                    "field": name,
                    "old_value": old_text,
                    "new_value": new_text,
                    "at": now,
                    "author": author,
                    "source": source,
                    "origin_author": by,
                    "origin_at": at,
                }
            )
    if lines:
        conn.execute(insert(EVENTS), lines)


def write_records(
    conn: Connection,
    dept: str,
    recs: Records,
    deleted: list[Key],
    *,
    author: str,
    source: str,
    origin: Callable[[Key, str], Edit] | None = None,
    before: Records | None = None,
) -> list[str]:
    """Write these records (created or updated), delete the `deleted` ones, journaling every
    change (`origin`: who made it, for a copy; `before`: the records as already read); the
    deletions refused because the record is still in use, in words."""
    with journaled(conn, dept, author=author, source=source, origin=origin, before=before):
        return _write_records(conn, dept, recs, deleted, author=author, source=source)


def _write_records(
    conn: Connection, dept: str, recs: Records, deleted: list[Key], *, author: str, source: str
) -> list[str]:
    apply_reference(conn, document(dept, recs), author=author, source=source)
    refused = []
    order = list(_DELETABLE) + list(_DELETABLE_LAST)
    for kind, code in sorted(deleted, key=lambda k: order.index(k[0]) if k[0] in order else len(order)):
        model = _DELETABLE.get(kind) or _DELETABLE_LAST.get(kind)
        if model is None:
            continue
        tbl = table(model)
        try:
            with conn.begin_nested():
                delete_rows(conn, tbl, [{"department_code": dept, "code": code}])
        except IntegrityError:
            refused.append(f"{kind} {code} : encore utilisé, non supprimé")
    return refused


def field_of(kind: str, name: str) -> Field:
    """The field of a reference record: the registry's where it has one (label, parser)."""
    registry = _REGISTRY.get(kind)
    if registry is not None:
        found = next((f for f in registry.fields if (f.yaml_key or f.name) == name), None)
        if found is not None:
            return found
    return Field(name, _LABELS.get(name, name), many=name in _TEXT_LISTS)


def shown(f: Field, value: Any) -> str:
    """A reference value as people read it."""
    if f.name == WHOLE:
        if value is None:
            return "supprimée"
        return "présente : " + str(value.get("nom") or value.get("intitule") or "")
    if value is None or value in ("", [], (), {}):
        return "—"
    if isinstance(value, (list, tuple)):
        if all(isinstance(v, str) for v in value):
            return " ; ".join(value)
        return f"{len(value)} élément(s)"
    if isinstance(value, dict):
        return f"{len(value)} élément(s)"
    return f.format(value) or str(value)


def read(f: Field, text: str) -> Any:
    """A third value typed for a reference field; StoreError when it cannot be typed."""
    if f.name == WHOLE or (f.name in _LABELS and f.name not in _TEXT_LISTS | _SCALARS):
        raise StoreError(
            f"« {f.label} » ne se saisit pas ici : gardez la valeur d'ici ou prenez celle du serveur."
        )
    value = typed(f, text)
    return list(value) if isinstance(value, tuple) else value


def typed(f: Field, text: str) -> Any:
    """What a person typed for a field, read by its parser and checked by its rule; StoreError if not."""
    try:
        value = f.read_typed(text)
    except ValueError as exc:
        raise StoreError(str(exc)) from None
    problem = f.validate(value)
    if problem:
        raise StoreError(problem)
    return value


#: Fields of one value a person may type (the others are structured lists).
_SCALARS = {"nom", "type", "intitule", "enjeux", "defi_a_relever", "numero"}


def current(conn: Connection, dept: str, kind: str, code: str, name: str) -> Any:
    found = read_records(conn, dept).get((kind, code))
    if name == WHOLE:
        return found
    if found is None:
        raise StoreError(f"{kind} {code} n'existe plus dans la base locale.")
    return found.get(name)


def set_field(
    conn: Connection, dept: str, kind: str, code: str, name: str, value: Any, *, author: str, source: str
) -> None:
    """One field of a reference record (or, for `WHOLE`, the record itself: None deletes it)."""
    recs = read_records(conn, dept)
    deleted: list[Key] = []
    if name == WHOLE:
        if value is None:
            recs.pop((kind, code), None)
            deleted.append((kind, code))
        else:
            recs[(kind, code)] = dict(value)
    else:
        recs[(kind, code)][name] = list(value) if isinstance(value, tuple) else value
    refused = write_records(conn, dept, recs, deleted, author=author, source=source)
    if refused:
        raise StoreError(refused[0])


def encode(fields: dict[str, Any] | None) -> str | None:
    return None if fields is None else json.dumps(fields, ensure_ascii=False, sort_keys=True, default=str)


def decode(text: str | None) -> dict[str, Any] | None:
    return None if text is None else dict(json.loads(text))


__all__ = [
    "KINDS",
    "WHOLE",
    "Edit",
    "Records",
    "document",
    "field_of",
    "journaled",
    "last_edit",
    "read",
    "read_records",
    "records",
    "shown",
]
