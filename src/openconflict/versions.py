"""The one parser of release versions (strict ``X.Y.Z``) and the rules for how far a version must move.

Why strict: a version is a name researchers cite and type into ``load_events``; ``1.0.1`` must never also
be spelled ``01.0.1``, ``1.0.1\\n`` or with non-ASCII digits (``١.0.0``), and pre-release or build suffixes
are not part of our release contract. Standard library only (a leaf).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["BUMPS", "RANK", "Bump", "Version", "bump_kind", "is_version", "next_version", "parse_version"]

Bump = Literal["none", "patch", "minor", "major"]
BUMPS: tuple[Bump, ...] = ("none", "patch", "minor", "major")
RANK: dict[str, int] = {name: i for i, name in enumerate(BUMPS)}

_VERSION = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)", re.ASCII)
_MAX_PART = 10**9  # a part beyond this is a typo, not a release


@dataclass(frozen=True, order=True)
class Version:
    """A release version; ordering is numeric part by part (0.10.0 > 0.9.0)."""

    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: object) -> Version:
        """Parse exactly ``MAJOR.MINOR.PATCH`` in ASCII digits, no leading zeros, nothing around it."""
        if not isinstance(text, str):
            raise TypeError(f"a version is a string such as '1.2.0', not {type(text).__name__}")
        m = _VERSION.fullmatch(text)
        if m is None:
            raise ValueError(f"{text!r} is not a release version (expected MAJOR.MINOR.PATCH in ASCII digits, "
                             "without leading zeros, e.g. 1.2.0)")
        parts = tuple(int(p) for p in m.groups())
        if any(p > _MAX_PART for p in parts):
            raise ValueError(f"{text!r} is not a release version (a part is larger than {_MAX_PART})")
        return cls(*parts)

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


def parse_version(text: object) -> Version:
    """Shorthand for :meth:`Version.parse`."""
    return Version.parse(text)


def is_version(text: object) -> bool:
    """Whether ``text`` is a valid release version (used to tell release folders from other files)."""
    try:
        Version.parse(text)
    except (TypeError, ValueError):
        return False
    return True


def next_version(latest: str | Version | None, bump: str) -> Version:
    """The smallest version above ``latest`` that makes a ``bump`` ('none' counts as minor) - 0.1.0 first."""
    if latest is None:
        return Version(0, 1, 0)
    v = latest if isinstance(latest, Version) else Version.parse(latest)
    if bump == "major":
        return Version(v.major + 1, 0, 0)
    if bump == "patch":
        return Version(v.major, v.minor, v.patch + 1)
    return Version(v.major, v.minor + 1, 0)


def bump_kind(old: str | Version, new: str | Version) -> Bump:
    """How far ``new`` moves from ``old``: 'major', 'minor', 'patch', or 'none' when not above it.

    Semantic versioning for data: the leftmost part that grows names the bump (1.4.2 -> 2.0.0 is major,
    1.4.2 -> 1.5.0 minor, 1.4.2 -> 1.4.3 patch).
    """
    a = old if isinstance(old, Version) else Version.parse(old)
    b = new if isinstance(new, Version) else Version.parse(new)
    if b <= a:
        return "none"
    if b.major > a.major:
        return "major"
    if b.minor > a.minor:
        return "minor"
    return "patch"
