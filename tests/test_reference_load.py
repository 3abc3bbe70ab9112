"""Loading a reference scheme: validated, idempotent, updating by code."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select, text

from importers.reference_yaml import ReferenceFileError, parse_reference, read_reference_file
from importers.setup_store import initialise
from store.actions import load_actions
from store.database import Store, open_store
from store.models import ActionEvent
from store.reference import read_reference
from tests.conftest import MINI_REFERENCE, snapshot_tables


def test_loading_the_same_file_twice_changes_nothing(loaded_store: Store, store_url: str) -> None:
    before = snapshot_tables(loaded_store)
    again = initialise(store_url, reference=MINI_REFERENCE)
    assert again.report is not None and not again.report.changed
    assert snapshot_tables(again.store) == before
    again.store.dispose()


def test_an_edited_file_updates_by_code_and_journals_the_change(
    loaded_store: Store, store_url: str, tmp_path: Path
) -> None:
    edited = tmp_path / "edite.yaml"
    edited.write_text(
        MINI_REFERENCE.read_text(encoding="utf-8")
        .replace('statut: "En cours"\n    avancement: 50', 'statut: "Réalisée"\n    avancement: 100')
        .replace("Haute-Ariège", "Haute Ariège"),
        encoding="utf-8",
    )
    result = initialise(store_url, reference=edited)
    assert result.report is not None
    assert result.report.updated["action"] == 1
    assert result.report.updated["territoire"] == 1
    with result.store.engine.connect() as conn:
        action = load_actions(conn, "09")["ACT-001"]
        events = conn.execute(
            select(ActionEvent.field, ActionEvent.old_value, ActionEvent.new_value, ActionEvent.source)  # type: ignore[call-overload]
            .where(ActionEvent.action_id == action.id, ActionEvent.kind == "modification")
            .order_by(ActionEvent.field)
        ).all()
    assert action.status == "realisee" and action.progress == 100 and action.version == 2
    assert events == [
        ("progress", "50", "100", "edite.yaml"),
        ("status", "En cours", "Réalisée", "edite.yaml"),
    ]
    result.store.dispose()


def test_export_then_init_from_the_export_gives_the_same_content(loaded_store: Store, tmp_path: Path) -> None:
    from exports.reference_yaml import export_reference

    exported = tmp_path / "export.yaml"
    export_reference(loaded_store.engine, "09", exported)
    copy = initialise(tmp_path / "copie.sqlite", reference=exported)
    with loaded_store.engine.connect() as a, copy.store.engine.connect() as b:
        assert read_reference(a, "09") == read_reference(b, "09")
    copy.store.dispose()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (('    intitule: "Mammobile', '    intitul: "Mammobile'), "clé « intitul » inconnue"),
        (("avancement: 50", "avancement: beaucoup"), "« beaucoup » — un pourcentage est attendu"),
        (("avancement: 50", "avancement: 150"), "compris entre 0 et 100 %"),
        (("objectifs: [E1-D4-S2]", "objectifs: [E9-D9-O9]"), "objectif : code inconnu « E9-D9-O9 »"),
        (("code: ACT-002", "code: ACT-001"), "code d'action « ACT-001 » en double"),
        (('statut: "En cours"', 'statut: "Peut-être"'), "statut : valeur inconnue « Peut-être »"),
        (("debut: 2023-01-01", "debut: 2023-02-31"), "« 2023-02-31 » — cette date n'existe pas"),
        (("numero: 1\n", "numero: [1]\n"), "doit être un nombre entier, pas une liste"),
    ],
)
def test_an_invalid_file_is_refused_with_its_line_and_nothing_is_written(
    loaded_store: Store, store_url: str, tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    original = MINI_REFERENCE.read_text(encoding="utf-8")
    assert change[0] in original
    bad = tmp_path / "faux.yaml"
    bad.write_text(original.replace(change[0], change[1], 1), encoding="utf-8")
    line = original[: original.index(change[0])].count("\n") + 1
    before = snapshot_tables(loaded_store)
    with pytest.raises(ReferenceFileError) as caught:
        initialise(store_url, reference=bad)
    message = str(caught.value)
    assert expected in message
    assert f"ligne {line}" in message or f"ligne {line + 1}" in message
    assert "faux.yaml" in message
    assert snapshot_tables(loaded_store) == before


def test_a_yaml_syntax_error_gives_its_line() -> None:
    with pytest.raises(ReferenceFileError, match="ligne 4, colonne .* syntaxe YAML invalide"):
        parse_reference(
            "format: 1\ndepartement: {code: '09', nom: Ariège}\nengagements: [\n  - x: : :\n", "x.yaml"
        )


def test_the_journal_is_never_edited_after_the_fact(loaded_store: Store) -> None:
    with loaded_store.engine.connect() as conn:
        assert (conn.execute(text("SELECT count(*) FROM action_event")).scalar() or 0) > 0
    for statement in ("UPDATE action_event SET author = 'x'", "DELETE FROM action_event"):
        with (
            pytest.raises(Exception, match="journal des actions ne se modifie pas"),  # noqa: B017
            loaded_store.writer.begin() as conn,
        ):
            conn.execute(text(statement))


def test_reading_a_reference_file_that_is_not_utf8(tmp_path: Path) -> None:
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("departement: {code: '09', nom: Ariège}".encode("latin-1"))
    with pytest.raises(ReferenceFileError, match="UTF-8"):
        read_reference_file(bad)


def test_a_store_holding_two_departments_reads_each_back_separately(
    loaded_store: Store, store_url: str
) -> None:
    other = (
        MINI_REFERENCE.read_text(encoding="utf-8")
        .replace(
            'departement: {code: "09", nom: "Ariège"}', 'departement: {code: "31", nom: "Haute-Garonne"}'
        )
        .replace('code: "09", nom: "Ariège (tout le département)"', 'code: "31", nom: "Haute-Garonne"')
        .replace('territoires: ["09"]', 'territoires: ["31"]')
    )
    doc = parse_reference(other, "haute-garonne.yaml")
    from store.reference import apply_reference

    with loaded_store.writer.begin() as conn:
        apply_reference(conn, doc, author="testeur", source="haute-garonne.yaml")
    with loaded_store.engine.connect() as conn:
        ariege, garonne = read_reference(conn, "09"), read_reference(conn, "31")
    assert ariege["departement"]["nom"] == "Ariège" and garonne["departement"]["nom"] == "Haute-Garonne"
    assert ariege["ressources"][0]["territoires"] == ["09"]
    assert garonne["ressources"][0]["territoires"] == ["31"]
    assert (
        [a["code"] for a in ariege["actions"]]
        == [a["code"] for a in garonne["actions"]]
        == ["ACT-001", "ACT-002"]
    )


def test_loading_a_reference_into_an_existing_store_backs_it_up_first(tmp_path: Path) -> None:
    from store.backup import list_backups

    path = tmp_path / "s.sqlite"
    initialise(path, reference=MINI_REFERENCE).store.dispose()
    assert list_backups(path) == []  # a new file has nothing to save
    again = initialise(path, reference=MINI_REFERENCE)
    again.store.dispose()
    assert any("avant-reference" in backup.name for backup in list_backups(path))


# --- every record through the domain rules ---------------------------------------------------------

_RESOURCE_ANCHOR = '    discipline: "963"\n'


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("finess", "pas-un-finess", "Numéro FINESS invalide : « pas-un-finess »"),
        ("code_insee", "ABCDE", "Code INSEE invalide : « ABCDE »"),
    ],
)
def test_init_refuses_a_resource_the_rules_refuse_naming_its_line_and_field(
    loaded_store: Store,
    store_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    key: str,
    value: str,
    expected: str,
) -> None:
    from tui.cli import main

    original = MINI_REFERENCE.read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        original.replace(_RESOURCE_ANCHOR, f'{_RESOURCE_ANCHOR}    {key}: "{value}"\n'), encoding="utf-8"
    )
    line = original[: original.index(_RESOURCE_ANCHOR)].count("\n") + 2
    before = snapshot_tables(loaded_store)
    capsys.readouterr()
    assert main(["--db", store_url, "init", "--reference", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"ligne {line}, colonne " in err
    assert f"ressources[1].{key} (ressource RES-PFR)" in err and expected in err
    assert "bad.yaml" in err and "Rien n'a été écrit" in err
    assert snapshot_tables(loaded_store) == before


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("type: GHT}", "type: Hôpital}"),
            "organisations[3].type (organisation GHT-PA) : Type d'organisation inconnu : « Hôpital »",
        ),
        (
            (
                'territoires: ["09"]\n    statut: "En cours"',
                'territoires: ["09", "09"]\n    statut: "En cours"',
            ),
            "actions[1].territoires[2] (action ACT-001) : « 09 » figure deux fois dans les territoires.",
        ),
        (
            ('{periode: "2024-02", valeur: 15}', '{periode: "2024-01", valeur: 15}'),
            "valeurs[2].periode (indicateur IND-001) : La période « 2024-01 » a déjà une valeur.",
        ),
        (('{periode: "2024-02"', '{periode: "2024-T2"'), "valeurs[2].periode (indicateur IND-001) : "),
        (
            ('intitule: "Mammobile de la CPTS Ariège Pyrénées"', 'intitule: " "'),
            "actions[1].intitule (action ACT-001) : ",
        ),
        (
            ('intitule: "Mettre en place ou conforter des actions de prévention"', 'intitule: ""'),
            "(objectif E1-D4-O2) : L'intitulé de l'objectif est obligatoire.",
        ),
        (
            ("type: bassin}\n  - {code: HAUTE", "type: departement}\n  - {code: HAUTE"),
            "territoires[2].type (territoire COUSERANS) : Un seul territoire peut représenter tout",
        ),
    ],
)
def test_a_record_the_rules_refuse_is_refused_with_its_line(
    loaded_store: Store, store_url: str, tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    original = MINI_REFERENCE.read_text(encoding="utf-8")
    assert change[0] in original
    bad = tmp_path / "faux.yaml"
    bad.write_text(original.replace(change[0], change[1], 1), encoding="utf-8")
    line = original[: original.index(change[0])].count("\n") + 1
    before = snapshot_tables(loaded_store)
    with pytest.raises(ReferenceFileError) as caught:
        initialise(store_url, reference=bad)
    message = str(caught.value)
    assert expected in message
    assert any(f"ligne {n}, colonne" in message for n in range(line, line + 3))
    assert snapshot_tables(loaded_store) == before


def test_apply_reference_checks_every_record_itself(loaded_store: Store) -> None:
    """A document that did not come through the YAML reader (sync, tests) is checked too."""
    from store.reference import ReferenceRejected, apply_reference

    doc = parse_reference(MINI_REFERENCE.read_text(encoding="utf-8"), "mini.yaml")
    doc["ressources"][0]["finess"] = "pas-un-finess"
    before = snapshot_tables(loaded_store)
    with pytest.raises(ReferenceRejected) as caught, loaded_store.writer.begin() as conn:
        apply_reference(conn, doc, author="testeur", source="mini.yaml")
    assert caught.value.field == "finess"
    assert "ressources[1].finess (ressource RES-PFR) : Numéro FINESS invalide" in str(caught.value)
    assert "rien n'a été écrit" in str(caught.value)
    assert snapshot_tables(loaded_store) == before


def test_a_rule_that_depends_on_the_store_names_the_line_too(
    loaded_store: Store, store_url: str, tmp_path: Path
) -> None:
    """Postponing an existing action needs a comment: the file cannot give one, the load is refused."""
    original = MINI_REFERENCE.read_text(encoding="utf-8")
    edited = tmp_path / "reporte.yaml"
    edited.write_text(original.replace('statut: "En cours"', 'statut: "Reportée"'), encoding="utf-8")
    line = original[: original.index('statut: "En cours"')].count("\n") + 1
    before = snapshot_tables(loaded_store)
    with pytest.raises(ReferenceFileError) as caught:
        initialise(store_url, reference=edited)
    message = str(caught.value)
    assert f"ligne {line}, colonne" in message
    assert "actions[1].statut (action ACT-001) : Un commentaire est obligatoire" in message
    assert snapshot_tables(loaded_store) == before


def test_load_reference_reports_a_late_refusal_as_a_reference_file_error(loaded_store: Store) -> None:
    from importers.reference_yaml import load_reference

    text = MINI_REFERENCE.read_text(encoding="utf-8").replace('statut: "En cours"', 'statut: "Abandonnée"')
    doc = parse_reference(text, "abandon.yaml")
    before = snapshot_tables(loaded_store)
    with pytest.raises(ReferenceFileError) as caught, loaded_store.writer.begin() as conn:
        load_reference(conn, doc, author="testeur", source="abandon.yaml")
    assert "abandon.yaml" in str(caught.value)
    assert caught.value.problems[0].startswith("ligne ")
    assert "(action ACT-001) : Un commentaire est obligatoire" in caught.value.problems[0]
    assert snapshot_tables(loaded_store) == before


def test_a_database_constraint_in_the_loader_names_the_record_and_its_line(
    loaded_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the rules switched off, the database's own refusal comes out the same way."""
    from store import actions as action_rules
    from store import reference
    from store.reference import ReferenceRejected, apply_reference

    monkeypatch.setattr(reference, "check_reference", lambda *args, **kwargs: [])
    monkeypatch.setattr(action_rules, "validate", lambda *args, **kwargs: [])
    as_read = reference.action_from_doc  # which drops repeated codes: keep them, to reach the database
    monkeypatch.setattr(
        reference, "action_from_doc", lambda a: replace(as_read(a), partners=tuple(a["partenaires"]))
    )
    renamed = MINI_REFERENCE.read_text(encoding="utf-8").replace("code: ACT-002", "code: ACT-003")
    doc = parse_reference(renamed, "x.yaml")
    doc["actions"][1]["partenaires"] = ["CPAM-09", "CPAM-09"]
    before = snapshot_tables(loaded_store)
    with pytest.raises(ReferenceRejected) as caught, loaded_store.writer.begin() as conn:
        apply_reference(conn, doc, author="testeur", source="x.yaml")
    message = str(caught.value)
    assert caught.value.field == "partners"
    assert (
        "actions[2].partenaires (action ACT-003) : Partenaires : une même valeur figure deux fois" in message
    )
    assert "ligne " in message and "IntegrityError" not in message and "constraint" not in message
    assert snapshot_tables(loaded_store) == before


