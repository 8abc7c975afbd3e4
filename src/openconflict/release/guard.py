"""The one build lock, and what every release-writing command does first while holding it.

Why one gate: a check made before the lock is taken is a check of a world that may change before the
write (issue 9, reproduction 4). So every command that writes a release or an archive enters
:func:`build_lock`, which in this order:

1. takes the build lock ``<releases>/.build.lock`` (bounded wait, naming the holder);
2. removes what killed builds left behind (temporary release folders and ledger or note temp files);
3. reads the ledger (a missing ledger is an empty history);
4. finishes or refuses a release left *pending* by a build killed between renaming its folder into place
   and appending its ledger entry (see below);
5. checks every published release (or the named ones) against the ledger and refuses with the exact file,
   expected and actual size and sha256 on any difference, missing or extra file, stray version folder or
   broken chain. This is the only full check of a build. A file is read only when its on-disk state
   (device, inode, size, mtime, ctime) differs from the one recorded when it last matched the ledger
   (:mod:`openconflict.ledger.stamps`), so a build does not re-read unchanged earlier releases, while any
   edit, even one that restores size and mtime, or a file replaced or swapped, is hashed and refused.

The pending note (write-ahead): just before the rename, the publish step writes ``.pending-release.json``
holding the ledger entry it is about to append and the ledger head it extends. If the process dies after
the rename and before the append, the next command under the lock finds the note: when the folder still
matches the note file for file and the ledger head has not moved, the entry is appended (roll forward: the
folder was complete and checked before the rename); when no folder was renamed, the note is dropped; in
any other case the command refuses and says what to inspect. Rolling back instead would mean deleting a
folder from ``build/releases/``, which nothing in this package ever does.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openconflict import config
from openconflict.errors import BuildError, LedgerError
from openconflict.files import atomic_write, locked
from openconflict.ledger import (
    LEDGER_FILE,
    STAMPS_DIR,
    Entry,
    FileEntry,
    Ledger,
    Stamps,
    append_release,
    check_folder,
    check_published,
    empty,
    read_ledger,
)

__all__ = ["LOCK_FILE", "PENDING_FILE", "TMP_PREFIX", "LockedState", "build_lock", "clean_leftovers",
           "clear_pending", "fsync_tree", "read_releases_ledger", "write_pending"]

LOCK_FILE = ".build.lock"
PENDING_FILE = ".pending-release.json"
TMP_PREFIX = ".tmp-"


@dataclass(frozen=True)
class LockedState:
    """What a command may rely on inside :func:`build_lock`: the checked ledger, and any recovery done."""

    releases_dir: Path
    ledger: Ledger
    recovered: str | None
    #: What the check of the published releases cost: ``stamps.hashed`` were read, ``stamps.trusted`` were not.
    stamps: Stamps | None = None


def clean_leftovers(folder: Path) -> None:
    """Remove temporary folders and files of killed writers; call only while holding the folder's lock."""
    if not folder.is_dir():
        return
    for p in folder.glob(f"{TMP_PREFIX}*"):
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
    for pattern in (f".{LEDGER_FILE}.*.tmp", f".{PENDING_FILE}.*.tmp"):
        for p in folder.glob(pattern):
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
    stamps = folder / STAMPS_DIR
    if stamps.is_dir() and not stamps.is_symlink():  # never reach through a link
        for p in stamps.glob(".*.tmp"):
            with contextlib.suppress(FileNotFoundError):
                p.unlink()


def read_releases_ledger(releases_dir: Path) -> Ledger:
    """The ledger of a releases folder; no ledger file means no release was ever published there."""
    path = releases_dir / LEDGER_FILE
    if not path.exists() and not path.is_symlink():
        return empty(str(path))
    try:
        return read_ledger(path)
    except LedgerError as exc:
        raise BuildError(f"the release ledger cannot be used: {exc}") from None


def write_pending(releases_dir: Path, entry: Entry) -> None:
    """Record the entry about to be appended (and the head it extends) before the release folder appears."""
    note = {"ledger_head": entry.previous, "entry": entry.to_json()}
    atomic_write(releases_dir / PENDING_FILE, json.dumps(note, indent=1, sort_keys=True) + "\n")


