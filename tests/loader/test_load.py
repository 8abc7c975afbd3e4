"""load_events / load_table / versions / changes on published SYNTHETIC releases, with no network at all."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from loader_fixtures import VERSIONS, Releases, ids
from synthetic import ACTORS

import openconflict
import openconflict.loader as L
from openconflict.loader import frames
from openconflict.loader.compare import compare_events
from openconflict.loader.filters import Filters
from openconflict.loader.scan import scan

pytestmark = [
    pytest.mark.usefixtures("bundled_all"),
    pytest.mark.filterwarnings("ignore:The inplace keyword:DeprecationWarning"),  # inside dask, not ours
    # pandas 3's announcements inside dask (the class does not exist under pandas 2, where .ci/run also runs us)
    *([pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning")]
      if hasattr(pd.errors, "Pandas4Warning") else []),
]

LATEST = VERSIONS[-1]


def expected(releases: Releases, version: str = LATEST, **f: Any) -> set[str]:
    """The same filters, applied naively in Python to the curated rows the fixture published."""

    def listify(v: Any) -> list[Any] | None:
        return None if v is None else [v] if isinstance(v, str) else list(v)

    out = set()
    for r in releases.rows[version].values():
        ok = True
        for col in ("country", "iso3", "admin1", "event_type", "sub_event_type"):
            values = listify(f.get(col))
            if values is not None and col == "iso3":
                values = [v.upper() for v in values]
            if values is not None and r[col] not in values:
                ok = False
        if f.get("start") and r["event_date"] < f["start"]:
            ok = False
        if f.get("end") and r["event_date"] > f["end"]:
            ok = False
        actors = listify(f.get("actor"))
        if actors is not None:
            assoc = [a for col in ("assoc_actor_1", "assoc_actor_2") for a in (r[col] or "").split("; ") if a]
            named = {r["actor1"], r["actor2"], *(assoc if f.get("actor_role") == "any" else [])}
            if not (named & set(actors)):
                ok = False
        if ok:
            out.add(r["event_id_cnty"])
    return out


FILTER_CASES: list[dict[str, Any]] = [
    {},
    {"iso3": "SYR"},
    {"iso3": ["afg", "YEM"]},
    {"country": "Nigeria"},
    {"country": ["Nigeria", "Syria"], "event_type": "Protests"},
    {"admin1": "Synthetic Province 2"},
    {"start": dt.date(2024, 1, 1)},
    {"iso3": "AFG", "start": dt.date(2023, 3, 1), "end": dt.date(2023, 9, 30)},
    {"event_type": ["Battles", "Riots"]},
    {"sub_event_type": "Air/drone strike"},
    {"actor": "Synthetic Rebels"},
    {"actor": "Synthetic Students", "actor_role": "any"},  # only ever an associated actor
    {"actor": ["Synthetic Farmers", "Civilians (Synthetic)"], "iso3": "NGA", "actor_role": "any"},
    {"actor": "Synthetic Militia (Alpha)", "actor_role": "any"},  # regex metacharacters, associated only
]


@pytest.mark.parametrize("output", ["pandas", "arrow", "polars", "duckdb", "dask"])
@pytest.mark.parametrize("filters", FILTER_CASES, ids=lambda f: ",".join(f) or "none")
def test_every_filter_and_output(releases: Releases, filters: dict[str, Any], output: str) -> None:
    got = L.load_events(output=output, **filters)
    want = expected(releases, **filters)
    assert want  # fixture sanity: every case selects something
    assert ids(got) == want


def test_assoc_actor_matches_whole_names_only() -> None:
    # "Synthetic Student" is a prefix of an associated actor, not an actor: it matches nothing, and says so.
    for output in ("arrow", "duckdb"):
        with pytest.raises(openconflict.ArgumentError, match="did you mean 'Synthetic Students'"):
            L.load_events(actor="Synthetic Student", actor_role="any", output=output)
    with pytest.raises(openconflict.ArgumentError, match="occurs nowhere"):
        L.load_events(actor="Students", actor_role="any", output="arrow")


def test_date_bounds_accept_years_months_and_strings(releases: Releases) -> None:
    by_year = ids(L.load_events(start=2023, end=2023, output="arrow"))
    assert by_year == expected(releases, start=dt.date(2023, 1, 1), end=dt.date(2023, 12, 31))
    by_month = ids(L.load_events(start="2023-02", end="2023-02", output="arrow"))
    assert by_month == expected(releases, start=dt.date(2023, 2, 1), end=dt.date(2023, 2, 28))
    by_text = ids(L.load_events(start="2023-02-01", end=dt.datetime(2023, 2, 28, 12), output="arrow"))
    assert by_text == by_month


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"start": 2024, "end": 2023}, "after"),
        ({"start": "March 2024"}, "use a date"),
        ({"iso3": []}, "matches nothing"),
        ({"event_type": "Battle"}, "did you mean 'Battles'"),
        ({"actor_role": "assoc"}, "choose 'primary'"),
        ({"columns": ["event_date", "nope"]}, "unknown events column"),
        ({"output": "excel"}, "choose one of"),
    ],
)
def test_bad_arguments_explain_themselves(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        L.load_events(**kwargs)


def test_pandas_dtypes() -> None:
    df = L.load_events()
    assert str(df["event_date"].dtype) == "datetime64[ns]"
    for col in L.VOCABULARY_COLUMNS:  # text, not categorical: no empty groups under any pandas (issue 11)
        assert df[col].dtype == frames.text_dtype(), col
    for col in ("year", "inter1", "inter2", "interaction", "fatalities", "iso", "geo_precision", "time_precision"):
        assert df[col].dtype == pd.Int32Dtype(), col
    assert df["timestamp"].dtype == pd.Int64Dtype()
    assert df["latitude"].dtype == "float64"
    no_second = df["actor2"].isna()
    assert no_second.any() and (df.loc[no_second, "inter2"] == 0).all()  # ACLED's code 0: no second actor
    assert list(df.columns) == [name for name, _ in L.EVENT_COLUMNS]


def test_csv_and_parquet_give_identical_frames() -> None:
    a = L.load_events(iso3=["SYR", "NGA"], start=2023)
    b = L.load_events(iso3=["SYR", "NGA"], start=2023, file_format="csv")
    assert dict(a.dtypes) == dict(b.dtypes)
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))
    for name in ("actors", "locations", "sources", "deletions", "changes"):
        x, y = L.load_table(name), L.load_table(name, file_format="csv")
        assert dict(x.dtypes) == dict(y.dtypes), name
        pd.testing.assert_frame_equal(x, y, check_dtype=True)


def _small_row_groups(releases: Releases, tmp_path: Path) -> Path:
    """The latest events file rewritten with tiny row groups (a scan test file, not a release)."""
    path = tmp_path / "events-small-groups.parquet"
    pq.write_table(pq.read_table(releases.root / LATEST / "data" / "events.parquet"), path, row_group_size=8,
                   write_statistics=True)
    return path


def test_dask_partitions_have_the_pandas_dtypes(releases: Releases, tmp_path: Path) -> None:
    pandas_df = L.load_events(iso3="YEM")
    dask_df = L.load_events(iso3="YEM", output="dask").compute()
    # Text: dask applies its own string convention (pd.StringDtype with NA); everything else is identical.
    text = [c for c, t in pandas_df.dtypes.items() if pd.api.types.is_string_dtype(t)
            and not isinstance(t, pd.CategoricalDtype)]
    assert all(isinstance(dask_df[c].dtype, pd.StringDtype) for c in text)
    assert dask_df.drop(columns=text).dtypes.to_dict() == pandas_df.drop(columns=text).dtypes.to_dict()
    pd.testing.assert_frame_equal(dask_df.reset_index(drop=True), pandas_df.reset_index(drop=True), check_dtype=False)
    # Partitions are the row groups that survive pruning.
    small = _small_row_groups(releases, tmp_path)
    lazy = frames.dask_events(small, None, Filters(iso3="YEM"))
    assert 0 < lazy.npartitions < pq.ParquetFile(small).metadata.num_row_groups
    assert set(lazy.compute()["event_id_cnty"]) == expected(releases, iso3="YEM")


def test_columns_selects_and_filters_may_use_other_columns(releases: Releases) -> None:
    df = L.load_events(iso3="SYR", actor="Synthetic Rebels", columns=["event_id_cnty", "fatalities"])
    assert list(df.columns) == ["event_id_cnty", "fatalities"]
    assert set(df["event_id_cnty"]) == expected(releases, iso3="SYR", actor="Synthetic Rebels")
    for output in ("arrow", "polars", "duckdb", "dask"):
        frame = L.load_events(iso3="SYR", columns=["event_id_cnty", "event_date"], output=output)
        cols = frame.column_names if isinstance(frame, pa.Table) else list(frame.columns)
        assert list(cols) == ["event_id_cnty", "event_date"], output


def test_older_versions_are_served_exactly(releases: Releases) -> None:
    for version in VERSIONS:
        df = L.load_events(version)
        assert set(df["event_id_cnty"]) == set(releases.rows[version])
        assert len(df) == releases.meta[version][1]
        fatalities = dict(zip(df["event_id_cnty"], df["fatalities"], strict=True))
        assert fatalities == {k: r["fatalities"] for k, r in releases.rows[version].items()}


def test_load_table_all_tables() -> None:
    actors = L.load_table("actors")
    assert set(actors["actor"]) == {a for a, _ in ACTORS}
    assert actors["actor_type"].dtype == pd.Int64Dtype()
    sources = L.load_table("sources")
    assert str(sources["published"].dtype) == "datetime64[ns]"
    assert L.load_table("deletions", "0.2.0")["event_id"].tolist() == ["AFG3", "NGA3", "SYR3", "YEM3"]
    assert isinstance(L.load_table("locations", output="arrow"), pa.Table)
    assert L.load_table("actors", output="duckdb").fetchall()
    assert len(L.load_table("actors", output="dask").compute()) == len(ACTORS)
    assert L.load_table("actors", output="polars").height == len(ACTORS)
    with pytest.raises(ValueError, match="unknown table"):
        L.load_table("people")


def test_versions_frame(releases: Releases) -> None:
    v = openconflict.versions()  # the public name, even though openconflict.versions is also a module
    assert list(v.columns[:4]) == ["version", "date", "events", "size"]
    assert v["version"].tolist() == list(VERSIONS)
    assert v["events"].tolist() == [releases.meta[x][1] for x in VERSIONS]
    assert str(v["date"].dtype) == "datetime64[ns]"
    assert v["bundled"].all() and not v["cached"].any()
    total = sum(p.stat().st_size for p in (releases.root / LATEST).rglob("*") if p.is_file())
    assert v["size"].iloc[-1] == total
    from openconflict.versions import Version  # the leaf module is still importable by name

    assert str(Version.parse("1.2.3")) == "1.2.3"


def test_info_is_plain_data() -> None:
    info = L.info("0.2.0")
    assert info["version"] == "0.2.0" and not info["latest"] and info["bundled"]
    assert {f["path"] for f in info["files"]} >= {"datapackage.json", "data/events.parquet", "SHA256SUMS"}
    assert info["mirror"] is None
    assert info["ledger"]["source"] == "bundled" and len(info["ledger"]["head"]) == 64


def _as_set(df: pd.DataFrame) -> set[tuple[Any, ...]]:
    df = df.astype(object).where(df.notna(), None)
    return set(map(tuple, df[["event_id", "change", "field", "old_value", "new_value"]].itertuples(index=False)))


def _naive_diff(old: pa.Table, new: pa.Table) -> set[tuple[Any, ...]]:
    """An independent pure-Python diff of two events tables (values as text, timestamp ignored)."""

    def text(v: Any) -> str | None:
        if isinstance(v, bool):
            return "true" if v else "false"  # Arrow's text form of a boolean, as in the CSV files
        return None if v is None else v.isoformat() if isinstance(v, dt.date) else str(v)

    a = {r["event_id_cnty"]: r for r in old.to_pylist()}
    b = {r["event_id_cnty"]: r for r in new.to_pylist()}
    out: set[tuple[Any, ...]] = set()
    for eid in set(a) | set(b):
        if eid not in a:
            out.add((eid, "added", None, None, None))
        elif eid not in b:
            out.add((eid, "deleted", None, None, None))
        else:
            for f in new.column_names[1:]:
                if f != "timestamp" and a[eid][f] != b[eid][f]:
                    out.add((eid, "modified", f, text(a[eid][f]), text(b[eid][f])))
    return out


def test_changes_consecutive_uses_the_release_table() -> None:
    got = L.changes("0.1.0", "0.2.0")
    assert _as_set(got) == _as_set(L.load_table("changes", "0.2.0"))
    assert {"added", "modified", "deleted"} == set(got["change"])


def test_loader_comparison_agrees_with_the_release_writers_changes_table() -> None:
    for old, new in zip(VERSIONS, VERSIONS[1:], strict=False):
        ours = compare_events(L.load_events(old, output="arrow"), L.load_events(new, output="arrow"))
        theirs = L.load_table("changes", new, output="arrow")
        assert ours.to_pylist() == theirs.to_pylist()  # same rows, same order


def test_changes_across_versions_is_computed() -> None:
    got = L.changes("0.1.0", "0.3.0")
    want = _naive_diff(L.load_events("0.1.0", output="arrow"), L.load_events("0.3.0", output="arrow"))
    assert _as_set(got) == want and want
    assert L.changes("0.2.0", "0.2.0").empty


def test_pushdown_never_reads_pruned_row_groups(releases: Releases, tmp_path: Path) -> None:
    """Destroy the pages of every row group that cannot hold Syria: a Syria-only scan must not notice."""
    path = _small_row_groups(releases, tmp_path)
    meta = pq.ParquetFile(path).metadata
    assert meta.num_row_groups > 4
    data = bytearray(path.read_bytes())
    damaged = 0
    for i in range(meta.num_row_groups):
        rg = meta.row_group(i)
        iso3 = rg.column(meta.schema.names.index("iso3")).statistics
        if iso3.min <= "SYR" <= iso3.max:  # may hold Syrian rows: must stay readable
            continue
        for j in range(rg.num_columns):
            col = rg.column(j)
            start = col.dictionary_page_offset or col.data_page_offset
            data[start:start + col.total_compressed_size] = b"\xff" * col.total_compressed_size
        damaged += 1
    assert damaged >= 3
    path.write_bytes(bytes(data))
    table = scan(path, "parquet", None, None, Filters(iso3="SYR"))
    assert set(table.column("event_id_cnty").to_pylist()) == expected(releases, iso3="SYR")
    with pytest.raises(Exception):  # noqa: B017 - any read of a damaged page fails; that is the point
        scan(path, "parquet", None, None, None)


def test_missing_optional_engine_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "polars" or m.startswith("polars.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "polars", None)  # makes `import polars` fail
    with pytest.raises(ImportError, match=r"pip install 'openconflict\[polars\]'"):
        L.load_events(output="polars")


def _answerable(releases: Releases, **f: Any) -> bool:
    """Whether every filter value occurs in the release (else load_events must raise, not return nothing)."""
    rows = list(releases.rows[LATEST].values())
    dates = [r["event_date"] for r in rows]
    if f.get("start") and f["start"] > max(dates) or f.get("end") and f["end"] < min(dates):
        return False
    for actor in f.get("actor") or []:
        assoc = {a for r in rows for col in ("assoc_actor_1", "assoc_actor_2") for a in (r[col] or "").split("; ")}
        primary = {r[c] for r in rows for c in ("actor1", "actor2")}
        if actor not in primary | (assoc if f.get("actor_role") == "any" else set()):
            return False
    return True


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    iso3=st.none() | st.lists(st.sampled_from(["AFG", "NGA", "SYR", "YEM", "afg", " yem "]), min_size=1, max_size=2),
    event_type=st.none() | st.lists(st.sampled_from(["Battles", "Protests", "riots"]), min_size=1, max_size=2),
    actor=st.none() | st.lists(st.sampled_from([a for a, _ in ACTORS]), min_size=1, max_size=2),
    actor_role=st.sampled_from(["primary", "any"]),
    start=st.none() | st.dates(dt.date(2022, 6, 1), dt.date(2025, 6, 30)),
    days=st.none() | st.integers(0, 400),
)
def test_any_filter_combination_matches_a_naive_filter(
        releases: Releases, iso3: list[str] | None, event_type: list[str] | None, actor: list[str] | None,
        actor_role: str, start: dt.date | None, days: int | None) -> None:
    end = None if days is None else (start or dt.date(2023, 1, 1)) + dt.timedelta(days=days)
    kwargs = {"iso3": iso3, "event_type": event_type, "actor": actor, "start": start, "end": end,
              "actor_role": actor_role}
    naive = {**kwargs, "iso3": iso3 and [v.strip() for v in iso3],
             "event_type": event_type and [v.capitalize() for v in event_type]}
    if not _answerable(releases, **naive):
        with pytest.raises(openconflict.ArgumentError):
            L.load_events(output="arrow", **kwargs)
        return
    assert ids(L.load_events(output="arrow", **kwargs)) == expected(releases, **naive)
