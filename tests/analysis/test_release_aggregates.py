"""The release's aggregate tables: columns and types as their Table Schemas declare, totals equal to the
events, and the CSV twin accepted by the frictionless validator against the schema."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from analysis_fixtures import REPO, pandas_reference

from openconflict.analysis.aggregate import RELEASE_AGGREGATES, release_aggregates

SCHEMAS = REPO / "schema" / "release"
ARROW = {"string": pa.string(), "date": pa.date32(), "integer": pa.int64()}


@pytest.fixture(scope="module")
def tables(release_table):
    return release_aggregates(release_table)


def _schema(name: str) -> dict:
    return json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", list(RELEASE_AGGREGATES))
def test_columns_and_types_follow_the_table_schema(tables, name) -> None:
    fields = _schema(name)["fields"]
    table = tables[name]
    assert table.column_names == [f["name"] for f in fields]
    assert [table.schema.field(f["name"]).type for f in fields] == [ARROW[f["type"]] for f in fields]
    for f in fields:
        if f.get("constraints", {}).get("required"):
            assert table.column(f["name"]).null_count == 0, f["name"]


@pytest.mark.parametrize("name", list(RELEASE_AGGREGATES))
def test_totals_and_rows_match_a_pandas_groupby(tables, release_frame, name) -> None:
    units = list(RELEASE_AGGREGATES[name])
    ours = tables[name].to_pandas()
    ref = pandas_reference(release_frame, units, "month", "event_type")
    assert len(ours) == len(ref)
    assert ours["events"].sum() == len(release_frame) and (ours["events"] >= 1).all()
    assert ours["fatalities"].sum() == release_frame["fatalities"].sum()
    merged = ours.assign(month=pd.to_datetime(ours["month"])).merge(ref, on=[*units, "month", "event_type"],
                                                                     suffixes=("", "_ref"))
    assert len(merged) == len(ours)
    assert (merged["events"] == merged["events_ref"]).all() and (merged["fatalities"] == merged["fatalities_ref"]).all()


def test_sorted_and_deterministic(tables, release_table) -> None:
    again = release_aggregates(release_table)
    for name, table in tables.items():
        assert again[name].equals(table)
        keys = [*RELEASE_AGGREGATES[name], "month"]
        df = table.to_pandas()
        assert df[keys].astype(str).apply(tuple, axis=1).is_monotonic_increasing


def test_missing_admin2_is_counted_not_dropped(release_table) -> None:
    admin2 = release_table.column("admin2").to_pylist()
    admin2[:7] = [None] * 7
    table = release_table.set_column(release_table.schema.get_field_index("admin2"), "admin2", pa.array(admin2))
    out = release_aggregates(table)["aggregates_admin2_month"]
    assert out.column("admin2").null_count > 0
    assert pa.compute.sum(out.column("events")).as_py() == table.num_rows


@pytest.mark.parametrize("name", list(RELEASE_AGGREGATES))
def test_csv_passes_frictionless(tmp_path: Path, tables, name) -> None:
    frictionless = pytest.importorskip("frictionless")
    path = tmp_path / f"{name}.csv"
    pacsv.write_csv(tables[name], path, write_options=pacsv.WriteOptions(include_header=True,
                                                                         quoting_style="needed"))
    resource = frictionless.Resource(path=path.name, basepath=str(tmp_path), schema=frictionless.Schema.from_descriptor(
        _schema(name)))
    report = frictionless.validate(resource)
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    # and a broken row is caught by the same check (the test can fail)
    text = path.read_text(encoding="utf-8").splitlines()
    text[1] = text[1].rsplit(",", 2)[0] + ",0,-1"  # events 0 and fatalities -1: both below their minimum
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    assert not frictionless.validate(frictionless.Resource(path=path.name, basepath=str(tmp_path),
                                                           schema=frictionless.Schema.from_descriptor(_schema(name)))
                                     ).valid
