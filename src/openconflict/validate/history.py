"""Tombstones against the published history: a deleted id stays deleted, forever.

Why here: ``deletions.csv`` alone cannot show that a tombstone was removed, or that an id deleted in a
published release came back for a new event once its tombstone was gone. The latest published release's
``data/deletions.parquet`` can: tombstones accumulate, so it lists every id ever deleted. The releases
folder is found next to the datasets root (``<repo>/build/releases``); without a ledger there (a fresh
tree, a test fixture) there is no history and nothing to check.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..curated import Curated
from ..curated.layout import display
from ..errors import OpenConflictError
from ..problems import Problem
from .emit import Checker, single

LEDGER_FILE = "registry.json"


def releases_dir(root: Path) -> Path:
    return root.resolve().parent / "build" / "releases"


def published_tombstones(root: Path) -> tuple[str, Any] | None:
    """(version, Arrow array of deleted ids) of the latest published release, or None without a ledger.

    Raises :class:`OpenConflictError` (or OSError / Arrow errors) when a ledger exists but the history
    cannot be read.
    """
    folder = releases_dir(root)
    if not (folder / LEDGER_FILE).is_file():
        return None
    import pyarrow.parquet as pq

    ledger = _ledger(folder / LEDGER_FILE)
    if not ledger.entries:
        return None
    version = ledger.latest.version
    table = pq.read_table(folder / version / "data" / "deletions.parquet", columns=["event_id"])
    return version, table.column("event_id")


def _ledger(path: Path) -> Any:
    """The ledger; a format-1 registry (written before the ledger existed) is read through migrate_v1."""
    import json

    from ..errors import LedgerError
    from ..ledger import migrate_v1, parse_ledger, read_ledger

    try:
        return read_ledger(path)
    except LedgerError:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise LedgerError(f"cannot read the ledger at {path}") from None
        if not isinstance(data, dict) or data.get("format") != 1:
            raise
        return parse_ledger(migrate_v1(data), str(path))


def check_history(curated: Curated, events: Checker) -> list[Problem]:
    """Problems with tombstones of published releases; events reusing a deleted id go to ``events``."""
    import pyarrow.compute as pc

    try:
        found = published_tombstones(curated.root)
    except (OpenConflictError, OSError, ValueError, KeyError) as exc:
        return [single(display(releases_dir(curated.root), curated.root.resolve()), 0, "", "warn.history-unchecked",
                       f"cannot read the published releases: {exc}")]
    if found is None:
        return []
    version, published = found
    deletions = curated.tables["deletions"]
    problems: list[Problem] = []
    current = deletions.table.column("event_id")
    removed = pc.filter(published, pc.invert(pc.is_in(published, value_set=current)))
    shown = deletions.files[0] if deletions.files else str(curated.root / "deletions.csv")
    if deletions.usable:
        for eid in removed.to_pylist():
            problems.append(single(shown, 0, "event_id", "id.tombstone-removed",
                                   f"deleted in release {version} (or earlier) but no longer listed here; "
                                   "restore its row", eid or ""))
    eid = events.col("event_id")
    if len(removed):
        events.emit(pc.is_in(eid, value_set=removed), "event_id", "id.deleted-reused",
                    f"release {version} lists this id as deleted; a deleted id is never reused, even after "
                    "its tombstone was removed")
    return problems
