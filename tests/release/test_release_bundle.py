"""The wheel hook reads the ledger (format 2): the ledger always ships, releases while they are small."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest
from release_fixtures import COMMITTED_RELEASES, REPO


def hook() -> ModuleType:
    spec = importlib.util.spec_from_file_location("hatch_build_under_test", REPO / "hatch_build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_choose_bundled_reads_the_committed_ledger() -> None:
    h = hook()
    entries = h.read_ledger_entries(COMMITTED_RELEASES / "registry.json")
    sizes = [h.release_size(e) for e in entries]
    versions = [e["version"] for e in entries]
    assert versions[:4] == ["0.1.0", "1.0.0", "1.0.1", "2.0.0"]
    assert [e["version"] for e in h.choose_bundled(entries)] == versions  # all of them fit under 20 MB
    # Newest first while the total stays under the limit; the latest always.
    assert [e["version"] for e in h.choose_bundled(entries, sizes[-1] + sizes[-2])] == versions[-2:]
    assert [e["version"] for e in h.choose_bundled(entries, sizes[-1] + sizes[-2] - 1)] == versions[-1:]
    assert [e["version"] for e in h.choose_bundled(entries, 1)] == versions[-1:]
    assert h.choose_bundled([], 1) == []


def test_a_format_1_registry_stops_the_wheel_build(tmp_path: Path) -> None:
    path = tmp_path / "registry.json"
    path.write_text(json.dumps({"format": 1, "releases": []}))
    with pytest.raises(ValueError, match="format 2"):
        hook().read_ledger_entries(path)
