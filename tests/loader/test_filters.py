"""Filters that never fail silently (issue 13), on a SYNTHETIC release with hostile place names.

Every text filter matches case-insensitively; a value the release does not hold raises ArgumentError with
the closest values; wrong types raise ArgumentTypeError; a date window or year outside the release says what
the release covers; the new filters (admin2, location, region, year, interaction, min_fatalities,
civilian_targeting) return exactly what a naive filter over the published rows returns, in every engine.
"""

from __future__ import annotations

import csv
import datetime as dt
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from loader_fixtures import ids
from synthetic import ACTORS, Tree, _ledger_shim

import openconflict
import openconflict.loader as L
from openconflict.loader import labels

pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword:DeprecationWarning")

VERSION = "0.1.0"
#: SYR place names (SYNTHETIC places; the names test spelling, accents and regex metacharacters).
HALAB = unicodedata.normalize("NFC", "Ḩalab")
NAMES = [("Hamah", "Hamah", "Hamah District"), (HALAB, HALAB, "Jabal Sam'an"),
         ("Town (North) [1]", "Dayr az Zawr", "Al Bukamal.*"), ("Ar-Raqqa", "Ar Raqqah", "Ath Thawrah")]
ENGINES = ["pandas", "arrow", "polars", "duckdb", "dask"]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("hostile")
    tree = Tree.initial(base / "datasets", per_country=20)
    tree.write()
    path = tree.root / "locations" / "SYR.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row, (loc, a1, a2) in zip(rows, NAMES, strict=True):
        row.update(location=loc, admin1=a1, admin2=a2)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    releases = base / "releases"
    openconflict.build_release(tree.root, VERSION, date="2026-01-15", releases_dir=releases, dist_dir=None)
    _ledger_shim(releases)
    return releases


