"""Loading a reference scheme (a validated document) into the store, and reading it back.

The document is the nested structure of the reference YAML format (French keys,
see docs/reference-format.md). Loading is idempotent: every record is matched by its
code and written only when it differs, so loading the same document twice changes nothing.
Records absent from the document are kept (user data is never deleted by a load).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from dataclasses import fields as dataclass_fields
from typing import Any, get_args, get_type_hints

from sqlalchemy import Connection, Table, func, insert, select, update

from store import actions as action_rules
from store import fields
from store import indicators as indicator_rules
from store import resources as resource_rules
from store.actions import ActionData
from store.constraints import constraint_messages
from store.errors import ValidationError
from store.fields import Record
from store.indicators import IndicatorData
from store.link_rows import delete_rows
from store.lookups import CodeMaps, code_maps
from store.models import (
    CareOfferActivity,
    CareOfferTarget,
    Challenge,
    ChallengePathway,
    ChallengeTheme,
    CnrProposal,
    CtsChallenge,
    Department,
    Engagement,
    Indicator,
    IndicatorValue,
    Objective,
    ObjectivePathway,
    ObjectiveTheme,
    Organisation,
    Pathway,
    Territory,
    Theme,
)
from store.models.identities import reference_uid
from store.parsing import ORGANISATION_KIND_LIST
from store.resources import ResourceData, load_resources
from store.tables import ACTION
from store.vocab import (
    ORGANISATION_KINDS,
    ActionStatus,
    ResourceStatus,
    TerritoryKind,
)


def table(model: type) -> Table:
    return model.__table__  # type: ignore[attr-defined]


Doc = dict[str, Any]
#: Where a value is in a reference document: ("ressources", 0, "finess").
DocPath = tuple[str | int, ...]


@dataclass
class LoadReport:
    """What a load did, per kind of record."""

    inserted: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)

    @property
    def changed(self) -> bool:
        return bool(+self.inserted or +self.updated)

    def summary(self) -> str:
        if not self.changed:
            return "Aucun changement : la base contenait déjà ce schéma."
        added = ", ".join(_counted(n, kind) for kind, n in sorted(self.inserted.items()) if n)
        updated = ", ".join(_counted(n, kind) for kind, n in sorted(self.updated.items()) if n)
        parts = [f"Ajouts : {added}." if added else "", f"Mises à jour : {updated}." if updated else ""]
        return " ".join(p for p in parts if p)


def _counted(n: int, kind: str) -> str:
    """ "1 défi du CTS", "16 défis du CTS", "3 parcours" (the first word takes the plural)."""
    if n < 2:
        return f"{n} {kind}"
    first, _, rest = kind.partition(" ")
    plural = first if first[-1] in "sxz" else f"{first}s"
    return f"{n} {plural} {rest}".rstrip()


class ReferenceDocument(dict[str, Any]):
    """A reference document that remembers where each value was written (YAML line, column)."""

    def __init__(self, content: Mapping[str, Any], lines: Mapping[DocPath, tuple[int, int]]) -> None:
        super().__init__(content)
        self.lines = dict(lines)


def position(doc: Mapping[str, Any], path: DocPath) -> tuple[int, int] | None:
    """(line, column) of `path` in the file `doc` was read from, or of its nearest parent."""
    lines = getattr(doc, "lines", None) or {}
    for end in range(len(path), -1, -1):
        if path[:end] in lines:
            found: tuple[int, int] = lines[path[:end]]
            return found
    return None


def describe_path(path: DocPath) -> str:
    """« ressources[2].finess » (1-based positions, as people count)."""
    text = ""
    for part in path:
        text += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "document"


@dataclass(frozen=True)
class RecordProblem:
    """A record of the document that a domain rule refuses: where, which record, why."""

    path: DocPath
    record: str
    error: ValidationError

    def __str__(self) -> str:
        return f"{describe_path(self.path)} ({self.record}) : {self.error}"


class ReferenceRejected(ValidationError):
    """A reference document refused by the domain rules; nothing of it was written."""

    def __init__(self, problems: list[RecordProblem], doc: Mapping[str, Any]) -> None:
        self.problems = problems
        #: Each problem as people read it: « ligne 12, colonne 5 : ressources[1].finess (…) : … ».
        self.located = [_located(doc, p) for p in problems]
        listed = "\n".join(f"  - {line}" for line in self.located)
        super().__init__(f"Référentiel refusé, rien n'a été écrit :\n{listed}", problems[0].error.field)


def _located(doc: Mapping[str, Any], problem: RecordProblem) -> str:
    found = position(doc, problem.path)
    return f"ligne {found[0]}, colonne {found[1]} : {problem}" if found else str(problem)


#: YAML key of each field of the domain rules, per kind of record.
ACTION_KEYS = {
    "code": "code",
    "title": "intitule",
    "description": "description",
    "objectives": "objectifs",
    "lead": "pilote",
    "partners": "partenaires",
    "territories": "territoires",
    "start_date": "debut",
    "due_date": "echeance",
    "status": "statut",
    "comment": "statut",
    "progress": "avancement",
    "weather": "meteo",
    "budget_cents": "budget",
    "funding": "financement",
    "source": "source",
}
RESOURCE_KEYS = {
    "code": "code",
    "name": "nom",
    "kind": "type",
    "audiences": "publics",
    "carrier": "porteur",
    "territories": "territoires",
    "capacity": "capacite",
    "address": "adresse",
    "commune": "commune",
    "insee_code": "code_insee",
    "phone": "telephone",
    "email": "courriel",
    "contact_name": "contact",
    "finess": "finess",
    "discipline_code": "discipline",
    "status": "statut",
    "verified_on": "verifie_le",
    "notes": "notes",
    "source": "source",
}
INDICATOR_KEYS = {
    "code": "code",
    "label": "intitule",
    "action": "action",
    "objective": "objectif",
    "unit": "unite",
    "periodicity": "periodicite",
    "baseline": "valeur_initiale",
    "target": "cible",
    "indicator": "code",
    "period": "valeurs",
    "values": "valeurs",
}
NAMED_KEYS = {"code": "code", "name": "nom", "kind": "type", "title": "intitule"}


def validate_organisation(code: str, name: str, kind: str | None) -> list[ValidationError]:
    """Every rule an organisation breaks (its type from the vocabulary, any case or accent)."""
    errors: list[ValidationError] = []
    if not code.strip():
        errors.append(ValidationError("Le code de l'organisation est obligatoire.", "code"))
    if not name.strip():
        errors.append(ValidationError("Le nom de l'organisation est obligatoire.", "name"))
    if kind is not None and organisation_kind(kind) is None:
        allowed = ", ".join(ORGANISATION_KINDS)
        errors.append(ValidationError(f"Type d'organisation inconnu : « {kind} » ({allowed}).", "kind"))
    return errors


def organisation_kind(text: str | None) -> str | None:
    """The vocabulary's spelling of an organisation type ("Autre" when empty), or None."""
    return ORGANISATION_KIND_LIST.find(text) if text else "Autre"