def clear_pending(releases_dir: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        (releases_dir / PENDING_FILE).unlink()


def _read_note(path: Path) -> Entry:
    try:
        note: Any = json.loads(path.read_text(encoding="utf-8"))
        raw: Mapping[str, Any] = note["entry"]
        files = {p: FileEntry(p, int(f["bytes"]), str(f["sha256"])) for p, f in raw["files"].items()}
        return Entry(str(raw["version"]), str(raw["date"]), int(raw["events"]), files, note["ledger_head"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BuildError(f"{path} (left by an interrupted build) cannot be read ({exc}); if the release it "
                         "names is not in the ledger, move its folder away, then delete the note") from None


def _recover(releases_dir: Path, ledger: Ledger) -> tuple[Ledger, str | None]:
    path = releases_dir / PENDING_FILE
    if not path.exists():
        return ledger, None
    entry = _read_note(path)
    folder = releases_dir / entry.version
    if entry.version in ledger:
        if ledger.get(entry.version).digest == entry.digest:
            clear_pending(releases_dir)  # the append happened; only the note's removal was lost
            return ledger, None
        raise BuildError(f"{path} names release {entry.version}, but the ledger records a different "
                         f"{entry.version}; the note is stale or forged: inspect it and delete it")
    if not folder.exists() and not folder.is_symlink():
        clear_pending(releases_dir)  # killed before the rename: nothing was published
        return ledger, None
    if ledger.head != entry.previous:
        raise BuildError(f"{folder} was renamed into place by a build that was killed before recording it, and "
                         "the ledger has changed since; it was never published: move the folder away, delete "
                         f"{path}, and build again")
    problems = check_folder(folder, entry)
    if problems:
        raise BuildError(f"{folder} was renamed into place by a build that was killed before recording it in "
                         "the ledger, and it no longer matches what that build wrote (" + "; ".join(problems)
                         + f"); it was never published: move the folder away, delete {path}, and build again")
    try:
        ledger = append_release(releases_dir, entry.version, entry.date, entry.events, entry.files)
    except LedgerError as exc:
        raise BuildError(f"could not record the interrupted release {entry.version}: {exc}") from None
    clear_pending(releases_dir)
    return ledger, (f"recorded release {entry.version} in the ledger: a build was killed after renaming it into "
                    "place and before recording it (its files match what that build wrote)")


@contextlib.contextmanager
def build_lock(releases_dir: Path, *, lock_wait: float | None = None, versions: Iterable[str] | None = None,
               create: bool = True, stamp: bool = True) -> Iterator[LockedState]:
    """Hold the build lock of ``releases_dir`` with its published releases checked (see the module doc).

    ``versions`` limits the file check to those releases (the chain is always checked); the default checks
    every release and looks for stray version folders. Without ``create`` a missing folder is an error.
    Without ``stamp`` (dry runs, which write nothing) stamps are trusted but not written.
    """
    releases_dir = Path(releases_dir)
    wait = config.lock_wait() if lock_wait is None else lock_wait
    if not create and not releases_dir.is_dir():
        raise BuildError(f"no releases folder at {releases_dir}")
    try:
        releases_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BuildError(f"cannot use the releases folder {releases_dir}: {exc}") from None
    with locked(releases_dir / LOCK_FILE, wait=wait, what=f"the releases folder {releases_dir}"):
        clean_leftovers(releases_dir)
        ledger = read_releases_ledger(releases_dir)
        ledger, recovered = _recover(releases_dir, ledger)
        wanted = None if versions is None else [v for v in versions if v in ledger]
        stamps = Stamps(releases_dir, write=stamp)
        problems = check_published(releases_dir, ledger, wanted, stamps)
        if problems:
            raise BuildError(
                f"the published releases in {releases_dir} do not match the ledger {ledger.origin}, so nothing "
                "was written:\n  " + "\n  ".join(problems) + "\nA published release is never changed: restore "
                "its files (e.g. `git checkout -- build/releases`) and remove anything added to it."
            )
        yield LockedState(releases_dir, ledger, recovered, stamps)


def fsync_tree(folder: Path) -> None:
    """Flush every file of a folder to disk before it is renamed into place."""
    for p in folder.rglob("*"):
        if p.is_file():
            with p.open("rb") as fh:
                os.fsync(fh.fileno())
