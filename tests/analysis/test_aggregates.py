"""aggregate() against the plain pandas group-by a researcher would write, on the committed release and on
SYNTHETIC data; complete panels, week starts, bounds and bad input."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from analysis_fixtures import canonical, pandas_reference
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openconflict.analysis.aggregate import aggregate

CASES = [
    (["admin1"], "month", None),
    (["admin1"], "week", None),
    (["country", "admin1", "admin2"], "day", None),
    (["admin3"], "year", "event_type"),  # admin3 is often missing: its own group, never dropped
    (["admin1", "location"], "month", "disorder_type"),
    ([], "year", None),
    (["admin2"], None, "event_type"),
]


@pytest.mark.parametrize(("units", "period", "split"), CASES)
def test_release_matches_pandas_groupby(release_frame, units, period, split) -> None:
    by = (*units, period) if period else tuple(units)
    ours = aggregate(release_frame, by=by, split=split)
    ref = pandas_reference(release_frame, units, period, split)
    assert list(ours.columns) == list(ref.columns)
    pd.testing.assert_frame_equal(canonical(ours), canonical(ref))
    assert ours["events"].sum() == len(release_frame)
    assert ours["fatalities"].sum() == release_frame["fatalities"].sum()
    assert ours["events"].dtype == np.int64 and ours["fatalities"].dtype == np.int64


@pytest.mark.parametrize("week_start", ["monday", "wednesday", "sunday"])
@pytest.mark.parametrize(("units", "period", "split"), CASES[:4])
def test_synthetic_matches_pandas_groupby(synthetic, units, period, split, week_start) -> None:
    units = [u for u in units if u in synthetic.columns]
    by = (*units, period) if period else tuple(units)
    ours = aggregate(synthetic, by=by, split=split, week_start=week_start)
    ref = pandas_reference(synthetic, units, period, split, week_start)
    pd.testing.assert_frame_equal(canonical(ours), canonical(ref))


def test_sorted_by_units_then_period(synthetic) -> None:
    ours = aggregate(synthetic, by=("admin1", "admin2", "month"))
    keys = ours[["admin1", "admin2"]].astype(object).fillna("\uffff")  # missing names sort last
    order = pd.concat([keys, ours["month"]], axis=1).sort_values(["admin1", "admin2", "month"]).index
    assert list(order) == list(ours.index)


def test_week_start_is_honoured() -> None:
    # 2024-01-03 was a Wednesday (SYNTHETIC event).
    df = pd.DataFrame({"admin1": ["SYNTHETIC"], "event_date": [pd.Timestamp("2024-01-03")], "fatalities": [2]})
    starts = {w: aggregate(df, by=("admin1", "week"), week_start=w)["week"].iloc[0]
              for w in ("monday", "sunday", "wednesday", "thursday")}
    assert starts == {"monday": pd.Timestamp("2024-01-01"), "sunday": pd.Timestamp("2023-12-31"),
                      "wednesday": pd.Timestamp("2024-01-03"), "thursday": pd.Timestamp("2023-12-28")}
    assert aggregate(df, by="week", week_start=" Monday ")["week"].iloc[0] == pd.Timestamp("2024-01-01")


def test_complete_panel_has_every_unit_and_period(synthetic) -> None:
    sparse = synthetic.iloc[::40].copy()  # leaves many admin-months empty
    full = aggregate(sparse, by=("admin1", "month"), complete=True)
    units = sparse["admin1"].nunique()
    first, last = sparse["event_date"].min(), sparse["event_date"].max()
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    assert len(full) == units * months
    assert (full.groupby("admin1")["month"].apply(lambda s: s.is_monotonic_increasing and s.is_unique)).all()
    assert (full["events"] == 0).any()
    assert full["events"].sum() == len(sparse)
    nonzero = full[full["events"] > 0].reset_index(drop=True)
    pd.testing.assert_frame_equal(nonzero, aggregate(sparse, by=("admin1", "month")))


def test_complete_split_covers_the_whole_vocabulary(release_frame) -> None:
    full = aggregate(release_frame, by=("year",), split="event_type", complete=True)
    assert len(full) == 2 * 6  # 2015 and 2016, six event types of the codebook
    assert list(full["event_type"].iloc[:6]) == ["Battles", "Protests", "Riots", "Explosions/Remote violence",
                                                 "Violence against civilians", "Strategic developments"]


def test_bounds_select_whole_periods_and_extend_the_panel(release_frame) -> None:
    window = aggregate(release_frame, by=("admin1", "month"), period_start="2015-11-15", period_end="2015-12")
    assert set(window["month"]) <= {pd.Timestamp("2015-11-01"), pd.Timestamp("2015-12-01")}
    dates = pd.to_datetime(release_frame["event_date"])
    inside = release_frame[(dates >= "2015-11-01") & (dates < "2016-01-01")]
    assert window["events"].sum() == len(inside)

    panel = aggregate(release_frame, by=("admin1", "month"), complete=True, period_start=dt.date(2015, 1, 1),
                      period_end="2017-06-30")
    assert panel["month"].min() == pd.Timestamp("2015-01-01") and panel["month"].max() == pd.Timestamp("2017-06-01")
    assert len(panel) == release_frame["admin1"].nunique() * 30
    assert panel["events"].sum() == len(release_frame)


def test_inputs_arrow_typed_pandas_and_polars_agree(release_frame, release_table) -> None:
    expected = aggregate(release_frame, by=("admin1", "week"), split="event_type")
    from_arrow = aggregate(release_table, by=("admin1", "week"), split="event_type")
    pd.testing.assert_frame_equal(expected, from_arrow)
    typed = release_frame.copy()  # the shape load_events gives: datetime64, categories, nullable ints
    typed["event_date"] = pd.to_datetime(typed["event_date"])
    typed["event_type"] = typed["event_type"].astype(pd.CategoricalDtype(list(expected["event_type"].cat.categories)))
    typed["fatalities"] = typed["fatalities"].astype("Int32")
    typed["admin1"] = typed["admin1"].astype("category")
    got = aggregate(typed, by=("admin1", "week"), split="event_type")
    pd.testing.assert_frame_equal(canonical(got), canonical(expected))
    iso = release_frame.assign(event_date=release_frame["event_date"].astype(str))
    pd.testing.assert_frame_equal(aggregate(iso, by=("admin1", "week"), split="event_type"), expected)
    polars = pytest.importorskip("polars")
    pd.testing.assert_frame_equal(aggregate(polars.from_arrow(release_table), by=("admin1", "week"),
                                            split="event_type"), expected)


def test_version_string_loads_lazily(release_frame) -> None:
    import openconflict

    try:
        openconflict.load_events("1.0.1", columns=["admin1"])
    except Exception as exc:  # noqa: BLE001 - only the loader's own readiness decides the skip
        pytest.skip(f"the loader on this branch cannot read the committed release yet: {exc}")
    got = aggregate("1.0.1", by=("admin1", "month"))
    pd.testing.assert_frame_equal(canonical(got), canonical(aggregate(release_frame, by=("admin1", "month"))))


def test_many_cells_take_the_sparse_path() -> None:
    # 3,000 units x 2,000 days is far more cells than events: counted without a dense array.
    rng = np.random.default_rng(1)
    n = 1_000
    df = pd.DataFrame({"location": [f"SYNTHETIC place {i}" for i in rng.integers(0, 3_000, n)],
                       "event_date": pd.Timestamp("2010-01-01") + pd.to_timedelta(rng.integers(0, 2_000, n), "D"),
                       "fatalities": rng.integers(0, 5, n)})
    df.loc[0, "event_date"], df.loc[1, "event_date"] = pd.Timestamp("2010-01-01"), pd.Timestamp("2015-06-23")
    pd.testing.assert_frame_equal(canonical(aggregate(df, by=("location", "day"))),
                                  canonical(pandas_reference(df, ["location"], "day")))


def test_absurd_complete_panels_are_refused_not_attempted(release_frame) -> None:
    with pytest.raises(ValueError, match=r"would have [\d,]+ rows \(limit 50,000,000\)"):
        aggregate(release_frame, by=("event_id_cnty", "day"), split="event_type", complete=True,
                  period_start="1700-01-01")
    sparse = aggregate(release_frame, by=("event_id_cnty", "day"), split="event_type", period_start="1700-01-01")
    assert sparse["events"].sum() == len(release_frame)  # without zeros the same question is cheap
    with pytest.raises(ValueError, match="outside the dates"):
        aggregate(release_frame, by=("month",), complete=True, period_start="1500-01")


def test_empty_frame(synthetic) -> None:
    empty = synthetic.iloc[:0]
    out = aggregate(empty, by=("admin1", "month"), complete=True)
    assert list(out.columns) == ["admin1", "month", "events", "fatalities"] and len(out) == 0
    bounded = aggregate(empty, by=("month",), complete=True, period_start="2020-01", period_end="2020-03")
    assert list(bounded["events"]) == [0, 0, 0]


def test_missing_fatalities_count_as_zero_and_events_still_count() -> None:
    df = pd.DataFrame({"admin1": ["A", "A", "B"], "event_date": pd.to_datetime(["2020-01-01"] * 3),
                       "fatalities": pd.array([3, None, None], dtype="Int32")})
    out = aggregate(df, by=("admin1", "year"))
    assert out.to_dict("list") == {"admin1": ["A", "B"], "year": [2020, 2020], "events": [2, 1], "fatalities": [3, 0]}


@pytest.mark.parametrize(("kwargs", "error", "words"), [
    ({"by": ("admin1", "month", "week")}, ValueError, "more than one period"),
    ({"by": ("admin9", "month")}, ValueError, "no column 'admin9'"),
    ({"by": ("admin1", "admin1")}, ValueError, "twice"),
    ({"by": ("admin1", 3)}, TypeError, "column names"),
    ({"split": "sub_event_type"}, ValueError, "split="),
    ({"split": "event_type", "by": ("event_type", "month")}, ValueError, "both"),
    ({"week_start": "lundi"}, ValueError, "week_start="),
    ({"by": ("admin1",), "period_start": "2015-01"}, ValueError, "need a period"),
    ({"period_start": "2016-01", "period_end": "2015-01"}, ValueError, "after"),
    ({"period_start": "not a date"}, ValueError, "not a date"),
])
def test_bad_arguments_say_what_is_wrong(release_frame, kwargs, error, words) -> None:
    with pytest.raises(error, match=words):
        aggregate(release_frame, **kwargs)


def test_bad_data_is_refused_not_dropped(release_frame) -> None:
    no_date = release_frame.assign(event_date=pd.to_datetime(release_frame["event_date"]))
    no_date.loc[5, "event_date"] = pd.NaT
    with pytest.raises(ValueError, match="1 event.* no event_date"):
        aggregate(no_date)
    no_type = release_frame.astype({"event_type": object})
    no_type.loc[3, "event_type"] = None
    with pytest.raises(ValueError, match="no event_type"):
        aggregate(no_type, split="event_type")
    with pytest.raises(TypeError, match="fatalities must be numbers"):
        aggregate(release_frame.assign(fatalities="many"))
    with pytest.raises(TypeError, match="DataFrame"):
        aggregate([1, 2, 3])
    unknown = release_frame.astype({"event_type": object})
    unknown.loc[0, "event_type"] = "SYNTHETIC new type"  # not in the vocabulary: kept, never lost
    out = aggregate(unknown, by=("year",), split="event_type", complete=True)
    assert "SYNTHETIC new type" in set(out["event_type"]) and out["events"].sum() == len(unknown)


def test_arrow_table_with_missing_units(release_table) -> None:
    admin2 = release_table.column("admin2").to_pylist()
    admin2[:10] = [None] * 10
    table = release_table.set_column(release_table.schema.get_field_index("admin2"), "admin2", pa.array(admin2))
    out = aggregate(table, by=("admin2", "month"))
    assert out["admin2"].isna().any() and out["events"].sum() == table.num_rows


_unit = st.sampled_from(["SYNTHETIC a", "SYNTHETIC b", "", None])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(_unit, _unit, st.integers(0, 2_000), st.integers(0, 50)), min_size=1, max_size=60),
       period=st.sampled_from(["day", "week", "month", "year"]),
       week_start=st.sampled_from(["monday", "friday", "sunday"]))
def test_property_matches_groupby(rows, period, week_start) -> None:
    df = pd.DataFrame(rows, columns=["admin1", "admin2", "day", "fatalities"])
    df["event_date"] = pd.Timestamp("2014-12-25") + pd.to_timedelta(df.pop("day"), unit="D")
    for col in ("admin1", "admin2"):
        df[col] = df[col].astype(object)
    ours = aggregate(df, by=("admin1", "admin2", period), week_start=week_start)
    ref = pandas_reference(df, ["admin1", "admin2"], period, week_start=week_start)
    pd.testing.assert_frame_equal(canonical(ours), canonical(ref))
    full = aggregate(df, by=("admin1", "admin2", period), week_start=week_start, complete=True)
    assert full["events"].sum() == len(df) and full["fatalities"].sum() == df["fatalities"].sum()
