"""Every ``OPENCONFLICT_*`` setting, read and checked in one place.

Why one place: a researcher who sets ``OPENCONFLICT_TIMEOUT=nan`` or a malformed mirror URL deserves one
clear :class:`~openconflict.errors.ConfigError` naming the variable and the fix, not a traceback from deep in
a download; and the CLI passes its options as arguments rather than by setting variables. Nothing else in
the package reads the environment. Standard library only (a leaf); platformdirs is imported lazily.

Each reader takes an optional ``environ`` mapping so tests need not touch ``os.environ``.
"""

from __future__ import annotations

import math
import os
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from openconflict.errors import ConfigError

__all__ = [
    "DEFAULT_DEADLINE",
    "DEFAULT_LOCK_WAIT",
    "DEFAULT_TIMEOUT",
    "VARIABLES",
    "Setting",
    "cache_root",
    "check_mirror_url",
    "columnar_copies",
    "deadline",
    "lock_wait",
    "mirror_url",
    "offline",
    "redact_url",
    "releases_override",
    "schema_override",
    "timeout",
]

DEFAULT_TIMEOUT = 30.0
DEFAULT_DEADLINE = 3600.0
DEFAULT_LOCK_WAIT = 600.0
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


@dataclass(frozen=True)
class Setting:
    """One documented variable: its name, default and meaning (the README table is made from these)."""

    name: str
    default: str
    meaning: str


VARIABLES: tuple[Setting, ...] = (
    Setting("OPENCONFLICT_URL", "(none)",
            "base URL of a mirror laid out like build/releases/ (http or https); needed only for versions "
            "that are neither bundled nor cached, and for `openconflict update`"),
    Setting("OPENCONFLICT_CACHE", "the platform's user cache folder",
            "folder for downloaded releases and the accepted mirror ledger; must not be a releases folder"),
    Setting("OPENCONFLICT_OFFLINE", "0", "1/true/yes/on: never touch the network"),
    Setting("OPENCONFLICT_TIMEOUT", "30", "seconds a download may stay silent before it fails"),
    Setting("OPENCONFLICT_DEADLINE", "3600", "seconds one file's whole download may take"),
    Setting("OPENCONFLICT_LOCK_WAIT", "600", "seconds to wait for another process's lock before giving up"),
    Setting("OPENCONFLICT_COLUMNAR", "1",
            "0/false/no/off: never keep an uncompressed Arrow copy of a large events file in the cache (the "
            "queries that read every row group then read the Parquet file, more slowly, with the same rows)"),
    Setting("OPENCONFLICT_RELEASES", "the bundled releases (or build/releases/ in a checkout)",
            "a releases folder (with registry.json) to read instead of the bundled one"),
    Setting("OPENCONFLICT_SCHEMA", "the bundled schema (or schema/ in a checkout)",
            "a schema folder to use instead of the bundled one (for schema development)"),
)


def _env(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


def _seconds(name: str, default: float, environ: Mapping[str, str] | None) -> float:
    raw = _env(environ).get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number of seconds; set it to a positive number such as "
                          f"{default:g}, or unset it") from None
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{name}={raw!r} must be a finite, positive number of seconds (e.g. {default:g}); "
                          "fix or unset it")
    return value


def timeout(environ: Mapping[str, str] | None = None) -> float:
    """Seconds a socket may stay silent before a download is abandoned."""
    return _seconds("OPENCONFLICT_TIMEOUT", DEFAULT_TIMEOUT, environ)


def deadline(environ: Mapping[str, str] | None = None) -> float:
    """Seconds one file's whole download may take, however steadily bytes trickle in."""
    return _seconds("OPENCONFLICT_DEADLINE", DEFAULT_DEADLINE, environ)


def lock_wait(environ: Mapping[str, str] | None = None) -> float:
    """Seconds to wait for a lock another process holds."""
    return _seconds("OPENCONFLICT_LOCK_WAIT", DEFAULT_LOCK_WAIT, environ)


