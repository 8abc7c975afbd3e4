"""Turning scanned Arrow tables into the frames researchers asked for, with the same types every time.

Why one module: pandas output must have real types (datetime64 dates, nullable integers, pandas' own text
dtype for text and vocabularies alike) whichever file format or engine produced the rows, and the
polars, DuckDB and Dask outputs must return exactly the rows the pandas output has. polars vocabularies are
Enums over the release's whole category list (so filtered loads of one version concatenate; a polars
group-by never invents empty groups).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openconflict.loader.columns import EVENT_COLUMNS, VOCABULARY_COLUMNS, events_types
from openconflict.loader.filters import Filters, quote_ident
from openconflict.loader.scan import FileFormat, check_columns, conform, dataset, file_columns

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

__all__ = ["OUTPUTS", "arrow_to_pandas", "categories", "check_output", "dask_events", "duckdb_relation",
           "generic_pandas", "polars_events", "require", "text_dtype", "type_pandas"]

OUTPUTS: tuple[str, ...] = ("pandas", "arrow", "polars", "duckdb", "dask", "geopandas")
_CATEGORIES: dict[str, dict[str, list[str]]] = {}
_CATEGORIES_LOCK = threading.Lock()
#: (read, write) of small JSON facts kept beside the cache, keyed by a file's sha256; see loader.cache.
FactStore = tuple[Callable[[str], Any], Callable[[str, Any], None]]


def check_output(output: str) -> None:
    if output not in OUTPUTS:
        raise ValueError(f"output={output!r}; choose one of {', '.join(map(repr, OUTPUTS))}")


def require(module: str, output: str) -> Any:
    """Import an optional engine, or say which extra installs it."""
    try:
        return import_module(module)
    except ImportError:
        raise ImportError(
            f"output={output!r} needs the optional package {module.split('.')[0]!r}, which is not installed. "
            f"Install it with: pip install 'openconflict[{output}]' (or 'openconflict[all]')"
        ) from None


def categories(path: Path, file_format: FileFormat, enums: dict[str, list[str]], sha256: str,
               facts: FactStore | None) -> dict[str, list[str]]:
    """Categories per vocabulary column: the release's enum plus every value in the file, sorted.

    Taken from the whole release (not the filtered rows) so that every load of a version, whatever its
    filters, format or engine, has the same categorical dtype and the frames concatenate cleanly. The
    observed values depend only on the file's bytes, so they are remembered under its verified sha256: in
    this process, and (through ``facts``) on disk, so a large release pays the column scan once per machine.
    """
    key = f"{sha256}:{file_format}:{sorted(enums.items())!r}"
    with _CATEGORIES_LOCK:
        known = _CATEGORIES.get(key)
    if known is not None:
        return known
    names = file_columns(path, file_format, events_types())  # the memoised footer: no dataset needed
    present = [c for c in VOCABULARY_COLUMNS if c in names]
    need = [c for c in present if c not in enums]
    name = f"categories-{sha256}.json"
    observed: dict[str, list[str]] = {}
    if need and facts is not None:
        saved = facts[0](name)
        values = saved.get("values") if isinstance(saved, dict) else None
        if isinstance(values, dict) and all(isinstance(values.get(c), list) for c in need):
            observed = {c: [str(v) for v in values[c]] for c in need}
    if need and not observed:
        table = dataset(path, file_format, events_types()).to_table(columns=need)
        observed = {c: sorted(str(v) for v in table.column(c).unique().to_pylist() if v is not None)
                    for c in need}
        if facts is not None:
            facts[1](name, {"sha256": sha256, "values": observed})
    out = {c: sorted(set(enums.get(c, [])) | set(observed.get(c, []))) for c in present}
    with _CATEGORIES_LOCK:
        _CATEGORIES[key] = out
    return out


def text_dtype() -> Any:
    """pandas' own default for text: the ``str`` dtype from pandas 3, object before."""
    import pandas as pd

    return "str" if int(pd.__version__.split(".")[0]) >= 3 else object


def type_pandas(df: pd.DataFrame) -> pd.DataFrame:
    """The one place pandas dtypes are decided, whatever the file format or engine.

    Vocabulary columns are text, like every other text column, not categorical: under pandas 2 a group-by
    on a categorical column (``observed=False``, pandas 2's default) returns every combination of its
    categories with the other keys, most of them empty, and ``value_counts()`` lists categories with zero
    rows; even categories trimmed to the values present still combine into groups that do not exist. Text
    gives only the groups that exist under every pandas version (``.astype("category")`` is one call away).
    """
    import pandas as pd

    types = dict(EVENT_COLUMNS)
    text = text_dtype()
    for col in df.columns:
        kind = types.get(col)
        dtype = df[col].dtype
        if kind == "date32" and str(dtype) != "datetime64[ns]":
            df[col] = pd.to_datetime(df[col]).astype("datetime64[ns]")
        elif kind == "int32" and str(dtype) != "Int32":
            df[col] = df[col].astype("Int32")
        elif kind == "int64" and str(dtype) != "Int64":
            df[col] = df[col].astype("Int64")
        elif kind == "float64" and str(dtype) != "float64":
            df[col] = df[col].astype("float64")
        elif (kind == "string" or col in VOCABULARY_COLUMNS) and dtype != text:
            df[col] = _as_text(df[col], text)
    return df


