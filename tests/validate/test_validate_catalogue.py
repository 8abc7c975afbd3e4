"""The rule catalogue is the single list: nothing is emitted outside it, and every entry is exercised."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from test_validate_corpus import CASES
from test_validate_hostile import HOSTILE

import openconflict
from openconflict.validate.emit import Checker, single
from openconflict.validate.rules import CATALOGUE, RULES, UnknownRuleError, explain

PACKAGE = Path(openconflict.__file__).resolve().parent
RULE_LITERAL = re.compile(r'"((?:file|csv|value|id|key|ref|date|geo|hierarchy|consistency|source|warn)'
                          r'\.[a-z][a-z0-9-]*)"')
#: Rules whose cases need more than a mutated tree (a monkeypatched read, a published release).
ELSEWHERE = {
    "file.unreadable": "test_validate_corpus.py::test_unreadable_file",
    "id.tombstone-removed": "test_validate_history.py",
    "id.deleted-reused": "test_validate_history.py",
    "warn.history-unchecked": "test_validate_history.py",
}


def _literals() -> set[str]:
    ids: set[str] = set()
    for folder in (PACKAGE / "validate", PACKAGE / "curated"):
        for path in folder.glob("*.py"):
            if path.name != "rules.py":
                ids |= set(RULE_LITERAL.findall(path.read_text(encoding="utf-8")))
    return ids


def test_catalogue_ids_are_unique_and_described() -> None:
    assert len({r.id for r in RULES}) == len(RULES)
    for r in RULES:
        assert re.fullmatch(r"[a-z]+\.[a-z0-9-]+", r.id, re.ASCII), r.id
        assert r.severity in ("error", "warning")
        assert r.description.endswith(".") and len(r.description) > 20, r.id
        assert (r.severity == "warning") == r.id.startswith(("warn.", "geo.no-bbox")), r.id


def test_every_rule_in_the_source_is_catalogued() -> None:
    found = _literals()
    assert {"value.required", "ref.actor", "file.not-regular"} <= found  # the scan still works
    assert found - set(CATALOGUE) == set()


def test_every_catalogued_rule_has_a_case() -> None:
    covered = {rule for case in [*CASES, *HOSTILE] for (_, _, rule, _) in case.expected} | set(ELSEWHERE)
    assert set(CATALOGUE) - covered == set()
    here = Path(__file__).parent
    for rule, where in ELSEWHERE.items():
        path, _, test = where.partition("::")
        text = (here / path).read_text(encoding="utf-8")
        assert rule in text and (not test or f"def {test}(" in text), (rule, where)


def test_emitting_an_unknown_rule_fails(tree: Path) -> None:
    from openconflict.curated import read_curated
    from openconflict.schema import load_schema

    ct = read_curated(tree, load_schema()).tables["events"]
    ch = Checker(ct, __import__("datetime").date(2024, 6, 1))
    with pytest.raises(UnknownRuleError):
        ch.emit(np.ones(ct.num_rows, dtype=bool), "event_id", "value.made-up", "not a rule")
    with pytest.raises(UnknownRuleError):
        single("datasets/x.csv", 0, "", "file.made-up", "not a rule")
    ch.emit(np.ones(ct.num_rows, dtype=bool), "event_id", "value.required", "a real rule")
    assert ch.batches[0].severity == "error"


def test_explain() -> None:
    assert explain("value.control").startswith("value.control (error): ")
    with pytest.raises(UnknownRuleError):
        explain("value.nope")


def test_codebook_lists_every_rule() -> None:
    from openconflict.schema import load_schema

    text = (load_schema().root / "codebook.md").read_text(encoding="utf-8")
    assert "## Validation rules" in text
    for r in RULES:
        assert f"| `{r.id}` | {r.severity} | {r.description} |" in text
