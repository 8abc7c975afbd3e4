"""to_long / to_wide: one row per actor and back, exactly (values, missing vs empty cells, column order,
dtypes, index), on the committed release, SYNTHETIC frames and frames hypothesis makes up."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openconflict.analysis.actors import ROLES, to_long, to_wide

TEXT = "str" if int(pd.__version__.split(".")[0]) >= 3 else object


def roundtrip(frame: pd.DataFrame) -> pd.DataFrame:
    return to_wide(to_long(frame))


def test_release_round_trip_exact(release_frame) -> None:
    long = to_long(release_frame)
    pd.testing.assert_frame_equal(to_wide(long), release_frame, check_exact=True)
    # One row per actor: actor1 always, actor2 when present, one per associated actor.
    def count(s: pd.Series) -> int:
        return int(s.dropna().str.split("; ").str.len().sum())
    expected = (release_frame["actor1"].notna().sum() + release_frame["actor2"].notna().sum()
                + count(release_frame["assoc_actor_1"]) + count(release_frame["assoc_actor_2"]))
    assert len(long) == expected


def test_long_shape_roles_and_types(release_frame) -> None:
    long = to_long(release_frame)
    cols = list(long.columns)
    assert cols[cols.index("role"):cols.index("role") + 3] == ["role", "actor", "actor_type"]
    assert not set(ROLES) & set(cols) and {"inter1", "inter2"} <= set(cols)
    assert list(long["role"].cat.categories) == list(ROLES)
    assert str(long["actor_type"].dtype) == "Int32"
    a1 = long[long["role"] == "actor1"]
    assert (a1["actor_type"].to_numpy() == a1["inter1"].to_numpy()).all()
    a2 = long[long["role"] == "actor2"]
    assert (a2["actor_type"].to_numpy() == a2["inter2"].to_numpy()).all()
    assert long.loc[long["role"].isin(["assoc_actor_1", "assoc_actor_2"]), "actor_type"].isna().all()
    # An event with two associated actors gives two assoc rows, in the list's order.
    multi = release_frame[release_frame["assoc_actor_1"].fillna("").str.contains("; ")]
    if len(multi):
        ev = multi.iloc[0]
        rows = long[(long["event_id_cnty"] == ev["event_id_cnty"]) & (long["role"] == "assoc_actor_1")]
        assert list(rows["actor"]) == ev["assoc_actor_1"].split("; ")


def test_any_role_query(release_frame) -> None:
    """What the long shape is for: every event an actor took part in, in any role."""
    long = to_long(release_frame)
    name = "Military Forces of Russia"
    ids = set(long.loc[long["actor"] == name, "event_id_cnty"])
    by_hand = set(release_frame.loc[
        (release_frame["actor1"] == name) | (release_frame["actor2"] == name)
        | release_frame["assoc_actor_1"].fillna("").str.split("; ").apply(lambda xs: name in xs)
        | release_frame["assoc_actor_2"].fillna("").str.split("; ").apply(lambda xs: name in xs),
        "event_id_cnty"])
    assert ids == by_hand and ids


def test_synthetic_round_trip_with_empty_and_missing(synthetic) -> None:
    assert (synthetic["assoc_actor_1"] == "").any() and synthetic["assoc_actor_1"].isna().any()
    pd.testing.assert_frame_equal(roundtrip(synthetic), synthetic, check_exact=True)


def test_round_trip_without_attrs_uses_acled_order(release_frame) -> None:
    long = to_long(release_frame)
    long.attrs.clear()
    pd.testing.assert_frame_equal(to_wide(long), release_frame, check_exact=True)


def test_odd_cells_and_events_without_actors() -> None:
    frame = pd.DataFrame({
        "event_id_cnty": ["SYN1", "SYN2", "SYN3", "SYN4"],
        "actor1": ["SYNTHETIC A", None, "", "SYNTHETIC ;B"],
        "assoc_actor_1": ["x; ; y; ", None, "", ";; ;"],
        "inter1": pd.array([1, 2, None, 3], dtype="Int32"),
        "actor2": [None, None, "SYNTHETIC C", "  "],
        "assoc_actor_2": ["", None, None, "z"],
        "inter2": pd.array([0, 0, 7, 8], dtype="Int32"),
    }, index=[10, 11, 12, 13])
    for col in ("event_id_cnty", "actor1", "assoc_actor_1", "actor2", "assoc_actor_2"):
        frame[col] = frame[col].astype(TEXT)
    long = to_long(frame)
    lonely = long[long["event_id_cnty"] == "SYN2"]
    assert len(lonely) == 1 and pd.isna(lonely["role"].iloc[0]) and pd.isna(lonely["actor"].iloc[0])
    assert list(long.index) == sorted(long.index)  # the wide frame's labels repeat, in event order
    pd.testing.assert_frame_equal(to_wide(long), frame, check_exact=True)


def test_dtypes_and_custom_column_order_survive() -> None:
    frame = pd.DataFrame({
        "assoc_actor_2": pd.Categorical(["b; c", None]),
        "event_id_cnty": ["SYN1", "SYN2"],
        "notes": ["SYNTHETIC", "SYNTHETIC"],
        "actor1": pd.array(["a", "d"], dtype="string"),
        "actor2": np.array([None, "e"], dtype=object),
        "fatalities": [1, 2],
    })
    pd.testing.assert_frame_equal(roundtrip(frame), frame, check_exact=True)


def test_filtered_long_goes_back() -> None:
    frame = pd.DataFrame({"event_id_cnty": ["SYN1", "SYN2"], "actor1": ["a", "b"], "assoc_actor_1": ["x; y", None],
                          "actor2": ["c", None], "assoc_actor_2": [None, None]}).astype(TEXT)
    long = to_long(frame)
    no_assoc = long[long["role"].isin(["actor1", "actor2"])]
    wide = to_wide(no_assoc)
    assert wide["assoc_actor_1"].isna().all() and list(wide["actor1"]) == ["a", "b"]
    reordered = long.iloc[::-1]
    back = to_wide(reordered)
    assert list(back["event_id_cnty"]) == ["SYN2", "SYN1"]
    assert back.set_index("event_id_cnty").loc["SYN1", "assoc_actor_1"] == "y; x"  # rows joined in their order


@pytest.mark.parametrize(("make", "error", "words"), [
    (lambda f: f.drop(columns=["event_id_cnty"]), ValueError, "event id"),
    (lambda f: f.assign(event_id_cnty="SYN1"), ValueError, "unique"),
    (lambda f: f.drop(columns=list(ROLES)), ValueError, "none of the actor columns"),
    (lambda f: f.assign(role="x"), ValueError, "already has a column 'role'"),
    (lambda f: f.assign(assoc_actor_1=[1] * len(f)), TypeError, "must be text"),
    (lambda f: f.to_dict(), TypeError, "DataFrame"),
])
def test_to_long_refuses_bad_input(synthetic, make, error, words) -> None:
    with pytest.raises(error, match=words):
        to_long(make(synthetic.head(20)))


def test_to_wide_refuses_bad_input(synthetic) -> None:
    long = to_long(synthetic.head(20))
    with pytest.raises(ValueError, match="needs the columns role"):
        to_wide(long.drop(columns=["role"]))
    broken = long.copy()
    broken["role"] = broken["role"].astype(object)
    broken.iloc[0, broken.columns.get_loc("role")] = "perpetrator"
    with pytest.raises(ValueError, match="unknown role"):
        to_wide(broken)
    missing = long.copy()
    missing.iloc[0, missing.columns.get_loc("actor")] = None
    with pytest.raises(ValueError, match="has no actor"):
        to_wide(missing)


_cell = st.one_of(st.none(), st.text(alphabet=st.sampled_from(list("ab ;;,\u00e9")), max_size=12))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(_cell, _cell, _cell, _cell, st.one_of(st.none(), st.integers(0, 8))),
                     min_size=0, max_size=12),
       as_category=st.booleans(), reorder=st.booleans())
def test_property_round_trip(rows, as_category, reorder) -> None:
    frame = pd.DataFrame(rows, columns=["actor1", "assoc_actor_1", "actor2", "assoc_actor_2", "inter1"])
    frame.insert(0, "event_id_cnty", [f"SYN{i + 1}" for i in range(len(frame))])
    frame["inter1"] = frame["inter1"].astype("Int32")
    for col in ROLES:
        frame[col] = frame[col].astype("category" if as_category and col == "actor2" else TEXT)
    frame["event_id_cnty"] = frame["event_id_cnty"].astype(TEXT)
    if reorder:
        frame = frame[list(reversed(frame.columns))]
    pd.testing.assert_frame_equal(roundtrip(frame), frame, check_exact=True)
