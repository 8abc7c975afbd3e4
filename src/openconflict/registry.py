"""The registry of releases: which versions exist and what their files must hash to.

The build writes ``<releases>/registry.json``; it ships in the wheel next to the bundled
release folders.  Every byte the loader hands to a researcher is checked against this
file, so it is the single thing we trust: a mirror, a cache or even the bundled copy is
only a *place* where bytes may be found.

This module is standard-library only, so ``import openconflict`` stays fast.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from functools import total_ordering
from pathlib import Path, PurePosixPath

__all__ = [
    "ChecksumError",
    "DownloadError",
    "FileEntry",
    "MirrorNotConfiguredError",
    "OfflineError",
    "OpenConflictError",
    "Registry",
    "RegistryError",
    "Release",
    "Version",
    "VersionNotFoundError",
    "bundled_releases_dir",
    "load_registry",
    "releases_dir",
]

REGISTRY_FILE = "registry.json"
SUPPORTED_FORMAT = 1


# --------------------------------------------------------------------------- errors


class OpenConflictError(Exception):
    """Base class of every error the loader raises, so callers can catch one type."""


class RegistryError(OpenConflictError):
    """The registry is missing or malformed (a broken install or a bad OPENCONFLICT_RELEASES)."""


class VersionNotFoundError(OpenConflictError, LookupError):
    """The requested version is not in the registry; we never silently serve another one."""


class ChecksumError(OpenConflictError):
    """Bytes did not match the registry's sha256 or size; they were not used or kept."""


class DownloadError(OpenConflictError):
    """The mirror could not deliver a file (HTTP error, refused connection, timeout)."""


class OfflineError(OpenConflictError):
    """A file is needed that is neither bundled nor cached, and OPENCONFLICT_OFFLINE forbids the network."""


class MirrorNotConfiguredError(OpenConflictError):
    """A file must be downloaded but no mirror (OPENCONFLICT_URL) is named."""


# --------------------------------------------------------------------------- versions

_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$"
)


@total_ordering
@dataclass(frozen=True)
class Version:
    """A semantic version with the ordering of semver.org (so 0.10.0 > 0.9.0, 1.0.0-rc.1 < 1.0.0)."""

    major: int
    minor: int
    patch: int
    pre: tuple[int | str, ...] = ()
    text: str = field(default="", compare=False)

    @classmethod
    def parse(cls, text: str) -> Version:
        m = _SEMVER.match(text.strip())
        if not m:
            raise ValueError(f"{text!r} is not a semantic version (expected MAJOR.MINOR.PATCH, e.g. 1.2.0)")
        pre: tuple[int | str, ...] = ()
        if m.group(4):
            pre = tuple(int(p) if p.isdigit() else p for p in m.group(4).split("."))
        return cls(int(m.group(1)), int(m.group(2)), int(m.group(3)), pre, text.strip())

    def _key(self) -> tuple[object, ...]:
        # A release sorts after its pre-releases; numeric identifiers sort before alphanumeric ones.
        pre_key: tuple[object, ...] = (
            (1,) if not self.pre else (0, *((0, p, "") if isinstance(p, int) else (1, 0, p) for p in self.pre))
        )
        return (self.major, self.minor, self.patch, pre_key)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() < other._key()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __str__(self) -> str:
        return self.text or f"{self.major}.{self.minor}.{self.patch}"


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class FileEntry:
    """One file of a release: its path inside the version folder, size and sha256."""

    path: str
    bytes: int
    sha256: str


@dataclass(frozen=True)
class Release:
    """One version as the registry describes it."""

    version: str
    date: str
    events: int
    files: dict[str, FileEntry]

    @property
    def size(self) -> int:
        """Total bytes of all files: what a full download costs."""
        return sum(f.bytes for f in self.files.values())

    def file(self, path: str) -> FileEntry:
        try:
            return self.files[path]
        except KeyError:
            raise RegistryError(
                f"release {self.version} has no file {path!r} in the registry "
                f"(it lists: {', '.join(sorted(self.files))})"
            ) from None


def _safe_relpath(path: str) -> str:
    """Refuse registry paths that would escape the version folder (defence against a bad registry)."""
    p = PurePosixPath(path)
    if p.is_absolute() or ".." in p.parts or not p.parts or "\\" in path:
        raise RegistryError(f"unsafe file path in registry: {path!r}")
    return p.as_posix()


