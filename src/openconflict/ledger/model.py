"""The ledger's format: entries, the hash chain, parsing and the canonical bytes (see the package docstring)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from openconflict.errors import LedgerError, VersionNotFoundError
from openconflict.versions import Version, is_version

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
