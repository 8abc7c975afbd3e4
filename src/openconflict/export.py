"""Export a release's events to the formats other tools read (CSV, Parquet, JSON lines, Stata).

Why its own module: Stata has rules of its own (names of at most 32 characters, variable labels of at most 80,
value labels only on integer columns, no missing values in string columns), and they should not leak into
the loader.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

STATA_LABEL_LIMIT = 80


def _stata_frame(df: Any) -> tuple[Any, dict[str, str], dict[str, dict[int, str]]]:
    """A copy of ``df`` Stata can hold, its variable labels and the actor-type value labels."""
    import pandas as pd

    from .schema import load_schema

    schema = load_schema()
    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        s = df[col]
        if isinstance(s.dtype, pd.CategoricalDtype) or s.dtype == object or pd.api.types.is_string_dtype(s):
            out[col] = s.astype(object).where(s.notna(), "").astype(str)
        elif pd.api.types.is_integer_dtype(s):
            out[col] = s.astype("float64") if s.isna().any() else s.astype("int64")
        else:
            out[col] = s
    descriptions = {f["name"]: f["description"] for f in schema.release["events"]["fields"]}
    labels = {c: descriptions.get(c, c)[:STATA_LABEL_LIMIT] for c in out.columns}
    inter = {0: "No actor", **{code: label for code, (label, _) in schema.actor_types.items()}}
    value_labels = {c: inter for c in ("inter1", "inter2") if c in out.columns and out[c].dtype == "int64"}
    return out, labels, value_labels


def export_events(output: Path, fmt: str, version: str | None = None, **filters: Any) -> int:
    """Write the (filtered) events of ``version`` to ``output``; returns the number of events."""
    from .loader import load_events

    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        table = load_events(version, output="arrow", **filters)
        pq.write_table(table, output, compression="zstd")
        return int(table.num_rows)
    df = load_events(version, **filters)
    if fmt == "csv":
        df.to_csv(output, index=False, date_format="%Y-%m-%d")
    elif fmt == "jsonl":
        df.to_json(output, orient="records", lines=True, date_format="iso", force_ascii=False)
    elif fmt == "dta":
        frame, labels, value_labels = _stata_frame(df)
        frame.to_stata(output, write_index=False, convert_dates={"event_date": "td"}, variable_labels=labels,
                       value_labels=value_labels, version=118)
    else:
        raise ValueError(f"unknown export format {fmt!r}")
    return len(df)
