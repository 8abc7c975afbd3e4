"""Inter-coder agreement: rates on tiny SYNTHETIC codings with known answers, alpha on published examples.

All events, places and figures below are synthetic (made up for the tests), not OpenConflict data.
"""

from __future__ import annotations

import csv
import math
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from openconflict.curation import agreement as ag
from openconflict.errors import CurationError

EVENT_HEADER = ["event_id", "event_date", "time_precision", "event_type", "sub_event_type", "actor1",
                "assoc_actor_1", "actor2", "assoc_actor_2", "location_id", "geo_precision", "fatalities",
                "civilian_targeting", "source_ids", "notes", "tags", "updated"]
SECOND_HEADER = [*ag.SECOND_COLUMNS, "comment"]


def _write(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _event(eid: str, day: str, prec: int, etype: str, sub: str, a1: str, a2: str, loc: str, deaths: int) -> list:
    return [eid, day, prec, etype, sub, a1, "", a2, "", loc, 1, deaths, "", "syn-src", "synthetic", "",
            "2026-01-01T00:00:00Z"]


@pytest.fixture
def study(tmp_path: Path) -> dict[str, Path]:
    """A SYNTHETIC datasets tree of four events, a four-item sample and a second coding of it."""
    ds = tmp_path / "datasets"
    _write(ds / "locations" / "SYN.csv", ["location_id", "location", "admin1", "admin2", "admin3", "latitude",
                                         "longitude", "coordinate_source", "admin1_pcode", "admin2_pcode", "admin3_pcode"],
           [["SYN-tall-jibbin", "Tall Jibbin", "A1", "B1", "", 1, 1, "synthetic", "", "", ""],
            ["SYN-aleppo", "Aleppo", "A1", "B2", "", 2, 2, "synthetic", "", "", ""],
            ["SYN-qaryah", "Qaryah", "A1", "B3", "Sub One", 3, 3, "synthetic", "", "", ""],
            ["SYN-dayr", "Dayr", "A1", "B3", "Sub One", 4, 4, "synthetic", "", "", ""]])
    _write(ds / "events" / "SYN" / "2016-01.csv", EVENT_HEADER, [
        _event("SYN1", "2016-01-10", 1, "Battles", "Armed clash", "Group A", "Group B", "SYN-tall-jibbin", 10),
        _event("SYN2", "2016-01-11", 2, "Explosions/Remote violence", "Air/drone strike", "State X",
               "Civilians (Syria)", "SYN-aleppo", 0),
        _event("SYN3", "2016-01-20", 1, "Battles", "Armed clash", "Group A", "", "SYN-qaryah", 5),
        _event("SYN4", "2016-01-25", 1, "Violence against civilians", "Attack", "Group C",
               "Civilians (Syria)", "SYN-aleppo", 100),
    ])
    sample = _write(tmp_path / "sample.csv", ["sample_id", "event_id", "pointer"],
                    [["S1", "SYN1", "x"], ["S2", "SYN2", "x"], ["S3", "SYN3", "x"], ["S4", "SYN4", "x"]])
    second = _write(tmp_path / "second.csv", SECOND_HEADER, [
        # same day, transliterated name, same actors and types, 11 deaths (10 % off)
        ["S1", "2016-01-10", 1, "Tel Jabin", "group a", "Group B", "Battles", "Armed clash", 11, "c"],
        # two days off but within the week window of precision 2; a district of the same town
        ["S2", "2016-01-13", 1, "Aleppo - Al Mashhad", "State X", "Civilians (Syria)",
         "Explosions/Remote violence", "Air/drone strike", 0, "c"],
        # next day at precision 1; another village of the same sub-district; actors swapped; other sub-type
        ["S3", "2016-01-21", 1, "Dayr", "", "Group A", "Battles", "Non-state actor overtakes territory", 5, "c"],
        # everything else differs
        ["S4", "2016-01-25", 1, "Hama", "Group D", "", "Riots", "Mob violence", 70, "c"],
    ])
    return {"datasets": ds, "sample": sample, "second": second}


def _pairs(study: dict[str, Path]) -> list[ag.Pair]:
    sample = ag.read_sample(study["sample"])
    locations = ag.read_locations(study["datasets"])
    second = {sid: ag.locate(c, locations) for sid, c in ag.read_second(study["second"]).items()}
    return ag.join(sample, second, ag.read_first(study["datasets"], list(sample.values()), locations))


def test_rates_match_the_hand_count(study: dict[str, Path]) -> None:
    got = {label: (k, n) for label, k, n in ag.rates(_pairs(study))}
    assert got == {
        "event_date (same day)": (2, 4),  # S1, S4
        "event_date (within time-precision window)": (3, 4),  # + S2 (precision-2 window), not S3
        "place (same name, transliteration-folded)": (1, 4),  # S1 only
        "place (same town or sub-district)": (3, 4),  # + S2 (town Aleppo), S3 (sub-district Sub One)
        "actor1": (2, 4),  # S1 (case ignored), S2
        "actor2": (2, 4),  # S1, S2
        "actor pair (either order)": (3, 4),  # S1, S2, S3 (swapped)
        "event_type": (3, 4),
        "sub_event_type": (2, 4),
        "fatalities (exact)": (2, 4),  # S2 (0 = 0), S3
        "fatalities (within 20 %)": (3, 4),  # + S1 (10 vs 11); not S4 (100 vs 70)
    }


def test_report_lists_each_disagreement_once(study: dict[str, Path]) -> None:
    text = ag.report(_pairs(study))
    rows = [line for line in text.splitlines() if line.startswith("| S")]
    assert "| S1 | SYN1 | fatalities | 10 | 11 | yes |" in rows
    assert "| S3 | SYN3 | place | Qaryah | Dayr | yes |" in rows
    assert "| S4 | SYN4 | place | Aleppo | Hama | no |" in rows
    assert sum(r.startswith("| S4 |") for r in rows) == 6  # every attribute of S4 but the date differs
    assert "| S2 | SYN2 | event_date | 2016-01-11 (precision 2) | 2016-01-13 (precision 1) | yes |" in rows
    # swapped actors: both positions disagree, the lenient pair rule agrees
    assert "| S3 | SYN3 | actor1 | Group A | (none) | yes |" in rows
    assert "| S3 | SYN3 | actor2 | (none) | Group A | yes |" in rows


@pytest.mark.parametrize(("a", "b", "close"), [(0, 0, True), (0, 1, False), (10, 12, True), (10, 13, False),
                                               (100, 80, True), (100, 79, False)])
def test_fatalities_tolerance_is_20_percent_of_the_larger(a: int, b: int, close: bool) -> None:
    assert ag.fatalities_close(a, b) is close
    assert ag.fatalities_close(b, a) is close


def _coding(day: str, prec: int) -> ag.Coding:
    return ag.Coding(date.fromisoformat(day), prec, "P", "", "", "", "", 0)


@pytest.mark.parametrize(("a", "b", "within"), [
    (("2016-01-10", 1), ("2016-01-10", 1), True), (("2016-01-10", 1), ("2016-01-11", 1), False),
    (("2016-01-10", 2), ("2016-01-13", 1), True), (("2016-01-10", 2), ("2016-01-14", 1), False),
    (("2016-01-15", 1), ("2016-01-30", 3), True), (("2016-01-15", 1), ("2016-01-31", 3), False)])
def test_date_window_is_the_larger_precision_window(a: tuple, b: tuple, within: bool) -> None:
    assert ag.date_within_window(_coding(*a), _coding(*b)) is within


def test_alpha_two_coders_binary_krippendorff_2011() -> None:
    """Krippendorff (2011) 'Computing Krippendorff's alpha-reliability', binary data, two observers: 0.095."""
    a = ["0", "1", "0", "0", "0", "0", "0", "0", "1", "0"]
    b = ["1", "1", "1", "0", "0", "1", "0", "0", "0", "0"]
    assert ag.nominal_alpha([a, b]) == pytest.approx(0.095, abs=5e-4)


def test_alpha_four_coders_missing_values_krippendorff_2011() -> None:
    """The same paper's nominal example: 4 observers, 12 units, missing values; alpha = 0.743."""
    n = None
    data = [["1", "2", "3", "3", "2", "1", "4", "1", "2", n, n, n],
            ["1", "2", "3", "3", "2", "2", "4", "1", "2", "5", n, "3"],
            [n, "3", "3", "3", "2", "3", "4", "2", "2", "5", "1", n],
            ["1", "2", "3", "3", "2", "4", "4", "1", "2", "5", "1", n]]
    assert ag.nominal_alpha(data) == pytest.approx(0.743, abs=5e-4)


def test_alpha_perfect_and_undefined() -> None:
    assert ag.nominal_alpha([["Attack", "Arrests"], ["Attack", "Arrests"]]) == pytest.approx(1.0)
    with pytest.raises(CurationError, match="undefined"):
        ag.nominal_alpha([["Attack", "Attack"], ["Attack", "Attack"]])
    assert "undefined" in ag._alpha_text([["Attack"], ["Attack"]])


def test_alpha_ignores_category_names_only_their_identity() -> None:
    x = ag.nominal_alpha([["a", "b", "a", "c"], ["a", "b", "b", "c"]])
    y = ag.nominal_alpha([["z", "y", "z", "x"], ["z", "y", "y", "x"]])
    assert math.isclose(x, y)


def test_sample_must_be_fully_coded(study: dict[str, Path]) -> None:
    sample = ag.read_sample(study["sample"])
    second = ag.read_second(study["second"])
    first = ag.read_first(study["datasets"], list(sample.values()))
    del second["S3"]
    with pytest.raises(CurationError, match=r"not coded \['S3'\]"):
        ag.join(sample, second, first)
    second = ag.read_second(study["second"])
    del sample["S4"]
    with pytest.raises(CurationError, match=r"not in the sample \['S4'\]"):
        ag.join(sample, second, first)
    assert len(ag.join(sample, second, first, subset=True)) == 3


@pytest.mark.parametrize(("column", "value", "message"), [
    ("event_date", "16/01/2016", "not YYYY-MM-DD"), ("time_precision", "4", "not 1, 2 or 3"),
    ("fatalities", "-1", "whole number"), ("fatalities", "dozens", "whole number")])
def test_bad_second_coding_values_are_named(tmp_path: Path, column: str, value: str, message: str) -> None:
    row = {"sample_id": "S1", "event_date": "2016-01-10", "time_precision": "1", "place": "P", "actor1": "A",
           "actor2": "", "event_type": "Battles", "sub_event_type": "Armed clash", "fatalities": "0"}
    row[column] = value
    path = _write(tmp_path / "second.csv", list(row), [list(row.values())])
    with pytest.raises(CurationError, match=rf"line 2: {column} .*{message}"):
        ag.read_second(path)


def test_duplicates_and_missing_columns_are_refused(tmp_path: Path) -> None:
    dup = _write(tmp_path / "s.csv", ["sample_id", "event_id"], [["S1", "E1"], ["S1", "E2"]])
    with pytest.raises(CurationError, match="appears twice"):
        ag.read_sample(dup)
    bare = _write(tmp_path / "b.csv", ["sample_id"], [["S1"]])
    with pytest.raises(CurationError, match="lacks the column"):
        ag.read_sample(bare)


def test_unknown_event_and_location_are_refused(study: dict[str, Path]) -> None:
    with pytest.raises(CurationError, match="events not found .*SYN9"):
        ag.read_first(study["datasets"], ["SYN1", "SYN9"])
    with (study["datasets"] / "events" / "SYN" / "2016-01.csv").open("a", encoding="utf-8") as fh:
        fh.write("SYN5,2016-01-01,1,Battles,Armed clash,A,,B,,SYN-nowhere,1,0,,s,n,,u\n")
    with pytest.raises(CurationError, match="unknown location SYN-nowhere"):
        ag.read_first(study["datasets"], ["SYN5"])


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(ag.__file__).resolve().parents[2])}
    return subprocess.run([sys.executable, "-m", "openconflict.curation.agreement", *args],
                          capture_output=True, text=True, env=env, timeout=120)


def test_script_entry_writes_the_report(study: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "results.md"
    done = _run(str(study["sample"]), str(study["second"]), "--datasets", str(study["datasets"]),
                "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "| sub_event_type | 2 | 4 | 50.0 % |" in done.stdout
    assert "Krippendorff's alpha (nominal), sub_event_type:" in done.stdout
    assert out.read_text(encoding="utf-8") == done.stdout


def test_script_errors_are_one_line_without_traceback(study: dict[str, Path], tmp_path: Path) -> None:
    done = _run(str(tmp_path / "missing.csv"), str(study["second"]), "--datasets", str(study["datasets"]))
    assert done.returncode == 2
    assert done.stderr.startswith("error: no such file") and "Traceback" not in done.stderr


def test_bom_and_crlf_second_coding_reads_the_same(study: dict[str, Path], tmp_path: Path) -> None:
    raw = study["second"].read_text(encoding="utf-8")
    odd = tmp_path / "odd.csv"
    odd.write_bytes(b"\xef\xbb\xbf" + raw.replace("\n", "\r\n").encode("utf-8"))
    assert ag.read_second(odd) == ag.read_second(study["second"])