@pytest.fixture(autouse=True)
def _use(hostile: Path, isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENCONFLICT_RELEASES", str(hostile))


@pytest.fixture(scope="module")
def rows(hostile: Path) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    return pq.read_table(hostile / VERSION / "data" / "events.parquet").to_pylist()


def naive(rows: list[dict[str, Any]], **f: Any) -> set[str]:
    out = set()
    for r in rows:
        ok = all(r[c] == v for c, v in f.items() if c not in ("min_fatalities", "civilian_targeting"))
        if "min_fatalities" in f:
            ok = ok and r["fatalities"] >= f["min_fatalities"]
        if "civilian_targeting" in f:
            ok = ok and bool(r["civilian_targeting"]) == f["civilian_targeting"]
        if ok:
            out.add(r["event_id_cnty"])
    return out


# ------------------------------------------------------------------------------------- matching and hints


@pytest.mark.parametrize("output", ENGINES)
def test_case_insensitive_and_exact_spellings_agree(rows: list[dict[str, Any]], output: str) -> None:
    want = naive(rows, admin1="Hamah")
    assert want
    for spelling in ("Hamah", "hamah", "HAMAH", " Hamah "):
        assert ids(L.load_events(admin1=spelling, output=output)) == want, spelling
    assert ids(L.load_events(iso3="syr", country="SYRIA", event_type="battles", output=output)) == \
        naive(rows, iso3="SYR", event_type="Battles")


def test_a_misspelt_value_names_what_the_release_calls_it() -> None:
    with pytest.raises(openconflict.ArgumentError, match=r"admin1='Hama' occurs nowhere in release 0\.1\.0.*"
                                                       r"did you mean 'Hamah'"):
        L.load_events(admin1="Hama")
    for kwargs, near in (({"country": "Syra"}, "Syria"), ({"iso3": "SYY"}, "SYR"),
                         ({"location": "Town North"}, "Town (North) [1]"), ({"admin2": "Hamah Distric"}, "Hamah District"),
                         ({"region": "Middle-East"}, "Middle East"), ({"actor": "Synthetic Rebel"}, "Synthetic Rebels")):
        with pytest.raises(openconflict.ArgumentError, match="did you mean") as info:
            L.load_events(**kwargs)
        assert repr(near) in str(info.value), kwargs


def test_a_valid_vocabulary_value_absent_from_the_release_is_not_silent() -> None:
    with pytest.raises(openconflict.ArgumentError, match="country='Zimbabwe' occurs nowhere"):
        L.load_events(country="Zimbabwe")
    with pytest.raises(openconflict.ArgumentError, match="occurs nowhere"):
        L.load_events(sub_event_type="Chemical weapon")
    # One bad value in a list is enough: the others would hide it.
    with pytest.raises(openconflict.ArgumentError, match="'Hama'"):
        L.load_events(admin1=["Hamah", "Hama"])


def test_unicode_forms_and_look_alikes() -> None:
    decomposed = unicodedata.normalize("NFD", HALAB)
    assert decomposed != HALAB
    assert ids(L.load_events(admin1=decomposed, output="arrow")) == ids(L.load_events(admin1=HALAB, output="arrow"))
    cyrillic = "H\u0430mah"  # a Cyrillic small a: looks the same, is another letter
    with pytest.raises(openconflict.ArgumentError, match="did you mean 'Hamah'"):
        L.load_events(admin1=cyrillic)
    with pytest.raises(openconflict.ArgumentError, match="occurs nowhere"):
        L.load_events(admin1="Hamah\u200b")  # a zero-width space is not ignored


def test_regex_metacharacters_are_plain_text(rows: list[dict[str, Any]]) -> None:
    for output in ENGINES:
        assert ids(L.load_events(location="town (north) [1]", output=output)) == naive(rows, location="Town (North) [1]")
        assert ids(L.load_events(admin2="Al Bukamal.*", output=output)) == naive(rows, admin2="Al Bukamal.*")
    for pattern in (".*", "Hamah|Ar Raqqah", "Town \\(North\\) \\[1\\]"):
        with pytest.raises(openconflict.ArgumentError, match="occurs nowhere"):
            L.load_events(admin1=pattern)
    with pytest.raises(openconflict.ArgumentError):
        L.load_events(actor="Synthetic Militia .*", actor_role="any")


def test_actor_role_primary_by_default_any_on_request(rows: list[dict[str, Any]]) -> None:
    with pytest.raises(openconflict.ArgumentError, match="only as an associated actor.*actor_role='any'"):
        L.load_events(actor="Synthetic Students")
    got = ids(L.load_events(actor="synthetic students", actor_role="any", output="duckdb"))
    assert got == {r["event_id_cnty"] for r in rows if "Synthetic Students" in (r["assoc_actor_1"] or "").split("; ")}
    primary = ids(L.load_events(actor="Synthetic Rebels", output="arrow"))
    assert primary == {r["event_id_cnty"] for r in rows if "Synthetic Rebels" in (r["actor1"], r["actor2"])}


# ------------------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"iso3": 760}, "iso3 takes text such as 'SYR'"),
    ({"iso3": [b"SYR"]}, "takes text"),
    ({"admin1": ["Hamah", None]}, "holds None in its list"),
    ({"admin1": {"Hamah": 1}}, "takes text"),
    ({"year": "x"}, "year takes a whole number"),
    ({"year": "2023"}, "year takes a whole number"),
    ({"year": 2023.0}, "year takes"),
    ({"year": True}, "year takes"),
    ({"min_fatalities": "3"}, "min_fatalities takes a whole number"),
    ({"min_fatalities": 2.5}, "min_fatalities takes"),
    ({"civilian_targeting": 1}, "civilian_targeting takes True, False"),
    ({"interaction": 12.0}, "interaction takes"),
    ({"start": ["2023"]}, "start takes a date"),
    ({"end": 2023.5}, "end takes a date"),
])
def test_wrong_types_raise_a_clear_type_error(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(openconflict.ArgumentTypeError, match=message) as info:
        L.load_events(**kwargs)
    assert isinstance(info.value, TypeError) and isinstance(info.value, openconflict.OpenConflictError)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"admin1": ""}, "is empty"),
    ({"location": "   "}, "is empty"),
    ({"actor": [""]}, "is empty"),
    ({"country": []}, "matches nothing"),
    ({"min_fatalities": -1}, "negative"),
    ({"civilian_targeting": "yes"}, "the flag reads 'Civilian targeting'"),
    ({"civilian_targeting": ""}, "civilian_targeting=False"),
    ({"interaction": 31}, r"smaller actor-type code comes first \(13\)"),
    ({"interaction": 99}, "not a valid interaction code"),
    ({"interaction": "State forces-Rebels"}, "did you mean 'State forces-Rebel group'"),
    ({"interaction": 88}, r"occurs nowhere in release 0\.1\.0; it holds 12 \(State forces-Rebel group\)"),
    ({"actor_role": "both"}, "choose 'primary'"),
])
def test_bad_values_raise_a_clear_value_error(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(openconflict.ArgumentError, match=message) as info:
        L.load_events(**kwargs)
    assert isinstance(info.value, ValueError)


def test_a_window_outside_the_release_states_its_coverage(rows: list[dict[str, Any]]) -> None:
    first, last = min(r["event_date"] for r in rows), max(r["event_date"] for r in rows)
    cover = f"holds events from {first} to {last}"
    for kwargs in ({"start": "2030"}, {"end": first - dt.timedelta(days=1)}, {"start": "1990", "end": "1999-06"},
                   {"year": 2019}, {"year": [2023, 2031]}):
        for fmt in ("parquet", "csv"):
            with pytest.raises(openconflict.ArgumentError, match=cover):
                L.load_events(file_format=fmt, **kwargs)
    # A window that overlaps the coverage is fine, even when it reaches beyond it.
    assert ids(L.load_events(start="1990", end=first, output="arrow")) == naive(rows, event_date=first)


# ------------------------------------------------------------------------------------------ new filters


NEW_FILTERS: list[tuple[dict[str, Any], dict[str, Any]]] = [
    ({"admin2": "hamah district"}, {"admin2": "Hamah District"}),
    ({"location": HALAB}, {"location": HALAB}),
    ({"region": "middle east", "event_type": "Riots"}, {"region": "Middle East", "event_type": "Riots"}),
    ({"year": 2024}, {"year": 2024}),
    ({"interaction": 12}, {"interaction": 12}),
    ({"interaction": "state forces-rebel group"}, {"interaction": 12}),
    ({"interaction": "Rioters only", "iso3": "AFG"}, {"interaction": 50, "iso3": "AFG"}),
    ({"min_fatalities": 5}, {"min_fatalities": 5}),
    ({"civilian_targeting": True}, {"civilian_targeting": True}),
    ({"civilian_targeting": "Civilian targeting"}, {"civilian_targeting": True}),
    ({"civilian_targeting": "civilians targeted"}, {"civilian_targeting": True}),
    ({"civilian_targeting": False, "min_fatalities": 1}, {"civilian_targeting": False, "min_fatalities": 1}),
]


@pytest.mark.parametrize("output", ENGINES)
@pytest.mark.parametrize(("kwargs", "plain"), NEW_FILTERS, ids=lambda f: ",".join(map(str, f.values())))
def test_new_filters_match_a_naive_filter(rows: list[dict[str, Any]], kwargs: dict[str, Any], plain: dict[str, Any],
                                          output: str) -> None:
    want = naive(rows, **plain)
    assert want  # every case selects something
    assert ids(L.load_events(output=output, **kwargs)) == want


def test_interaction_labels_and_codes_round_trip(rows: list[dict[str, Any]]) -> None:
    present = sorted({r["interaction"] for r in rows})
    names = labels.interaction_labels()
    for code in present:
        assert ids(L.load_events(interaction=names[code], output="arrow")) == naive(rows, interaction=code)
    both = ids(L.load_events(interaction=[present[0], names[present[1]]], output="arrow"))
    assert both == naive(rows, interaction=present[0]) | naive(rows, interaction=present[1])


def test_the_filter_names_the_cli_can_introspect() -> None:
    import inspect

    params = inspect.signature(L.load_events).parameters
    assert set(L.FILTERS) <= set(params)
    assert L.ACTOR_ROLES == ("primary", "any") and params["actor_role"].default == "primary"
    assert {a for a, _ in ACTORS} >= {"Synthetic Rebels"}


def test_distinct_values_are_read_once_per_file_and_kept_in_the_cache(
        isolated_env: Path, monkeypatch: pytest.MonkeyPatch, rows: list[dict[str, Any]]) -> None:
    from openconflict.loader import values

    monkeypatch.setattr(values, "_MEMO", {})
    want = ids(L.load_events(admin1="hamah", output="arrow"))
    saved = list((isolated_env / ".derived").glob("values-*-admin1.json"))
    assert len(saved) == 1
    monkeypatch.setattr(values, "_MEMO", {})  # a new process: only the cache remembers

    def no_read(self: Any, column: str) -> list[Any]:
        raise AssertionError(f"{column} read again")

    with monkeypatch.context() as m:
        m.setattr(values.Values, "_read", no_read)
        assert ids(L.load_events(admin1="HAMAH", output="arrow")) == want
    # A damaged or foreign facts file is not believed: the column is read again.
    for junk in ('{"sha256": "0", "column": "admin1", "values": ["Elsewhere"]}', "not json", '{"values": [1]}'):
        saved[0].write_text(junk, encoding="utf-8")
        monkeypatch.setattr(values, "_MEMO", {})
        assert ids(L.load_events(admin1="Hamah", output="arrow")) == want == naive(rows, admin1="Hamah")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.one_of(st.text(max_size=24), st.sampled_from([n for _, n, _ in NAMES] + ["HAMAH", " hamah", "ḩalab"])),
       column=st.sampled_from(["admin1", "location", "country", "actor"]))
def test_any_text_either_matches_its_folded_equals_or_says_so(rows: list[dict[str, Any]], value: str,
                                                               column: str) -> None:
    """Whatever text is asked for, the answer is never an empty frame without a word: either every returned
    row holds the value up to case and Unicode form, or ArgumentError explains."""
    from openconflict.loader.resolve import fold

    def holds(r: dict[str, Any]) -> bool:
        cells = [r["actor1"], r["actor2"]] if column == "actor" else [r[column]]
        return any(c is not None and fold(c) == fold(value) for c in cells)

    try:
        got = ids(L.load_events(output="arrow", **{column: value}))
    except openconflict.ArgumentError as exc:
        assert str(exc)
        assert not value.strip() or not any(holds(r) for r in rows)
        return
    assert got and got == {r["event_id_cnty"] for r in rows if holds(r)}
