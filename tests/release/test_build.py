"""The release build: derivation, reproducibility, atomicity, immutability and honest versions."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from release_fixtures import REPO, Tree, event_row

from openconflict.ledger import STAMPS_DIR
from openconflict.release import ROW_GROUP, BuildError, build_release, release_versions, verify_releases
from openconflict.release.derive import EVENT_COLUMNS


def build(tree: Tree, version: str, **kw: object) -> object:
    return build_release(tree.root, version, date="2026-01-15", releases_dir=tree.releases, dist_dir=tree.dist, **kw)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder``; the stamps of checked releases (a cache any check may refresh) aside."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and STAMPS_DIR not in p.relative_to(folder).parts}


def test_release_layout_and_derived_columns(tree: Tree) -> None:
    result = build(tree, "0.1.0")
    folder = tree.releases / "0.1.0"
    for rel in ("datapackage.json", "SHA256SUMS", "codebook.md", "CHANGELOG.md", "CITATION.cff"):
        assert (folder / rel).is_file(), rel
    for name in ("events", "actors", "locations", "sources", "deletions", "changes"):
        assert (folder / "data" / f"{name}.parquet").is_file()
        assert (folder / "data" / f"{name}.csv").is_file()
    events = pq.read_table(folder / "data" / "events.parquet")
    assert events.column_names == EVENT_COLUMNS
    assert events.column_names[:31][-1] == "timestamp" and events.column_names[0] == "event_id_cnty"
    rows = {r["event_id_cnty"]: r for r in events.to_pylist()}
    clash, strike, vac = rows["SYR1"], rows["SYR2"], rows["SYR3"]
    assert (clash["inter1"], clash["inter2"], clash["interaction"]) == (1, 2, 12)
    assert (strike["inter1"], strike["inter2"], strike["interaction"]) == (8, 0, 80)
    assert (vac["inter1"], vac["inter2"], vac["interaction"]) == (2, 7, 27)
    assert clash["disorder_type"] == "Political violence" and clash["year"] == 2015
    assert (clash["iso"], clash["country"], clash["region"], clash["iso3"]) == (760, "Syria", "Middle East", "SYR")
    assert (clash["admin1"], clash["admin2"], clash["admin3"]) == ("Aleppo", "A'zaz", None)
    assert (clash["latitude"], clash["longitude"]) == (36.4, 37.1)
    assert clash["source"] == "SYNTHETIC Wire" and clash["source_scale"] == "International"
    assert clash["source_urls"] == "https://example.invalid/a"
    assert clash["timestamp"] == 1767225600  # 2026-01-01T00:00:00Z
    assert strike["civilian_targeting"] is None and vac["civilian_targeting"] == "Civilian targeting"
    assert result.events == 3  # type: ignore[attr-defined]
    meta = pq.ParquetFile(folder / "data" / "events.parquet").metadata
    assert meta.row_group(0).column(0).compression == "ZSTD"
    assert meta.row_group(0).column(0).statistics is not None
    assert all(meta.row_group(i).num_rows <= 65_536 for i in range(meta.num_row_groups))
    reg = json.loads((tree.releases / "registry.json").read_text())
    entry = reg["releases"][0]
    assert entry["version"] == "0.1.0" and entry["events"] == 3 and entry["date"] == "2026-01-15"
    assert entry["files"]["data/events.parquet"]["bytes"] == (folder / "data" / "events.parquet").stat().st_size
    assert (tree.dist / "openconflict-events-0.1.0.zip").is_file()
    assert verify_releases(tree.releases) == []


def test_events_sorted_and_row_groups_bounded(many: Callable[[int], Tree]) -> None:
    t = many(70_000)
    build(t, "0.1.0")
    path = t.releases / "0.1.0" / "data" / "events.parquet"
    meta = pq.ParquetFile(path).metadata
    assert ROW_GROUP <= 65_536
    assert meta.num_row_groups == -(-70_000 // ROW_GROUP) and meta.row_group(0).num_rows == ROW_GROUP
    table = pq.read_table(path, columns=["country", "event_date", "event_id_cnty"])
    dates = table.column("event_date").to_pylist()
    assert dates == sorted(dates)
    nums = [int(x[3:]) for x in table.column("event_id_cnty").to_pylist()]
    same_day = [(d, n) for d, n in zip(dates, nums, strict=True)]
    assert same_day == sorted(same_day)


def test_byte_reproducible_in_different_folders_and_times(tree: Tree, tmp_path: Path) -> None:
    other = Tree(tmp_path / "elsewhere" / "repo")
    shutil.copytree(tree.repo, other.repo)
    build(tree, "0.1.0")
    time.sleep(1.1)  # a different wall-clock second must not change a byte
    build(other, "0.1.0")
    a, b = snapshot(tree.releases / "0.1.0"), snapshot(other.releases / "0.1.0")
    assert a.keys() == b.keys() and a == b
    assert (tree.dist / "openconflict-events-0.1.0.zip").read_bytes() == \
        (other.dist / "openconflict-events-0.1.0.zip").read_bytes()
    assert (tree.releases / "registry.json").read_bytes() == (other.releases / "registry.json").read_bytes()


def test_existing_version_is_refused_and_untouched(tree: Tree) -> None:
    build(tree, "0.1.0")
    before = snapshot(tree.releases)
    with pytest.raises(BuildError, match="already exists"):
        build(tree, "0.1.0")
    tree.find("SYR1")["fatalities"] = "9"
    tree.write()
    with pytest.raises(BuildError, match="already exists"):
        build(tree, "0.1.0")
    assert snapshot(tree.releases) == before


def test_invalid_input_writes_nothing(tree: Tree) -> None:
    build(tree, "0.1.0")
    before = snapshot(tree.releases)
    tree.find("SYR2")["sub_event_type"] = "Armed clash"  # does not belong to Explosions/Remote violence
    tree.write()
    with pytest.raises(BuildError) as info:
        build(tree, "0.2.0")
    assert info.value.report is not None
    assert [p.rule for p in info.value.report.errors] == ["hierarchy.sub-event-type"]
    assert snapshot(tree.releases) == before
    assert not (tree.dist / "openconflict-events-0.2.0.zip").exists()


def test_version_bumps_must_match_the_change(tree: Tree) -> None:
    build(tree, "0.1.0")
    # A corrected value is a patch.
    tree.find("SYR1")["fatalities"] = "3"
    tree.write()
    result = build(tree, "0.1.1")
    changes = pq.read_table(tree.releases / "0.1.1" / "data" / "changes.parquet").to_pylist()
    # The fixture's reports agree on the new figure, so best and high follow it and a figure is now known.
    assert changes == [{"event_id": "SYR1", "change": "modified", "field": field, "old_value": old, "new_value": new}
                       for field, old, new in (("fatalities", "0", "3"), ("fatalities_best", "0", "3"),
                                               ("fatalities_high", "0", "3"), ("fatalities_known", "false", "true"))]
    assert result.diff.required == "patch"  # type: ignore[attr-defined]
    # An added event needs a minor bump: a patch is refused, a larger bump is allowed.
    tree.add(event_row(4, "2015-10-20"))
    tree.write()
    with pytest.raises(BuildError, match="understates"):
        build(tree, "0.1.2")
    assert "0.1.2" not in release_versions(tree.releases)
    build(tree, "1.0.0")
    # A deleted event needs a tombstone and a minor bump.
    tree.remove("SYR2")
    tree.write()
    with pytest.raises(BuildError, match="without a tombstone"):
        build(tree, "1.1.0")
    tree.deletions.append(("SYR2", "1.1.0", "SYNTHETIC: duplicate of SYR1"))
    tree.write()
    with pytest.raises(BuildError, match="understates"):
        build(tree, "1.0.1")
    build(tree, "1.1.0")
    deleted = pq.read_table(tree.releases / "1.1.0" / "data" / "changes.parquet")
    assert deleted.filter(pc.equal(deleted.column("change"), "deleted")).column("event_id").to_pylist() == ["SYR2"]
    # Reusing a deleted id is an error of the curated data.
    tree.add(event_row(2, "2015-10-21"))
    tree.write()
    with pytest.raises(BuildError, match="validation failed"):
        build(tree, "1.2.0")
    assert release_versions(tree.releases) == ["0.1.0", "0.1.1", "1.0.0", "1.1.0"]
    assert verify_releases(tree.releases) == []


def test_removed_vocabulary_value_needs_a_major_bump(tree: Tree, tmp_path: Path) -> None:
    from openconflict.codebook import write_generated
    from openconflict.schema import load_schema

    build(tree, "0.1.0")
    schema_dir = tmp_path / "schema"
    shutil.copytree(REPO / "schema", schema_dir)
    vocab = schema_dir / "vocabularies" / "event_types.csv"
    vocab.write_text("".join(line for line in vocab.read_text().splitlines(keepends=True)
                             if ",Grenade," not in line))
    write_generated(schema_dir)
    schema = load_schema(schema_dir)
    with pytest.raises(BuildError, match="major"):
        build(tree, "0.2.0", schema=schema)
    build(tree, "1.0.0", schema=schema)


def test_verify_detects_tampering(tree: Tree) -> None:
    build(tree, "0.1.0")
    target = tree.releases / "0.1.0" / "data" / "events.csv"
    target.write_bytes(target.read_bytes().replace(b"SYNTHETIC TEST ROW 1", b"SYNTHETIC TEST ROW 7"))
    problems = verify_releases(tree.releases)
    assert any("events.csv: sha256 differs from SHA256SUMS" in p for p in problems)
    assert any("hash differs from datapackage.json" in p for p in problems)
    assert any(p.startswith("0.1.0/data/events.csv: sha256 ") and "the ledger says" in p for p in problems)
    cli = subprocess.run([sys.executable, "-m", "openconflict", "verify", "--releases", str(tree.releases)],
                         capture_output=True, text=True)
    assert cli.returncode == 1 and "sha256 differs" in cli.stdout and "the ledger says" in cli.stdout


def test_the_release_lists_only_the_reports_its_events_cite(tree: Tree) -> None:
    """A report in sources.csv that no released event cites (say, one cited only by a held-back event) is not
    released; it is once an event cites it."""
    build(tree, "0.1.0")
    first = pq.read_table(tree.releases / "0.1.0" / "data" / "sources.parquet").column("source_id").to_pylist()
    assert first == ["synthetic-20151020-a"]
    tree.add(event_row(4, "2015-10-19", source="synthetic-20151120-b; synthetic-20151020-a"))
    tree.write()
    build(tree, "0.2.0")
    second = pq.read_table(tree.releases / "0.2.0" / "data" / "sources.parquet").column("source_id").to_pylist()
    assert second == ["synthetic-20151020-a", "synthetic-20151120-b"]
