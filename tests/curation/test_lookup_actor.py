"""``lookup actor`` and the ``aliases`` column: names reports use find the registry name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from curation_fixtures import DATASETS, SYN_ACTOR, invoke

from openconflict.curation.actors import names_of, normal, read_actors, search
from openconflict.curation.tree import open_tree
from openconflict.schema import load_schema
from openconflict.validate import validate

ACTORS = read_actors(open_tree(DATASETS))


@pytest.mark.parametrize(("query", "actor"), [
    ("ISIS", "Islamic State"), ("IS", "Islamic State"), ("Daesh", "Islamic State"), ("isil", "Islamic State"),
    ("SDF", "SDF: Syrian Democratic Forces"), ("Syrian Democratic Forces", "SDF: Syrian Democratic Forces"),
    ("YPG", "YPG: People's Protection Units"), ("al-Nusra Front", "Jabhat al-Nusra"),
    ("Hizballah", "Hezbollah"), ("Hizbollah", "Hezbollah"), ("Jaysh al-Fath", "Jaish al-Fatah"),
    ("Fursan al-Haq", "Fursan al-Haq Brigade"), ("Levant Front", "Levant Front"),
])
def test_names_in_reports_find_the_registry_actor(query: str, actor: str) -> None:
    assert search(query, ACTORS)[0].actor.actor == actor


def test_an_exact_alias_scores_100_and_says_which_name_matched() -> None:
    result = invoke("lookup", "actor", "Daesh", "--datasets", DATASETS, "--json")
    assert result.exit_code == 0
    first = json.loads(result.output)[0]
    assert first == {**first, "score": 100.0, "actor": "Islamic State", "matched": "Daesh", "actor_type": "2"}
    assert "ISIS" in first["aliases"]


def test_short_queries_match_exactly_only() -> None:
    # "IS" is a substring of many names; only the actor called IS may answer.
    assert [m.actor.actor for m in search("IS", ACTORS)] == ["Islamic State"]
    assert search("XY", ACTORS) == []


def test_no_match_exits_1() -> None:
    result = invoke("lookup", "actor", "Qwzx Brigade of Nowhere", "--datasets", DATASETS)
    assert result.exit_code == 1 and "no match" in result.output


def test_aliases_are_optional_in_the_schema_and_the_real_tree_validates(real_copy: Path) -> None:
    field = load_schema().field("curated", "actors", "aliases")
    assert field["type"] == "string" and not field.get("constraints", {}).get("required")
    report, _ = validate([real_copy])
    assert report.ok, report.to_text()


def test_no_alias_names_two_actors_or_shadows_another_actors_name() -> None:
    owner: dict[str, str] = {}
    for a in ACTORS:
        for name in names_of(a):
            key = normal(name)
            assert owner.setdefault(key, a.actor) == a.actor, f"{name!r} names {owner[key]} and {a.actor}"


def test_aliases_are_semicolon_space_separated_without_empties() -> None:
    raw = (DATASETS / "actors.csv").read_text(encoding="utf-8")
    import csv
    import io

    for row in csv.DictReader(io.StringIO(raw)):
        if row["aliases"]:
            parts = row["aliases"].split("; ")
            assert all(p and p == p.strip() for p in parts), row["actor"]


def test_synthetic_tree_aliases(synthetic: Path) -> None:
    result = invoke("lookup", "actor", "fake front", "--datasets", synthetic)
    assert result.exit_code == 0 and result.output.startswith("100.0  " + SYN_ACTOR)