def validate_territory(code: str, name: str, kind: str) -> list[ValidationError]:
    errors: list[ValidationError] = []
    if not code.strip():
        errors.append(ValidationError("Le code du territoire est obligatoire.", "code"))
    if not name.strip():
        errors.append(ValidationError("Le nom du territoire est obligatoire.", "name"))
    if kind not in {k.value for k in TerritoryKind}:
        errors.append(
            ValidationError(f"Type de territoire inconnu : « {kind} » (departement ou bassin).", "kind")
        )
    return errors


def _validate_node(node: Doc, what: str) -> list[ValidationError]:
    errors = []
    if not str(node.get("code") or "").strip():
        errors.append(ValidationError(f"Le code {what} est obligatoire.", "code"))
    if not str(node.get("intitule") or "").strip():
        errors.append(ValidationError(f"L'intitulé {what} est obligatoire.", "title"))
    return errors


class _Checks:
    """The problems found so far in a document, with helpers to add them."""

    def __init__(self) -> None:
        self.problems: list[RecordProblem] = []

    def add(
        self, path: DocPath, record: str, errors: Iterable[ValidationError], keys: Mapping[str, str]
    ) -> None:
        for error in errors:
            key = keys.get(error.field or "")
            self.problems.append(RecordProblem((*path, key) if key else path, record, error))

    def one(self, path: DocPath, record: str, message: str, field: str | None = None) -> None:
        self.problems.append(RecordProblem(path, record, ValidationError(message, field)))

    def twice(self, path: DocPath, record: str, values: Iterable[Any], label: str) -> None:
        """Values written twice in a list that becomes links (the database would refuse them)."""
        seen = set()
        for j, value in enumerate(values):
            if value in seen:
                self.one((*path, j), record, f"« {value} » figure deux fois dans {label}.", str(path[-1]))
            seen.add(value)


def check_reference(
    doc: Mapping[str, Any], known: CodeMaps | None = None, known_actions: Iterable[str] = ()
) -> list[RecordProblem]:
    """Every record of the document the domain rules refuse, with where it is.

    References between records are checked against the document's own codes, and `known`
    / `known_actions` (what the store already holds, when loading into it). Nothing is read
    from or written to the store.
    """
    checks = _Checks()
    _check_places(doc, checks)
    objectives = _check_scheme(doc, checks)

    known = known or CodeMaps({}, {}, {})
    organisations = [o["code"] for o in doc.get("organisations") or []]
    territories = [t["code"] for t in doc.get("territoires") or []]
    maps = CodeMaps(
        objectives=dict.fromkeys([*known.objectives, *objectives], 0),
        organisations=dict.fromkeys([*known.organisations, *organisations], 0),
        territories=dict.fromkeys([*known.territories, *territories], 0),
    )
    for i, r in enumerate(doc.get("ressources") or []):
        errors = resource_rules.validate(resource_from_doc(r), maps)
        checks.add(("ressources", i), f"ressource {r['code']}", errors, RESOURCE_KEYS)
    for i, a in enumerate(doc.get("actions") or []):
        record = f"action {a['code']}"
        checks.add(("actions", i), record, action_rules.validate(action_from_doc(a), maps), ACTION_KEYS)
        for key, label in (("objectifs", "les objectifs"), ("partenaires", "les partenaires")):
            checks.twice(("actions", i, key), record, a.get(key) or [], label)
        checks.twice(("actions", i, "territoires"), record, a.get("territoires") or [], "les territoires")
    actions = {*known_actions, *(a["code"] for a in doc.get("actions") or [])}
    for i, ind in enumerate(doc.get("indicateurs") or []):
        data = indicator_from_doc(ind)
        errors = indicator_rules.validate(data, maps, actions)
        checks.add(("indicateurs", i), f"indicateur {ind['code']}", errors, INDICATOR_KEYS)
        _check_values(("indicateurs", i), f"indicateur {ind['code']}", ind, data.periodicity, checks)
    return checks.problems


