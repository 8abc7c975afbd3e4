"""ACLED's text labels for actor types and interactions: the one labelling rule of the whole package.

Why one module: since late 2024 ACLED's API returns ``inter1``, ``inter2`` and ``interaction`` as text by
default, and a researcher concatenates those exports with ours; Stata value labels, the CLI's
``--acled-labels`` and ``load_events(inter_labels=True)`` must all say exactly what ACLED says. The rule:

- an actor type's label comes from ``schema/vocabularies/actor_types.csv`` (``1`` -> ``State forces``);
- an interaction is the two labels joined by ``-`` in code order (``12`` -> ``State forces-Rebel group``),
  except ``78``, which ACLED writes ``External/Other forces-Civilians``;
- a one-sided interaction ``X0`` is ``<label> only`` (``20`` -> ``Rebel group only``);
- code ``0`` (no second actor) has no label: the value is missing, as an empty cell of ACLED's CSV reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from openconflict.errors import ArgumentError, ArgumentTypeError

__all__ = ["INTERACTION_EXCEPTIONS", "LABELLED_COLUMNS", "actor_type_labels", "inter_labels", "interaction_labels",
           "label_sql", "labels_for"]

#: ACLED's one exception to "labels in code order".
INTERACTION_EXCEPTIONS: dict[int, str] = {78: "External/Other forces-Civilians"}
LABELLED_COLUMNS: tuple[str, ...] = ("inter1", "inter2", "interaction")


def actor_type_labels() -> dict[int, str]:
    """Actor-type code -> label, from the published vocabulary."""
    from openconflict.schema import load_schema

    return {code: label for code, (label, _) in sorted(load_schema().actor_types.items())}


def interaction_labels(actor_types: dict[int, str] | None = None) -> dict[int, str]:
    """Interaction code -> ACLED's label, for every valid code (X0 and XY with X <= Y)."""
    types = dict(sorted((actor_type_labels() if actor_types is None else actor_types).items()))
    out: dict[int, str] = {}
    for a, label_a in types.items():
        out[a * 10] = f"{label_a} only"
        for b, label_b in types.items():
            if b >= a:
                out[a * 10 + b] = INTERACTION_EXCEPTIONS.get(a * 10 + b, f"{label_a}-{label_b}")
    return dict(sorted(out.items()))


def labels_for(column: str) -> dict[int, str]:
    """Code -> label for one of ``inter1``, ``inter2``, ``interaction``."""
    return interaction_labels() if column == "interaction" else actor_type_labels()


def inter_labels(obj: Any = None, *, columns: Sequence[str] = LABELLED_COLUMNS) -> Any:
    """ACLED's text labels instead of actor-type and interaction codes.

    ``inter_labels()`` returns the actor-type code -> label mapping. Given a pandas DataFrame, a pyarrow
    Table or a polars DataFrame, returns a copy whose ``inter1``/``inter2``/``interaction`` hold ACLED's text
    labels as plain text (pandas' default text dtype, Arrow ``string``, polars ``String``); code 0 becomes a
    missing value. Columns that already hold labels are kept (so labelling twice changes nothing); a code
    with no ACLED label raises :class:`~openconflict.errors.ArgumentError` rather than becoming missing.
    """
    if obj is None:
        return actor_type_labels()
    kind = _frame_kind(obj)
    if kind not in ("pandas", "arrow", "polars"):
        raise ArgumentTypeError(f"inter_labels() takes a pandas, pyarrow or polars frame, not {type(obj).__name__}")
    names = list(obj.column_names) if kind == "arrow" else [str(c) for c in obj.columns]
    todo = [c for c in columns if c in names]
    if kind == "pandas":
        out = obj.copy()
        for c in todo:
            out[c] = _pandas_labels(out[c], c)
        return out
    if kind == "arrow":
        import pyarrow as pa

        out = obj
        for c in todo:
            values = _python_labels(obj.column(c).to_pylist(), c)
            out = out.set_column(out.schema.get_field_index(c), c, pa.array(values, pa.string()))
        return out
    import polars as pl

    return obj.with_columns(pl.Series(c, _python_labels(obj[c].to_list(), c), dtype=pl.String) for c in todo)


def label_sql(column: str, quoted: str) -> str:
    """A DuckDB expression giving ACLED's label of the code in ``quoted`` (an unknown code is an error)."""
    whens = " ".join(f"WHEN {quoted} = {code} THEN '{label.replace(chr(39), chr(39) * 2)}'"
                     for code, label in labels_for(column).items())
    message = f"'{column} code ' || CAST({quoted} AS VARCHAR) || ' has no ACLED label'"
    return f"CASE WHEN {quoted} IS NULL OR {quoted} = 0 THEN NULL {whens} ELSE error({message}) END"


def _label(value: Any, column: str, mapping: dict[int, str], known: set[str]) -> str | None:
    if hasattr(value, "item") and type(value).__module__ == "numpy":
        value = value.item()  # a numpy scalar: plain Python, so messages read 31 rather than np.int32(31)
    if value is None or value == 0 or value != value:  # missing, 0 (no second actor) or NaN
        return None
    if isinstance(value, str):
        if value == "":
            return None
        if value in known:
            return value
        raise ArgumentError(f"{column} holds {value!r}, which is neither a code nor one of ACLED's labels")
    try:
        code = int(value)
    except (TypeError, ValueError):
        raise ArgumentError(f"{column} holds {value!r}, which is not an actor-type code") from None
    label = mapping.get(code)
    if label is None or code != value:
        raise ArgumentError(f"{column} holds {value!r}, a code with no ACLED label (valid: "
                            f"{', '.join(map(str, mapping))})")
    return label


def _python_labels(values: list[Any], column: str) -> list[str | None]:
    mapping = labels_for(column)
    known = set(mapping.values())
    cache: dict[Any, str | None] = {}
    out = []
    for v in values:
        key = (type(v), v)
        if key not in cache:
            cache[key] = _label(v, column, mapping, known)
        out.append(cache[key])
    return out


def _pandas_labels(series: Any, column: str) -> Any:
    """One column's labels in pandas' default text dtype; done once per distinct value, not per row."""
    import pandas as pd

    text = "str" if int(pd.__version__.split(".")[0]) >= 3 else object
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    labels = _python_labels(list(uniques), column)
    mapped = pd.Series([*labels, None], dtype=object).to_numpy()[codes]
    return pd.Series(mapped, index=series.index, name=series.name, dtype=object).astype(text)


def _frame_kind(obj: Any) -> str:
    mod = type(obj).__module__.split(".")[0]
    if mod == "geopandas":
        return "pandas"
    return {"pandas": "pandas", "pyarrow": "arrow", "polars": "polars"}.get(mod, mod)
