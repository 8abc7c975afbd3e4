"""The report's counts gathered a batch at a time are the counts of the whole table (issue 12).

The report reads the events in batches (:mod:`openconflict.reporting.tally`) so that its memory does not
grow with the release. These tests cut a SYNTHETIC release of several row groups into batches of every
size, from the file and from a table in memory, and require the same figures and the same page bytes;
they pin the one order the report keeps (map markers by place, type and class, each numbered as it first
appears in the rows) against pandas, and feed :class:`FirstSeen` dictionaries that list values out of
order, values no row uses, and nulls.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from openconflict.reporting import figures, render_report
from openconflict.reporting.tally import FirstSeen


def _same(a: Any, b: Any) -> None:
    for name in a.__dict__:
        x, y = getattr(a, name), getattr(b, name)
        if name == "points":
            assert x.keys() == y.keys()
            for key in x:
                assert np.array_equal(x[key], y[key]), key
        else:
            assert x == y, name


@pytest.mark.parametrize("batch", [1, 999, 12_288])
def test_every_batch_size_gives_the_figures_and_page_of_one_batch(multi_country_release: Path, tmp_path: Path,
                                                                  batch: int, monkeypatch: pytest.MonkeyPatch) -> None:
    events = pq.read_table(multi_country_release / "data" / "events.parquet")
    monkeypatch.setattr(figures, "BATCH_ROWS", 1 << 30)
    whole = figures.compute_figures(multi_country_release)
    page = render_report(multi_country_release, tmp_path / "whole").read_bytes()
    some = {"events": events.slice(0, 3000)}
    one_batch = figures.compute_figures(multi_country_release, tables=some)
    monkeypatch.setattr(figures, "BATCH_ROWS", batch)
    if batch == 1:  # one row at a time, from memory only (the file is read in whole row groups of 4,096)
        _same(figures.compute_figures(multi_country_release, tables=some), one_batch)
        return
    _same(figures.compute_figures(multi_country_release), whole)
    _same(figures.compute_figures(multi_country_release, tables={"events": events}), whole)
    assert render_report(multi_country_release, tmp_path / "batches").read_bytes() == page
    assert render_report(multi_country_release, tmp_path / "memory", tables={"events": events}).read_bytes() == page


def test_map_markers_follow_the_rows_first_appearances(multi_country_release: Path) -> None:
    """Markers by (place, event type, fatality class), places and types numbered as they first appear."""
    from openconflict.reporting.mapping import fatality_class

    ev = pd.read_parquet(multi_country_release / "data" / "events.parquet")
    place = {v: i for i, v in enumerate(pd.unique(ev["location_id"].dropna()))}
    kind = {v: i for i, v in enumerate(pd.unique(ev["event_type"].dropna()))}
    ok = ev.dropna(subset=["latitude", "longitude", "location_id", "event_type"])
    keys = pd.DataFrame({"p": ok["location_id"].map(place), "t": ok["event_type"].map(kind),
                         "c": fatality_class(ok["fatalities"].fillna(0).to_numpy())})
    expected = keys.value_counts().sort_index()
    points = figures.compute_figures(multi_country_release).points
    assert points["events"].tolist() == expected.tolist()
    assert points["event_type"].tolist() == [list(kind)[t] for _, t, _ in expected.index]
    first = ok.groupby("location_id", sort=False).first()
    assert points["latitude"].tolist() == [first.loc[list(place)[p], "latitude"] for p, _, _ in expected.index]


def test_first_seen_numbers_values_as_rows_first_hold_them() -> None:
    seen = FirstSeen()
    # the dictionary lists a value no row uses ("unused") and its values in another order than the rows
    one = pa.DictionaryArray.from_arrays(pa.array([2, 0, None, 2, 3]), pa.array(["b", "unused", "a", "c"]))
    assert seen.codes(one).tolist() == [0, 1, -1, 0, 2]
    assert seen.values == ["a", "b", "c"]
    two = pa.array(["d", None, "c", "a", "d"])  # plain text: encoded here
    assert seen.codes(two).tolist() == [3, -1, 2, 0, 3]
    three = pa.DictionaryArray.from_arrays(pa.array([0, 1, 1]), pa.array([None, "e"], pa.string()))
    assert seen.codes(three).tolist() == [-1, 4, 4]  # a null in the dictionary is a null
    assert seen.values == ["a", "b", "c", "d", "e"]
    assert seen.codes(pa.array([], pa.string())).tolist() == []
