"""The release rules, decided by the pure plan: versions, bumps, unchanged releases, registry corrections."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from release_fixtures import Tree, event_row, snapshot

from openconflict.curated import read_curated
from openconflict.errors import BuildError
from openconflict.ledger import empty
from openconflict.release import build_release, plan_release
from openconflict.schema import load_schema


def build(tree: Tree, version: str, **kw: object) -> object:
    return build_release(tree.root, version, date="2026-01-15", releases_dir=tree.releases, dist_dir=tree.dist,
                         **kw)


def test_plan_is_pure_and_checks_every_rule_before_any_write(tree: Tree) -> None:
    schema = load_schema()
    before = snapshot(tree.repo)
    plan = plan_release(read_curated(tree.root, schema), schema, "0.1.0", date=dt.date(2026, 1, 15),
                        today=dt.date(2026, 1, 15), ledger=empty(), latest=None)
    assert plan.previous is None and plan.events.num_rows == 3 and plan.diff.added == 3
    assert "Against no earlier release: 3 event(s) added" in plan.changelog
    assert 'version: "0.1.0"' in plan.citation
    assert snapshot(tree.repo) == before
    with pytest.raises(BuildError, match="in the future"):
        plan_release(read_curated(tree.root, schema), schema, "0.1.0", date=dt.date(2026, 1, 16),
                     today=dt.date(2026, 1, 15), ledger=empty(), latest=None)


@pytest.mark.parametrize("version", ["1.0.1\n", " 1.0.1", "01.0.0", "\u0661.0.0", "1.0", "1.0.0-rc1", "v1.0.0", ""])
def test_malformed_versions_are_refused(tree: Tree, version: str) -> None:
    with pytest.raises(BuildError, match="not a release version"):
        build(tree, version)
    assert not tree.releases.exists() or [p.name for p in tree.releases.iterdir()] == [".build.lock"]


def test_an_unchanged_release_is_refused_and_a_registry_correction_is_a_patch(tree: Tree) -> None:
    build(tree, "0.1.0")
    with pytest.raises(BuildError, match="nothing changed since release 0.1.0"):
        build(tree, "0.2.0")
    dry = build(tree, "0.2.0", dry_run=True)
    assert dry.unchanged and "nothing changed" in dry.unchanged  # type: ignore[attr-defined]
    # A corrected actor description changes no event, but it is a change worth a patch release.
    import release_fixtures

    original = list(release_fixtures.ACTORS)
    try:
        release_fixtures.ACTORS[0] = (*original[0][:3], "SYNTHETIC test actor (state forces), corrected.")
        tree.write()
        result = build(tree, "0.1.1")
    finally:
        release_fixtures.ACTORS[:] = original
    assert result.diff.registry_changes == ["actors"] and result.diff.required == "patch"  # type: ignore[attr-defined]
    assert "Registry table changed: actors" in (tree.releases / "0.1.1" / "CHANGELOG.md").read_text()


def test_a_larger_bump_than_needed_is_allowed_and_order_comes_from_the_ledger(tree: Tree, tmp_path: Path) -> None:
    build(tree, "0.1.0")
    tree.find("SYR1")["fatalities"] = "2"
    tree.write()
    build(tree, "2.0.0")  # a patch-sized change published as a major: allowed
    tree.find("SYR1")["fatalities"] = "3"
    tree.write()
    # 0.10.0 > 0.9.0 numerically, and both are below the latest published 2.0.0.
    for version in ("0.9.0", "0.10.0", "1.99.99"):
        with pytest.raises(BuildError, match="not above the latest published release 2.0.0"):
            build(tree, version)
    build(tree, "2.0.1")
    tree.add(event_row(4, "2015-10-16"))
    tree.write()
    with pytest.raises(BuildError, match="understates the change since 2.0.1: it is a patch bump"):
        build(tree, "2.0.2")


def test_a_changelog_that_is_not_utf8_is_refused_clearly(tree: Tree) -> None:
    (tree.repo / "CHANGELOG.md").write_bytes(b"## [0.1.0]\n\xff\xfe broken\n")
    with pytest.raises(BuildError, match="cannot read .*CHANGELOG.md as UTF-8"):
        build(tree, "0.1.0")
    assert not (tree.releases / "0.1.0").exists()
    (tree.repo / "CHANGELOG.md").write_text("## [0.1.0]\n\nFirst SYNTHETIC release.\n", encoding="utf-8")
    build(tree, "0.1.0")
    assert "First SYNTHETIC release." in (tree.releases / "0.1.0" / "CHANGELOG.md").read_text()


@pytest.mark.parametrize("valid", [True, False])
def test_validation_decides_when_the_derivation_runs_beside_it(tree: Tree, valid: bool,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Derivation runs while validation runs (issue 12). On invalid tables the curator sees the validation
    errors, never what the derivation made of them; on valid ones a derivation failure is not swallowed."""
    from openconflict.release import derive

    def broken(*args: object) -> object:
        raise ValueError("injected derivation failure")

    monkeypatch.setattr(derive, "derive_events", broken)
    if not valid:
        tree.find("SYR1")["location_id"] = "SYR-nowhere"  # ref.location: not in the locations registry
        tree.write()
    schema = load_schema()
    expected = (ValueError, "injected derivation failure") if valid else (BuildError, "validation failed")
    with pytest.raises(expected[0], match=expected[1]):
        plan_release(read_curated(tree.root, schema), schema, "0.1.0", date=dt.date(2026, 1, 15),
                     today=dt.date(2026, 1, 15), ledger=empty(), latest=None)
