"""The loader: verified releases into typed frames, one concern per module.

- :mod:`.api` the public functions (``load_events``, ``load_table``, ``versions``, ``changes``, ``download``,
  ``verify``, ``info``) and ``update`` (``openconflict update``);
- :mod:`.trust` which ledger is trusted (bundled ▸ cached ▸ mirror, a mirror's only if it extends);
- :mod:`.locate` a verified copy of one file (bundled ▸ cache ▸ download), :mod:`.copies` whole releases
  (download, verify), :mod:`.cache` the cache folder, :mod:`.fetch` HTTP with a timeout and a deadline;
- :mod:`.events` ``load_events``: :mod:`.filters` (arguments), :mod:`.resolve` and :mod:`.values` (matched
  against what the release holds), :mod:`.scan`, :mod:`.frames`, :mod:`.labels` (ACLED's text labels);
- :mod:`.package`, :mod:`.compare` reading; :mod:`.apply` ``apply_changes`` (a frame from one version to
  another);
- :mod:`.settings` where things are and how long to wait (from :mod:`openconflict.config`).

The loader imports only the leaves (errors, config, versions, files), the schema and the ledger, never the
build side (and, for ``output="geopandas"`` only, the map exporter ``openconflict.export_geo``, which imports
nothing of ours); pandas and pyarrow are imported inside functions. The other public functions come from
:mod:`.api` on first use (PEP 562), so a script that only calls ``load_events`` does not import the
download, compare and apply machinery: a fresh process's first load is mostly imports.
"""

from __future__ import annotations

from typing import Any

from openconflict.errors import (
    ArgumentError,
    ArgumentTypeError,
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
from openconflict.loader.columns import EVENT_COLUMNS, TABLES, VOCABULARY_COLUMNS
from openconflict.loader.events import load_events
from openconflict.loader.filters import ACTOR_ROLES, FILTERS
from openconflict.loader.labels import actor_type_labels, inter_labels, interaction_labels
from openconflict.loader.settings import using

__all__ = [
    "ACTOR_ROLES",
    "EVENT_COLUMNS",
    "FILTERS",
    "TABLES",
    "VOCABULARY_COLUMNS",
    "ArgumentError",
    "ArgumentTypeError",
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
    "actor_type_labels",
    "apply_changes",
    "changes",
    "download",
    "events_fields",
    "info",
    "inter_labels",
    "interaction_labels",
    "load_events",
    "load_table",
    "update",
    "using",
    "verify",
    "versions",
]

#: Public functions of :mod:`.api`, imported on first access.
_API = frozenset({"apply_changes", "changes", "download", "events_fields", "info", "load_table", "update", "verify",
                  "versions"})


def __getattr__(name: str) -> Any:
    if name not in _API:
        raise AttributeError(f"module 'openconflict.loader' has no attribute {name!r}")
    from openconflict.loader import api

    value = getattr(api, name)
    globals()[name] = value
    return value
