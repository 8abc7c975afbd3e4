"""Tombstones against the published history (issue 9, reproduction 5): a removed tombstone, a deleted
id reused after its tombstone was removed, and an unreadable history are all reported. The release is
written by the real release writer next to the tree (``<repo>/build/releases``), as in a checkout."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_validate_corpus import ACT11, DEL_REL, E, _found, _run
from validate_fixtures import DELETIONS, EV11, cell, write_bytes

from openconflict.release import build_release


@pytest.fixture
def published(tree: Path) -> Path:
    """The clean tree, published once as 0.1.0 (tombstone SYR7) under tree/../build/releases."""
    releases = tree.parent / "build" / "releases"
    build_release(tree, "0.1.0", date="2024-06-01", releases_dir=releases, dist_dir=None)
    assert (releases / "registry.json").is_file()
    return tree


def test_clean_after_publishing(published: Path) -> None:
    assert _found(_run(published)) == set()


def test_removed_tombstone(published: Path) -> None:
    header = (published / DEL_REL).read_text(encoding="utf-8").splitlines()[0]
    write_bytes(DEL_REL, (header + "\n").encode())(published)
    report = _run(published)
    assert _found(report) == {E(DELETIONS, 0, "id.tombstone-removed")}
    assert report.problems[0].value == "SYR7"


def test_removed_tombstone_and_reused_id(published: Path) -> None:
    header = (published / DEL_REL).read_text(encoding="utf-8").splitlines()[0]
    write_bytes(DEL_REL, (header + "\n").encode())(published)
    cell(ACT11, 2, "event_id", "SYR7")(published)
    assert _found(_run(published)) == {E(DELETIONS, 0, "id.tombstone-removed"), E(EV11, 2, "id.deleted-reused")}


def test_reused_while_still_listed_is_reported_once(published: Path) -> None:
    cell(ACT11, 2, "event_id", "SYR7")(published)
    assert _found(_run(published)) == {E(EV11, 2, "id.deleted")}


def test_unreadable_history_is_a_warning(published: Path) -> None:
    (published.parent / "build" / "releases" / "registry.json").write_text("{not json", encoding="utf-8")
    assert _found(_run(published)) == {("build/releases", 0, "warn.history-unchecked", "warning")}


def test_no_ledger_no_history(tree: Path) -> None:
    (tree.parent / "build" / "releases").mkdir(parents=True)
    assert _found(_run(tree)) == set()
