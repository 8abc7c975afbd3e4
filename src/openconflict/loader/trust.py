"""Which release ledger the loader trusts: bundled ▸ cached ▸ mirror, a newer one only if it extends.

Why: a cited version must be exactly what a researcher gets, forever, and new releases must reach
researchers without a new package. The ledger shipped with the package (or named by
``OPENCONFLICT_RELEASES``) is the root of trust. A mirror's ledger (``<mirror>/registry.json``) is accepted
only when it extends the trusted one exactly (every known entry identical and in place, the hash chain
intact; see :func:`openconflict.ledger.check_extends`); it is then cached atomically in the cache folder
and used from then on, offline too. A mirror that rewrites, drops or reorders a known release is refused
with both digests named; the cached ledger is itself re-checked against the bundled one on every read.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from openconflict.config import redact_url
from openconflict.errors import (
    ConfigError,
    LedgerError,
    MirrorNotConfiguredError,
    OfflineError,
    VersionNotFoundError,
)
from openconflict.files import hash_key
from openconflict.ledger import LEDGER_FILE, Entry, Ledger, check_extends, dumps, parse_ledger, read_ledger
from openconflict.loader import settings
from openconflict.loader.cache import LEDGER_NAME, Cache

__all__ = ["Trusted", "cache", "refresh", "resolve", "trusted"]

MAX_LEDGER_BYTES = 64 << 20
_MEMO: dict[tuple[str, tuple[int, ...]], Ledger] = {}
_MEMO_LOCK = threading.Lock()


@dataclass(frozen=True)
class Trusted:
    """The ledger in force, the releases folder it started from, and where the ledger came from."""

    ledger: Ledger
    releases: Path
    source: str  # "bundled" | "cached"


def cache() -> Cache:
    """The cache folder of the current settings (checked when it is first used)."""
    releases = None
    with contextlib.suppress(LedgerError, ConfigError):
        releases = settings.releases_dir()
    try:
        return Cache(settings.cache_root(), releases)
    except ConfigError as exc:
        return Cache.unusable(exc)


def _read(path: Path) -> Ledger:
    """Read a ledger, memoised by the file's state (re-read whenever it is replaced or edited)."""
    try:
        key = (str(path), hash_key(os.stat(path)))
    except OSError:
        raise LedgerError(f"no ledger at {path}") from None
    with _MEMO_LOCK:
        known = _MEMO.get(key)
    if known is None:
        known = read_ledger(path)
        with _MEMO_LOCK:
            _MEMO[key] = known
    return known


def _cached(store: Cache) -> Ledger | None:
    """The accepted mirror ledger in the cache, if any (never read through a link)."""
    if store.usable() is None:
        return None  # an unusable cache never stops reading the bundled releases
    path = store.file_at(LEDGER_NAME)
    return _read(path) if path is not None else None


def trusted() -> Trusted:
    """The longest consistent ledger among the bundled and the cached one."""
    releases = settings.releases_dir()
    bundled = _read(releases / LEDGER_FILE)
    store = cache()
    cached = _cached(store)
    if cached is None or len(cached.entries) <= len(bundled.entries):
        if cached is not None:
            _consistent(cached, bundled, store)
        return Trusted(bundled, releases, "bundled")
    _consistent(bundled, cached, store)
    return Trusted(cached, releases, "cached")


def _consistent(shorter: Ledger, longer: Ledger, store: Cache) -> None:
    try:
        check_extends(shorter, longer)
    except LedgerError as exc:
        raise LedgerError(f"the ledger cached at {store.root / LEDGER_NAME} and the bundled ledger disagree: {exc}. "
                          "One of them was altered. Delete the cached ledger and run `openconflict update` to "
                          "fetch the mirror's again (it is accepted only if it extends the bundled one).") from None


def refresh() -> tuple[Trusted, list[str]]:
    """Fetch the mirror's ledger; accept and cache it if it extends the trusted one. Returns the new versions."""
    from openconflict.loader.fetch import Limits, fetch_bytes

    base = settings.mirror()
    if settings.offline():
        raise OfflineError("OPENCONFLICT_OFFLINE is set, so the mirror's ledger is not fetched; unset it to update")
    if base is None:
        raise MirrorNotConfiguredError(
            "no mirror to update from: set OPENCONFLICT_URL to the http(s) address of a folder laid out like "
            "build/releases/ (<base>/registry.json, <base>/<version>/...), e.g. "
            "export OPENCONFLICT_URL=https://example.org/openconflict/releases")
    current = trusted()
    url = f"{base}/{LEDGER_FILE}"
    body = fetch_bytes(url, Limits(settings.timeout(), settings.deadline()), MAX_LEDGER_BYTES)
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LedgerError(f"the mirror's ledger {redact_url(url)} is not valid JSON ({exc}); refused") from None
    candidate = parse_ledger(data, redact_url(url))
    check_extends(current.ledger, candidate)
    added = candidate.versions[len(current.ledger.entries):]
    if not added:
        return current, []
    store = cache()
    store.ensure_root()
    with store.ledger_lock(settings.lock_wait()):
        now = trusted()  # another process may have accepted a ledger meanwhile
        if len(now.ledger.entries) >= len(candidate.entries):
            check_extends(candidate, now.ledger)
            return now, [v for v in now.ledger.versions if v not in current.ledger]
        check_extends(now.ledger, candidate)
        store.write_ledger(dumps(Ledger(candidate.entries, str(store.root / LEDGER_NAME))))
    return trusted(), added


def resolve(version: str | None) -> tuple[Trusted, Entry]:
    """The ledger entry of ``version`` (None = latest); an unknown version triggers one refresh when allowed.

    A version is never substituted: if neither the trusted ledger nor the mirror lists it, the error says so
    and lists the known versions.
    """
    current = trusted()
    try:
        return current, current.ledger.get(version)
    except VersionNotFoundError as exc:
        first = exc
    if version is None or version == "latest":
        raise first
    base = settings.mirror() if not settings.offline() else None
    if base is None:
        hint = ("OPENCONFLICT_OFFLINE is set, so no mirror was asked" if settings.offline() else
                "if it was published after this ledger, set OPENCONFLICT_URL to a mirror and run `openconflict "
                "update`")
        raise VersionNotFoundError(f"{first}; {hint}") from None
    updated, _ = refresh()
    try:
        return updated, updated.ledger.get(version)
    except VersionNotFoundError as exc:
        raise VersionNotFoundError(f"{exc}; the mirror {redact_url(base)} does not list it either") from None