def _as_text(series: pd.Series, text: Any) -> pd.Series:
    import pandas as pd

    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(object).where(series.notna(), None)
    return series.astype(text)


def arrow_to_pandas(table: pa.Table) -> pd.DataFrame:
    """Arrow -> pandas with the typing done in Arrow, column by column, before the conversion.

    Dictionary-encoded text becomes plain text, dates become timestamp[ns], and integer codes map to
    pandas' nullable integers; :func:`type_pandas` then finds nothing to change.
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    types = dict(EVENT_COLUMNS)
    for i, name in enumerate(table.column_names):
        typ = table.schema.field(i).type
        col = table.column(i)
        if pa.types.is_dictionary(typ):
            table = table.set_column(i, name, pc.cast(col, typ.value_type))
        elif types.get(name) == "date32" and pa.types.is_date(typ):
            table = table.set_column(i, name, pc.cast(col, pa.timestamp("ns")))
    mapping = {pa.int8(): pd.Int64Dtype(), pa.int16(): pd.Int64Dtype(), pa.int32(): pd.Int32Dtype(),
               pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}
    return table.to_pandas(types_mapper=mapping.get, date_as_object=False)


def generic_pandas(table: pa.Table) -> pd.DataFrame:
    """Registries: integers Int64 and dates datetime64[ns], whatever width the file stored."""
    import pandas as pd
    import pyarrow as pa

    df = arrow_to_pandas(table)
    for f in table.schema:
        if pa.types.is_null(f.type):  # an all-empty column: text, as its CSV twin reads
            df[f.name] = df[f.name].astype(text_dtype())
        elif pa.types.is_integer(f.type):
            df[f.name] = df[f.name].astype("Int64")
        elif pa.types.is_date(f.type) or pa.types.is_timestamp(f.type):
            df[f.name] = pd.to_datetime(df[f.name]).astype("datetime64[ns]")
    return df


def polars_events(table: pa.Table, cats: dict[str, list[str]]) -> Any:
    """A polars frame with vocabulary columns as Enum over the release's categories."""
    pl = require("polars", "polars")
    frame = pl.from_arrow(table)
    return frame.with_columns(pl.col(c).cast(pl.Enum(cats[c])) for c in VOCABULARY_COLUMNS if c in frame.columns)


def duckdb_relation(path: Path, columns: Sequence[str] | None, filters: Filters | None, table: str,
                    labelled: bool = False) -> Any:
    """A lazy DuckDB relation over one Parquet file, the filters as bound parameters; with ``labelled`` the
    actor-type and interaction codes read as ACLED's text labels."""
    duckdb = require("duckdb", "duckdb")
    import pyarrow.parquet as pq

    names = pq.read_schema(path).names
    cols = check_columns(columns, names, table)
    if labelled:
        from openconflict.loader.labels import LABELLED_COLUMNS, label_sql

        select = ", ".join(f"{label_sql(c, quote_ident(c))} AS {quote_ident(c)}" if c in LABELLED_COLUMNS
                           else quote_ident(c) for c in (cols or names))
    else:
        select = ", ".join(quote_ident(c) for c in cols) if cols else "*"
    where, params = filters.sql() if filters is not None else ("TRUE", [])
    literal = "'" + str(path).replace("'", "''") + "'"
    return duckdb.sql(f"SELECT {select} FROM read_parquet({literal}) WHERE {where}", params=params)


def dask_events(path: Path, columns: Sequence[str] | None, filters: Filters) -> Any:
    """A lazy dask DataFrame with one partition per row group that survives the pruning.

    Partitions are planned with pyarrow's own statistics pruning and read with the same scan and typing as
    the pandas output, so both give identical rows, order and dtypes (dask's own read_parquet reorders row
    groups when given filters).
    """
    dd = require("dask.dataframe", "dask")
    import functools

    import pyarrow.dataset as ds

    data = ds.dataset(path, format="parquet")
    cols = check_columns(columns, data.schema.names, "events")
    fragment = next(iter(data.get_fragments()))
    groups = [rg.id for piece in fragment.split_by_row_group(filters.arrow()) for rg in piece.row_groups]
    read = functools.partial(_read_row_groups, str(path), cols, filters)
    meta = read([])
    if not groups:
        return dd.from_pandas(meta, npartitions=1)
    return dd.from_map(read, [[g] for g in groups], meta=meta, enforce_metadata=False)


def _read_row_groups(path: str, columns: list[str] | None, filters: Filters,
                     groups: list[int]) -> pd.DataFrame:
    """One dask partition: the given row groups, filtered and typed exactly as load_events does."""
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    read_cols = None if columns is None else list(dict.fromkeys([*columns, *filters.columns]))
    table = pf.read_row_groups(groups, columns=read_cols) if groups else \
        pf.schema_arrow.empty_table().select(read_cols or pf.schema_arrow.names)
    expr = filters.arrow()
    if expr is not None:
        table = table.filter(expr)
    if columns is not None:
        table = table.select(columns)
    return type_pandas(arrow_to_pandas(conform(table, events_types())))
