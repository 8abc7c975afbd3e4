"""The registry: version order, lookup, and refusing anything it cannot vouch for."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from loader_fixtures import VERSIONS, Releases, subprocess_env

from openconflict.registry import (
    RegistryError,
    Version,
    VersionNotFoundError,
    load_registry,
    parse_registry,
    releases_dir,
)


def test_semver_order_is_numeric_and_prereleases_sort_first() -> None:
    texts = ["1.0.0", "0.10.0", "0.9.1", "1.0.0-rc.1", "1.0.0-alpha", "0.9.0", "1.0.0-rc.2", "1.0.0-alpha.beta"]
    ordered = [str(v) for v in sorted(Version.parse(t) for t in texts)]
    assert ordered == ["0.9.0", "0.9.1", "0.10.0", "1.0.0-alpha", "1.0.0-alpha.beta", "1.0.0-rc.1",
                       "1.0.0-rc.2", "1.0.0"]


@given(st.tuples(st.integers(0, 300), st.integers(0, 300), st.integers(0, 300)),
       st.tuples(st.integers(0, 300), st.integers(0, 300), st.integers(0, 300)))
def test_semver_order_matches_tuple_order(a: tuple[int, int, int], b: tuple[int, int, int]) -> None:
    va, vb = Version.parse(".".join(map(str, a))), Version.parse(".".join(map(str, b)))
    assert (va < vb) == (a < b)
    assert (va == vb) == (a == b)


@pytest.mark.parametrize("bad", ["1.0", "v1.0.0", "01.0.0", "1.0.0.0", "latest", ""])
def test_bad_versions_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError):
        Version.parse(bad)


def test_registry_sorted_and_latest(releases: Releases) -> None:
    reg = load_registry(releases.root)
    assert reg.version_names == list(VERSIONS)
    assert reg.latest.version == VERSIONS[-1]
    assert reg.get(None).version == VERSIONS[-1]
    assert reg.get("v0.2.0").version == "0.2.0"
    assert reg.previous("0.2.0").version == "0.1.0"
    assert reg.previous("0.1.0") is None
    assert reg.latest.events == len(releases.rows[VERSIONS[-1]])


def test_registry_is_sorted_by_semver_not_by_text(tmp_path: Path) -> None:
    entry = {"date": "2026-01-01", "events": 0, "files": {}}
    data = {"format": 1, "releases": [{"version": v, **entry} for v in ("0.10.0", "0.9.0", "0.2.0")]}
    reg = parse_registry(data, tmp_path)
    assert reg.version_names == ["0.2.0", "0.9.0", "0.10.0"]
    assert reg.latest.version == "0.10.0"


def test_unknown_version_lists_known_ones(releases: Releases) -> None:
    reg = load_registry(releases.root)
    with pytest.raises(VersionNotFoundError) as info:
        reg.get("9.9.9")
    message = str(info.value)
    assert "9.9.9" in message and "0.1.0, 0.2.0, 0.3.0" in message and "pip install -U" in message


@pytest.mark.parametrize("path", ["../evil", "/etc/passwd", "data/../../x", "data\\x"])
def test_unsafe_paths_in_registry_are_refused(tmp_path: Path, path: str) -> None:
    data = {"format": 1, "releases": [{"version": "0.1.0", "date": "", "events": 0,
                                       "files": {path: {"bytes": 1, "sha256": "00"}}}]}
    with pytest.raises(RegistryError, match="unsafe"):
        parse_registry(data, tmp_path)


def test_unknown_registry_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="format"):
        parse_registry({"format": 2, "releases": []}, tmp_path)


def test_openconflict_releases_must_point_at_a_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENCONFLICT_RELEASES", str(tmp_path))
    with pytest.raises(RegistryError, match="OPENCONFLICT_RELEASES"):
        releases_dir()


def test_registry_reloads_when_the_file_changes(releases: Releases, tmp_path: Path) -> None:
    root = releases.bundle(tmp_path / "r")
    assert load_registry(root).version_names == list(VERSIONS)
    data = json.loads((root / "registry.json").read_text())
    data["releases"] = data["releases"][:1]
    (root / "registry.json").write_text(json.dumps(data))
    assert load_registry(root).version_names == ["0.1.0"]


def test_import_does_not_load_pandas_or_pyarrow() -> None:
    """`import openconflict` (and the loader modules) must stay light: no pandas, no pyarrow."""
    code = (
        "import sys, openconflict, openconflict.loader, openconflict.registry, openconflict.cache\n"
        "heavy = [m for m in ('pandas', 'pyarrow', 'polars', 'duckdb', 'dask', 'platformdirs') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "assert callable(openconflict.load_events)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], env=subprocess_env(), capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
