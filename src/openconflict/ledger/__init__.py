"""The release ledger (``registry.json``): the append-only record of every published release.

Why a ledger: a cited version must be exactly what a researcher gets, forever. The ledger lists each
release once, in publication order, with every file's size and sha256, and each entry carries the sha256 of
the entry before it, so the whole history is a hash chain whose head (the digest of the last entry)
identifies it. Nothing recomputes it from the disk: the release step appends one entry after the release
folder is in place, every release-writing command checks the published folders against it, and a loader
accepts a mirror's ledger only when it extends the one it already trusts entry for entry.

This module owns the format (read, append, check, extend); nothing else writes ``registry.json``, test
fixtures included. Standard library only, so ``import openconflict`` stays fast.

Layout::

    {"format": 2, "package": "openconflict-events", "releases": [
        {"version": "0.1.0", "date": "2026-11-24", "events": 2,
         "files": {"data/events.csv": {"bytes": 1691, "sha256": "b906..."}, ...}},
        {"version": "1.0.0", ..., "previous": "<sha256 of the canonical JSON of the 0.1.0 entry>"}]}

The canonical JSON of an entry is ``json.dumps(entry, sort_keys=True, separators=(",", ":"),
ensure_ascii=False)`` encoded as UTF-8.
"""

from __future__ import annotations

from openconflict.ledger.check import check_extends, check_folder, check_published, folder_files
from openconflict.ledger.model import (
    FORMAT,
    LEDGER_FILE,
    PACKAGE,
    Entry,
    FileEntry,
    Ledger,
    canonical,
    dumps,
    empty,
    parse_ledger,
    read_ledger,
)
from openconflict.ledger.stamps import STAMPS_DIR, Stamps
from openconflict.ledger.write import append_release, migrate_v1, write_extension

__all__ = [
    "FORMAT",
    "LEDGER_FILE",
    "PACKAGE",
    "STAMPS_DIR",
    "Entry",
    "FileEntry",
    "Ledger",
    "Stamps",
    "append_release",
    "canonical",
    "check_extends",
    "check_folder",
    "check_published",
    "dumps",
    "empty",
    "folder_files",
    "migrate_v1",
    "parse_ledger",
    "read_ledger",
    "write_extension",
]
