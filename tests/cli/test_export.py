"""``openconflict export`` has the Python API's reach: every table, every format, every filter of load_events.

Each export is read back with another tool (pandas, pyarrow, GDAL through pyogrio, Stata through pandas)
and compared with what ``load_events`` / ``load_table`` return for the same request on the committed
release 1.0.1.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import openconflict
from openconflict.analysis.aggregate import release_aggregates
from openconflict.cli import main
from openconflict.export import AGGREGATE_TABLES, write_frame

VERSION = "1.0.1"
IDS = "event_id_cnty"


@pytest.fixture(autouse=True)
def _offline_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENCONFLICT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("OPENCONFLICT_OFFLINE", "1")


def export(*args: str) -> Any:
    result = CliRunner().invoke(main, ["export", *args])
    return result


def ok(*args: str) -> str:
    result = export(*args)
    assert result.exit_code == 0, result.output
    return result.output


READERS = {
    "csv": lambda p: pd.read_csv(p, keep_default_na=False, na_values=[""]),
    "parquet": pd.read_parquet,
    "jsonl": lambda p: pd.read_json(p, lines=True, dtype=False),
    "dta": pd.read_stata,
    "geoparquet": pd.read_parquet,
    "geojson": lambda p: pd.DataFrame([f["properties"] for f in json.loads(Path(p).read_text())["features"]]),
}


@pytest.mark.parametrize("fmt", ["csv", "parquet", "jsonl", "dta", "geoparquet", "geojson"])
def test_every_format_holds_the_filtered_events(fmt: str, tmp_path: Path) -> None:
    target = tmp_path / f"events.{'parquet' if fmt == 'geoparquet' else fmt}"
    out = ok(VERSION, "-o", str(target), "--format", fmt, "--country", "Syria", "--start", "2016-01-01")
    expected = openconflict.load_events(VERSION, country="Syria", start="2016-01-01")
    assert f"wrote {len(expected)} events" in out
    got = READERS[fmt](target)
    assert list(got[IDS]) == list(expected[IDS])
    assert (pd.to_datetime(got["event_date"]) >= "2016-01-01").all()
    if fmt == "geoparquet":
        assert json.loads(pq.read_schema(target).metadata[b"geo"])["version"] == "1.1.0"


def test_geopackage_reads_back_through_gdal(tmp_path: Path) -> None:
    pyogrio = pytest.importorskip("pyogrio")
    target = tmp_path / "events.gpkg"
    ok(VERSION, "-o", str(target), "--admin1", "Aleppo")
    expected = openconflict.load_events(VERSION, admin1="Aleppo")
    frame = pyogrio.read_dataframe(target)
    assert sorted(frame[IDS]) == sorted(expected[IDS])
    assert frame.crs.to_epsg() == 4326


@pytest.mark.parametrize("table", ["actors", "locations", "sources", "deletions", "changes"])
@pytest.mark.parametrize("fmt", ["csv", "parquet", "jsonl"])
def test_every_registry_table(table: str, fmt: str, tmp_path: Path) -> None:
    target = tmp_path / f"{table}.{fmt}"
    ok(VERSION, "--table", table, "-o", str(target))
    expected = openconflict.load_table(table, VERSION)
    if fmt == "jsonl" and len(expected) == 0:  # JSON Lines has no header: an empty table is an empty file
        assert target.read_text() == ""
        return
    got = READERS[fmt](target)
    assert list(got.columns) == list(expected.columns)
    assert len(got) == len(expected)
    if fmt == "parquet":
        assert pq.read_table(target).equals(openconflict.load_table(table, VERSION, output="arrow"))


@pytest.mark.parametrize("table", AGGREGATE_TABLES)
def test_aggregate_tables_match_the_release_step(table: str, tmp_path: Path) -> None:
    target = tmp_path / f"{table}.parquet"
    ok(VERSION, "--table", table, "-o", str(target))
    expected = release_aggregates(openconflict.load_events(VERSION, output="arrow"))[table]
    assert pq.read_table(target).equals(expected)
    filtered = tmp_path / f"{table}-aleppo.csv"
    ok(VERSION, "--table", table, "--admin1", "Aleppo", "-o", str(filtered))
    got = pd.read_csv(filtered)
    assert set(got["admin1"]) == {"Aleppo"}
    assert got["events"].sum() == len(openconflict.load_events(VERSION, admin1="Aleppo"))


# Filters the loader has today: each export equals load_events with the same arguments.
TODAY = [
    (["--country", "Syria"], {"country": ["Syria"]}),
    (["--iso3", "SYR"], {"iso3": ["SYR"]}),
    (["--admin1", "Aleppo", "--admin1", "Idlib"], {"admin1": ["Aleppo", "Idlib"]}),
    (["--start", "2016-03", "--end", "2016-06-30"], {"start": "2016-03", "end": "2016-06-30"}),
    (["--event-type", "Battles"], {"event_type": ["Battles"]}),
    (["--sub-event-type", "Air/drone strike"], {"sub_event_type": ["Air/drone strike"]}),
    (["--actor", "Military Forces of Russia"], {"actor": ["Military Forces of Russia"]}),
]
# Filters the loader gains in parallel work: tested once load_events accepts the keyword.
COMING = [
    (["--admin2", "Ariha"], {"admin2": ["Ariha"]}),
    (["--location", "Aleppo"], {"location": ["Aleppo"]}),
    (["--year", "2016"], {"year": [2016]}),
    (["--region", "Middle East"], {"region": ["Middle East"]}),
    (["--interaction", "12"], {"interaction": [12]}),
    (["--min-fatalities", "5"], {"min_fatalities": 5}),
    (["--civilian-targeting"], {"civilian_targeting": True}),
    (["--actor", "Hezbollah", "--actor-role", "any"], {"actor": ["Hezbollah"], "actor_role": "any"}),
]


def _accepts(keywords: dict[str, Any]) -> bool:
    return set(keywords) <= set(inspect.signature(openconflict.load_events).parameters)


@pytest.mark.parametrize(("args", "keywords"), TODAY + COMING, ids=lambda v: " ".join(v) if isinstance(v, list)
                         else None)
def test_each_filter_matches_load_events(args: list[str], keywords: dict[str, Any], tmp_path: Path) -> None:
    if not _accepts(keywords):
        lacking = [k for k in keywords if k not in inspect.signature(openconflict.load_events).parameters]
        pytest.skip(f"load_events has no {', '.join(lacking)} keyword yet (the loader branch adds it)")
    target = tmp_path / "f.parquet"
    ok(VERSION, "-o", str(target), *args)
    expected = openconflict.load_events(VERSION, output="arrow", **keywords)
    assert pq.read_table(target).column(IDS).to_pylist() == expected.column(IDS).to_pylist()


@pytest.mark.parametrize(("args", "keywords"), COMING, ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_a_filter_the_loader_lacks_is_named_not_ignored(args: list[str], keywords: dict[str, Any],
                                                         tmp_path: Path) -> None:
    if _accepts(keywords):
        pytest.skip("load_events accepts it: covered by test_each_filter_matches_load_events")
    result = export(VERSION, "-o", str(tmp_path / "f.csv"), *args)
    assert result.exit_code == 1 and "Traceback" not in result.output
    missing = [k for k in keywords if k not in inspect.signature(openconflict.load_events).parameters]
    assert all(k in result.output for k in missing) and not (tmp_path / "f.csv").exists()


def test_columns_and_acled_labels(tmp_path: Path) -> None:
    target = tmp_path / "labels.csv"
    ok(VERSION, "-o", str(target), "--columns", "event_id_cnty,inter1", "--columns", "interaction",
       "--acled-labels")
    got = pd.read_csv(target, keep_default_na=False, na_values=[""])
    assert list(got.columns) == [IDS, "inter1", "interaction"]
    expected = openconflict.load_events(VERSION, columns=[IDS, "inter1", "interaction"], inter_labels=True)
    assert list(got["interaction"].fillna("")) == [str(v) for v in expected["interaction"].astype(object)
                                                   .where(expected["interaction"].notna(), "")]
    assert got["inter1"].map(type).eq(str).all()


def test_json_lines_dates_and_slashes(tmp_path: Path) -> None:
    target = tmp_path / "events.jsonl"
    ok(VERSION, "-o", str(target))
    text = target.read_text(encoding="utf-8")
    assert "\\/" not in text and ("http://" in text or "https://" in text)
    first = json.loads(text.splitlines()[0])
    assert len(first["event_date"]) == 10 and first["event_date"][4] == "-"
    assert len(text.splitlines()) == 198


def test_json_lines_writer_on_awkward_values(tmp_path: Path) -> None:
    """SYNTHETIC values: a literal backslash before a slash, non-ASCII text, times, missing values."""
    frame = pd.DataFrame({
        "text": ["a\\/b", "https://x.example/p?q=1", "Ḥamāh / حماة", None],
        "day": pd.to_datetime(["2016-01-02", None, "2016-12-31", "2017-01-01"]),
        "when": pd.to_datetime(["2016-01-02 10:11:12", "2016-01-02 00:00:00", None, None]),
        "n": pd.array([1, None, 3, 4], dtype="Int32"),
        "utc": pd.to_datetime(["2016-01-02 10:11:12", None, None, None], utc=True),
    })
    target = tmp_path / "awkward.jsonl"
    assert write_frame(frame, target, "jsonl") == 4
    raw = target.read_text(encoding="utf-8")
    assert "حماة" in raw and "https://x.example/p?q=1" in raw
    rows = [json.loads(line) for line in raw.splitlines()]
    assert [r["text"] for r in rows] == ["a\\/b", "https://x.example/p?q=1", "Ḥamāh / حماة", None]
    assert [r["day"] for r in rows] == ["2016-01-02", None, "2016-12-31", "2017-01-01"]
    assert rows[0]["when"] == "2016-01-02T10:11:12" and rows[2]["when"] is None
    assert [r["n"] for r in rows] == [1, None, 3, 4]
    assert [r["utc"] for r in rows] == ["2016-01-02T10:11:12+00:00", None, None, None]


def test_a_missing_output_folder_is_an_error_unless_mkdirs(tmp_path: Path) -> None:
    target = tmp_path / "new" / "deeper" / "events.csv"
    result = export(VERSION, "-o", str(target))
    assert result.exit_code == 1 and "--mkdirs" in result.output
    assert not (tmp_path / "new").exists()
    ok(VERSION, "-o", str(target), "--mkdirs")
    assert len(pd.read_csv(target)) == 198


def test_a_failed_export_keeps_the_previous_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "events.csv"
    target.write_text("previous\n")
    result = export("9.9.9", "-o", str(target))
    assert result.exit_code == 1 and "9.9.9" in result.output
    result = export(VERSION, "-o", str(target), "--admin1", "NoSuchPlaceAnywhere", "--table", "actors")
    assert result.exit_code == 1
    assert target.read_text() == "previous\n"
    assert [p.name for p in tmp_path.iterdir() if p.name not in ("cache", "events.csv")] == []


@pytest.mark.parametrize(("args", "message"), [
    (["-o", "-", "--format", "parquet"], "standard output"),
    (["-o", "-", "--format", "dta"], "standard output"),
    (["-o", "x.unknown"], "--format"),
    (["-o", "{tmp}", "--format", "csv"], "is a folder"),
    (["--table", "sources", "--country", "Syria", "-o", "{tmp}/s.csv"], "filters select events"),
    (["--table", "actors", "--acled-labels", "-o", "{tmp}/a.csv"], "acled-labels"),
    (["--table", "locations", "--format", "geojson", "-o", "{tmp}/l.geojson"], "map format"),
])
def test_requests_that_cannot_be_met_are_refused_clearly(args: list[str], message: str, tmp_path: Path) -> None:
    result = export(VERSION, *[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert result.exit_code == 1, result.output
    assert message in result.output and "Traceback" not in result.output


def test_standard_output_and_quiet(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["export", VERSION, "-o", "-", "--columns", IDS, "--quiet"])
    assert result.exit_code == 0
    assert result.output.splitlines()[0] == IDS and len(result.output.splitlines()) == 199
    quiet_file = tmp_path / "q.ndjson"
    result = CliRunner().invoke(main, ["export", VERSION, "-o", str(quiet_file), "--quiet"])
    assert result.exit_code == 0 and result.output == ""
    assert len(quiet_file.read_text().splitlines()) == 198  # .ndjson is JSON Lines


def test_an_output_given_without_o_is_pointed_out() -> None:
    result = export("--format", "geoparquet", "events.parquet")
    assert result.exit_code == 2 and "openconflict export -o events.parquet" in result.output
    result = export(VERSION)
    assert result.exit_code == 2 and "Missing option '-o'" in result.output


def test_an_export_never_replaces_a_published_or_cached_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    releases = tmp_path / "releases"
    shutil.copytree(Path(__file__).resolve().parents[2] / "build" / "releases", releases)
    published = releases / VERSION / "data" / "events.csv"
    before = published.read_bytes()
    result = export(VERSION, "-o", str(published))
    assert result.exit_code == 1 and "releases folder or mirror" in result.output
    link = tmp_path / "innocent.csv"
    link.symlink_to(published)
    assert export(VERSION, "-o", str(link), "--columns", IDS).exit_code == 1
    assert published.read_bytes() == before
    cache = tmp_path / "cache"
    cache.mkdir(exist_ok=True)
    result = export(VERSION, "-o", str(cache / "x.csv"))
    assert result.exit_code == 1 and "the loader's cache" in result.output
    result = CliRunner().invoke(main, ["diff", "1.0.0", VERSION, "--output", str(published)])
    assert result.exit_code == 1 and published.read_bytes() == before


def test_repeated_columns_are_kept_once(tmp_path: Path) -> None:
    target = tmp_path / "c.csv"
    ok(VERSION, "-o", str(target), "--columns", f"{IDS},{IDS}", "--columns", IDS)
    assert list(pd.read_csv(target).columns) == [IDS]


def test_an_output_under_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    result = export(VERSION, "-o", str(tmp_path / "afile" / "e.csv"), "--mkdirs")
    assert result.exit_code == 1 and "is not a folder" in result.output


def test_a_terminated_export_leaves_the_previous_file_and_no_temporary(tmp_path: Path) -> None:
    """SIGTERM in the middle of writing (SYNTHETIC rows, enough to take seconds): nothing half-written stays."""
    import os
    import signal
    import subprocess
    import sys
    import time

    target = tmp_path / "out.csv"
    target.write_text("previous\n")
    script = ("import sys, numpy as np, pandas as pd\n"
              "from openconflict.cli import common\n"
              "from openconflict.export import write_frame\n"
              "common.exit_cleanly_on_sigterm()\n"
              "n = 3_000_000\n"
              "frame = pd.DataFrame({'event_id_cnty': np.char.add('SYN', np.arange(n).astype(str)), 'x': np.arange(n)})\n"
              "write_frame(frame, sys.argv[1], 'csv', quiet=True)\n")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    proc = subprocess.Popen([sys.executable, "-c", script, str(target)], env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    temporaries: list[Path] = []
    while time.monotonic() < deadline and not temporaries and proc.poll() is None:
        temporaries = [p for p in tmp_path.iterdir() if p.name.startswith(".out.csv.")]
        time.sleep(0.01)
    assert temporaries, "the export finished before it could be interrupted; make it larger"
    time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "Traceback" not in err
    assert target.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]
