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

import datetime as dt
import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from openconflict.errors import LedgerError, VersionNotFoundError
from openconflict.files import atomic_write, sha256_file
from openconflict.versions import Version, is_version

__all__ = [
    "FORMAT",
    "LEDGER_FILE",
    "PACKAGE",
    "Entry",
    "FileEntry",
    "Ledger",
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

LEDGER_FILE = "registry.json"
FORMAT = 2
PACKAGE = "openconflict-events"
_HEX64 = re.compile(r"[0-9a-f]{64}", re.ASCII)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_ENTRY_KEYS = {"version", "date", "events", "files"}


@dataclass(frozen=True)
class FileEntry:
    """One file of a release: its path inside the version folder, size and sha256."""

    path: str
    bytes: int
    sha256: str


@dataclass(frozen=True)
class Entry:
    """One published release as the ledger records it."""

    version: str
    date: str
    events: int
    files: Mapping[str, FileEntry]
    previous: str | None

    @property
    def size(self) -> int:
        """Total bytes of all files: what a full download costs."""
        return sum(f.bytes for f in self.files.values())

    def file(self, path: str) -> FileEntry:
        try:
            return self.files[path]
        except KeyError:
            raise LedgerError(f"release {self.version} has no file {path!r} in the ledger "
                              f"(it lists: {', '.join(sorted(self.files))})") from None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "version": self.version,
            "date": self.date,
            "events": self.events,
            "files": {p: {"bytes": f.bytes, "sha256": f.sha256} for p, f in sorted(self.files.items())},
        }
        if self.previous is not None:
            data["previous"] = self.previous
        return data

    @property
    def digest(self) -> str:
        """sha256 of this entry's canonical JSON: what the next entry's ``previous`` must be."""
        return hashlib.sha256(canonical(self.to_json())).hexdigest()


def canonical(entry: Mapping[str, Any]) -> bytes:
    """The canonical bytes of one entry, which its digest is computed over."""
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@dataclass(frozen=True)
class Ledger:
    """All published releases in publication order, and where the ledger was read from."""

    entries: tuple[Entry, ...]
    origin: str = "<memory>"

    @property
    def head(self) -> str | None:
        """The digest of the last entry: it identifies the whole history (None for an empty ledger)."""
        return self.entries[-1].digest if self.entries else None

    @property
    def versions(self) -> list[str]:
        return [e.version for e in self.entries]

    @property
    def latest(self) -> Entry:
        if not self.entries:
            raise VersionNotFoundError(f"the ledger at {self.origin} lists no releases")
        return self.entries[-1]

    def __contains__(self, version: object) -> bool:
        return any(e.version == version for e in self.entries)

    def get(self, version: str | None = None) -> Entry:
        """The entry for ``version`` (None or 'latest' = latest); an unknown version is an error, never a fallback."""
        if version is None or version == "latest":
            return self.latest
        if not isinstance(version, str):
            raise TypeError(f"version must be a string such as '1.2.0', not {type(version).__name__}")
        wanted = version.strip().removeprefix("v")
        for e in self.entries:
            if e.version == wanted:
                return e
        known = ", ".join(self.versions) or "none"
        raise VersionNotFoundError(f"OpenConflict version {version!r} is not in the ledger at {self.origin} "
                                   f"(known versions: {known})")

    def previous_of(self, version: str) -> Entry | None:
        """The release published just before ``version``, if any."""
        entry = self.get(version)
        i = self.entries.index(entry)
        return self.entries[i - 1] if i > 0 else None

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "package": PACKAGE, "releases": [e.to_json() for e in self.entries]}


def empty(origin: str = "<memory>") -> Ledger:
    return Ledger((), origin)


