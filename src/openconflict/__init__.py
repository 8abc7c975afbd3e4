"""OpenConflict: an open, versioned dataset of political violence and protest events.

``import openconflict`` stays light: the public functions are imported from their modules on first use,
so pandas and pyarrow load only when data is actually read.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "load_events": "openconflict.loader.events",
    "load_table": "openconflict.loader.api",
    "changes": "openconflict.loader.api",
    "apply_changes": "openconflict.loader.api",
    "download": "openconflict.loader.api",
    "verify": "openconflict.loader.api",
    "inter_labels": "openconflict.loader.labels",
    "info": "openconflict.loader.api",
    "OpenConflictError": "openconflict.errors",
    "ArgumentError": "openconflict.errors",
    "ArgumentTypeError": "openconflict.errors",
    "ChecksumError": "openconflict.errors",
    "DownloadError": "openconflict.errors",
    "OfflineError": "openconflict.errors",
    "VersionNotFoundError": "openconflict.errors",
    "MirrorNotConfiguredError": "openconflict.errors",
    "ConfigError": "openconflict.errors",
    "LedgerError": "openconflict.errors",
    "LockTimeoutError": "openconflict.errors",
    "aggregate": "openconflict.analysis",
    "to_long": "openconflict.analysis",
    "to_wide": "openconflict.analysis",
    "cite": "openconflict.cite",
    "validate": "openconflict.validate",
    "build_release": "openconflict.release",
}

__all__ = [*_LAZY, "__version__", "versions"]

# The leaf module openconflict.versions (the version parser) shares its name with the public function
# below. Loading the module first means the import system never binds it over the function later (it binds
# a submodule to its package only when it first loads it); `from openconflict.versions import Version`
# keeps working because it reads sys.modules.
import_module("openconflict.versions")


def versions(refresh: bool = False) -> Any:
    """Every release in the trusted ledger (see :func:`openconflict.loader.api.versions`)."""
    from openconflict.loader.api import versions as list_versions

    return list_versions(refresh=refresh)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'openconflict' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
