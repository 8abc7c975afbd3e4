"""The previous release as a later build reads it (issue 12): one column at a time, read ahead on background
threads, giving exactly the columns and the diff the whole table gives. SYNTHETIC tree."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from release_fixtures import Tree, event_row

from openconflict.changeset import compare_events
from openconflict.errors import BuildError
from openconflict.release import build_release
from openconflict.release.previous import ReleasedColumns


def test_columns_in_any_order_equal_the_whole_table_and_give_the_same_diff(many: object) -> None:
    tree: Tree = many(300)  # type: ignore[operator]
    build_release(tree.root, "0.1.0", date="2026-01-15", releases_dir=tree.releases, dist_dir=None)
    path = tree.releases / "0.1.0" / "data" / "events.parquet"
    whole = pq.read_table(path)
    cols = ReleasedColumns(path)
    try:
        assert cols.column_names == whole.column_names and cols.num_rows == whole.num_rows
        for name in [*reversed(whole.column_names), "notes", "event_id_cnty"]:
            assert cols.column(name).equals(whole.column(name)), name
        notes = pa.array([*whole.column("notes").to_pylist()[:-1], "SYNTHETIC revised note"], pa.string())
        changed = whole.set_column(whole.column_names.index("notes"), "notes", notes)
        got, expected = compare_events(ReleasedColumns(path), changed), compare_events(whole, changed)
        assert got[0].equals(expected[0]) and got[1] == expected[1] == 1
        with pytest.raises(BuildError, match="cannot read column 'no_such_column'"):
            cols.column("no_such_column")
    finally:
        cols.close()


def test_a_later_build_diffs_against_the_previous_release(tree: Tree) -> None:
    build_release(tree.root, "0.1.0", date="2026-01-15", releases_dir=tree.releases, dist_dir=None)
    tree.add(event_row(4, "2015-10-16"))
    tree.write()
    result = build_release(tree.root, "0.2.0", date="2026-01-15", releases_dir=tree.releases, dist_dir=None)
    assert (result.diff.added, result.diff.modified, result.diff.deleted) == (1, 0, 0)


def test_the_footer_is_read_only_when_asked_for_and_a_bad_file_is_a_build_error(tmp_path: object) -> None:
    """A build in parts never asks the whole plan's reader for anything but its path (its parsed footer is
    about 100 MB at 10M events); a file that is not Parquet gives a build error when first asked, no traceback."""
    from pathlib import Path

    bad = Path(str(tmp_path)) / "events.parquet"
    bad.write_bytes(b"PAR1 this is not a Parquet footer")
    cols = ReleasedColumns(bad)  # nothing read yet
    with pytest.raises(BuildError, match="cannot read the latest published release's events"):
        cols.column_names  # noqa: B018 - the property reads the footer
    with pytest.raises(BuildError, match="cannot read the latest published release's events"):
        cols.column("notes")