def _check_places(doc: Mapping[str, Any], checks: _Checks) -> None:
    """The department, its territories and organisations."""
    department = doc.get("departement") or {}
    code = str(department.get("code") or "")
    if not code.strip() or len(code) > 3:
        message = f"Code de département invalide : « {code} » (3 caractères au plus, ex. 09)."
        checks.one(("departement", "code"), "département", message, "code")
    if not str(department.get("nom") or "").strip():
        checks.one(("departement", "nom"), "département", "Le nom du département est obligatoire.", "name")
    whole = 0
    for i, t in enumerate(doc.get("territoires") or []):
        record, kind = f"territoire {t['code']}", t.get("type") or TerritoryKind.BASIN.value
        checks.add(("territoires", i), record, validate_territory(t["code"], t["nom"], kind), NAMED_KEYS)
        whole += kind == TerritoryKind.DEPARTMENT
        if kind == TerritoryKind.DEPARTMENT and whole > 1:
            message = "Un seul territoire peut représenter tout le département."
            checks.one(("territoires", i, "type"), record, message, "kind")
    for i, o in enumerate(doc.get("organisations") or []):
        errors = validate_organisation(o["code"], o["nom"], o.get("type"))
        checks.add(("organisations", i), f"organisation {o['code']}", errors, NAMED_KEYS)


def _check_scheme(doc: Mapping[str, Any], checks: _Checks) -> list[str]:
    """Engagements, défis and objectives; returns the objectives' codes."""
    objectives: list[str] = []
    nodes: list[tuple[DocPath, str, Doc]] = []
    for i, e in enumerate(doc.get("engagements") or []):
        checks.add(
            ("engagements", i), f"engagement {e['code']}", _validate_node(e, "de l'engagement"), NAMED_KEYS
        )
        for j, d in enumerate(e.get("defis") or []):
            path: DocPath = ("engagements", i, "defis", j)
            nodes.append((path, f"défi {d['code']}", d))
            checks.add(path, f"défi {d['code']}", _validate_node(d, "du défi"), NAMED_KEYS)
            for k, o in enumerate(d.get("objectifs") or []):
                objectives.append(o["code"])
                nodes.append(((*path, "objectifs", k), f"objectif {o['code']}", o))
                errors = _validate_node(o, "de l'objectif")
                checks.add((*path, "objectifs", k), f"objectif {o['code']}", errors, NAMED_KEYS)
    vocabularies = doc.get("vocabulaires") or {}
    themes, pathways = harmonised(vocabularies, "themes"), harmonised(vocabularies, "parcours")
    for path, record, node in nodes:  # two spellings of one harmonised name would be one link twice
        written = node.get("themes") or []
        checks.twice((*path, "themes"), record, [themes.get(n, n) for n in written], "les thèmes")
        written = node.get("parcours") or []
        checks.twice((*path, "parcours"), record, [pathways.get(n, n) for n in written], "les parcours")
    return objectives


def _check_values(path: DocPath, record: str, indicator: Doc, periodicity: str, checks: _Checks) -> None:
    """An indicator's values: periods that suit its periodicity, one value per period and category."""
    seen: set[tuple[str, str]] = set()
    for j, v in enumerate(indicator.get("valeurs") or []):
        period = str(v["periode"])
        wrong = indicator_rules.period_error(period, periodicity)
        if wrong:
            checks.one((*path, "valeurs", j, "periode"), record, wrong, "period")
        categories = [""] if v.get("valeur") is not None else []
        categories += [str(c) for c in v.get("ventilation") or {}]
        again = [c for c in categories if (period, c) in seen]
        seen.update((period, c) for c in categories)
        if again:
            shown = f"{period} ({again[0]})" if again[0] else period
            message = f"La période « {shown} » a déjà une valeur."
            checks.one((*path, "valeurs", j, "periode"), record, message, "period")


def apply_reference(conn: Connection, doc: Doc, *, author: str, source: str) -> LoadReport:
    """Write a reference document into the store (in the caller's transaction).

    Every record is checked by the domain rules first (`check_reference`): a refused record
    raises ReferenceRejected, naming where it is (with its line when `doc` was read from a
    file), before anything is written. A rule that depends on the store (a status change that
    needs a comment, a constraint of the database) refuses the same way, and the caller's
    transaction is then rolled back.
    """
    dept = doc["departement"]["code"]
    stored_actions = conn.execute(select(ACTION.c.code).where(ACTION.c.department_code == dept)).scalars()
    problems = check_reference(doc, code_maps(conn, dept), stored_actions)
    if problems:
        raise ReferenceRejected(problems, doc)
    with _refusing(doc, (), "référentiel", {}):
        return _apply(conn, doc, author=author, source=source)


@contextmanager
def _refusing(
    doc: Mapping[str, Any], path: DocPath, record: str, keys: Mapping[str, str], code: str | None = None
) -> Iterator[None]:
    """A rule or a database constraint refusing the record at `path` → ReferenceRejected."""
    try:
        with constraint_messages(code=code):
            yield
    except ReferenceRejected:
        raise
    except ValidationError as exc:
        key = keys.get(exc.field or "")
        raise ReferenceRejected([RecordProblem((*path, key) if key else path, record, exc)], doc) from exc


