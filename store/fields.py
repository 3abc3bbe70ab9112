"""The field registry: one definition of each field of each kind of record.

For every field: its code name (the snapshot's attribute), French label, YAML key, Excel header
and the synonyms people write, its parser (what people type → value, or a French reason, from
:mod:`store.parsing`), its formatter (value → what people read: names rather than codes,
"31/12/2026", "12 500,50 €", "60 %"), its rule on the value alone, and whether changes to it are
journaled. The forms, the Excel columns, the YAML loader, the journal display, the import
preview and the exports all read their fields from here (docs/architecture.md, "How to add a
field").
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any, TypeVar

from store import parsing as p
from store.dates import PreciseDate, Precision
from store.formatting import format_amount, format_date, format_euros, format_number, format_percent
from store.parsing import ParseError, Vocabulary

#: Display names of referenced records: ref kind ("organisation", "territory", "objective",
#: "action") → code → name.
Names = Mapping[str, Mapping[str, str]]

REF_ORGANISATION = "organisation"
REF_TERRITORY = "territory"
REF_OBJECTIVE = "objective"
REF_ACTION = "action"


def _text(value: Any) -> str:
    return "" if value is None else str(value)


#: The end of a shipped record's source: the lines of the document's extracted text it comes from
#: (« … — lignes 978, 988 »; « … — seed 003, lignes 648 » in stores made before). Kept for the
#: reference's checks; a delegation has no such text, so they are not shown.
SOURCE_LINES = re.compile(r" — (?:seed \d+, )?lignes? ([\d ,\-]+)$")


def format_source(value: Any) -> str:
    """Where a record comes from, as people read it: « Schéma territorial de santé de l'Ariège
    2023-2028 — En pratique, objectif E1-D4-O2 », without the lines of the extracted text."""
    return SOURCE_LINES.sub("", _text(value))


@dataclass(frozen=True)
class Field:
    """One field of a kind of record."""

    name: str
    label: str
    parse: Callable[[Any], Any] = p.parse_text
    #: value → text people read (without names; refs are looked up by `format`).
    show: Callable[[Any], str] = _text
    #: header written in workbooks (the label when None) and other headers people use (folded).
    header: str | None = None
    synonyms: tuple[str, ...] = ()
    #: key in the reference YAML (the name when None); "" when the field is not in the YAML.
    yaml_key: str | None = None
    journaled: bool = True
    required: bool = False
    #: "organisation", "territory", "objective" or "action": the value is a code (or codes).
    ref: str | None = None
    many: bool = False
    #: the order of the values does not matter (compared sorted).
    unordered: bool = False
    vocabulary: Vocabulary | None = None
    #: the domain rule on the value alone: a French sentence when it breaks it.
    check: Callable[[Any], str | None] | None = None
    #: how a form edits it: text, long_text, date, percent, amount, number, choice, choices.
    widget: str = "text"

    @property
    def excel_header(self) -> str:
        return self.header or self.label

    @property
    def writing(self) -> str | None:
        """The expected writing, where it helps: « JJ/MM/AAAA, mois AAAA ou AAAA » for a date."""
        if self.widget != "date":
            return None
        if self.parse is p.parse_precise_date:
            return "JJ/MM/AAAA, mois AAAA ou AAAA"
        return "JJ/MM/AAAA"

    @property
    def form_label(self) -> str:
        """The label with the expected writing, where it helps (an Excel input prompt)."""
        return f"{self.label} ({self.writing})" if self.writing else self.label

    @property
    def yaml(self) -> str:
        return self.name if self.yaml_key is None else self.yaml_key

    def format(self, value: Any, names: Names | None = None) -> str:
        """The value as people read it (names rather than codes when `names` knows them)."""
        if value is None or value == ():
            return ""
        if self.many:
            return ", ".join(self._one(v, names) for v in value)
        return self._one(value, names)

    def _one(self, value: Any, names: Names | None) -> str:
        if self.ref and names is not None:
            return names.get(self.ref, {}).get(value, str(value))
        if self.vocabulary is not None:
            return self.vocabulary.label(value)
        return self.show(value)

    def edit_text(self, value: Any) -> str:
        """The value as put in a form field to be edited (read back by `read`): "12 500,50", "60"."""
        if value is None or value == ():
            return ""
        if self.widget == "amount":
            return format_amount(value)
        if self.widget == "percent":
            return str(value)
        return self.format(value)

    def read_typed(self, text: str) -> Any:
        """What was typed in a form field; ValueError with a French sentence naming the field."""
        try:
            return self.read(text)
        except ParseError as exc:
            raise ValueError(f"{self.label} : « {text.strip()} » — {exc}.") from None

    def typed_problem(self, text: str) -> str | None:
        """Why `text` typed in this field cannot be read (`read_typed`'s sentence), or None."""
        try:
            self.read_typed(text)
        except ValueError as error:
            return str(error)
        return None

    def read(self, raw: Any) -> Any:
        """The value of what was typed (lists split, vocabularies resolved); ParseError if not."""
        if self.many:
            items = p.parse_texts(raw)
            if self.vocabulary is not None:
                codes = self.vocabulary.parse_many(items)
                return tuple(sorted(codes)) if self.unordered else codes
            return tuple(sorted(set(items))) if self.unordered else tuple(dict.fromkeys(items))
        return self.parse(raw)

    def to_yaml(self, value: Any) -> Any:
        """The value as a reference YAML writes it (dates, euros, codes), read back by `read`."""
        if value is None or value == ():
            return [] if self.many else None
        if self.many:
            return list(value)
        if self.widget == "amount":
            euros = value / 100
            return int(euros) if euros.is_integer() else euros
        if isinstance(value, PreciseDate):
            return value.first_day if value.precision is Precision.DAY else format_date(value)
        return value

    def cell_value(self, value: Any) -> Any:
        """The value as written in a workbook cell (codes, labels, euros, dates), read back by `read`."""
        if value is None or value == ():
            return None
        if self.many:
            return ", ".join(self.vocabulary.label(v) if self.vocabulary else v for v in value)
        if self.vocabulary is not None:
            return self.vocabulary.label(value)
        if self.widget == "amount":
            return value / 100
        if isinstance(value, PreciseDate):  # a year or a month is written as text, read back as such
            return value.first_day if value.precision is Precision.DAY else format_date(value)
        return value

    def dump(self, value: Any) -> str | None:
        """The text the journal keeps: stable, and read back by `load`."""
        if value is None or value == ():
            return None
        if self.many:
            return ", ".join(str(v) for v in value)
        if isinstance(value, PreciseDate) and value.precision is Precision.YEAR:
            return f"{value.year}"
        if isinstance(value, PreciseDate) and value.precision is Precision.MONTH:
            return f"{value.year}-{value.month:02d}"
        if isinstance(value, date):
            return value.isoformat()
        if self.widget == "amount":
            return f"{value / 100:.2f}"
        if self.vocabulary is not None:
            return self.vocabulary.label(value)
        return str(value)

    def journal_text(self, text: str | None, names: Names | None = None) -> str:
        """A value kept in the journal as people read it (as kept when it cannot be read)."""
        if text is None:
            return ""
        try:
            return self.format(self.read(text), names)
        except (ParseError, TypeError, ValueError):
            return text

    def validate(self, value: Any) -> str | None:
        """The French sentence of the rule `value` breaks, or None."""
        if self.required and (value is None or (isinstance(value, str) and not value.strip())):
            return f"{self.label} : ce champ est obligatoire."
        if self.vocabulary is not None and value:
            codes = value if self.many else (value,)
            unknown = [c for c in codes if c not in self.vocabulary.labels]
            if unknown:
                return f"{self.label} : valeur inconnue « {unknown[0]} »."
        if self.check is not None and value is not None and value != ():
            return self.check(value)
        return None


@dataclass(frozen=True)
class Record:
    """The fields of one kind of record."""

    kind: str
    label: str
    fields: tuple[Field, ...]

    def __iter__(self) -> Iterator[Field]:
        return iter(self.fields)

    def __getitem__(self, name: str) -> Field:
        return self._by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    @cached_property
    def _by_name(self) -> dict[str, Field]:
        return {f.name: f for f in self.fields}

    def get(self, name: str) -> Field | None:
        return self._by_name.get(name)

    def label_of(self, name: str) -> str:
        found = self.get(name)
        return found.label if found else name

    @cached_property
    def ruled(self) -> tuple[Field, ...]:
        """The fields whose `validate` can refuse a value (required, a vocabulary or a rule):
        the others accept anything, and are not asked for each of an import's rows."""
        return tuple(f for f in self.fields if f.required or f.vocabulary is not None or f.check is not None)

    @property
    def journaled(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.journaled)

    @property
    def labels(self) -> dict[str, str]:
        return {f.name: f.label for f in self.fields}


_Snapshot = TypeVar("_Snapshot")
#: The fields `evolve` may set, per snapshot class (none: `dataclasses.replace` does it).
_INIT_FIELDS: dict[type, frozenset[str]] = {}


def evolve(snapshot: _Snapshot, **changes: Any) -> _Snapshot:
    """`dataclasses.replace` for the records' snapshots (frozen dataclasses), without running
    their `__init__` again: an import makes thousands. The same object `replace` gives; a
    dataclass with a `__post_init__` or slots, or an unknown name, goes through `replace`."""
    cls = type(snapshot)
    names = _INIT_FIELDS.get(cls)
    if names is None:
        plain = not hasattr(cls, "__post_init__") and hasattr(snapshot, "__dict__")
        names = frozenset()
        if plain and dataclasses.is_dataclass(cls):
            names = frozenset(f.name for f in dataclasses.fields(cls) if f.init)
        _INIT_FIELDS[cls] = names
    if not names or not changes.keys() <= names:
        return dataclasses.replace(snapshot, **changes)  # type: ignore[type-var]
    copy = object.__new__(cls)
    copy.__dict__.update(snapshot.__dict__, **changes)
    return copy


# --- rules on one value ----------------------------------------------------------------------

_INSEE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
_FINESS = re.compile(r"^\d[\dAB]\d{7}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _between(low: float, high: float, what: str) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        return None if low <= value <= high else f"{what} doit être entre {low:g} et {high:g} % ({value})."

    return check


def _not_negative(sentence: str) -> Callable[[Any], str | None]:
    return lambda value: sentence if value < 0 else None


def _matches(pattern: re.Pattern[str], sentence: str) -> Callable[[Any], str | None]:
    return lambda value: None if pattern.match(value) else sentence.format(value=value)


# --- the kinds of record --------------------------------------------------------------------

ACTION = Record(
    "action",
    "action",
    (
        Field("code", "Code", synonyms=("code action", "reference", "ref", "identifiant"), journaled=False),
        Field(
            "title",
            "Intitulé",
            yaml_key="intitule",
            synonyms=("intitule de l action", "libelle", "action", "nom"),
            required=True,
        ),
        Field("description", "Description", synonyms=("descriptif", "detail"), widget="long_text"),
        Field(
            "objectives",
            "Objectifs",
            yaml_key="objectifs",
            header="Objectif",
            synonyms=("objectifs", "objectif operationnel", "objectifs operationnels", "code objectif"),
            ref=REF_OBJECTIVE,
            many=True,
            widget="choices",
        ),
        Field(
            "lead",
            "Pilote",
            yaml_key="pilote",
            synonyms=("porteur", "pilote de l action", "responsable"),
            ref=REF_ORGANISATION,
            widget="choice",
        ),
        Field(
            "partners",
            "Partenaires",
            yaml_key="partenaires",
            synonyms=("partenaire", "partenaires associes"),
            ref=REF_ORGANISATION,
            many=True,
            widget="choices",
        ),
        Field(
            "territories",
            "Territoires",
            yaml_key="territoires",
            synonyms=("territoire", "bassin", "bassins"),
            ref=REF_TERRITORY,
            many=True,
            unordered=True,
            widget="choices",
        ),
        Field(
            "status",
            "Statut",
            yaml_key="statut",
            parse=p.parse_action_status,
            synonyms=("etat", "etat d avancement", "statut de l action"),
            vocabulary=p.ACTION_STATUSES,
            required=True,
            widget="choice",
        ),
        Field(
            "progress",
            "Avancement (%)",
            yaml_key="avancement",
            parse=p.parse_percent,
            show=format_percent,
            synonyms=(
                "avancement",
                "taux d avancement",
                "pourcentage d avancement",
                "realise",
                "pourcentage",
            ),
            check=_between(0, 100, "L'avancement"),
            widget="percent",
        ),
        Field(
            "weather",
            "Météo",
            yaml_key="meteo",
            parse=p.parse_weather,
            synonyms=("meteo de l action", "tendance"),
            vocabulary=p.WEATHERS,
            widget="choice",
        ),
        Field(
            "start_date",
            "Début",
            yaml_key="debut",
            parse=p.parse_precise_date,
            show=format_date,
            synonyms=("date de debut", "debut prevu", "demarrage"),
            widget="date",
        ),
        Field(
            "due_date",
            "Échéance",
            yaml_key="echeance",
            parse=p.parse_precise_date,
            show=format_date,
            synonyms=("date d echeance", "date de fin", "fin", "echeance prevue"),
            widget="date",
        ),
        Field(
            "budget_cents",
            "Budget (€)",
            parse=p.parse_euros,
            show=format_euros,
            yaml_key="budget",
            synonyms=("budget", "montant", "cout", "budget previsionnel"),
            check=_not_negative("Le budget ne peut pas être négatif."),
            widget="amount",
        ),
        Field(
            "funding",
            "Financement",
            yaml_key="financement",
            synonyms=("financements", "source de financement", "financeur"),
        ),
        Field("source", "Source", show=format_source, journaled=True, widget="readonly"),
    ),
)

RESOURCE = Record(
    "resource",
    "ressource",
    (
        Field("code", "Code", synonyms=("code ressource", "reference", "identifiant"), journaled=False),
        Field(
            "name",
            "Nom",
            yaml_key="nom",
            synonyms=("raison sociale", "structure", "libelle", "nom de la structure"),
            required=True,
        ),
        Field(
            "kind",
            "Type",
            yaml_key="type",
            parse=p.parse_resource_kind,
            synonyms=("type de ressource", "categorie", "type de structure"),
            vocabulary=p.RESOURCE_KINDS,
            required=True,
            widget="choice",
        ),
        Field(
            "audiences",
            "Public",
            yaml_key="publics",
            synonyms=("publics", "public cible", "publics cibles"),
            many=True,
            vocabulary=p.AUDIENCE_LIST,
            widget="choices",
        ),
        Field(
            "carrier",
            "Porteur",
            yaml_key="porteur",
            synonyms=("gestionnaire", "organisme gestionnaire"),
            ref=REF_ORGANISATION,
            widget="choice",
        ),
        Field(
            "territories",
            "Territoires",
            yaml_key="territoires",
            synonyms=("territoire", "bassin"),
            ref=REF_TERRITORY,
            many=True,
            unordered=True,
            widget="choices",
        ),
        Field(
            "capacity",
            "Capacité",
            yaml_key="capacite",
            parse=p.parse_count,
            show=format_number,
            synonyms=("places", "nombre de places", "capacite d accueil"),
            check=_not_negative("La capacité ne peut pas être négative."),
            widget="number",
        ),
        Field("address", "Adresse", yaml_key="adresse", synonyms=("adresse postale", "voie")),
        Field("commune", "Commune", synonyms=("ville", "localite")),
        Field(
            "insee_code",
            "Code INSEE",
            yaml_key="code_insee",
            parse=p.parse_insee,
            synonyms=("insee", "code commune"),
            check=_matches(_INSEE, "Code INSEE invalide : « {value} » (5 caractères, par exemple 09122)."),
        ),
        Field(
            "phone",
            "Téléphone",
            yaml_key="telephone",
            parse=p.parse_phone,
            synonyms=("tel", "telephone fixe", "numero de telephone"),
        ),
        Field(
            "email",
            "Courriel",
            yaml_key="courriel",
            synonyms=("e mail", "email", "mail", "adresse electronique"),
            check=_matches(_EMAIL, "Courriel invalide : « {value} »."),
        ),
        Field(
            "contact_name",
            "Contact",
            yaml_key="contact",
            synonyms=("referent", "personne a contacter", "nom du contact"),
        ),
        Field(
            "finess",
            "FINESS",
            parse=p.parse_finess,
            synonyms=("n finess", "numero finess", "finess et", "no finess"),
            check=_matches(_FINESS, "Numéro FINESS invalide : « {value} » (9 caractères)."),
        ),
        Field(
            "discipline_code",
            "Discipline",
            yaml_key="discipline",
            synonyms=("code discipline", "discipline d equipement"),
        ),
        Field(
            "status",
            "Statut",
            yaml_key="statut",
            parse=p.parse_resource_status,
            synonyms=("etat",),
            vocabulary=p.RESOURCE_STATUSES,
            widget="choice",
        ),
        Field(
            "verified_on",
            "Vérifié le",
            yaml_key="verifie_le",
            parse=p.parse_date,
            show=format_date,
            synonyms=("date de verification", "verifie"),
            widget="date",
        ),
        Field("notes", "Notes", synonyms=("remarques", "observations", "commentaire"), widget="long_text"),
        Field("source", "Source", show=format_source, widget="readonly"),
    ),
)

INDICATOR = Record(
    "indicator",
    "indicateur",
    (
        Field(
            "code",
            "Code indicateur",
            synonyms=("code", "indicateur", "code de l indicateur"),
            journaled=False,
        ),
        Field(
            "label",
            "Intitulé",
            yaml_key="intitule",
            synonyms=("libelle", "intitule de l indicateur", "nom"),
            required=True,
        ),
        Field("action", "Action", synonyms=("code action",), ref=REF_ACTION),
        Field("objective", "Objectif", yaml_key="objectif", synonyms=("code objectif",), ref=REF_OBJECTIVE),
        Field("unit", "Unité", yaml_key="unite", synonyms=("unite de mesure",)),
        Field(
            "periodicity",
            "Périodicité",
            yaml_key="periodicite",
            parse=p.parse_periodicity,
            synonyms=("frequence",),
            vocabulary=p.PERIODICITIES,
            widget="choice",
        ),
        Field(
            "baseline",
            "Valeur initiale",
            yaml_key="valeur_initiale",
            parse=p.parse_number,
            show=format_number,
            synonyms=("valeur de reference", "valeur de depart"),
            widget="number",
        ),
        Field(
            "target",
            "Cible",
            yaml_key="cible",
            parse=p.parse_number,
            show=format_number,
            synonyms=("valeur cible", "objectif chiffre"),
            widget="number",
        ),
    ),
)

INDICATOR_VALUE = Record(
    "value",
    "valeur d'indicateur",
    (
        Field("indicator", "Indicateur", ref=REF_ACTION, journaled=False),
        Field(
            "period",
            "Période",
            yaml_key="periode",
            parse=p.parse_period,
            synonyms=("periode de mesure", "mois", "annee", "trimestre"),
        ),
        Field("category", "Ventilation", yaml_key="ventilation"),
        Field(
            "value",
            "Valeur",
            yaml_key="valeur",
            parse=p.parse_number,
            show=format_number,
            synonyms=("total", "valeur mesuree", "resultat"),
            widget="number",
        ),
    ),
)


def _named(kind: str, label: str, kinds: Vocabulary, default: str) -> Record:
    """A record known by its code and name, of one type from a list (organisation, territory)."""
    return Record(
        kind,
        label,
        (
            Field("code", "Code", journaled=False, required=True),
            Field("name", "Nom", yaml_key="nom", required=True),
            Field(
                "kind",
                "Type",
                yaml_key="type",
                vocabulary=kinds,
                parse=lambda raw: kinds.parse(raw) or default,
                widget="choice",
            ),
        ),
    )


ORGANISATION = _named("organisation", "organisation", p.ORGANISATION_KIND_LIST, "Autre")
TERRITORY = _named("territory", "territoire", p.TERRITORY_KINDS, "bassin")

OBJECTIVE = Record(
    "objective",
    "objectif opérationnel",
    (
        Field("code", "Code", journaled=False, required=True),
        Field(
            "number", "Numéro", parse=p.parse_count, show=format_number, yaml_key="numero", widget="number"
        ),
        Field("title", "Intitulé", yaml_key="intitule", required=True),
        Field("regional_objective", "Objectif régional", yaml_key="objectif_regional"),
        Field("findings", "Constats", yaml_key="constats", widget="long_text"),
        Field("goal", "L'objectif", yaml_key="objectif", widget="long_text"),
        Field("expected_results", "Résultats attendus", yaml_key="resultats_attendus", widget="long_text"),
        Field("in_practice", "En pratique", yaml_key="en_pratique", widget="long_text"),
    ),
)

RECORDS: dict[str, Record] = {
    r.kind: r for r in (ACTION, RESOURCE, INDICATOR, INDICATOR_VALUE, ORGANISATION, TERRITORY, OBJECTIVE)
}


def record(kind: str) -> Record:
    """The fields of a kind of record ("action", "resource", "indicator"…)."""
    return RECORDS[kind]
