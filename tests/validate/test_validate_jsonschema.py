"""Differential test: our release-record rules against jsonschema on the generated JSON Schema.

For every record of a corpus of valid and damaged release rows, the verdict of
``openconflict.validate.check_release_events`` (any error or none) must equal the verdict of
``jsonschema.Draft202012Validator`` with a format checker on ``schema/event.schema.json``.

Only rules JSON Schema can express are exercised: required, type, enum, pattern, minimum/maximum,
date format and the event type -> sub-event type -> disorder type hierarchy. Excluded on purpose:
dates in the future (JSON Schema has no "today"), at most 4 decimals (no decimal-places keyword), and
uniqueness across records (JSON Schema sees one record at a time; each record is checked alone here),
and the spelling of a number (``1e1`` is a JSON number 10.0, but our text cells must be plain decimals:
JSON carries the value, not how it was written).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import jsonschema
import pyarrow as pa
import pytest

from openconflict.schema import load_schema
from openconflict.validate import check_release_events

SCHEMA = load_schema()
FIELDS = SCHEMA.release["events"]["fields"]
COLUMNS = [f["name"] for f in FIELDS]
TYPES = {f["name"]: f["type"] for f in FIELDS}
JSON_SCHEMA = json.loads((SCHEMA.root / "event.schema.json").read_text(encoding="utf-8"))
# A "today" far away, so the future-date rule (not expressible in JSON Schema) never fires.
FAR_FUTURE = dt.date(9999, 12, 31)
INT_TEXT = re.compile(r"^-?[0-9]+$")
JSON_NUMBER = re.compile(r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$")

VALID: dict[str, str] = {
    "event_id_cnty": "SYR1", "event_date": "2015-10-14", "year": "2015", "time_precision": "1",
    "disorder_type": "Political violence", "event_type": "Battles", "sub_event_type": "Armed clash",
    "actor1": "Syrian Army (SYNTHETIC)", "assoc_actor_1": "", "inter1": "1", "actor2": "Rebel Front (SYNTHETIC)",
    "assoc_actor_2": "Allied Brigade (SYNTHETIC)", "inter2": "2", "interaction": "12", "civilian_targeting": "",
    "iso": "760", "region": "Middle East", "country": "Syria", "admin1": "Aleppo", "admin2": "Azaz",
    "admin3": "", "location": "Alpha (SYNTHETIC)", "latitude": "36.2", "longitude": "37.1",
    "geo_precision": "1", "source": "SYNTHETIC", "source_scale": "National", "notes": "SYNTHETIC TEST ROW",
    "fatalities": "3", "tags": "", "timestamp": "1700000000", "iso3": "SYR", "location_id": "SYR-alpha",
    "source_ids": "src-one", "source_urls": "https://example.invalid/one",
    "admin1_pcode": "SY02", "admin2_pcode": "SY0204", "admin3_pcode": "", "dataset": "OpenConflict",
    "fatalities_best": "3", "fatalities_high": "5", "fatalities_known": "true",
}

#: (name, changes) -> one record each. Valid variants first, then damaged ones.
CORPUS: list[tuple[str, dict[str, str]]] = [
    ("valid battle", {}),
    ("valid one-sided attack", {"disorder_type": "Political violence", "event_type": "Violence against civilians",
                                "sub_event_type": "Attack", "actor2": "Civilians (Syria)", "assoc_actor_2": "",
                                "inter1": "3", "inter2": "7", "interaction": "37",
                                "civilian_targeting": "Civilian targeting"}),
    ("valid protest, combined disorder type", {
        "disorder_type": "Political violence; Demonstrations", "event_type": "Protests",
        "sub_event_type": "Excessive force against protesters", "inter1": "6", "inter2": "1", "interaction": "16"}),
    ("valid strategic development", {"disorder_type": "Strategic developments",
                                     "event_type": "Strategic developments", "sub_event_type": "Other"}),
    ("valid empty optional cells", {"actor2": "", "assoc_actor_2": "", "admin2": "", "tags": "", "inter2": "0",
                                    "interaction": "10"}),
    ("valid edges", {"latitude": "-90", "longitude": "180", "year": "1900", "event_date": "1900-01-01",
                     "fatalities": "0", "timestamp": "0", "iso": "999", "interaction": "88"}),
    ("valid leap day", {"event_date": "2016-02-29"}),
    ("valid a number where text belongs", {"notes": "12345", "admin1": "7"}),
    ("valid 2038+ timestamp", {"timestamp": "4102444800"}),
    # required
    ("required event_id_cnty empty", {"event_id_cnty": ""}),
    ("required actor1 empty", {"actor1": ""}),
    ("required notes empty", {"notes": ""}),
    ("required fatalities empty", {"fatalities": ""}),
    ("required latitude empty", {"latitude": ""}),
    ("required region empty", {"region": ""}),
    ("required source_urls empty", {"source_urls": ""}),
    # type
    ("text in fatalities", {"fatalities": "three"}),
    ("decimal in an integer", {"inter1": "1.5"}),
    ("text in latitude", {"latitude": "north"}),
    ("text in year", {"year": "MMXV"}),
    ("text in timestamp", {"timestamp": "yesterday"}),
    # enum
    ("unknown event type", {"event_type": "Battle"}),
    ("unknown sub-event type", {"sub_event_type": "Armed Clash"}),
    ("unknown disorder type", {"disorder_type": "Violence"}),
    ("unknown country", {"country": "Syrian Arab Rep."}),
    ("unknown region", {"region": "Levant"}),
    ("civilian_targeting not in vocabulary", {"civilian_targeting": "yes"}),
    # pattern
    ("event id leading zero", {"event_id_cnty": "SYR01"}),
    ("event id lower case", {"event_id_cnty": "syr1"}),
    ("iso3 too long", {"iso3": "SYRA"}),
    ("location id with underscore", {"location_id": "SYR_alpha"}),
    # minimum / maximum
    ("time precision 0", {"time_precision": "0"}),
    ("time precision 4", {"time_precision": "4"}),
    ("geo precision 4", {"geo_precision": "4"}),
    ("negative fatalities", {"fatalities": "-1"}),
    ("inter1 0", {"inter1": "0"}),
    ("inter2 9", {"inter2": "9"}),
    ("interaction 9", {"interaction": "9"}),
    ("iso 1000", {"iso": "1000"}),
    ("latitude 95", {"latitude": "95"}),
    ("longitude -180.5", {"longitude": "-180.5"}),
    ("year 1899", {"year": "1899"}),
    ("negative timestamp", {"timestamp": "-1"}),
    ("known spelled yes", {"fatalities_known": "yes"}),
    ("known spelled True", {"fatalities_known": "True"}),
    ("known missing", {"fatalities_known": ""}),
    ("negative high figure", {"fatalities_high": "-2"}),
    # dates
    ("date 2015-02-30", {"event_date": "2015-02-30"}),
    ("date 2015-13-01", {"event_date": "2015-13-01"}),
    ("date 0025-01-01", {"event_date": "0025-01-01"}),
    ("date 1899-12-31", {"event_date": "1899-12-31"}),
    ("date 2015-2-3", {"event_date": "2015-2-3"}),
    ("date with slashes", {"event_date": "2015/10/14"}),
    ("date with a time", {"event_date": "2015-10-14T00:00:00"}),
    ("date not a leap year", {"event_date": "2015-02-29"}),
    # hierarchy
    ("sub-event type of another event type", {"sub_event_type": "Attack"}),
    ("disorder type of another sub-event type", {"disorder_type": "Demonstrations"}),
    ("riot with the wrong disorder type", {"event_type": "Riots", "sub_event_type": "Mob violence",
                                           "disorder_type": "Demonstrations"}),
    ("padded number", {"latitude": " 36.2"}),
    ("padded integer", {"inter1": " 1"}),
    ("padded enum", {"event_type": "Battles "}),
    ("padded date", {"event_date": "2015-10-14 "}),
    ("basic-format date", {"event_date": "20151014"}),
    ("date with a trailing newline", {"event_date": "2015-10-14\n"}),
    ("full-width digits", {"year": "\uff12\uff10\uff11\uff15"}),
    ("arabic-indic digit in id", {"event_id_cnty": "SYR\u0661"}),
    ("valid riot", {"event_type": "Riots", "sub_event_type": "Mob violence", "disorder_type": "Political violence",
                    "inter1": "5", "inter2": "7", "interaction": "57"}),
]


def to_json(cells: dict[str, str]) -> dict[str, Any]:
    """Convert text cells the way a release carries them in JSON."""
    out: dict[str, Any] = {}
    for name, text in cells.items():
        if text == "":
            out[name] = None
        elif TYPES[name] == "integer":
            out[name] = int(text) if INT_TEXT.match(text) else text
        elif TYPES[name] == "boolean":
            out[name] = {"true": True, "false": False}.get(text, text)
        elif TYPES[name] == "number":
            # "Parses" means: is a JSON number; Python's float() would also take " 1", "1_0", "nan".
            out[name] = float(text) if JSON_NUMBER.match(text) else text
        else:
            out[name] = text
    return out


def our_errors(cells: dict[str, str]) -> list[str]:
    table = pa.table({c: pa.array([cells[c]], pa.string()) for c in COLUMNS})
    return [f"{p.column}: {p.rule} ({p.value})" for p in check_release_events(table, SCHEMA, FAR_FUTURE)
            if p.severity == "error"]


def jsonschema_errors(record: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft202012Validator(JSON_SCHEMA, format_checker=jsonschema.FormatChecker())
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(record)]


def test_generated_json_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(JSON_SCHEMA)
    assert list(JSON_SCHEMA["properties"]) == COLUMNS


def test_corpus_has_valid_and_invalid_records() -> None:
    verdicts = [bool(our_errors({**VALID, **changes})) for _, changes in CORPUS]
    assert verdicts.count(False) >= 8
    assert verdicts.count(True) >= 40


#: Trailing newlines: Python's re lets "$" match before a final newline, ECMA-262 and RE2 do not. The
#: generator ends every pattern with "(?!\n)$" so that jsonschema agrees with the validator here too.
CORPUS += [
    ("event id with a trailing newline", {"event_id_cnty": "SYR1\n"}),
    ("iso3 with a trailing newline", {"iso3": "SYR\n"}),
    ("location id with a trailing newline", {"location_id": "SYR-alpha\n"}),
]


@pytest.mark.parametrize(("name", "changes"), CORPUS, ids=[name for name, _ in CORPUS])
def test_verdicts_agree(name: str, changes: dict[str, str]) -> None:
    cells = {**VALID, **changes}
    ours = our_errors(cells)
    theirs = jsonschema_errors(to_json(cells))
    assert bool(ours) == bool(theirs), f"ours: {ours}\njsonschema: {theirs}"
    assert bool(ours) == (not name.startswith("valid")), ours
