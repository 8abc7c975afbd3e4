"""ACLED's text labels: one rule (loader.labels) for load_events, inter_labels() and the Stata value labels,
for every output engine, on published SYNTHETIC releases."""

from __future__ import annotations

import csv
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from loader_fixtures import VERSIONS, Releases
from synthetic import ACTORS

import openconflict
import openconflict.loader as L
from openconflict import stata
from openconflict.loader import labels
from openconflict.schema import schema_dir

pytestmark = [pytest.mark.usefixtures("bundled_all"),
              pytest.mark.filterwarnings("ignore:The inplace keyword:DeprecationWarning")]
LATEST = VERSIONS[-1]
TEXT_COLUMNS = ("inter1", "inter2", "interaction")


def _vocabulary() -> dict[int, str]:
    """The published vocabulary read independently of the package's own reader."""
    with open(schema_dir() / "vocabularies" / "actor_types.csv", newline="", encoding="utf-8") as fh:
        return {int(r["code"]): r["label"] for r in csv.DictReader(fh)}


def test_the_rule_spelled_out() -> None:
    types = _vocabulary()
    got = labels.interaction_labels()
    assert got[12] == "State forces-Rebel group" and got[20] == "Rebel group only" and got[10] == "State forces only"
    assert got[78] == "External/Other forces-Civilians"  # ACLED's one exception
    assert got[17] == "State forces-Civilians" and got[88] == "External/Other forces-External/Other forces"
    for code, label in got.items():
        a, b = divmod(code, 10)
        if b == 0:
            assert label == f"{types[a]} only"
        elif code != 78:
            assert a <= b and label == f"{types[a]}-{types[b]}"
    assert len(got) == 8 + 36  # X0 for each type, and each unordered pair with repetition
    assert 31 not in got and 87 not in got
    assert labels.actor_type_labels() == types == L.inter_labels() == openconflict.inter_labels()


def test_stata_uses_the_same_rule() -> None:
    assert stata.interaction_labels() == labels.interaction_labels()
    assert {k: v for k, v in stata.inter_labels().items() if k} == labels.actor_type_labels()
    custom = {1: "A", 7: "C", 8: "E"}
    assert stata.interaction_labels(custom) == labels.interaction_labels(custom)
    assert labels.interaction_labels(custom)[78] == "External/Other forces-Civilians"


def _column(frame: Any, name: str) -> list[Any]:
    if isinstance(frame, pd.DataFrame):
        return [None if pd.isna(v) else v for v in frame[name].tolist()]
    if isinstance(frame, pa.Table):
        return frame.column(name).to_pylist()
    mod = type(frame).__module__.split(".")[0]
    if mod == "polars":
        return frame[name].to_list()
    if mod == "duckdb":
        return [r[0] for r in frame.select(name).fetchall()]
    if mod == "dask":
        return _column(frame.compute(), name)
    raise TypeError(type(frame))


@pytest.mark.parametrize("output", ["pandas", "arrow", "polars", "duckdb", "dask"])
def test_every_engine_gives_acleds_text_labels(releases: Releases, output: str) -> None:
    by_actor = dict(ACTORS)
    types = labels.actor_type_labels()
    pairs = labels.interaction_labels()
    frame = L.load_events(output=output, inter_labels=True, columns=["event_id_cnty", *TEXT_COLUMNS])
    ids = _column(frame, "event_id_cnty")
    got = {c: dict(zip(ids, _column(frame, c), strict=True)) for c in TEXT_COLUMNS}
    assert set(ids) == set(releases.rows[LATEST])
    for eid, r in releases.rows[LATEST].items():
        a = by_actor[r["actor1"]]
        b = by_actor[r["actor2"]] if r["actor2"] else 0
        assert got["inter1"][eid] == types[a]
        assert got["inter2"][eid] == (types[b] if b else None)  # no second actor: missing, as ACLED's empty cell
        assert got["interaction"][eid] == pairs[min(a, b) * 10 + max(a, b) if b else a * 10]
    assert "External/Other forces-Rebel group" not in got["interaction"].values()  # code order, not actor order
    assert "Rebel group-External/Other forces" in got["interaction"].values()


def test_label_dtypes_are_plain_text() -> None:
    df = L.load_events(inter_labels=True)
    for c in TEXT_COLUMNS:
        assert pd.api.types.is_string_dtype(df[c].dtype) and not isinstance(df[c].dtype, pd.CategoricalDtype), c
    table = L.load_events(output="arrow", inter_labels=True)
    assert all(table.schema.field(c).type == pa.string() for c in TEXT_COLUMNS)
    pl_frame = L.load_events(output="polars", inter_labels=True)
    import polars as pl

    assert all(pl_frame.schema[c] == pl.String for c in TEXT_COLUMNS)
    lazy = L.load_events(output="dask", inter_labels=True)
    assert dict(lazy.dtypes)["interaction"] == dict(lazy.compute().dtypes)["interaction"]


def test_labelling_twice_changes_nothing_and_bad_codes_are_refused() -> None:
    df = L.load_events(inter_labels=True)
    pd.testing.assert_frame_equal(L.inter_labels(df), df)
    table = L.load_events(output="arrow", inter_labels=True)
    assert L.inter_labels(table).equals(table)
    raw = L.load_events()
    for bad, column in ((31, "interaction"), (9, "inter1"), (-1, "inter2")):
        broken = raw.copy()
        broken.loc[0, column] = bad
        with pytest.raises(openconflict.ArgumentError, match=f"{column} holds {bad}"):
            L.inter_labels(broken)
    text = raw.astype({"inter1": object})
    text.loc[0, "inter1"] = "State force"  # a near-miss label is not silently kept
    with pytest.raises(openconflict.ArgumentError, match="neither a code nor"):
        L.inter_labels(text)
    with pytest.raises(openconflict.ArgumentTypeError, match="pandas, pyarrow or polars"):
        L.inter_labels([1, 2])


def test_a_csv_round_trip_reads_the_same_labels(tmp_path: Any) -> None:
    """An ACLED-style CSV written with labels reads back to the same values with pandas' defaults."""
    df = L.load_events(inter_labels=True, columns=["event_id_cnty", *TEXT_COLUMNS])
    path = tmp_path / "labelled.csv"
    df.to_csv(path, index=False)
    back = pd.read_csv(path)
    for c in TEXT_COLUMNS:
        assert [None if pd.isna(v) else v for v in back[c]] == [None if pd.isna(v) else v for v in df[c]]


def test_duckdb_refuses_a_code_without_a_label(releases: Releases, tmp_path: Any) -> None:
    import duckdb

    from openconflict.loader.filters import quote_ident

    con = duckdb.connect()
    expr = labels.label_sql("interaction", quote_ident("interaction"))
    assert con.execute(f"SELECT {expr} FROM (SELECT 78 AS interaction)").fetchone()[0] == \
        "External/Other forces-Civilians"
    assert con.execute(f"SELECT {expr} FROM (SELECT NULL::INT AS interaction)").fetchone()[0] is None
    with pytest.raises(duckdb.Error, match="has no ACLED label"):
        con.execute(f"SELECT {expr} FROM (SELECT 31 AS interaction)").fetchall()
