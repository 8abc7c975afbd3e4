"""Where the loader finds things and how long it may wait: read from :mod:`openconflict.config` when needed.

Why lazily: a bad ``OPENCONFLICT_TIMEOUT`` must not stop a researcher from reading the bundled release (no
download, no timeout); it is reported, as a :class:`~openconflict.errors.ConfigError` naming the variable,
the first time a download needs it. Why :func:`using`: the command line passes options such as
``--releases`` as arguments, never by setting environment variables, so an override lives in a context
variable for the duration of one call (threads started inside it do not see it; nothing else does).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from openconflict import config
from openconflict.errors import ConfigError, LedgerError
from openconflict.ledger import LEDGER_FILE

__all__ = ["bundled_releases_dir", "cache_root", "columnar_copies", "deadline", "lock_wait", "mirror", "offline", "releases_dir",
           "timeout", "using"]

_OVERRIDES: ContextVar[dict[str, Any] | None] = ContextVar("openconflict_loader_overrides", default=None)
_PACKAGE = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def using(*, releases: Path | None = None, cache: Path | None = None, mirror: str | None = None,
          offline: bool | None = None) -> Iterator[None]:
    """Use these settings instead of the ``OPENCONFLICT_*`` variables inside the ``with`` block."""
    current = dict(_OVERRIDES.get() or {})
    for name, value in (("releases", releases), ("cache", cache), ("mirror", mirror), ("offline", offline)):
        if value is not None:
            current[name] = value
    if "mirror" in current:
        current["mirror"] = config.check_mirror_url(str(current["mirror"]), name="the mirror URL option")
    token = _OVERRIDES.set(current)
    try:
        yield
    finally:
        _OVERRIDES.reset(token)


def _override(name: str) -> Any:
    return (_OVERRIDES.get() or {}).get(name)


def bundled_releases_dir() -> Path | None:
    """The releases folder shipped in the wheel, or a source checkout's build/releases/, if either exists."""
    for candidate in (_PACKAGE / "_releases", _PACKAGE.parent.parent / "build" / "releases"):
        if (candidate / LEDGER_FILE).is_file():
            return candidate
    return None


def releases_dir() -> Path:
    """The releases folder whose ledger and files the loader starts from (its root of trust)."""
    chosen = _override("releases")
    name = "the --releases option"
    if chosen is None:
        chosen = config.releases_override()
        name = "OPENCONFLICT_RELEASES"
    if chosen is not None:
        path = Path(chosen)
        if not (path / LEDGER_FILE).is_file():
            raise ConfigError(f"{name}={str(path)!r} has no {LEDGER_FILE}; point it at a releases folder (one laid "
                              "out like build/releases/, with its ledger) or leave it unset")
        return path
    found = bundled_releases_dir()
    if found is None:
        raise LedgerError(f"no release ledger found: this installation ships no _releases/{LEDGER_FILE} and this "
                          "is not a source checkout with build/releases/. Reinstall the package, or set "
                          "OPENCONFLICT_RELEASES to a releases folder")
    return found


def cache_root() -> Path:
    chosen = _override("cache")
    return Path(chosen) if chosen is not None else config.cache_root()


def mirror() -> str | None:
    chosen = _override("mirror")
    return str(chosen) if chosen is not None else config.mirror_url()


def offline() -> bool:
    chosen = _override("offline")
    return bool(chosen) if chosen is not None else config.offline()


def timeout() -> float:
    return config.timeout()


def deadline() -> float:
    return config.deadline()


def lock_wait() -> float:
    return config.lock_wait()


def columnar_copies() -> bool:
    return config.columnar_copies()