def _flag(name: str, default: bool, environ: Mapping[str, str] | None) -> bool:
    raw = _env(environ).get(name, "").strip().lower()
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ConfigError(f"{name}={raw!r} is neither on (1, true, yes, on) nor off (0, false, no, off, empty); fix or "
                      "unset it")


def offline(environ: Mapping[str, str] | None = None) -> bool:
    """True when OPENCONFLICT_OFFLINE asks us never to touch the network."""
    return _flag("OPENCONFLICT_OFFLINE", False, environ)


def columnar_copies(environ: Mapping[str, str] | None = None) -> bool:
    """False when OPENCONFLICT_COLUMNAR asks the loader not to keep columnar copies (see loader.columnar)."""
    return _flag("OPENCONFLICT_COLUMNAR", True, environ)


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***``, for messages (a password is never echoed)."""
    try:
        parts = urllib.parse.urlsplit(url)
        password = parts.password
    except ValueError:
        return "<unparseable URL>"
    if password is None:
        return url
    # Rebuilt from the raw netloc: parts.port would raise on a malformed port, and the message that reports
    # that malformed port must still hide the password.
    userinfo, _, hostport = parts.netloc.rpartition("@")
    netloc = f"{userinfo.split(':', 1)[0]}:***@{hostport}"
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def check_mirror_url(raw: str, name: str = "OPENCONFLICT_URL") -> str:
    """A mirror base URL without trailing slash, or :class:`ConfigError` naming ``name`` and the fix."""
    url = raw.strip()
    shown = redact_url(url)
    fix = f"set {name} to the http(s) address of a folder laid out like build/releases/, e.g. https://example.org/openconflict"
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise ConfigError(f"{name}={shown!r} contains spaces or control characters; {fix}")
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port  # raises ValueError on a bad port
    except ValueError as exc:
        raise ConfigError(f"{name}={shown!r} is not a valid URL ({exc}); {fix}") from None
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        raise ConfigError(f"{name}={shown!r} is not an http(s) URL with a host; {fix}")
    if parts.query or parts.fragment:
        raise ConfigError(f"{name}={shown!r} has a query or fragment, which a mirror base cannot have; {fix}")
    del port
    return url.rstrip("/")


def mirror_url(environ: Mapping[str, str] | None = None) -> str | None:
    """The mirror base URL (no trailing slash), or None when none is named."""
    raw = _env(environ).get("OPENCONFLICT_URL", "").strip()
    return check_mirror_url(raw) if raw else None


def _folder(name: str, raw: str) -> Path:
    if "\x00" in raw:
        raise ConfigError(f"{name} contains a NUL character; set it to a folder path")
    return Path(raw).expanduser()


def cache_root(environ: Mapping[str, str] | None = None) -> Path:
    """OPENCONFLICT_CACHE, else the platform's user cache folder (e.g. ~/.cache/openconflict).

    Only the path is computed here; whether it is usable (a folder, writable, not a releases folder) is
    checked by the cache when it first needs to write, so that merely reading bundled data never fails.
    """
    raw = _env(environ).get("OPENCONFLICT_CACHE", "").strip()
    if raw:
        path = _folder("OPENCONFLICT_CACHE", raw)
        if path.exists() and not path.is_dir():
            raise ConfigError(f"OPENCONFLICT_CACHE={raw!r} is a file, not a folder; point it at a folder "
                              "(it is created if missing) or unset it")
        return path
    import platformdirs

    return Path(platformdirs.user_cache_dir("openconflict", appauthor=False))


def releases_override(environ: Mapping[str, str] | None = None) -> Path | None:
    """OPENCONFLICT_RELEASES (a releases folder to read instead of the bundled one), if set."""
    raw = _env(environ).get("OPENCONFLICT_RELEASES", "").strip()
    return _folder("OPENCONFLICT_RELEASES", raw) if raw else None


def schema_override(environ: Mapping[str, str] | None = None) -> Path | None:
    """OPENCONFLICT_SCHEMA (a schema folder to use instead of the bundled one), if set."""
    raw = _env(environ).get("OPENCONFLICT_SCHEMA", "").strip()
    return _folder("OPENCONFLICT_SCHEMA", raw) if raw else None