def dumps(ledger: Ledger) -> str:
    """The ledger file's text (deterministic: same ledger, same bytes)."""
    return json.dumps(ledger.to_json(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


# ----------------------------------------------------------------------------------------------- parsing


def _safe_relpath(path: object, where: str) -> str:
    """Refuse file paths that could escape the version folder or name something odd."""
    if not isinstance(path, str) or not path:
        raise LedgerError(f"{where}: a file path must be a non-empty string, got {path!r}")
    p = PurePosixPath(path)
    bad = (p.is_absolute() or ".." in p.parts or "." in p.parts or "\\" in path or p.as_posix() != path
           or any(ord(c) < 32 or ord(c) == 127 for c in path))
    if bad:
        raise LedgerError(f"{where}: unsafe file path {path!r}")
    return path


def _int(value: object, what: str, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise LedgerError(f"{where}: {what} must be a non-negative integer, got {value!r}")
    return value


def _entry(item: object, index: int, origin: str) -> Entry:
    where = f"{origin}: entry {index + 1}"
    if not isinstance(item, dict):
        raise LedgerError(f"{where} is not an object")
    keys = set(item)
    if not keys >= _ENTRY_KEYS or not keys <= _ENTRY_KEYS | {"previous"}:
        raise LedgerError(f"{where} has keys {sorted(keys)}; expected {sorted(_ENTRY_KEYS)} and 'previous'")
    version = item["version"]
    if not is_version(version):
        raise LedgerError(f"{where}: {version!r} is not a release version")
    where = f"{origin}: release {version}"
    date = item["date"]
    if not isinstance(date, str) or not _DATE.fullmatch(date):
        raise LedgerError(f"{where}: date {date!r} is not YYYY-MM-DD")
    try:
        dt.date.fromisoformat(date)
    except ValueError:
        raise LedgerError(f"{where}: date {date!r} is not a calendar date") from None
    files_raw = item["files"]
    if not isinstance(files_raw, dict) or not files_raw:
        raise LedgerError(f"{where}: files must be a non-empty object")
    files: dict[str, FileEntry] = {}
    for path, meta in files_raw.items():
        rel = _safe_relpath(path, where)
        if not isinstance(meta, dict) or set(meta) != {"bytes", "sha256"}:
            raise LedgerError(f"{where}: file {rel!r} must have exactly 'bytes' and 'sha256'")
        digest = meta["sha256"]
        if not isinstance(digest, str) or not _HEX64.fullmatch(digest):
            raise LedgerError(f"{where}: file {rel!r} has sha256 {digest!r}, not 64 lowercase hex digits")
        files[rel] = FileEntry(rel, _int(meta["bytes"], f"bytes of {rel!r}", where), digest)
    previous = item.get("previous")
    if previous is not None and (not isinstance(previous, str) or not _HEX64.fullmatch(previous)):
        raise LedgerError(f"{where}: previous {previous!r} is not a sha256")
    return Entry(version, date, _int(item["events"], "events", where), files, previous)


def parse_ledger(data: object, origin: str = "<memory>") -> Ledger:
    """Check and convert ledger JSON: format, chain, order. Anything unexpected is a :class:`LedgerError`."""
    if not isinstance(data, dict):
        raise LedgerError(f"{origin}: a ledger is a JSON object, got {type(data).__name__}")
    if data.get("format") != FORMAT:
        hint = (" (format 1 is the registry used before the ledger; convert it with "
                "openconflict.ledger.migrate_v1)") if data.get("format") == 1 else ""
        raise LedgerError(f"{origin}: unsupported ledger format {data.get('format')!r}; expected {FORMAT}{hint}")
    if data.get("package") != PACKAGE:
        raise LedgerError(f"{origin}: ledger of package {data.get('package')!r}, expected {PACKAGE!r}")
    items = data.get("releases")
    if not isinstance(items, list):
        raise LedgerError(f"{origin}: 'releases' must be a list")
    entries: list[Entry] = []
    for i, item in enumerate(items):
        entry = _entry(item, i, origin)
        if entries:
            prior = entries[-1]
            if entry.previous != prior.digest:
                raise LedgerError(f"{origin}: the chain is broken at release {entry.version}: its 'previous' is "
                                  f"{entry.previous}, but the digest of release {prior.version} is {prior.digest}")
            if Version.parse(entry.version) <= Version.parse(prior.version):
                raise LedgerError(f"{origin}: release {entry.version} is published after {prior.version} but is "
                                  "not a higher version")
        elif entry.previous is not None:
            raise LedgerError(f"{origin}: the first release {entry.version} must have no 'previous'")
        entries.append(entry)
    return Ledger(tuple(entries), origin)


def read_ledger(path: str | os.PathLike[str]) -> Ledger:
    """Read and check the ledger file at ``path`` (a ``registry.json``)."""
    p = Path(path)
    try:
        text = p.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise LedgerError(f"no ledger at {p}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LedgerError(f"cannot read the ledger at {p}: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LedgerError(f"{p} is not valid JSON: {exc}") from None
    return parse_ledger(data, str(p))


# ----------------------------------------------------------------------------------------------- writing


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


# ----------------------------------------------------------------------------------------------- checking


def folder_files(folder: Path) -> dict[str, FileEntry]:
    """Every regular file under ``folder`` with its size and sha256 (what a new ledger entry records)."""
    found: dict[str, FileEntry] = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file() and not p.is_symlink():
            rel = p.relative_to(folder).as_posix()
            found[rel] = FileEntry(rel, p.stat().st_size, sha256_file(p))
    return found


def check_folder(folder: Path, entry: Entry) -> list[str]:
    """Every difference between a release folder on disk and its ledger entry, each naming the file.

    A missing, extra, resized or re-hashed file, a link, or anything that is not a regular file is a
    difference. Hashes use the memo of :func:`openconflict.files.sha256_file`, so checking twice in one
    process reads each unchanged file once.
    """
    name = entry.version
    if folder.is_symlink() or not folder.is_dir():
        return [f"{name}: the release folder {folder} is missing or not a folder"]
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
        size = p.stat().st_size
        actual = sha256_file(p)
        if size != expected.bytes:
            problems.append(f"{name}/{rel}: {size} bytes, sha256 {actual}; the ledger says {expected.bytes} bytes, "
                            f"sha256 {expected.sha256}")
        elif actual != expected.sha256:
            problems.append(f"{name}/{rel}: sha256 {actual}, the ledger says {expected.sha256}")
    for rel in sorted(set(entry.files) - seen):
        problems.append(f"{name}/{rel}: missing (the ledger lists it)")
    return problems


def check_published(releases_dir: str | os.PathLike[str], ledger: Ledger | None = None,
                    versions: Iterable[str] | None = None) -> list[str]:
    """Every difference between the published release folders and the ledger.

    Checks each listed release (or only ``versions``) file by file, and reports version-named folders that
    the ledger does not list. Temporary folders of the release step (names starting with '.') are not
    releases and are ignored here.
    """
    root = Path(releases_dir)
    if ledger is None:
        ledger = read_ledger(root / LEDGER_FILE)
    wanted = set(versions) if versions is not None else None
    problems: list[str] = []
    for entry in ledger.entries:
        if wanted is None or entry.version in wanted:
            problems += check_folder(root / entry.version, entry)
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