def _apply(conn: Connection, doc: Doc, *, author: str, source: str) -> LoadReport:
    report = LoadReport()
    dept = doc["departement"]["code"]
    _upsert(
        conn,
        table(Department),
        [
            {
                "code": dept,
                "name": doc["departement"]["nom"],
                "citizen_quotes": list(doc.get("paroles_citoyens") or []),
                "key_figures": list(doc.get("data_repere") or []),
                "stakes_in_brief": list(doc.get("enjeux_en_bref") or []),
                "measures_without_action": [dict(m) for m in doc.get("mesures_sans_action") or []],
            }
        ],
        "département",
        report,
        key=("code",),
    )
    _upsert_coded(
        conn,
        Territory,
        dept,
        [
            {
                "code": t["code"],
                "name": t["nom"],
                "kind": t.get("type") or "bassin",
                "position": i,
                "communes": [dict(c) for c in t.get("communes") or []],
            }
            for i, t in enumerate(doc.get("territoires") or [])
        ],
        "territoire",
        report,
    )
    _upsert_coded(
        conn,
        Organisation,
        dept,
        [
            {"code": o["code"], "name": o["nom"], "kind": organisation_kind(o.get("type")) or o["type"]}
            for o in doc.get("organisations") or []
        ],
        "organisation",
        report,
    )
    _load_scheme(conn, dept, doc.get("engagements") or [], report, doc.get("vocabulaires") or {})
    _replace_if_changed(
        conn,
        CtsChallenge,
        dept,
        [{"position": i, "text": t} for i, t in enumerate(doc.get("defis_cts") or [])],
        "défi du CTS",
        report,
    )
    _replace_if_changed(
        conn,
        CnrProposal,
        dept,
        [
            {"section": group["rubrique"], "position": i, "text": text}
            for group in doc.get("propositions_cnr") or []
            for i, text in enumerate(group.get("propositions") or [])
        ],
        "proposition CNR",
        report,
    )
    _load_care_offer(conn, dept, doc.get("offre_de_soins") or [], report)
    _load_resources(conn, dept, doc, report, author=author, source=source)
    _load_actions(conn, dept, doc, report, author=author, source=source)
    _load_indicators(conn, dept, doc, report)
    return report


