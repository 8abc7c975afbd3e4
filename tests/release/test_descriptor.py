"""The release descriptor conforms to the standard: the real frictionless tool and the DP v2 profile."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from release_fixtures import REPO, Tree

from openconflict.release import build_release, release_versions

COMMITTED = REPO / "build" / "releases"


def frictionless_validate(descriptor: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "frictionless", "validate", "--json", str(descriptor)],
                          capture_output=True, text=True, cwd=descriptor.parent)


def dp2_validator() -> jsonschema.protocols.Validator:
    profile = json.loads(resources.files("dplib").joinpath("profiles/2.0/datapackage.json").read_text("utf-8"))
    cls = jsonschema.validators.validator_for(profile)
    return cls(profile, format_checker=cls.FORMAT_CHECKER)


@pytest.mark.parametrize("version", release_versions(COMMITTED) or ["(none)"])
def test_committed_release_passes_frictionless_and_profile(version: str) -> None:
    if version == "(none)":
        pytest.fail("no committed release under build/releases")
    descriptor = COMMITTED / version / "datapackage.json"
    proc = frictionless_validate(descriptor)
    report = json.loads(proc.stdout)
    assert proc.returncode == 0 and report["valid"], proc.stdout[:2000]
    errors = list(dp2_validator().iter_errors(json.loads(descriptor.read_text())))
    assert errors == [], [e.message for e in errors[:5]]


def test_built_descriptor_metadata(tree: Tree) -> None:
    build_release(tree.root, "0.1.0", date="2026-01-15", releases_dir=tree.releases, dist_dir=None)
    desc = json.loads((tree.releases / "0.1.0" / "datapackage.json").read_text())
    assert desc["$schema"] == "https://datapackage.org/profiles/2.0/datapackage.json"
    assert desc["name"] == "openconflict-events" and desc["version"] == "0.1.0"
    assert desc["created"] == "2026-01-15T00:00:00Z"
    assert desc["licenses"][0]["name"] == "CC-BY-4.0"
    titles = " ".join(s["title"] for s in desc["sources"])
    assert "SYNTHETIC Wire" in titles and "UCDP" in titles
    events = next(r for r in desc["resources"] if r["name"] == "events")
    assert events["hash"].startswith("sha256:") and events["bytes"] > 0
    assert events["schema"]["primaryKey"] == ["event_id_cnty"]
    assert events["schema"]["foreignKeys"][0]["reference"]["resource"] == "locations"
    assert [f["name"] for f in events["schema"]["fields"]][:2] == ["event_id_cnty", "event_date"]
    assert frictionless_validate(tree.releases / "0.1.0" / "datapackage.json").returncode == 0
    assert list(dp2_validator().iter_errors(desc)) == []


def test_frictionless_catches_a_corrupted_csv(tree: Tree) -> None:
    """The reference checker really checks: a changed byte breaks the declared hash."""
    build_release(tree.root, "0.1.0", date="2026-01-15", releases_dir=tree.releases, dist_dir=None)
    csv_path = tree.releases / "0.1.0" / "data" / "actors.csv"
    csv_path.write_text(csv_path.read_text().replace("SYNTHETIC test actor", "SYNTHETIC TEST ACTOR"))
    proc = frictionless_validate(tree.releases / "0.1.0" / "datapackage.json")
    assert proc.returncode != 0
    assert "hash-count" in proc.stdout
