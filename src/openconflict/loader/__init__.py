"""The loader: verified releases into typed frames, one concern per module.

- :mod:`.api` the public functions (``load_events``, ``load_table``, ``versions``, ``changes``, ``download``,
  ``verify``, ``info``) and ``update`` (``openconflict update``);
- :mod:`.trust` which ledger is trusted (bundled ▸ cached ▸ mirror, a mirror's only if it extends);
- :mod:`.locate` a verified copy of one file (bundled ▸ cache ▸ download), :mod:`.copies` whole releases
  (download, verify), :mod:`.cache` the cache folder, :mod:`.fetch` HTTP with a timeout and a deadline;
- :mod:`.filters`, :mod:`.scan`, :mod:`.frames`, :mod:`.labels`, :mod:`.package`, :mod:`.compare` reading;
- :mod:`.settings` where things are and how long to wait (from :mod:`openconflict.config`).

The loader imports only the leaves (errors, config, versions, files), the schema and the ledger, never the
build side; pandas and pyarrow are imported inside functions.
"""

from __future__ import annotations

from openconflict.errors import (
    ChecksumError,
    ConfigError,
    DownloadError,
    LedgerError,
    LockTimeoutError,
    MirrorNotConfiguredError,
    OfflineError,
    OpenConflictError,
    RegistryError,
    VersionNotFoundError,
)
from openconflict.loader.api import (
    changes,
    download,
    events_fields,
    info,
    load_events,
    load_table,
    update,
    verify,
    versions,
)
from openconflict.loader.columns import EVENT_COLUMNS, TABLES, VOCABULARY_COLUMNS
from openconflict.loader.labels import inter_labels
from openconflict.loader.settings import using

__all__ = [
    "EVENT_COLUMNS",
    "TABLES",
    "VOCABULARY_COLUMNS",
    "ChecksumError",
    "ConfigError",
    "DownloadError",
    "LedgerError",
    "LockTimeoutError",
    "MirrorNotConfiguredError",
    "OfflineError",
    "OpenConflictError",
    "RegistryError",
    "VersionNotFoundError",
    "changes",
    "download",
    "events_fields",
    "info",
    "inter_labels",
    "load_events",
    "load_table",
    "update",
    "using",
    "verify",
    "versions",
]
