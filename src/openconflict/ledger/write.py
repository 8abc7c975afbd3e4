"""Writing the ledger: appending a release, extending a mirror's ledger, and the one-off format-1 migration.

Only the release step (under the build lock) and the mirror publisher call these; nothing else writes
``registry.json``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from openconflict.errors import LedgerError
from openconflict.files import atomic_write
from openconflict.ledger.check import check_extends
from openconflict.ledger.model import (
    LEDGER_FILE,
    Entry,
    FileEntry,
    Ledger,
    dumps,
    empty,
    parse_ledger,
    read_ledger,
)
from openconflict.versions import Version


def append_release(releases_dir: str | os.PathLike[str], version: str, date: str, events: int,
                   files: Mapping[str, FileEntry]) -> Ledger:
    """Append one release to ``<releases_dir>/registry.json`` atomically and return the new ledger.

    The caller must hold the build lock and must already have checked the published releases against the
    ledger; this function re-reads the ledger, chains the entry to its head and refuses a version that is
    not above the latest.
    """
    path = Path(releases_dir) / LEDGER_FILE
    current = read_ledger(path) if path.exists() else empty(str(path))
    if current.entries and Version.parse(version) <= Version.parse(current.latest.version):
        raise LedgerError(f"cannot append {version}: the latest published release is {current.latest.version}")
    entry = Entry(version, date, events, dict(sorted(files.items())), current.head)
    new = Ledger((*current.entries, entry), str(path))
    parse_ledger(new.to_json(), str(path))  # the appended ledger must read back as valid
    atomic_write(path, dumps(new))
    return new


def write_extension(folder: str | os.PathLike[str], candidate: Ledger) -> Ledger:
    """Write ``candidate`` as ``<folder>/registry.json`` (a mirror's) atomically, only if it extends the one there."""
    path = Path(folder) / LEDGER_FILE
    checked = parse_ledger(candidate.to_json(), str(path))
    if path.exists() or path.is_symlink():
        check_extends(read_ledger(path), checked)
    atomic_write(path, dumps(checked))
    return checked


def migrate_v1(data: Mapping[str, Any]) -> dict[str, Any]:
    """Convert a format-1 registry (version-sorted, recomputed from disk) into a format-2 ledger.

    Format 1 had no publication order; for the releases it held (0.1.0, 1.0.0, 1.0.1) version order is the
    order in which they were published, as their dates and the git history show. Per-release total bytes are
    dropped (they are derivable); everything else is kept exactly, and the entries are chained.
    """
    if data.get("format") != 1:
        raise LedgerError(f"migrate_v1 expects a format-1 registry, got format {data.get('format')!r}")
    entries: list[Entry] = []
    items = sorted(data.get("releases", []), key=lambda r: Version.parse(r["version"]))
    for item in items:
        files = {p: FileEntry(p, int(f["bytes"]), str(f["sha256"])) for p, f in item["files"].items()}
        entries.append(Entry(item["version"], item["date"], int(item["events"]), dict(sorted(files.items())),
                             entries[-1].digest if entries else None))
    ledger = Ledger(tuple(entries), "<migrated>")
    return parse_ledger(ledger.to_json(), "<migrated>").to_json()
