"""openconflict.apply_changes(frame, old, new) on SYNTHETIC releases published through the release writer:
the result equals load_events(new) exactly (added, modified, deleted), for pandas and Arrow frames, and a
frame that is not what ``old`` holds is refused."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from loader_fixtures import VERSIONS, Releases

import openconflict
import openconflict.loader as L

pytestmark = [pytest.mark.usefixtures("bundled_all"),
              pytest.mark.filterwarnings("ignore::FutureWarning")]
PAIRS = [(VERSIONS[0], VERSIONS[1]), (VERSIONS[1], VERSIONS[2]), (VERSIONS[0], VERSIONS[2])]


@pytest.mark.parametrize(("old", "new"), PAIRS)
def test_pandas_frame_becomes_the_new_release_exactly(old: str, new: str) -> None:
    got = openconflict.apply_changes(L.load_events(old), old, new)
    pd.testing.assert_frame_equal(got, L.load_events(new), check_exact=True)


@pytest.mark.parametrize(("old", "new"), PAIRS)
def test_arrow_frame_becomes_the_new_release_exactly(old: str, new: str) -> None:
    got = openconflict.apply_changes(L.load_events(old, output="arrow"), old, new)
    want = L.load_events(new, output="arrow")
    assert got.schema.equals(want.schema)
    assert got.equals(want)


def test_the_diff_really_holds_all_three_kinds_of_change(releases: Releases) -> None:
    kinds = set(L.changes(VERSIONS[0], VERSIONS[2])["change"])
    assert kinds == {"added", "modified", "deleted"}
    old, new = releases.rows[VERSIONS[0]], releases.rows[VERSIONS[2]]
    got = openconflict.apply_changes(L.load_events(VERSIONS[0]), VERSIONS[0], VERSIONS[2])
    assert set(got["event_id_cnty"]) == set(new) and set(old) - set(new)  # deletions happened and are gone
    fixed = {k for k in old.keys() & new.keys() if old[k]["fatalities"] != new[k]["fatalities"]}
    assert fixed and all(got.set_index("event_id_cnty").loc[k, "fatalities"] == new[k]["fatalities"] for k in fixed)


def test_sorted_by_id_too() -> None:
    old, new = VERSIONS[0], VERSIONS[2]
    frame = L.load_events(old).sort_values("event_id_cnty", ascending=False)  # the user's own order
    got = openconflict.apply_changes(frame, old, new).sort_values("event_id_cnty").reset_index(drop=True)
    want = L.load_events(new).sort_values("event_id_cnty").reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want)


@pytest.mark.parametrize("output", ["pandas", "arrow"])
def test_columns_and_labels_are_kept(output: str) -> None:
    old, new = VERSIONS[0], VERSIONS[2]
    cols = ["event_id_cnty", "fatalities", "interaction", "notes"]
    for kwargs in ({"columns": cols}, {"inter_labels": True}, {"columns": cols, "inter_labels": True}):
        got = openconflict.apply_changes(L.load_events(old, output=output, **kwargs), old, new)
        want = L.load_events(new, output=output, **kwargs)
        if output == "pandas":
            pd.testing.assert_frame_equal(got, want)
        else:
            assert got.equals(want), kwargs


def test_user_categories_are_kept_and_trimmed() -> None:
    old, new = VERSIONS[0], VERSIONS[2]
    frame = L.load_events(old).astype({"country": "category", "event_type": "category"})
    got = openconflict.apply_changes(frame, old, new)
    want = L.load_events(new).astype({"country": "category", "event_type": "category"})
    pd.testing.assert_frame_equal(got, want)


def test_same_version_is_a_copy() -> None:
    frame = L.load_events(VERSIONS[1])
    got = openconflict.apply_changes(frame, VERSIONS[1], VERSIONS[1])
    pd.testing.assert_frame_equal(got, frame)
    assert got is not frame


def _refused(frame: Any, old: str, new: str, match: str) -> None:
    with pytest.raises(openconflict.ArgumentError, match=match) as info:
        openconflict.apply_changes(frame, old, new)
    assert isinstance(info.value, ValueError)


def test_refuses_going_backwards() -> None:
    _refused(L.load_events(VERSIONS[2]), VERSIONS[2], VERSIONS[0], "not an ancestor")


def test_refuses_a_frame_that_is_not_the_old_release() -> None:
    old, new = VERSIONS[0], VERSIONS[2]
    _refused(L.load_events(old, iso3="SYR"), old, new, r"missing from the frame .*no filters")
    _refused(L.load_events(VERSIONS[1]), old, new, "missing from the frame|not in release")  # another version
    full = L.load_events(old)
    _refused(pd.concat([full, full.iloc[:2]]), old, new, "more than once")
    extra = full.copy()
    extra.loc[0, "event_id_cnty"] = "SYR999999"
    _refused(extra, old, new, "missing from the frame|not in release")
    stamped = full.copy()
    stamped.loc[3, "timestamp"] = stamped.loc[3, "timestamp"] + 1
    _refused(stamped, old, new, "another timestamp")
    nulls = full.copy()
    nulls.loc[0, "event_id_cnty"] = None
    _refused(nulls, old, new, "without an event_id_cnty")
    _refused(full.drop(columns="event_id_cnty"), old, new, "no event_id_cnty column")
    _refused(full.assign(my_flag=1), old, new, "does not: my_flag")
    table = L.load_events(old, output="arrow")
    _refused(table.slice(1), old, new, "missing from the frame")


def test_refuses_what_it_cannot_read() -> None:
    with pytest.raises(openconflict.ArgumentTypeError, match="pandas DataFrame or a pyarrow Table"):
        openconflict.apply_changes([{"event_id_cnty": "SYR1"}], VERSIONS[0], VERSIONS[1])
    with pytest.raises(openconflict.VersionNotFoundError):
        openconflict.apply_changes(L.load_events(VERSIONS[0]), VERSIONS[0], "9.9.9")


def test_the_input_frame_is_not_changed() -> None:
    old, new = VERSIONS[0], VERSIONS[2]
    frame = L.load_events(old)
    before = frame.copy()
    openconflict.apply_changes(frame, old, new)
    pd.testing.assert_frame_equal(frame, before)
    table = L.load_events(old, output="arrow")
    assert isinstance(openconflict.apply_changes(table, old, new), pa.Table)


@pytest.fixture(scope="module")
def quiet_fix(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """0.1.0, then 0.1.1 correcting one event's notes without touching its ``updated`` (so its timestamp stays):
    only the release's changes table names that event as modified."""
    from synthetic import SYNTHETIC, Tree, publish

    base = tmp_path_factory.mktemp("quiet")
    tree = Tree.initial(base / "datasets", per_country=8)
    releases = base / "releases"
    publish(tree, "0.1.0", "2026-01-15", releases)
    tree.events["SYR4"]["notes"] = f"{SYNTHETIC}: corrected quietly."
    publish(tree, "0.1.1", "2026-01-16", releases)
    return releases


def test_a_correction_that_keeps_its_timestamp_is_applied(quiet_fix: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENCONFLICT_RELEASES", str(quiet_fix))
    old = L.load_events("0.1.0")
    new = L.load_events("0.1.1")
    row = old["event_id_cnty"] == "SYR4"
    assert (old.loc[row, "timestamp"].tolist() == new.loc[new["event_id_cnty"] == "SYR4", "timestamp"].tolist())
    assert L.changes("0.1.0", "0.1.1")["event_id"].tolist() == ["SYR4"]
    pd.testing.assert_frame_equal(openconflict.apply_changes(old, "0.1.0", "0.1.1"), new)
