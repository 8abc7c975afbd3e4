"""Arrow compute kernels for the loader's Parquet path, called by name.

Why not ``pyarrow.compute``: importing it writes a Python wrapper for each of its ~290 kernels, about 20 ms
of a fresh process whose whole filtered load of one country-year takes about 200 ms (issue 12). Its
wrappers end in ``call_function`` of the compiled module, so calling that directly runs the same C++
kernels with the same options. Should a future pyarrow move that function, the public module is used
instead (slower to import, same results); ``tests/loader/test_scan_paths.py`` checks every filter against
``pyarrow.dataset`` either way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["call", "filter_rows", "index_in"]


def _module() -> Any:
    try:
        from pyarrow import _compute

        if callable(getattr(_compute, "call_function", None)) and all(
                hasattr(_compute, n) for n in ("MatchSubstringOptions", "SetLookupOptions", "FilterOptions")):
            return _compute
    except ImportError:
        pass
    import pyarrow.compute

    return pyarrow.compute


def call(name: str, *args: Any, pattern: str | None = None) -> Any:
    """Kernel ``name`` on ``args`` (arrays, chunked arrays, scalars); ``pattern`` for the regex kernels."""
    mod = _module()
    options = None if pattern is None else mod.MatchSubstringOptions(pattern)
    return mod.call_function(name, list(args), options)


def filter_rows(table: pa.Table, mask: Any) -> pa.Table:
    """The rows of ``table`` where ``mask`` is true (null counts as false), as ``Table.filter`` does."""
    mod = _module()
    return mod.call_function("filter", [table, mask], mod.FilterOptions("drop"))


def index_in(values: Any, value_set: pa.Array) -> Any:
    """For each of ``values``, its position in ``value_set`` (null where it is null or absent)."""
    mod = _module()
    return mod.call_function("index_in", [values], mod.SetLookupOptions(value_set))
