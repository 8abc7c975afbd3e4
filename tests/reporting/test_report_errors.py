"""Bad release folders give one clear ReportError naming the file, and write nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from openconflict.errors import OpenConflictError, ReportError
from openconflict.reporting import render_report


def copy_release(src: Path, tmp: Path) -> Path:
    dst = tmp / "release"
    shutil.copytree(src, dst)
    for p in dst.rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)
    return dst


def expect_error(folder: Path, out: Path, match: str, previous: Path | None = None) -> None:
    with pytest.raises(ReportError, match=match) as info:
        render_report(folder, out, previous)
    assert isinstance(info.value, OpenConflictError)
    assert not (out / "index.html").exists()


def test_no_release_folder(tmp_path: Path) -> None:
    expect_error(tmp_path / "nothing", tmp_path / "out", "datapackage.json is missing|no release folder")


@pytest.mark.parametrize("name", ["data/events.parquet", "data/sources.parquet", "data/changes.parquet",
                                  "datapackage.json"])
def test_missing_file_is_named(name: str, tmp_path: Path, synthetic_releases: Path) -> None:
    folder = copy_release(synthetic_releases / "1.1.0", tmp_path)
    (folder / name).unlink()
    expect_error(folder, tmp_path / "out", f"{Path(name).name} is missing")


def test_events_without_a_column(tmp_path: Path, synthetic_releases: Path) -> None:
    folder = copy_release(synthetic_releases / "1.1.0", tmp_path)
    path = folder / "data" / "events.parquet"
    pq.write_table(pq.read_table(path).drop_columns(["fatalities"]), path)
    expect_error(folder, tmp_path / "out", "has no column.*fatalities")


@pytest.mark.parametrize("name", ["data/events.parquet", "data/changes.parquet"])
def test_file_that_is_not_parquet(name: str, tmp_path: Path, synthetic_releases: Path) -> None:
    folder = copy_release(synthetic_releases / "1.1.0", tmp_path)
    (folder / name).write_bytes(b"event_id,change\nSYR1,added\n")
    expect_error(folder, tmp_path / "out", "not a readable")


def test_truncated_parquet(tmp_path: Path, synthetic_releases: Path) -> None:
    folder = copy_release(synthetic_releases / "1.1.0", tmp_path)
    path = folder / "data" / "events.parquet"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    expect_error(folder, tmp_path / "out", "not a readable Parquet file")


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '{"name": "openconflict-events"}'])
def test_broken_descriptor(text: str, tmp_path: Path, synthetic_releases: Path) -> None:
    folder = copy_release(synthetic_releases / "1.1.0", tmp_path)
    (folder / "datapackage.json").write_text(text, encoding="utf-8")
    expect_error(folder, tmp_path / "out", "datapackage.json")


def test_broken_citation(tmp_path: Path, synthetic_releases: Path) -> None:
    folder = copy_release(synthetic_releases / "1.1.0", tmp_path)
    (folder / "CITATION.cff").write_text("title: [unclosed\n", encoding="utf-8")
    expect_error(folder, tmp_path / "out", "CITATION.cff is not readable YAML")


def test_previous_that_is_not_earlier(tmp_path: Path, synthetic_releases: Path) -> None:
    """A 'previous' release with a malformed version is refused rather than given a made-up rule."""
    prev = copy_release(synthetic_releases / "1.0.0", tmp_path)
    text = (prev / "datapackage.json").read_text(encoding="utf-8").replace('"version": "1.0.0"', '"version": "01.0"')
    (prev / "datapackage.json").write_text(text, encoding="utf-8")
    expect_error(synthetic_releases / "1.1.0", tmp_path / "out", "not a release version", prev)


def test_missing_citation_and_codebook_still_render(tmp_path: Path, synthetic_releases: Path) -> None:
    folder = copy_release(synthetic_releases / "1.1.0", tmp_path)
    (folder / "CITATION.cff").unlink()
    (folder / "codebook.md").unlink()
    html = render_report(folder, tmp_path / "out").read_text(encoding="utf-8")
    assert "version 1.1.0" in html and "not a complete record" in html


def test_a_release_without_events_renders(tmp_path: Path, synthetic_releases: Path) -> None:
    folder = copy_release(synthetic_releases / "1.1.0", tmp_path)
    path = folder / "data" / "events.parquet"
    table = pq.read_table(path)
    pq.write_table(table.slice(0, 0), path)
    html = render_report(folder, tmp_path / "out").read_text(encoding="utf-8")
    assert '<dd id="h-events">0</dd>' in html and '<dd id="h-period">no events</dd>' in html
    assert html.count("<img ") == 1  # only the map, with the boundaries; no empty bar charts


def test_events_without_coordinates_or_places_render(tmp_path: Path, synthetic_releases: Path) -> None:
    """Null coordinates, admin1 and actor2 are left out of the map and the counts, never invented."""
    import pyarrow as pa
    import pyarrow.compute as pc

    folder = copy_release(synthetic_releases / "1.1.0", tmp_path)
    path = folder / "data" / "events.parquet"
    t = pq.read_table(path)
    blank = pc.less(pa.array(range(t.num_rows)), 10)
    for col in ("latitude", "longitude", "admin1", "actor2"):
        i = t.column_names.index(col)
        t = t.set_column(i, col, pc.if_else(blank, pa.scalar(None, t.schema.field(col).type), t.column(col)))
    pq.write_table(t, path)
    html = render_report(folder, tmp_path / "out").read_text(encoding="utf-8")
    assert f"({t.num_rows - 10:,} events with coordinates)" in html


def test_output_that_cannot_be_written(tmp_path: Path, synthetic_releases: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    expect_error(synthetic_releases / "1.1.0", blocker / "out", "cannot write the report")
    expect_error(synthetic_releases / "1.1.0", blocker, "cannot write the report")
    assert blocker.read_text(encoding="utf-8") == "not a folder"


def test_changes_table_without_its_columns(tmp_path: Path, synthetic_releases: Path) -> None:
    folder = copy_release(synthetic_releases / "1.1.0", tmp_path)
    path = folder / "data" / "changes.parquet"
    pq.write_table(pq.read_table(path).drop_columns(["event_id"]), path)
    expect_error(folder, tmp_path / "out", "not a readable changes table")
    pq.write_table(pq.read_table(path).drop_columns(["field"]), path)
    expect_error(folder, tmp_path / "out", "not a readable changes table")


@pytest.mark.parametrize("column", ["event_date", "fatalities", "latitude"])
def test_events_column_of_the_wrong_type(column: str, tmp_path: Path, synthetic_releases: Path) -> None:
    import pyarrow.compute as pc

    folder = copy_release(synthetic_releases / "1.1.0", tmp_path)
    path = folder / "data" / "events.parquet"
    t = pq.read_table(path)
    i = t.column_names.index(column)
    pq.write_table(t.set_column(i, column, pc.cast(t.column(column), "string")), path)
    expect_error(folder, tmp_path / "out", f"column {column} of .* has type string")


@pytest.mark.parametrize("column", ["event_date", "fatalities", "latitude"])
def test_in_memory_events_of_the_wrong_type_are_refused_like_a_file(column: str, tmp_path: Path,
                                                                   synthetic_releases: Path) -> None:
    """The release step hands its tables over in memory; they pass the same type checks as a file."""
    import pyarrow.compute as pc

    folder = synthetic_releases / "1.1.0"
    t = pq.read_table(folder / "data" / "events.parquet")
    i = t.column_names.index(column)
    bad = t.set_column(i, column, pc.cast(t.column(column), "string"))
    with pytest.raises(ReportError, match=f"column {column} of events has type string"):
        render_report(folder, tmp_path / "out", tables={"events": bad})
    with pytest.raises(ReportError, match="the events table has no column"):
        render_report(folder, tmp_path / "out", tables={"events": t.drop_columns([column])})
    assert not (tmp_path / "out" / "index.html").exists()
