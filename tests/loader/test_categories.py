"""pandas output shows only what exists (issue 11), under pandas 2.x and 3.x: no column is categorical, so
no category can be absent from the frame, a multi-column group-by with pandas' default ``observed`` returns
only occurring groups and ``value_counts()`` prints no zero rows. ``.ci/run`` runs these tests in a second
environment with the other pandas major version.

Why text rather than categories trimmed to the values present: under pandas 2 a group-by over two
categorical keys returns every combination of their categories, so trimmed categories still invent empty
groups (Nigeria x a sub-event type only Syria has); the last test shows it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest
from loader_fixtures import VERSIONS

import openconflict.loader as L
from openconflict.loader import frames
from openconflict.loader.filters import Filters

pytestmark = [pytest.mark.usefixtures("bundled_all"),
              pytest.mark.filterwarnings("ignore:The inplace keyword:DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::FutureWarning")]  # pandas 2 announcing observed=True
LATEST = VERSIONS[-1]


def assert_no_categories(df: pd.DataFrame) -> None:
    cats = [c for c in df.columns if isinstance(df[c].dtype, pd.CategoricalDtype)]
    assert cats == []


LOADS: list[dict[str, Any]] = [
    {}, {"iso3": "SYR"}, {"iso3": "NGA", "event_type": "Protests"}, {"start": "2024-06", "end": "2024-06"},
    {"civilian_targeting": True}, {"interaction": 60}, {"file_format": "csv", "iso3": "YEM"},
    {"columns": ["event_id_cnty", "country", "event_type"]}, {"inter_labels": True},
]


@pytest.mark.parametrize("kwargs", LOADS, ids=lambda k: ",".join(k) or "all")
def test_load_events_has_no_categorical_column(kwargs: dict[str, Any]) -> None:
    df = L.load_events(**kwargs)
    assert len(df)
    assert_no_categories(df)
    for col in set(L.VOCABULARY_COLUMNS) & set(df.columns):
        assert df[col].dtype == frames.text_dtype(), col
        assert (df[col].value_counts() > 0).all(), col


def test_groupby_with_the_default_observed_gives_only_occurring_groups() -> None:
    df = L.load_events(iso3=["SYR", "NGA"])
    df["month"] = df["event_date"].dt.to_period("M")
    for keys in (["country", "admin1", "month", "event_type"], ["country", "event_type", "sub_event_type"],
                 ["country", "disorder_type"]):
        default = df.groupby(keys).size()  # observed=False before pandas 3: empty groups would show here
        assert (default > 0).all(), keys
        assert len(default) == len(df[keys].drop_duplicates()), keys
    counts = df["country"].value_counts()
    assert set(counts.index) == {"Nigeria", "Syria"} and (counts > 0).all()


def test_registries_and_changes_have_no_categorical_column() -> None:
    for name in ("actors", "locations", "sources", "deletions", "changes"):
        for fmt in ("parquet", "csv"):
            assert_no_categories(L.load_table(name, file_format=fmt))
    assert_no_categories(L.changes(VERSIONS[0], LATEST))
    assert_no_categories(L.changes(VERSIONS[1], LATEST))


def test_dask_partitions_compute_to_the_pandas_frame(tmp_path: Path, releases: Any) -> None:
    path = tmp_path / "events-small-groups.parquet"
    pq.write_table(pq.read_table(releases.root / LATEST / "data" / "events.parquet"), path, row_group_size=8)
    lazy = frames.dask_events(path, None, Filters())
    assert lazy.npartitions > 4
    df = lazy.compute()
    assert_no_categories(df)
    assert len(df) == len(releases.rows[LATEST])


def test_type_pandas_turns_categories_into_text_without_losing_values() -> None:
    df = pd.DataFrame({"country": pd.Categorical(["Syria", None], categories=["Nigeria", "Syria", "Yemen"]),
                       "event_type": ["Battles", None]})
    out = frames.type_pandas(df)
    assert_no_categories(out)
    assert out["country"].tolist()[0] == "Syria" and pd.isna(out["country"].tolist()[1])


def test_why_not_trimmed_categories() -> None:
    """Categories trimmed to the values present still give empty groups under observed=False."""
    df = pd.concat([L.load_events(iso3="SYR", event_type="Battles"), L.load_events(iso3="NGA", event_type="Protests")])
    trimmed = df.astype({"country": "category", "event_type": "category"})
    assert len(trimmed["country"].cat.categories) == len(trimmed["country"].unique())  # trimmed indeed
    size = trimmed.groupby(["country", "event_type"], observed=False).size()
    assert (size == 0).sum() == 2  # Syria x Protests, Nigeria x Battles: groups that do not exist
    assert (df.groupby(["country", "event_type"]).size() > 0).all()  # text keys never produce them
