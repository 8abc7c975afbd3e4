"""Arrow scalars for filter values, built from their bytes instead of by pyarrow's Python conversion.

Why: pyarrow converts a Python value (``pa.scalar("Syria")``, or a ``str`` handed to a compute function)
through a path that imports pandas the first time it runs whenever pandas is installed: about 0.15 s, most
of what a fresh process spends on a filtered load of one country-year with Arrow output (polars reads the
same rows in about 0.17 s, interpreter start included). A one-element array assembled from its buffers is
the same scalar and touches nothing of that kind, so the Parquet path of a load imports neither pandas nor
``pyarrow.dataset`` (which imports pandas itself). ``tests/loader/test_literals.py`` checks every literal
against ``pa.scalar`` and that a fresh Arrow load leaves pandas unimported.
"""

from __future__ import annotations

import datetime as dt
import struct
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["literal"]

_EPOCH = dt.date(1970, 1, 1)
#: struct format of each fixed-width type a filter compares with.
_FIXED = {"int8": "<b", "int16": "<h", "int32": "<i", "int64": "<q", "uint8": "<B", "uint16": "<H",
          "uint32": "<I", "uint64": "<Q", "float": "<f", "double": "<d", "date32[day]": "<i"}


def literal(value: Any, typ: pa.DataType) -> pa.Scalar:
    """``value`` as a valid scalar of ``typ`` (text, whole numbers, floats, date32 or boolean).

    A dictionary type gives a scalar of its value type (what a comparison with a dictionary column takes).
    Raises TypeError for a type or value it does not handle, rather than guessing.
    """
    import pyarrow as pa

    if pa.types.is_dictionary(typ):
        typ = typ.value_type
    if pa.types.is_string(typ) or pa.types.is_large_string(typ):
        if not isinstance(value, str):
            raise TypeError(f"a {typ} literal needs text, not {value!r}")
        data = value.encode("utf-8")
        fmt = "<2q" if pa.types.is_large_string(typ) else "<2i"
        arr = pa.Array.from_buffers(typ, 1, [None, pa.py_buffer(struct.pack(fmt, 0, len(data))),
                                             pa.py_buffer(data)])
    elif pa.types.is_boolean(typ):
        if not isinstance(value, bool):
            raise TypeError(f"a boolean literal needs True or False, not {value!r}")
        arr = pa.Array.from_buffers(typ, 1, [None, pa.py_buffer(bytes([int(value)]))])
    elif str(typ) in _FIXED:
        if pa.types.is_date32(typ):
            if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
                raise TypeError(f"a date32 literal needs a datetime.date, not {value!r}")
            value = (value - _EPOCH).days
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"a {typ} literal needs a number, not {value!r}")
        try:
            raw = struct.pack(_FIXED[str(typ)], value)
        except struct.error as exc:
            raise TypeError(f"{value!r} does not fit {typ}: {exc}") from None
        arr = pa.Array.from_buffers(typ, 1, [None, pa.py_buffer(raw)])
    else:
        raise TypeError(f"no literal for Arrow type {typ}")
    arr.validate(full=True)
    return arr[0]
