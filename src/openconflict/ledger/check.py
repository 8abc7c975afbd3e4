"""Checking the disk and other ledgers against a trusted ledger: release folders, stray folders, extensions."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from openconflict.errors import LedgerError
from openconflict.files import hash_key, sha256_file
from openconflict.ledger.model import LEDGER_FILE, Entry, FileEntry, Ledger, read_ledger
from openconflict.ledger.stamps import Stamps
from openconflict.versions import is_version


def folder_files(folder: Path) -> dict[str, FileEntry]:
    """Every regular file under ``folder`` with its size and sha256 (what a new ledger entry records)."""
    found: dict[str, FileEntry] = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file() and not p.is_symlink():
            rel = p.relative_to(folder).as_posix()
            found[rel] = FileEntry(rel, p.stat().st_size, sha256_file(p))
    return found


def check_folder(folder: Path, entry: Entry, stamps: Stamps | None = None) -> list[str]:
    """Every difference between a release folder on disk and its ledger entry, each naming the file.

    A missing, extra, resized or re-hashed file, a link, or anything that is not a regular file is a
    difference. Hashes use the memo of :func:`openconflict.files.sha256_file`, so checking twice in one
    process reads each unchanged file once; with ``stamps`` (:mod:`openconflict.ledger.stamps`) a file
    whose on-disk state is unchanged since it last matched the ledger is not read at all, and a folder
    that matches in full gets its stamps written.
    """
    name = entry.version
    if folder.is_symlink() or not folder.is_dir():
        return [f"{name}: the release folder {folder} is missing or not a folder"]
    if stamps is not None:
        stamps.start()
    problems: list[str] = []
    seen: set[str] = set()
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        if p.is_symlink():
            problems.append(f"{name}/{rel}: is a link; a release holds only regular files")
            continue
        if p.is_dir():
            continue
        seen.add(rel)
        expected = entry.files.get(rel)
        if expected is None:
            problems.append(f"{name}/{rel}: extra file, not in the ledger")
            continue
        if not p.is_file():
            problems.append(f"{name}/{rel}: not a regular file")
            continue
        st = p.stat()
        size = st.st_size
        if stamps is not None and size == expected.bytes and stamps.vouches(name, rel, st, expected.sha256):
            continue
        actual = sha256_file(p)
        if stamps is not None:
            after = p.stat()
            keep = actual == expected.sha256 and hash_key(after) == hash_key(st)  # and unchanged while read
            stamps.record(name, rel, after if keep else None, actual)
        if size != expected.bytes:
            problems.append(f"{name}/{rel}: {size} bytes, sha256 {actual}; the ledger says {expected.bytes} bytes, "
                            f"sha256 {expected.sha256}")
        elif actual != expected.sha256:
            problems.append(f"{name}/{rel}: sha256 {actual}, the ledger says {expected.sha256}")
    for rel in sorted(set(entry.files) - seen):
        problems.append(f"{name}/{rel}: missing (the ledger lists it)")
    if stamps is not None:
        if problems:
            stamps.forget(name)
        else:
            stamps.save(name)
    return problems


def check_published(releases_dir: str | os.PathLike[str], ledger: Ledger | None = None,
                    versions: Iterable[str] | None = None, stamps: Stamps | None = None) -> list[str]:
    """Every difference between the published release folders and the ledger.

    Checks each listed release (or only ``versions``) file by file, and reports version-named folders that
    the ledger does not list. Temporary folders of the release step and the stamps folder (names starting
    with '.') are not releases and are ignored here. ``stamps``: see :func:`check_folder`.
    """
    root = Path(releases_dir)
    if ledger is None:
        ledger = read_ledger(root / LEDGER_FILE)
    wanted = set(versions) if versions is not None else None
    problems: list[str] = []
    for entry in ledger.entries:
        if wanted is None or entry.version in wanted:
            problems += check_folder(root / entry.version, entry, stamps)
    if wanted is None and root.is_dir():
        for p in sorted(root.iterdir()):
            if not p.name.startswith(".") and p.name not in ledger and is_version(p.name):
                problems.append(f"{p.name}: a release folder that the ledger does not list")
    return problems


def check_extends(trusted: Ledger, candidate: Ledger) -> None:
    """Refuse ``candidate`` unless it holds every entry of ``trusted``, identical and in the same place.

    The chain and version order of ``candidate`` were already checked when it was parsed; here a rewritten,
    dropped or reordered known release is named with both digests.
    """
    for i, known in enumerate(trusted.entries):
        if i >= len(candidate.entries):
            raise LedgerError(f"the ledger at {candidate.origin} drops release {known.version} (digest "
                              f"{known.digest}) that the trusted ledger at {trusted.origin} lists; refused")
        other = candidate.entries[i]
        if other.version != known.version or other.digest != known.digest:
            raise LedgerError(
                f"the ledger at {candidate.origin} rewrites release history at position {i + 1}: the trusted "
                f"ledger has {known.version} with digest {known.digest}, the other has {other.version} with "
                f"digest {other.digest}; refused"
            )
