"""Stata files of events: value labels for actor types and interactions, a dataset label, readable
variable labels.

Why its own module: Stata has rules of its own. Names have at most 32 characters, variable and dataset
labels at most 80, value labels attach only to numeric columns, and string columns have no missing value.
A Stata user also expects ``inter1 == 1`` to read "State forces" and ``interaction == 12`` to read
"State forces-Rebel group", the way ACLED's own exports name them, and a dataset label saying which
release and licence the file holds. Labels are shortened at a sentence or word boundary, never mid-word.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

__all__ = ["LABEL_LIMIT", "StataParts", "data_label", "interaction_labels", "inter_labels", "shorten",
           "stata_parts", "write_dta"]

LABEL_LIMIT = 80
STRL_OVER = 2045  # longer strings need Stata's strL type
ELLIPSIS = "..."
NO_ACTOR = "No actor"


@dataclass
class StataParts:
    """Everything ``DataFrame.to_stata`` needs: the converted frame and its labels."""

    frame: Any
    variable_labels: dict[str, str]
    value_labels: dict[str, dict[int, str]]
    data_label: str
    convert_dates: dict[str, str] = field(default_factory=dict)
    convert_strl: list[str] = field(default_factory=list)


def shorten(text: str, limit: int = LABEL_LIMIT) -> str:
    """``text`` in at most ``limit`` characters: whole if it fits, else its first sentence if that fits,
    else cut at the last word boundary with ``...``. Only a single word longer than ``limit`` is cut
    inside (there is no boundary to cut at)."""
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    end = text.find(". ")
    if 0 < end < limit:
        return text[:end + 1]
    room = limit - len(ELLIPSIS)
    cut = text.rfind(" ", 0, room + 1)
    head = text[:cut] if cut > 0 else text[:room]
    return head.rstrip(" ,;:-") + ELLIPSIS


def inter_labels(actor_types: dict[int, str] | None = None) -> dict[int, str]:
    """inter1/inter2 code -> label; 0 (no second actor) included."""
    types = _actor_types() if actor_types is None else actor_types
    return {0: NO_ACTOR, **dict(sorted(types.items()))}


def interaction_labels(actor_types: dict[int, str] | None = None) -> dict[int, str]:
    """interaction code -> label: ``<type> only`` for one-sided events (X0), else the two types joined by
    ``-`` in code order (12 "State forces-Rebel group"), with ACLED's exception for 78. The rule is the
    loader's (:func:`openconflict.loader.labels.interaction_labels`), so every output labels alike."""
    from openconflict.loader.labels import interaction_labels as acled_interaction_labels

    return acled_interaction_labels(actor_types)


def data_label(version: str | None, licence: str | None) -> str:
    """The dataset label: what the file is, which release, under which licence (at most 80 characters)."""
    parts = ["OpenConflict events" + (f" {version}" if version else "")]
    if licence:
        parts.append(f"licence {licence}")
    return shorten(", ".join(parts))


def stata_parts(frame: Any, *, version: str | None = None, licence: str | None = "CC-BY-4.0",
                descriptions: dict[str, str] | None = None) -> StataParts:
    """Convert ``frame`` (events as pandas, any dtypes load_events or read_parquet give) for Stata."""
    import numpy as np
    import pandas as pd

    if descriptions is None:
        descriptions = _descriptions()
    out = pd.DataFrame(index=pd.RangeIndex(len(frame)))
    dates: dict[str, str] = {}
    strl: list[str] = []
    for col in frame.columns:
        s = frame[col].reset_index(drop=True)
        if col == "event_date" or pd.api.types.is_datetime64_any_dtype(s.dtype):
            out[col] = pd.to_datetime(s).astype("datetime64[ns]")
            dates[col] = "td"
        elif pd.api.types.is_bool_dtype(s.dtype):
            out[col] = s.astype("float64") if s.isna().any() else s.astype("int8")
        elif pd.api.types.is_integer_dtype(s.dtype):
            out[col] = s.astype("float64") if s.isna().any() else s.astype("int64")
        elif pd.api.types.is_float_dtype(s.dtype):
            out[col] = s.astype("float64")
        else:  # text, categories, objects: Stata strings have no missing value, so missing is ""
            text = s.astype(object).where(s.notna(), "").map(str)
            out[col] = text
            if len(text) and int(text.map(lambda v: len(v.encode("utf-8"))).max()) > STRL_OVER:
                strl.append(col)
    value_labels = {c: m for c, m in (("inter1", inter_labels()), ("inter2", inter_labels()),
                                      ("interaction", interaction_labels()))
                    if c in out.columns and pd.api.types.is_numeric_dtype(out[c].dtype)}
    for c in value_labels:
        if out[c].dtype == np.float64 and not out[c].dropna().eq(out[c].dropna().round()).all():
            raise ValueError(f"{c} holds non-integer values; Stata value labels need whole codes")
    labels = {c: shorten(descriptions[c]) for c in out.columns if descriptions.get(c)}
    return StataParts(out, labels, value_labels, data_label(version, licence), dates, strl)


def write_dta(frame: Any, path: str | os.PathLike[str], *, version: str | None = None,
              licence: str | None = "CC-BY-4.0") -> int:
    """Write ``frame`` as a Stata 14+ ``.dta`` (format 118, UTF-8) with all labels; returns the row count."""
    from openconflict.export_geo import replacing

    parts = stata_parts(frame, version=version, licence=licence)
    with replacing(path) as tmp:  # a failed write leaves the previous file, and no partial one
        parts.frame.to_stata(tmp, write_index=False, version=118, convert_dates=parts.convert_dates,
                             variable_labels=parts.variable_labels, value_labels=parts.value_labels,
                             data_label=parts.data_label, convert_strl=parts.convert_strl)
    return len(parts.frame)


def _actor_types() -> dict[int, str]:
    from openconflict.loader.labels import actor_type_labels

    return actor_type_labels()


def _descriptions() -> dict[str, str]:
    from openconflict.schema import load_schema

    return {f["name"]: f.get("description", "") for f in load_schema().release["events"]["fields"]}
