"""OpenConflict: an open, versioned dataset of political violence and protest events.

``import openconflict`` stays light: the public functions are imported from their modules on first use,
so pandas and pyarrow load only when data is actually read.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "load_events": "openconflict.loader",
    "load_table": "openconflict.loader",
    "versions": "openconflict.loader",
    "changes": "openconflict.loader",
    "download": "openconflict.loader",
    "verify": "openconflict.loader",
    "inter_labels": "openconflict.loader",
    "info": "openconflict.loader",
    "OpenConflictError": "openconflict.registry",
    "ChecksumError": "openconflict.registry",
    "DownloadError": "openconflict.registry",
    "OfflineError": "openconflict.registry",
    "VersionNotFoundError": "openconflict.registry",
    "MirrorNotConfiguredError": "openconflict.registry",
    "validate": "openconflict.validate",
    "build_release": "openconflict.release",
}

__all__ = [*_LAZY, "__version__"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'openconflict' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
