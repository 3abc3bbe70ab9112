"""The columns the importer knows, per kind of record, with the headers people write.

A field's `name` is the attribute of the store's snapshot (ActionData, ResourceData,
IndicatorData) or a pseudo-field (``comment``, ``period``, ``value``); the exchange workbook's
hidden sheet names its columns with these names too. Headers are matched after `header_key`
(case, accents, spaces, punctuation and units in brackets ignored).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from importers.excel import cells
from store.vocab import fold

#: Sheet names of the exchange workbook (exports/excel writes the same).
SHEET_ACTIONS = "Actions"
SHEET_INDICATORS = "Indicateurs"
SHEET_RESOURCES = "Ressources"
META_SHEET = "_suivi_sts"
#: Format of the exchange workbook this version reads (the hidden sheet's `format`).
FORMAT = 1
BREAKDOWN_PREFIX = "Ventilation"

KIND_ACTION = "action"
KIND_RESOURCE = "resource"
KIND_INDICATOR = "indicator"
KIND_VALUE = "value"
KIND_LABELS = {
    KIND_ACTION: "action",
    KIND_RESOURCE: "ressource",
    KIND_INDICATOR: "indicateur",
    KIND_VALUE: "valeur d'indicateur",
}


@dataclass(frozen=True)
class FieldSpec:
    """A column the importer understands."""

    name: str
    header: str
    parse: Callable[[Any], Any]
    aliases: tuple[str, ...] = ()
    #: Order does not matter (compared sorted).
    unordered: bool = False


def header_key(text: Any) -> str:
    """A header reduced to what matters: "Avancement (%) " → "avancement"."""
    folded = fold(cells.text(text) or "")
    folded = re.sub(r"\([^)]*\)", " ", folded)
    folded = re.sub(r"[^a-z0-9]+", " ", folded)
    return " ".join(folded.split())


def _codes(value: Any) -> tuple[str, ...]:
    return cells.texts(value)


ACTION_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("code", "Code", cells.text, ("code action", "reference", "ref", "identifiant")),
    FieldSpec("title", "Intitulé", cells.text, ("intitule de l action", "libelle", "action", "nom")),
    FieldSpec("description", "Description", cells.text, ("descriptif", "detail")),
    FieldSpec(
        "objectives",
        "Objectif",
        _codes,
        ("objectifs", "objectif operationnel", "objectifs operationnels", "code objectif"),
    ),
    FieldSpec("lead", "Pilote", cells.text, ("porteur", "pilote de l action", "responsable")),
    FieldSpec("partners", "Partenaires", _codes, ("partenaire", "partenaires associes")),
    FieldSpec("territories", "Territoires", _codes, ("territoire", "bassin", "bassins"), unordered=True),
    FieldSpec("status", "Statut", cells.text, ("etat", "etat d avancement", "statut de l action")),
    FieldSpec("weather", "Météo", cells.text, ("meteo de l action", "tendance")),
    FieldSpec(
        "progress",
        "Avancement (%)",
        cells.percent,
        ("avancement", "taux d avancement", "pourcentage d avancement", "realise", "pourcentage"),
    ),
    FieldSpec("start_date", "Début", cells.a_date, ("date de debut", "debut prevu", "demarrage")),
    FieldSpec(
        "due_date", "Échéance", cells.a_date, ("date d echeance", "date de fin", "fin", "echeance prevue")
    ),
    FieldSpec(
        "budget_cents", "Budget (€)", cells.money_cents, ("budget", "montant", "cout", "budget previsionnel")
    ),
    FieldSpec("funding", "Financement", cells.text, ("financements", "source de financement", "financeur")),
    FieldSpec("comment", "Commentaire", cells.text, ("commentaires", "observations", "remarques")),
)

#: Columns of the exchange workbook that are shown for reading only (ignored silently).
READ_ONLY_HEADERS = frozenset(
    header_key(h)
    for h in (
        "En retard",
        "Engagement",
        "Défi",
        "Intitulé de l'objectif",
        "Source",
        "Dernière valeur",
        "Vérification",
    )
)

RESOURCE_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("code", "Code", cells.text, ("code ressource", "reference", "identifiant")),
    FieldSpec("name", "Nom", cells.text, ("raison sociale", "structure", "libelle", "nom de la structure")),
    FieldSpec("kind", "Type", cells.text, ("type de ressource", "categorie", "type de structure")),
    FieldSpec(
        "audiences", "Public", cells.texts, ("publics", "public cible", "publics cibles"), unordered=True
    ),
    FieldSpec("carrier", "Porteur", cells.text, ("gestionnaire", "organisme gestionnaire")),
    FieldSpec("territories", "Territoires", _codes, ("territoire", "bassin"), unordered=True),
    FieldSpec("capacity", "Capacité", cells.integer, ("places", "nombre de places", "capacite d accueil")),
    FieldSpec("status", "Statut", cells.text, ("etat",)),
    FieldSpec("address", "Adresse", cells.text, ("adresse postale", "voie")),
    FieldSpec("commune", "Commune", cells.text, ("ville", "localite")),
    FieldSpec("insee_code", "Code INSEE", cells.text, ("insee", "code commune")),
    FieldSpec("phone", "Téléphone", cells.text, ("tel", "telephone fixe", "numero de telephone")),
    FieldSpec("email", "Courriel", cells.text, ("e mail", "email", "mail", "adresse electronique")),
    FieldSpec("contact_name", "Contact", cells.text, ("referent", "personne a contacter", "nom du contact")),
    FieldSpec("finess", "FINESS", cells.text, ("n finess", "numero finess", "finess et", "no finess")),
    FieldSpec("discipline_code", "Discipline", cells.text, ("code discipline", "discipline d equipement")),
    FieldSpec("verified_on", "Vérifié le", cells.a_date, ("date de verification", "verifie")),
    FieldSpec("notes", "Notes", cells.text, ("remarques", "observations", "commentaire")),
)

INDICATOR_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("code", "Code indicateur", cells.text, ("code", "indicateur", "code de l indicateur")),
    FieldSpec("label", "Intitulé", cells.text, ("libelle", "intitule de l indicateur", "nom")),
    FieldSpec("action", "Action", cells.text, ("code action",)),
    FieldSpec("objective", "Objectif", cells.text, ("code objectif",)),
    FieldSpec("unit", "Unité", cells.text, ("unite de mesure",)),
    FieldSpec("periodicity", "Périodicité", cells.text, ("frequence",)),
    FieldSpec("baseline", "Valeur initiale", cells.number, ("valeur de reference", "valeur de depart")),
    FieldSpec("target", "Cible", cells.number, ("valeur cible", "objectif chiffre")),
    FieldSpec("period", "Période", lambda v: v, ("periode de mesure", "mois", "annee", "trimestre")),
    FieldSpec("value", "Valeur", cells.number, ("total", "valeur mesuree", "resultat")),
)
INDICATOR_LEVEL = ("label", "action", "objective", "unit", "periodicity", "baseline", "target")

FIELDS_BY_KIND: dict[str, tuple[FieldSpec, ...]] = {
    KIND_ACTION: ACTION_FIELDS,
    KIND_RESOURCE: RESOURCE_FIELDS,
    KIND_INDICATOR: INDICATOR_FIELDS,
}
SHEET_KINDS: dict[str, str] = {
    header_key(SHEET_ACTIONS): KIND_ACTION,
    header_key(SHEET_RESOURCES): KIND_RESOURCE,
    header_key(SHEET_INDICATORS): KIND_INDICATOR,
}


def breakdown_category(header: Any) -> str | None:
    """The category a "Ventilation : mineurs" column holds, or None for other headers."""
    content = cells.text(header) or ""
    found = re.match(rf"^\s*{BREAKDOWN_PREFIX}\s*[:\-–—]\s*(.+?)\s*$", content, re.IGNORECASE)
    return found.group(1) if found else None


def breakdown_header(category: str) -> str:
    return f"{BREAKDOWN_PREFIX} : {category}"


def spec(kind: str, name: str) -> FieldSpec:
    return next(f for f in FIELDS_BY_KIND[kind] if f.name == name)


def label_of(kind: str, name: str) -> str:
    if name.startswith("cat:"):
        return breakdown_header(name[4:])
    found = [f for f in FIELDS_BY_KIND.get(kind, INDICATOR_FIELDS) if f.name == name]
    return found[0].header if found else name
