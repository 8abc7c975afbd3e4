"""The coder-agreement table: copied from curation/agreement/summary.csv into every release, typed, declared,
shown by the report; a malformed file refuses the build and publishes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from release_fixtures import Tree

from openconflict.release import BuildError, build_release, release_versions
from openconflict.reporting import render_report

HEADER = "sample,measure,agreements,samples,value\n"
GOOD = HEADER + ("h9,event_date (same day),17,18,0.9444\n"
                 "h9,\"sub_event_type (Krippendorff's alpha, nominal)\",12,18,0.595\n"
                 "all,\"actor1, quoted\",13,18,0.7222\n")


def build(tree: Tree, version: str) -> object:
    return build_release(tree.root, version, date="2026-01-15", releases_dir=tree.releases, dist_dir=tree.dist)


def summary(tree: Tree, text: str | bytes) -> Path:
    path = tree.repo / "curation" / "agreement" / "summary.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def test_the_table_is_released_typed_declared_and_shown(tree: Tree, tmp_path: Path) -> None:
    summary(tree, GOOD)
    build(tree, "0.1.0")
    folder = tree.releases / "0.1.0"
    table = pq.read_table(folder / "data" / "agreement.parquet")
    assert table.to_pylist() == [
        {"sample": "h9", "measure": "event_date (same day)", "agreements": 17, "samples": 18, "value": 0.9444},
        {"sample": "h9", "measure": "sub_event_type (Krippendorff's alpha, nominal)", "agreements": 12,
         "samples": 18, "value": 0.595},
        {"sample": "all", "measure": "actor1, quoted", "agreements": 13, "samples": 18, "value": 0.7222}]
    names = [r["name"] for r in json.loads((folder / "datapackage.json").read_text())["resources"]]
    assert "agreement" in names and "agreement-parquet" in names
    assert "data/agreement.csv" in (folder / "SHA256SUMS").read_text()
    from frictionless import Package  # the real tool, on every resource (the Parquet files included)

    report = Package(str(folder / "datapackage.json")).validate()
    assert report.valid, report.flatten(["type", "message"])[:5]
    html = render_report(folder, tmp_path / "out").read_text(encoding="utf-8")
    assert "Coder agreement" in html and "94.4 %" in html and "0.595" in html and "actor1, quoted" in html


def test_without_a_summary_the_table_is_empty_and_the_report_says_so(tree: Tree, tmp_path: Path) -> None:
    build(tree, "0.1.0")
    folder = tree.releases / "0.1.0"
    assert pq.read_table(folder / "data" / "agreement.parquet").num_rows == 0
    html = render_report(folder, tmp_path / "out").read_text(encoding="utf-8")
    assert 'id="agreement-none"' in html and "no blind second coding was completed" in html


@pytest.mark.parametrize(("text", "message"), [
    (HEADER.replace("value", "share") + "h9,x,1,2,0.5\n", "header must be exactly"),
    (HEADER + "h9,x,1,2,1.5\n", ":2: value 1.5 is out of range"),
    (HEADER + "h9,x,1,2,nan\n", ":2: 'nan' is not a finite number"),
    (HEADER + "h9,x,one,2,0.5\n", ":2: 'one' is not a whole number"),
    (HEADER + "h9,x,-1,2,0.5\n", ":2: '-1' is not a whole number"),
    (HEADER + "h9,x,1,0,0.5\n", ":2: samples 0 is out of range"),
    (HEADER + "h9,x,1,2\n", ":2: 4 cells where the header has 5"),
    (HEADER + ",x,1,2,0.5\n", ":2: sample is required"),
    (HEADER + "h9,x,,2,0.5\n", ":2: agreements is required"),
    (HEADER + "h9,x,1,2,0.5\nh9,x,2,2,1\n", ":3: sample 'h9' lists measure 'x' twice"),
    (b"sample,measure,agreements,samples,value\nh9,\xff,1,2,0.5\n", "cannot read"),
])
def test_a_malformed_summary_refuses_the_build_and_publishes_nothing(tree: Tree, text: str | bytes,
                                                                     message: str) -> None:
    path = summary(tree, text)
    with pytest.raises(BuildError) as info:
        build(tree, "0.1.0")
    assert message in str(info.value) and str(path) in str(info.value)
    assert release_versions(tree.releases) == []
    assert not (tree.dist / "openconflict-events-0.1.0.zip").exists()
