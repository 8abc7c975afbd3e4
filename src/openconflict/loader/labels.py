"""Actor-type labels instead of codes, for tables and plots (codes stay compact for analysis)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from typing import Any

__all__ = ["DEFAULT_INTER_LABELS", "inter_labels"]

DEFAULT_INTER_LABELS: dict[int, str] = {
    1: "State forces", 2: "Rebel group", 3: "Political militia", 4: "Identity militia", 5: "Rioters",
    6: "Protesters", 7: "Civilians", 8: "External/Other forces",
}


def inter_labels(obj: Any = None, *, columns: Sequence[str] = ("inter1", "inter2", "interaction")) -> Any:
    """Actor-type labels instead of codes.

    ``inter_labels()`` returns the code -> label mapping (from schema/vocabularies/actor_types.csv when
    available, else the built-in table). Given a pandas DataFrame, a pyarrow Table or a polars DataFrame,
    returns a copy whose ``inter1``/``inter2`` hold labels ("State forces") and ``interaction`` a pair label
    ("State forces-Civilians", "Rioters only"); 0 or null (no second actor) becomes null.
    """
    labels = _label_table()
    if obj is None:
        return dict(labels)
    kind = _frame_kind(obj)
    names = list(obj.column_names) if kind == "arrow" else [str(c) for c in obj.columns]
    mapping = {c: (_interaction_labels(labels) if c == "interaction" else labels) for c in columns if c in names}
    if kind == "pandas":
        import pandas as pd

        out = obj.copy()
        for c, m in mapping.items():
            values = out[c].astype("Int64").map(m, na_action="ignore")
            out[c] = pd.Categorical(values, categories=list(dict.fromkeys(m.values())))
        return out
    if kind == "arrow":
        import pyarrow as pa

        out = obj
        for c, m in mapping.items():
            values = [None if v is None else m.get(int(v)) for v in obj.column(c).to_pylist()]
            out = out.set_column(out.schema.get_field_index(c), c, pa.array(values, pa.string()).dictionary_encode())
        return out
    if kind == "polars":
        import polars as pl

        return obj.with_columns(
            pl.col(c).replace_strict(dict(m), default=None, return_dtype=pl.String)
            .cast(pl.Enum(list(dict.fromkeys(m.values()))))
            for c, m in mapping.items()
        )
    raise TypeError(f"inter_labels() takes a pandas, pyarrow or polars frame, not {type(obj).__name__}")


def _label_table() -> dict[int, str]:
    try:
        from openconflict.schema import schema_dir

        path = schema_dir() / "vocabularies" / "actor_types.csv"
        with open(path, newline="", encoding="utf-8") as fh:
            table = {int(r["code"]): r["label"] for r in csv.DictReader(fh) if r.get("code")}
        return table or dict(DEFAULT_INTER_LABELS)
    except (ImportError, OSError, KeyError, ValueError):
        return dict(DEFAULT_INTER_LABELS)


def _interaction_labels(labels: dict[int, str]) -> dict[int, str]:
    out: dict[int, str] = {}
    for a, la in labels.items():
        out[a * 10] = f"{la} only"
        for b, lb in labels.items():
            if b >= a:
                out[a * 10 + b] = f"{la}-{lb}"
    return out


def _frame_kind(obj: Any) -> str:
    mod = type(obj).__module__.split(".")[0]
    return {"pandas": "pandas", "pyarrow": "arrow", "polars": "polars"}.get(mod, mod)