@dataclass(frozen=True)
class Registry:
    """All releases, ascending by semantic version, plus the folder the registry came from."""

    releases: tuple[Release, ...]
    root: Path

    @property
    def latest(self) -> Release:
        if not self.releases:
            raise VersionNotFoundError(f"the registry at {self.root} lists no releases")
        return self.releases[-1]

    @property
    def version_names(self) -> list[str]:
        return [r.version for r in self.releases]

    def get(self, version: str | None = None) -> Release:
        """The release for ``version`` (None = latest); an unknown version is an error, never a fallback."""
        if version is None or version == "latest":
            return self.latest
        if not isinstance(version, str):
            raise TypeError(f"version must be a string such as '1.2.0', not {type(version).__name__}")
        wanted = version.strip().removeprefix("v")
        for r in self.releases:
            if r.version == wanted:
                return r
        known = ", ".join(self.version_names) or "none"
        raise VersionNotFoundError(
            f"OpenConflict version {version!r} is not in the registry at {self.root / REGISTRY_FILE} "
            f"(known versions: {known}). If it was released after this copy of the package, "
            f"upgrade it: pip install -U openconflict"
        )

    def previous(self, version: str) -> Release | None:
        """The release just before ``version`` in version order, if any."""
        names = self.version_names
        i = names.index(self.get(version).version)
        return self.releases[i - 1] if i > 0 else None

    def bundled_dir(self, version: str) -> Path:
        """Where the bundled copy of ``version`` would be (it may be absent for large releases)."""
        return self.root / self.get(version).version


def parse_registry(data: object, root: Path) -> Registry:
    """Validate and convert registry JSON; an unexpected shape is an error rather than a guess."""
    if not isinstance(data, dict) or data.get("format") != SUPPORTED_FORMAT:
        raise RegistryError(
            f"{root / REGISTRY_FILE}: unsupported registry format "
            f"{data.get('format') if isinstance(data, dict) else data!r}; expected {SUPPORTED_FORMAT}. "
            "Upgrade openconflict: pip install -U openconflict"
        )
    releases: list[Release] = []
    for item in data.get("releases", []):
        try:
            version = str(item["version"])
            Version.parse(version)
            files = {
                _safe_relpath(p): FileEntry(_safe_relpath(p), int(f["bytes"]), str(f["sha256"]).lower())
                for p, f in item["files"].items()
            }
            releases.append(Release(version, str(item.get("date", "")), int(item.get("events", 0)), files))
        except (KeyError, TypeError, ValueError) as exc:
            raise RegistryError(f"{root / REGISTRY_FILE}: malformed release entry {item!r}: {exc}") from exc
    releases.sort(key=lambda r: Version.parse(r.version))
    return Registry(tuple(releases), root)


# --------------------------------------------------------------------------- locating


def bundled_releases_dir() -> Path | None:
    """The releases folder shipped with the package, or a source checkout's build/releases/."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_releases", here.parent.parent / "build" / "releases"):
        if (candidate / REGISTRY_FILE).is_file():
            return candidate
    return None


def releases_dir() -> Path:
    """OPENCONFLICT_RELEASES if set, else the bundled folder; the error explains both options."""
    env = os.environ.get("OPENCONFLICT_RELEASES")
    if env:
        path = Path(env).expanduser()
        if not (path / REGISTRY_FILE).is_file():
            raise RegistryError(
                f"OPENCONFLICT_RELEASES={env!r} has no {REGISTRY_FILE}; point it at a releases folder "
                "(one laid out like build/releases/) or unset it"
            )
        return path
    found = bundled_releases_dir()
    if found is None:
        raise RegistryError(
            "no release registry found: this installation of openconflict ships no "
            f"_releases/{REGISTRY_FILE} and this is not a source checkout with build/releases/. "
            "Reinstall the package, or set OPENCONFLICT_RELEASES to a releases folder"
        )
    return found


_CACHE: dict[tuple[str, int, int], Registry] = {}


def load_registry(root: Path | None = None) -> Registry:
    """Read (and memoise, keyed on the file's mtime and size) the registry of ``root``."""
    root = releases_dir() if root is None else Path(root)
    path = root / REGISTRY_FILE
    try:
        st = path.stat()
    except FileNotFoundError:
        raise RegistryError(f"no {REGISTRY_FILE} in {root}") from None
    key = (str(path), st.st_mtime_ns, st.st_size)
    if key not in _CACHE:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise RegistryError(f"{path} is not valid JSON: {exc}") from exc
        _CACHE.clear()
        _CACHE[key] = parse_registry(data, root)
    return _CACHE[key]