def test_the_shipped_ariege_reference_passes_every_rule(tmp_path: Path) -> None:
    from importers.reference_yaml import embedded_reference_text
    from store.reference import check_reference

    doc = parse_reference(embedded_reference_text(), "ariege.yaml")
    assert check_reference(doc) == []
    result = initialise(tmp_path / "ariege.sqlite")
    assert result.report is not None
    assert result.report.inserted["organisation"] == len(doc["organisations"]) == 16
    assert result.report.inserted["ressource"] == len(doc["ressources"])
    assert result.report.inserted["action"] == len(doc["actions"]) == 80
    objectives = [o for e in doc["engagements"] for d in e["defis"] for o in d["objectifs"]]
    # the summary init prints counts links, as `check` counts their rows
    assert result.report.inserted["thème d'objectif"] == sum(len(o["themes"]) for o in objectives)
    assert result.report.inserted["parcours d'objectif"] == sum(len(o["parcours"]) for o in objectives)
    with result.store.engine.connect() as conn:
        kinds = {o["type"] for o in read_reference(conn, "09")["organisations"]}
    assert kinds == {o["type"] for o in doc["organisations"]}
    result.store.dispose()


def test_init_refuses_a_load_time_refusal_with_exit_1_and_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Postponing an existing action needs a comment, which a reference file cannot give."""
    from tui.cli import main

    db = str(tmp_path / "base.sqlite")
    assert main(["--db", db, "init", "--reference", str(MINI_REFERENCE)]) == 0
    postponed = tmp_path / "reportee.yaml"
    text = MINI_REFERENCE.read_text(encoding="utf-8")
    postponed.write_text(text.replace('statut: "En cours"', 'statut: "Reportée"', 1), encoding="utf-8")
    store = open_store(db)
    before = snapshot_tables(store)
    capsys.readouterr()
    assert main(["--db", db, "init", "--reference", str(postponed)]) == 1
    error = capsys.readouterr().err
    assert "ligne " in error and "commentaire est obligatoire" in error and "Traceback" not in error
    assert snapshot_tables(store) == before
    store.dispose()
