"""The committed ledger is exactly the one-time migration of the format-1 registry, and describes the disk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from openconflict.errors import LedgerError
from openconflict.ledger import Ledger, check_published, dumps, migrate_v1, parse_ledger, read_ledger

REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "build" / "releases" / "registry.json"
V1 = Path(__file__).resolve().parent / "data" / "registry-v1.json"


def test_migration_of_the_v1_copy_is_the_committed_ledger_byte_for_byte() -> None:
    """The migrated registry is exactly the start of the committed ledger (later releases append to it)."""
    migrated = parse_ledger(migrate_v1(json.loads(V1.read_text(encoding="utf-8"))), "<migrated>")
    committed = read_ledger(COMMITTED)
    assert committed.entries[:len(migrated.entries)] == migrated.entries
    prefix = Ledger(committed.entries[:len(migrated.entries)], "<prefix>")
    assert dumps(migrated).encode("utf-8") == dumps(prefix).encode("utf-8")
    assert committed.entries[len(migrated.entries)].previous == migrated.head  # the chain goes on from it


def test_migration_keeps_every_file_hash_and_size() -> None:
    v1 = json.loads(V1.read_text(encoding="utf-8"))
    ledger = read_ledger(COMMITTED)
    assert ledger.versions[:3] == [r["version"] for r in v1["releases"]] == ["0.1.0", "1.0.0", "1.0.1"]
    for old, new in zip(v1["releases"], ledger.entries[:3], strict=True):
        assert (old["date"], old["events"]) == (new.date, new.events)
        assert {p: (f["bytes"], f["sha256"]) for p, f in old["files"].items()} == \
            {p: (f.bytes, f.sha256) for p, f in new.files.items()}
        assert old["bytes"] == new.size
    assert ledger.entries[0].previous is None
    assert [e.previous for e in ledger.entries[1:]] == [e.digest for e in ledger.entries[:-1]]


def test_committed_releases_match_the_committed_ledger() -> None:
    assert check_published(REPO / "build" / "releases") == []


def test_migration_refuses_other_formats() -> None:
    with pytest.raises(LedgerError, match="format-1"):
        migrate_v1(json.loads(COMMITTED.read_text(encoding="utf-8")))


def test_reading_a_v1_registry_points_at_the_migration(tmp_path: Path) -> None:
    path = tmp_path / "registry.json"
    path.write_bytes(V1.read_bytes())
    with pytest.raises(LedgerError, match="migrate_v1"):
        read_ledger(path)
