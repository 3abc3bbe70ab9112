"""Reading a reference scheme from YAML (format in docs/reference-format.md).

Everything is checked before anything is written: a wrong key, a wrong type, a duplicate
code or a reference to an unknown code gives a French message with its line number.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from importers.yaml_schema import (
    Context,
    ListOf,
    MapOf,
    Problem,
    Record,
    Scalar,
    Spec,
    Typed,
    describe,
    parse,
)
from store import fields
from store.errors import system_error_text
from store.parsing import ACTION_STATUSES, RESOURCE_STATUSES, parse_text
from store.reference import (
    LoadReport,
    ReferenceDocument,
    ReferenceRejected,
    apply_reference,
    check_reference,
    position,
)
from store.sync_reference import journaled
from store.vocab import (
    ACTION_STATUS_LABELS,
    AUDIENCES,
    RESOURCE_TYPES,
    Periodicity,
    Weather,
)

#: The embedded default: the Ariège scheme 2023-2028.
REFERENCE_PACKAGE = "importers.reference"
REFERENCE_FILE = "ariege_2023_2028.yaml"
MAX_SIZE = 20 * 1024 * 1024

TEXT = Scalar(str)
OPT_TEXT = Scalar(str, optional=True)
TEXTS = ListOf(TEXT)
OPT_INT = Scalar(int, optional=True)
OPT_DATE = Scalar(date, optional=True)
OPT_NUMBER = Scalar(float, optional=True)

OBJECTIVE = Record(
    {
        "numero": OPT_INT,
        "code": TEXT,
        "intitule": TEXT,
        "objectif_regional": OPT_TEXT,
        "constats": OPT_TEXT,
        "objectif": OPT_TEXT,
        "resultats_attendus": OPT_TEXT,
        "en_pratique": OPT_TEXT,
        "defi_a_relever": OPT_TEXT,
        "themes": TEXTS,
        "parcours": TEXTS,
        "chiffres_cles": TEXTS,
        "paroles_citoyens": TEXTS,
    }
)
CHALLENGE = Record(
    {
        "numero": OPT_INT,
        "code": TEXT,
        "intitule": TEXT,
        "enjeux": OPT_TEXT,
        "themes": TEXTS,
        "parcours": TEXTS,
        "mots_cles": TEXTS,
        "chiffres_cles": TEXTS,
        "paroles_citoyens": TEXTS,
        "objectifs_listes": TEXTS,
        "objectifs": ListOf(OBJECTIVE),
    }
)
ENGAGEMENT = Record({"numero": OPT_INT, "code": TEXT, "intitule": TEXT, "defis": ListOf(CHALLENGE)})
CARE_OFFER = Record(
    {
        "activite": TEXT,
        "tableaux": ListOf(
            Record(
                {
                    "titre": TEXT,
                    "lignes": ListOf(
                        Record(
                            {
                                "zone": OPT_TEXT,
                                "modalite": OPT_TEXT,
                                "mention": OPT_TEXT,
                                "existant": OPT_TEXT,
                                "cible": OPT_TEXT,
                            }
                        )
                    ),
                }
            )
        ),
        "recours": OPT_TEXT,
        "transformations": OPT_TEXT,
        "notes": OPT_TEXT,
    }
)
RESOURCE = Record(
    {
        "code": TEXT,
        "nom": TEXT,
        "type": TEXT,
        "publics": TEXTS,
        "porteur": OPT_TEXT,
        "territoires": TEXTS,
        "capacite": Scalar(int, optional=True, minimum=0),
        "adresse": OPT_TEXT,
        "commune": OPT_TEXT,
        "code_insee": OPT_TEXT,
        "telephone": OPT_TEXT,
        "courriel": OPT_TEXT,
        "contact": OPT_TEXT,
        "finess": OPT_TEXT,
        "discipline": OPT_TEXT,
        "statut": TEXT,
        "verifie_le": OPT_DATE,
        "notes": OPT_TEXT,
        "source": OPT_TEXT,
    }
)
ACTION = Record(
    {
        "code": TEXT,
        "intitule": TEXT,
        "description": OPT_TEXT,
        "objectifs": TEXTS,
        "pilote": OPT_TEXT,
        "partenaires": TEXTS,
        "territoires": TEXTS,
        "debut": OPT_DATE,
        "echeance": OPT_DATE,
        "statut": TEXT,
        "avancement": Scalar(int, optional=True, minimum=0, maximum=100),
        "meteo": Scalar(str, optional=True, choices=tuple(w.value for w in Weather)),
        "budget": Scalar(float, optional=True, minimum=0),
        "financement": OPT_TEXT,
        "source": OPT_TEXT,
    }
)


def _typed(rec: fields.Record, schema: dict[str, Spec]) -> dict[str, Spec]:
    """Every field of `schema` that is not plain text is read by its registry parser."""
    for f in rec:
        spec = schema.get(f.yaml)
        if spec is not None and isinstance(spec, Scalar) and f.parse is not parse_text and not f.many:
            schema[f.yaml] = Typed(f.read, f.to_yaml, optional=spec.optional)
    return schema


RESOURCE.fields = _typed(fields.RESOURCE, RESOURCE.fields)
ACTION.fields = _typed(fields.ACTION, ACTION.fields)

INDICATOR = Record(
    {
        "code": TEXT,
        "intitule": TEXT,
        "action": OPT_TEXT,
        "objectif": OPT_TEXT,
        "unite": OPT_TEXT,
        "valeur_initiale": OPT_NUMBER,
        "cible": OPT_NUMBER,
        "periodicite": Scalar(str, optional=True, choices=tuple(p.value for p in Periodicity)),
        "valeurs": ListOf(
            Record(
                {
                    "periode": TEXT,
                    "valeur": OPT_NUMBER,
                    "ventilation": MapOf(Scalar(float)),
                }
            )
        ),
    }
)
#: A harmonised theme or parcours name and the spellings the document used for it.
VARIANTS = Record({"nom": TEXT, "variantes": TEXTS})
DOCUMENT = Record(
    {
        "format": Scalar(int, choices=(1,)),
        "departement": Record({"code": TEXT, "nom": TEXT}),
        "paroles_citoyens": TEXTS,
        "data_repere": TEXTS,
        "enjeux_en_bref": TEXTS,
        "vocabulaires": Record({"themes": ListOf(VARIANTS), "parcours": ListOf(VARIANTS)}, optional=True),
        "territoires": ListOf(
            Record(
                {
                    "code": TEXT,
                    "nom": TEXT,
                    "type": Scalar(str, optional=True, choices=("departement", "bassin")),
                    # the towns the document places in the bassin, each with where it says so
                    "communes": ListOf(Record({"nom": TEXT, "source": TEXT}), optional=True),
                }
            )
        ),
        "defis_cts": TEXTS,
        "propositions_cnr": ListOf(Record({"rubrique": TEXT, "propositions": TEXTS})),
        "engagements": ListOf(ENGAGEMENT),
        "offre_de_soins": ListOf(CARE_OFFER),
        "organisations": ListOf(Record({"code": TEXT, "nom": TEXT, "type": OPT_TEXT})),
        "ressources": ListOf(RESOURCE),
        "actions": ListOf(ACTION),
        "mesures_sans_action": ListOf(Record({"texte": TEXT, "raison": TEXT, "source": OPT_TEXT})),
        "indicateurs": ListOf(INDICATOR),
    }
)


class ReferenceFileError(Exception):
    """The reference file is unreadable or invalid; `problems` lists every reason."""

    def __init__(self, source: str, problems: list[Problem] | list[str]) -> None:
        self.source = source
        self.problems = [str(p) for p in problems]
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"Fichier de référence « {source} » refusé :\n{lines}")


def embedded_reference_text() -> str:
    """The Ariège reference scheme shipped with the app."""
    return resources.files(REFERENCE_PACKAGE).joinpath(REFERENCE_FILE).read_text(encoding="utf-8")


def read_reference_file(path: Path) -> dict[str, Any]:
    """Read and validate a reference YAML file; raises ReferenceFileError (with lines)."""
    try:
        if path.stat().st_size > MAX_SIZE:
            raise ReferenceFileError(
                str(path), [f"fichier trop volumineux (plus de {MAX_SIZE // 2**20} Mo)."]
            )
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ReferenceFileError(str(path), [f"le fichier n'est pas en UTF-8 (octet {exc.start})."]) from exc
    except OSError as exc:
        raise ReferenceFileError(
            str(path), [f"illisible : {system_error_text(exc, with_file=False)}."]
        ) from exc
    return parse_reference(text, str(path))


def parse_reference(text: str, source: str) -> dict[str, Any]:
    """Validate the text of a reference document; raises ReferenceFileError (with lines)."""
    doc, ctx = parse(text, DOCUMENT)
    if not ctx.problems:
        _check_meaning(doc, ctx)
    if ctx.problems:
        raise ReferenceFileError(source, ctx.problems)
    return ReferenceDocument(doc, ctx.lines)


def load_reference(conn: Connection, doc: dict[str, Any], *, author: str, source: str) -> LoadReport:
    """Write a validated document into the store (in the caller's transaction).

    A record refused at that point (a rule that depends on the store, such as the comment a
    postponed action needs, or a database constraint) raises ReferenceFileError with its line.
    """
    try:
        with journaled(conn, doc["departement"]["code"], author=author, source=source):
            return apply_reference(conn, doc, author=author, source=source)
    except ReferenceRejected as exc:
        raise ReferenceFileError(source, exc.located) from exc


def _check_meaning(doc: dict[str, Any], ctx: Context) -> None:
    """Rules beyond types: unique codes, known references, vocabularies, then the domain rules
    of every record (the store's own: a record the app would refuse is refused here too)."""
    failed: set[tuple[str | int, ...]] = set()

    def fail(path: tuple[str | int, ...], message: str) -> None:
        line, column = ctx.lines.get(path, (0, 0))
        ctx.problems.append(Problem(line, column, message))
        failed.add(path[:2])

    def unique(items: Iterable[tuple[tuple[str | int, ...], str]], what: str) -> set[str]:
        seen: set[str] = set()
        for path, code in items:
            if code in seen:
                fail(path, f"code {what} « {code} » en double ({describe(path)}).")
            seen.add(code)
        return seen

    engagements = doc["engagements"]
    unique(((("engagements", i, "code"), e["code"]) for i, e in enumerate(engagements)), "d'engagement")
    unique(
        (
            (("engagements", i, "defis", j, "code"), d["code"])
            for i, e in enumerate(engagements)
            for j, d in enumerate(e["defis"])
        ),
        "de défi",
    )
    objectives = unique(
        (
            (("engagements", i, "defis", j, "objectifs", k, "code"), o["code"])
            for i, e in enumerate(engagements)
            for j, d in enumerate(e["defis"])
            for k, o in enumerate(d["objectifs"])
        ),
        "d'objectif",
    )
    territories = unique(
        ((("territoires", i, "code"), t["code"]) for i, t in enumerate(doc["territoires"])), "de territoire"
    )
    organisations = unique(
        ((("organisations", i, "code"), o["code"]) for i, o in enumerate(doc["organisations"])),
        "d'organisation",
    )
    actions = unique(((("actions", i, "code"), a["code"]) for i, a in enumerate(doc["actions"])), "d'action")
    unique(((("ressources", i, "code"), r["code"]) for i, r in enumerate(doc["ressources"])), "de ressource")
    unique(
        ((("indicateurs", i, "code"), r["code"]) for i, r in enumerate(doc["indicateurs"])), "d'indicateur"
    )

    def known(path: tuple[str | int, ...], value: str | None, codes: set[str], what: str) -> None:
        if value is not None and value not in codes:
            fail(path, f"{what} : code inconnu « {value} » ({describe(path)}).")

    statuses = ", ".join(ACTION_STATUS_LABELS.values())
    for i, a in enumerate(doc["actions"]):
        for j, code in enumerate(a["objectifs"]):
            known(("actions", i, "objectifs", j), code, objectives, "objectif")
        known(("actions", i, "pilote"), a["pilote"], organisations, "organisation")
        for j, code in enumerate(a["partenaires"]):
            known(("actions", i, "partenaires", j), code, organisations, "organisation")
        for j, code in enumerate(a["territoires"]):
            known(("actions", i, "territoires", j), code, territories, "territoire")
        if ACTION_STATUSES.find(a["statut"]) is None:
            fail(("actions", i, "statut"), f"statut « {a['statut']} » inconnu : valeurs permises {statuses}.")
        if a["debut"] and a["echeance"] and a["echeance"] < a["debut"]:
            fail(("actions", i, "echeance"), f"l'échéance précède le début ({describe(('actions', i))}).")
    for i, r in enumerate(doc["ressources"]):
        known(("ressources", i, "porteur"), r["porteur"], organisations, "organisation")
        for j, code in enumerate(r["territoires"]):
            known(("ressources", i, "territoires", j), code, territories, "territoire")
        if RESOURCE_STATUSES.find(r["statut"]) is None:
            fail(
                ("ressources", i, "statut"),
                f"statut « {r['statut']} » inconnu : existant, en projet ou fermé.",
            )
        if r["type"] not in RESOURCE_TYPES:
            fail(("ressources", i, "type"), f"type « {r['type']} » inconnu : {', '.join(RESOURCE_TYPES)}.")
        for j, public in enumerate(r["publics"]):
            if public not in AUDIENCES:
                fail(
                    ("ressources", i, "publics", j), f"public « {public} » inconnu : {', '.join(AUDIENCES)}."
                )
    for i, ind in enumerate(doc["indicateurs"]):
        if (ind["action"] is None) == (ind["objectif"] is None):
            fail(
                ("indicateurs", i, "code"), "un indicateur porte sur une action ou sur un objectif (un seul)."
            )
        known(("indicateurs", i, "action"), ind["action"], actions, "action")
        known(("indicateurs", i, "objectif"), ind["objectif"], objectives, "objectif")
    located = ReferenceDocument(doc, ctx.lines)
    found = [
        Problem(*(position(located, problem.path) or (0, 0)), str(problem))
        for problem in check_reference(doc)
        if problem.path[:2] not in failed  # a record already explained above, in the file's words
    ]
    ctx.problems += sorted(found, key=lambda p: (p.line, p.column))
