"""Analysis helpers for researchers: aggregates (counts and fatalities per unit and period) and actor
transforms (one row per actor and back).

Why a package of its own: these functions take frames a researcher already holds (from ``load_events``,
``pandas.read_parquet`` or pyarrow) and reshape them; they never read or write releases themselves, so
they sit on top of the loader and nothing below depends on them. Importing this package is cheap; pandas
loads only when a helper is called.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_LAZY = {
    "aggregate": "openconflict.analysis.aggregate",
    "release_aggregates": "openconflict.analysis.aggregate",
    "to_long": "openconflict.analysis.actors",
    "to_wide": "openconflict.analysis.actors",
}

__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'openconflict.analysis' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