def _upsert(
    conn: Connection,
    tbl: Table,
    rows: list[dict[str, Any]],
    kind: str,
    report: LoadReport,
    *,
    key: tuple[str, ...],
    where: Any = None,
    born: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> dict[tuple[Any, ...], int | str]:
    """Insert or update `rows` matched on `key`; returns the primary key of each row by key.
    `born` gives the columns set only when a row is inserted (its identity)."""
    pk = tbl.primary_key.columns.values()[0]
    columns = sorted({c for row in rows for c in row})
    query = select(pk, *[tbl.c[c] for c in columns if c != pk.name])
    if where is not None:
        query = query.where(where)
    existing = {tuple(r[k] for k in key): r for r in conn.execute(query).mappings()}
    ids: dict[tuple[Any, ...], int | str] = {}
    for row in rows:
        k = tuple(row[c] for c in key)
        found = existing.get(k)
        if found is None:
            values = {**row, **born(row)} if born else row
            ids[k] = conn.execute(insert(tbl).values(**values).returning(pk)).scalar_one()
            report.inserted[kind] += 1
            continue
        ids[k] = found[pk.name]
        changed = {c: v for c, v in row.items() if found[c] != v}
        if changed:
            conn.execute(update(tbl).where(pk == found[pk.name]).values(**changed))
            report.updated[kind] += 1
    return ids


def _upsert_coded(
    conn: Connection,
    model: type,
    dept: str,
    rows: list[dict[str, Any]],
    kind: str,
    report: LoadReport,
    born: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> dict[str, int]:
    tbl = table(model)
    rows = [{"department_code": dept, **row} for row in rows]
    ids = _upsert(
        conn, tbl, rows, kind, report, key=("code",), where=tbl.c.department_code == dept, born=born
    )
    return {str(k[0]): int(v) for k, v in ids.items()}


def _replace_if_changed(
    conn: Connection,
    model: type,
    dept: str,
    rows: list[dict[str, Any]],
    kind: str,
    report: LoadReport,
    *,
    order: Iterable[str] = ("id",),
) -> bool:
    """Replace the department's rows of `model` when their content differs."""
    tbl = table(model)
    columns = [c.name for c in tbl.columns if c.name not in ("id", "department_code")]
    current = [
        dict(r)
        for r in conn.execute(
            select(*[tbl.c[c] for c in columns])
            .where(tbl.c.department_code == dept)
            .order_by(*[tbl.c[o] for o in order])
        ).mappings()
    ]
    if current == rows:
        return False
    delete_rows(conn, tbl, [{"department_code": dept}])
    if rows:
        conn.execute(insert(tbl), [{"department_code": dept, **row} for row in rows])
    report.updated[kind] += (len(rows) or len(current)) if current else 0
    report.inserted[kind] += 0 if current else len(rows)
    return True


def harmonised(vocabularies: Mapping[str, Any], key: str) -> dict[str, str]:
    """Each spelling the document used → the shared vocabulary's name (`vocabulaires` section)."""
    return {
        variant: entry["nom"]
        for entry in vocabularies.get(key) or []
        for variant in entry.get("variantes") or []
    }


def _vocabulary_ids(conn: Connection, model: type, names: Iterable[str]) -> dict[str, int]:
    tbl = table(model)
    wanted = set(names)
    found = {n: i for i, n in conn.execute(select(tbl.c.id, tbl.c.name)).all() if n in wanted}
    for name in sorted(wanted - found.keys()):
        found[name] = conn.execute(insert(tbl).values(name=name).returning(tbl.c.id)).scalar_one()
    return found


def _sync_links(
    conn: Connection,
    model: type,
    owner_col: str,
    owner_id: int,
    target_col: str,
    targets: list[tuple[int, str | None]],
    report: LoadReport,
    kind: str,
) -> None:
    """Links to vocabulary ids, in order, each with the name as written there (or None)."""
    tbl = table(model)
    current = [
        (r[0], r[1])
        for r in conn.execute(
            select(tbl.c[target_col], tbl.c.written_as)
            .where(tbl.c[owner_col] == owner_id)
            .order_by(tbl.c.position)
        )
    ]
    if current == targets:
        return
    delete_rows(conn, tbl, [{owner_col: owner_id}])
    if targets:
        conn.execute(
            insert(tbl),
            [
                {owner_col: owner_id, target_col: t, "position": i, "written_as": written}
                for i, (t, written) in enumerate(targets)
            ],
        )
    (report.updated if current else report.inserted)[kind] += len(targets) or len(current)


def _load_scheme(
    conn: Connection, dept: str, engagements: list[Doc], report: LoadReport, vocabularies: Mapping[str, Any]
) -> None:
    nodes = [d for e in engagements for d in e.get("defis") or []]
    nodes += [o for d in list(nodes) for o in d.get("objectifs") or []]
    theme_names, pathway_names = harmonised(vocabularies, "themes"), harmonised(vocabularies, "parcours")
    themes = _vocabulary_ids(
        conn, Theme, [theme_names.get(t, t) for n in nodes for t in n.get("themes") or []]
    )
    pathways = _vocabulary_ids(
        conn, Pathway, [pathway_names.get(p, p) for n in nodes for p in n.get("parcours") or []]
    )

    def linked(
        names: Iterable[str], ids: dict[str, int], shared: dict[str, str]
    ) -> list[tuple[int, str | None]]:
        return [(ids[shared.get(n, n)], n if n in shared else None) for n in names]

    eng_ids = _upsert_coded(
        conn,
        Engagement,
        dept,
        [
            {"code": e["code"], "number": e.get("numero"), "title": e["intitule"], "position": i}
            for i, e in enumerate(engagements)
        ],
        "engagement",
        report,
    )
    challenges = [(e, d) for e in engagements for d in e.get("defis") or []]
    ch_ids = _upsert_coded(
        conn,
        Challenge,
        dept,
        [
            {
                "code": d["code"],
                "engagement_id": eng_ids[e["code"]],
                "number": d.get("numero"),
                "title": d["intitule"],
                "stakes": d.get("enjeux"),
                "position": i,
                "keywords": list(d.get("mots_cles") or []),
                "key_figures": list(d.get("chiffres_cles") or []),
                "citizen_quotes": list(d.get("paroles_citoyens") or []),
                "objective_list": list(d.get("objectifs_listes") or []),
            }
            for i, (e, d) in enumerate(challenges)
        ],
        "défi",
        report,
    )
    for _e, d in challenges:
        cid = ch_ids[d["code"]]
        _sync_links(
            conn,
            ChallengeTheme,
            "challenge_id",
            cid,
            "theme_id",
            linked(d.get("themes") or [], themes, theme_names),
            report,
            "thème de défi",
        )
        _sync_links(
            conn,
            ChallengePathway,
            "challenge_id",
            cid,
            "pathway_id",
            linked(d.get("parcours") or [], pathways, pathway_names),
            report,
            "parcours de défi",
        )
    objectives = [(d, o) for _e, d in challenges for o in d.get("objectifs") or []]
    obj_ids = _upsert_coded(
        conn,
        Objective,
        dept,
        [
            {
                "code": o["code"],
                "challenge_id": ch_ids[d["code"]],
                "number": o.get("numero"),
                "title": o["intitule"],
                "regional_objective": o.get("objectif_regional"),
                "findings": o.get("constats"),
                "goal": o.get("objectif"),
                "expected_results": o.get("resultats_attendus"),
                "in_practice": o.get("en_pratique"),
                "challenge_statement": o.get("defi_a_relever"),
                "position": i,
                "key_figures": list(o.get("chiffres_cles") or []),
                "citizen_quotes": list(o.get("paroles_citoyens") or []),
            }
            for i, (d, o) in enumerate(objectives)
        ],
        "objectif",
        report,
    )
    for _d, o in objectives:
        oid = obj_ids[o["code"]]
        _sync_links(
            conn,
            ObjectiveTheme,
            "objective_id",
            oid,
            "theme_id",
            linked(o.get("themes") or [], themes, theme_names),
            report,
            "thème d'objectif",
        )
        _sync_links(
            conn,
            ObjectivePathway,
            "objective_id",
            oid,
            "pathway_id",
            linked(o.get("parcours") or [], pathways, pathway_names),
            report,
            "parcours d'objectif",
        )


def _load_care_offer(conn: Connection, dept: str, activities: list[Doc], report: LoadReport) -> None:
    activity_rows = [
        {
            "position": i,
            "name": a["activite"],
            "recourse": a.get("recours"),
            "transformations": a.get("transformations"),
            "notes": a.get("notes"),
        }
        for i, a in enumerate(activities)
    ]
    target_rows = [
        (
            i,
            {
                "table_title": t["titre"],
                "table_position": ti,
                "position": li,
                "zone": ln.get("zone"),
                "modality": ln.get("modalite"),
                "mention": ln.get("mention"),
                "existing": ln.get("existant"),
                "target": ln.get("cible"),
            },
        )
        for i, a in enumerate(activities)
        for ti, t in enumerate(a.get("tableaux") or [])
        for li, ln in enumerate(t.get("lignes") or [])
    ]
    act_tbl, tgt_tbl = table(CareOfferActivity), table(CareOfferTarget)
    current = read_care_offer(conn, dept)
    if current == activities:
        return
    delete_rows(conn, tgt_tbl, [{"department_code": dept}])
    delete_rows(conn, act_tbl, [{"department_code": dept}])
    ids = [
        conn.execute(insert(act_tbl).values(department_code=dept, **row).returning(act_tbl.c.id)).scalar_one()
        for row in activity_rows
    ]
    if target_rows:
        conn.execute(
            insert(tgt_tbl),
            [{"department_code": dept, "activity_id": ids[i], **row} for i, row in target_rows],
        )
    kind = "offre de soins (lignes)"
    (report.updated if current else report.inserted)[kind] += len(target_rows)


def resource_from_doc(r: Doc) -> ResourceData:
    """A resource of a reference document as a snapshot."""
    values = {"name": "", "kind": "", **_snapshot_values(fields.RESOURCE, ResourceData, r)}
    return ResourceData(**values)


def _load_resources(
    conn: Connection, dept: str, doc: Doc, report: LoadReport, *, author: str, source: str
) -> None:
    """Resources through the resource rules (`create_resource` / `update_resource`, journaled)."""
    resources = doc.get("ressources") or []
    if not resources:
        return
    maps = code_maps(conn, dept)
    existing = load_resources(conn, dept)
    for i, r in enumerate(resources):
        wanted = resource_from_doc(r)
        before = existing.get(wanted.code)
        with _refusing(doc, ("ressources", i), f"ressource {wanted.code}", RESOURCE_KEYS, wanted.code):
            if before is None:
                born = replace(wanted, uid=reference_uid(dept, "ressource", wanted.code))
                resource_rules.create_resource(conn, dept, born, author=author, source=source, maps=maps)
                report.inserted["ressource"] += 1
            elif resource_rules.update_resource(
                conn, dept, before, wanted, author=author, source=source, maps=maps
            ):
                report.updated["ressource"] += 1


def _snapshot_values(rec: Record, cls: type, doc: Doc) -> dict[str, Any]:
    """The snapshot's fields read from a reference document through the field registry (the
    same parsers as the forms and the Excel import); missing or empty values keep the defaults,
    except an explicit `null` where the value may be unknown (« avancement: null » is not 0 %)."""
    names = {f.name for f in dataclass_fields(cls) if f.compare}
    hints = get_type_hints(cls)
    values: dict[str, Any] = {}
    for f in rec:
        if f.name not in names or not f.yaml:
            continue
        if doc.get(f.yaml) not in (None, ""):
            values[f.name] = f.read(doc[f.yaml])
        elif f.yaml in doc and doc[f.yaml] is None and type(None) in get_args(hints[f.name]):
            values[f.name] = None
    return values


def action_from_doc(a: Doc) -> ActionData:
    """An action of a reference document as a snapshot."""
    return ActionData(**{"title": "", **_snapshot_values(fields.ACTION, ActionData, a)})


def _load_actions(
    conn: Connection, dept: str, doc: Doc, report: LoadReport, *, author: str, source: str
) -> None:
    docs = doc.get("actions") or []
    if not docs:
        return
    maps = code_maps(conn, dept)
    existing = action_rules.load_actions(conn, dept)
    for i, a in enumerate(docs):
        wanted = action_from_doc(a)
        before = existing.get(wanted.code)
        with _refusing(doc, ("actions", i), f"action {wanted.code}", ACTION_KEYS, wanted.code):
            if before is None:
                born = replace(wanted, uid=reference_uid(dept, "action", wanted.code))
                action_rules.create_action(conn, dept, born, author=author, source=source, maps=maps)
                report.inserted["action"] += 1
            elif action_rules.update_action(
                conn,
                dept,
                before,
                wanted,
                author=author,
                source=source,
                maps=maps,
            ):
                report.updated["action"] += 1


def indicator_from_doc(i: Doc) -> IndicatorData:
    """An indicator of a reference document as a snapshot (without its values)."""
    return IndicatorData(
        code=i["code"],
        label=i["intitule"],
        action=i.get("action"),
        objective=i.get("objectif"),
        unit=i.get("unite"),
        periodicity=i.get("periodicite") or "annuelle",
        baseline=i.get("valeur_initiale"),
        target=i.get("cible"),
    )


def _load_indicators(conn: Connection, dept: str, doc: Doc, report: LoadReport) -> None:
    docs = doc.get("indicateurs") or []
    if not docs:
        return
    maps = code_maps(conn, dept)
    actions = {code: a.id for code, a in action_rules.load_actions(conn, dept).items()}
    wanted = [indicator_from_doc(i) for i in docs]
    ids = _upsert_coded(
        conn,
        Indicator,
        dept,
        [
            {
                "code": i.code,
                "label": i.label,
                "unit": i.unit,
                "action_id": actions.get(i.action) if i.action else None,
                "objective_id": maps.objectives.get(i.objective) if i.objective else None,
                "baseline": i.baseline,
                "target": i.target,
                "periodicity": i.periodicity,
            }
            for i in wanted
        ],
        "indicateur",
        report,
        born=lambda row: {"uid": reference_uid(dept, "indicateur", row["code"])},
    )
    val_tbl = table(IndicatorValue)
    for n, i in enumerate(docs):
        rows = []
        for v in i.get("valeurs") or []:
            if v.get("valeur") is not None:
                rows.append({"period": str(v["periode"]), "category": "", "value": float(v["valeur"])})
            for category, value in (v.get("ventilation") or {}).items():
                rows.append({"period": str(v["periode"]), "category": str(category), "value": float(value)})
        iid = ids[i["code"]]
        rows = [{"department_code": dept, "indicator_id": iid, **r} for r in rows]
        with _refusing(doc, ("indicateurs", n), f"indicateur {i['code']}", INDICATOR_KEYS, i["code"]):
            _upsert(
                conn,
                val_tbl,
                rows,
                "valeur d'indicateur",
                report,
                key=("period", "category"),
                where=val_tbl.c.indicator_id == iid,
            )


# --- reading back -------------------------------------------------------------------------


def _rows(conn: Connection, model: type, dept: str, *order: str) -> list[dict[str, Any]]:
    tbl = table(model)
    query = select(tbl).where(tbl.c.department_code == dept).order_by(*[tbl.c[o] for o in order])
    return [dict(r) for r in conn.execute(query).mappings()]


def _names(
    conn: Connection, link: type, vocab: type, owner_col: str, target_col: str
) -> dict[int, list[str]]:
    """Each owner's names, as the document wrote them there."""
    lt, vt = table(link), table(vocab)
    query = (
        select(lt.c[owner_col], func.coalesce(lt.c.written_as, vt.c.name))
        .join(vt, vt.c.id == lt.c[target_col])
        .order_by(lt.c[owner_col], lt.c.position)
    )
    found: dict[int, list[str]] = {}
    for owner, name in conn.execute(query):
        found.setdefault(owner, []).append(name)
    return found


def _variants(conn: Connection, dept: str, vocab: type, links: Iterable[tuple[type, type, str]]) -> list[Doc]:
    """The shared names the department's document wrote otherwise, with those spellings (sorted)."""
    vt = table(vocab)
    pairs: set[tuple[str, str]] = set()
    for link, owner, owner_col in links:
        lt, ot = table(link), table(owner)
        query = (
            select(vt.c.name, lt.c.written_as)
            .join(lt, lt.c[f"{vt.name}_id"] == vt.c.id)
            .join(ot, ot.c.id == lt.c[owner_col])
            .where(ot.c.department_code == dept, lt.c.written_as.is_not(None))
        )
        pairs.update((name, written) for name, written in conn.execute(query))
    grouped: dict[str, list[str]] = {}
    for name, written in sorted(pairs):
        grouped.setdefault(name, []).append(written)
    return [{"nom": name, "variantes": variants} for name, variants in grouped.items()]


def read_care_offer(conn: Connection, dept: str) -> list[Doc]:
    """The care-offer tables of a department, in the reference document's shape."""
    activities = _rows(conn, CareOfferActivity, dept, "position")
    targets = _rows(conn, CareOfferTarget, dept, "activity_id", "table_position", "position")
    result = []
    for a in activities:
        tables: list[Doc] = []
        for t in (t for t in targets if t["activity_id"] == a["id"]):
            if len(tables) <= t["table_position"]:
                tables.append({"titre": t["table_title"], "lignes": []})
            tables[-1]["lignes"].append(
                {
                    "zone": t["zone"],
                    "modalite": t["modality"],
                    "mention": t["mention"],
                    "existant": t["existing"],
                    "cible": t["target"],
                }
            )
        result.append(
            {
                "activite": a["name"],
                "tableaux": tables,
                "recours": a["recourse"],
                "transformations": a["transformations"],
                "notes": a["notes"],
            }
        )
    return result


def read_reference(conn: Connection, dept: str) -> Doc:
    """The department's content as a reference document (the inverse of `apply_reference`)."""
    department = (
        conn.execute(select(table(Department)).where(table(Department).c.code == dept)).mappings().one()
    )
    maps = code_maps(conn, dept)
    ch_themes = _names(conn, ChallengeTheme, Theme, "challenge_id", "theme_id")
    ch_paths = _names(conn, ChallengePathway, Pathway, "challenge_id", "pathway_id")
    ob_themes = _names(conn, ObjectiveTheme, Theme, "objective_id", "theme_id")
    ob_paths = _names(conn, ObjectivePathway, Pathway, "objective_id", "pathway_id")
    challenges = _rows(conn, Challenge, dept, "position")
    objectives = _rows(conn, Objective, dept, "position")
    engagements = [
        {
            "numero": e["number"],
            "code": e["code"],
            "intitule": e["title"],
            "defis": [
                {
                    "numero": d["number"],
                    "code": d["code"],
                    "intitule": d["title"],
                    "enjeux": d["stakes"],
                    "themes": ch_themes.get(d["id"], []),
                    "parcours": ch_paths.get(d["id"], []),
                    "mots_cles": d["keywords"],
                    "chiffres_cles": d["key_figures"],
                    "paroles_citoyens": d["citizen_quotes"],
                    "objectifs_listes": list(d["objective_list"] or []),
                    "objectifs": [
                        {
                            "numero": o["number"],
                            "code": o["code"],
                            "intitule": o["title"],
                            "objectif_regional": o["regional_objective"],
                            "constats": o["findings"],
                            "objectif": o["goal"],
                            "resultats_attendus": o["expected_results"],
                            "en_pratique": o["in_practice"],
                            "defi_a_relever": o["challenge_statement"],
                            "themes": ob_themes.get(o["id"], []),
                            "parcours": ob_paths.get(o["id"], []),
                            "chiffres_cles": o["key_figures"],
                            "paroles_citoyens": o["citizen_quotes"],
                        }
                        for o in objectives
                        if o["challenge_id"] == d["id"]
                    ],
                }
                for d in challenges
                if d["engagement_id"] == e["id"]
            ],
        }
        for e in _rows(conn, Engagement, dept, "position")
    ]
    cnr: list[Doc] = []
    for p in _rows(conn, CnrProposal, dept, "id"):
        if not cnr or cnr[-1]["rubrique"] != p["section"]:
            cnr.append({"rubrique": p["section"], "propositions": []})
        cnr[-1]["propositions"].append(p["text"])
    themes = _variants(
        conn,
        dept,
        Theme,
        [(ChallengeTheme, Challenge, "challenge_id"), (ObjectiveTheme, Objective, "objective_id")],
    )
    pathways = _variants(
        conn,
        dept,
        Pathway,
        [(ChallengePathway, Challenge, "challenge_id"), (ObjectivePathway, Objective, "objective_id")],
    )
    return {
        "format": 1,
        "departement": {"code": department["code"], "nom": department["name"]},
        "paroles_citoyens": list(department["citizen_quotes"] or []),
        "data_repere": list(department["key_figures"] or []),
        "enjeux_en_bref": list(department["stakes_in_brief"] or []),
        "territoires": [
            {"code": t["code"], "nom": t["name"], "type": t["kind"]}
            | ({"communes": list(t["communes"])} if t["communes"] else {})
            for t in _rows(conn, Territory, dept, "position")
        ],
        "defis_cts": [c["text"] for c in _rows(conn, CtsChallenge, dept, "position")],
        "propositions_cnr": cnr,
        "vocabulaires": {"themes": themes, "parcours": pathways},
        "engagements": engagements,
        "offre_de_soins": read_care_offer(conn, dept),
        "organisations": [
            {"code": o["code"], "nom": o["name"], "type": o["kind"]}
            for o in _rows(conn, Organisation, dept, "id")
        ],
        "ressources": _read_resources(conn, dept),
        "actions": [
            _action_doc(a)
            for a in sorted(action_rules.load_actions(conn, dept).values(), key=lambda a: a.id or 0)
        ],
        "mesures_sans_action": [dict(m) for m in department["measures_without_action"] or []],
        "indicateurs": _read_indicators(conn, dept, maps.objective_codes()),
    }


def _read_resources(conn: Connection, dept: str) -> list[Doc]:
    resources = sorted(load_resources(conn, dept).values(), key=lambda r: r.id or 0)
    return [
        {
            "code": r.code,
            "nom": r.name,
            "type": r.kind,
            "publics": list(r.audiences),
            "porteur": r.carrier,
            "territoires": list(r.territories),
            "capacite": r.capacity,
            "adresse": r.address,
            "commune": r.commune,
            "code_insee": r.insee_code,
            "telephone": r.phone,
            "courriel": r.email,
            "contact": r.contact_name,
            "finess": r.finess,
            "discipline": r.discipline_code,
            "statut": ResourceStatus(r.status).label.lower(),
            "verifie_le": r.verified_on,
            "notes": r.notes,
            "source": r.source,
        }
        for r in resources
    ]


def _action_doc(a: ActionData) -> Doc:
    return {
        "code": a.code,
        "intitule": a.title,
        "description": a.description,
        "objectifs": list(a.objectives),
        "pilote": a.lead,
        "partenaires": list(a.partners),
        "territoires": list(a.territories),
        "debut": fields.ACTION["start_date"].to_yaml(a.start_date),
        "echeance": fields.ACTION["due_date"].to_yaml(a.due_date),
        "statut": ActionStatus(a.status).label,
        "avancement": a.progress,
        "meteo": a.weather,
        "budget": None if a.budget_cents is None else a.budget_cents / 100,
        "financement": a.funding,
        "source": a.source,
    }


def _read_indicators(conn: Connection, dept: str, objectives: dict[int, str]) -> list[Doc]:
    action_codes = {a.id: code for code, a in action_rules.load_actions(conn, dept).items()}
    values: dict[int, dict[str, Doc]] = {}
    for v in _rows(conn, IndicatorValue, dept, "indicator_id", "period", "category"):
        by_period = values.setdefault(v["indicator_id"], {})
        entry = by_period.setdefault(v["period"], {"periode": v["period"], "valeur": None, "ventilation": {}})
        if v["category"]:
            entry["ventilation"][v["category"]] = v["value"]
        else:
            entry["valeur"] = v["value"]
    return [
        {
            "code": i["code"],
            "intitule": i["label"],
            "action": action_codes[i["action_id"]] if i["action_id"] else None,
            "objectif": objectives[i["objective_id"]] if i["objective_id"] else None,
            "unite": i["unit"],
            "valeur_initiale": i["baseline"],
            "cible": i["target"],
            "periodicite": i["periodicity"],
            "valeurs": list(values.get(i["id"], {}).values()),
        }
        for i in _rows(conn, Indicator, dept, "id")
    ]
