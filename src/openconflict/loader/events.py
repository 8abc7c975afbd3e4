"""``openconflict.load_events()``: one pinned release's events, filtered inside the scan, in the frame asked for.

Why its own module: the events table is the one researchers filter, so its load does more than the other
tables': the filters are checked against what the release holds (:mod:`.resolve`, never an empty answer
without a word), pushed into the Parquet scan (:mod:`.scan`), typed (:mod:`.frames`) and, on request,
labelled the way ACLED's current exports are (:mod:`.labels`), for every output engine alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal

from openconflict.loader import frames, package
from openconflict.loader.columnar import open_copy
from openconflict.loader.columns import events_types
from openconflict.loader.filters import Filters
from openconflict.loader.labels import inter_labels as label_frame
from openconflict.loader.locate import locate
from openconflict.loader.resolve import resolve_filters
from openconflict.loader.scan import FileFormat, check_columns, file_columns, scan
from openconflict.loader.trust import cache, resolve
from openconflict.loader.values import Values

__all__ = ["Output", "facts", "file_for", "load_events", "require_geo"]

Output = Literal["pandas", "arrow", "polars", "duckdb", "dask", "geopandas"]
Text = str | Sequence[str] | None
DateBound = str | int | dt.date | None


def file_for(table: str, file_format: FileFormat) -> str:
    if file_format not in ("parquet", "csv"):
        raise ValueError(f"file_format={file_format!r}; choose 'parquet' or 'csv'")
    return f"data/{table}.{file_format}"


def facts() -> frames.FactStore | None:
    """Read/write of small derived facts in the cache, or None when the cache cannot be used."""
    store = cache().usable()
    if store is None:
        return None
    return (lambda name: store.read_json(".derived", name),
            lambda name, data: store.write_json(data, ".derived", name))


def require_geo() -> None:
    """GeoDataFrames need the ``geo`` extra; say so before any data is read."""
    try:
        import geopandas  # noqa: F401
        import shapely  # noqa: F401
    except ImportError:
        raise ImportError("output='geopandas' needs the optional packages of the 'geo' extra (geopandas, "
                          "shapely, pyogrio), which are not installed. Install them with: "
                          "pip install 'openconflict[geo]' (or 'openconflict[all]')") from None


def load_events(
    version: str | None = None,
    *,
    country: Text = None,
    iso3: Text = None,
    region: Text = None,
    admin1: Text = None,
    admin2: Text = None,
    location: Text = None,
    start: DateBound = None,
    end: DateBound = None,
    year: int | Sequence[int] | None = None,
    event_type: Text = None,
    sub_event_type: Text = None,
    actor: Text = None,
    actor_role: Literal["primary", "any"] = "primary",
    interaction: int | str | Sequence[int | str] | None = None,
    min_fatalities: int | None = None,
    civilian_targeting: bool | str | None = None,
    columns: Sequence[str] | None = None,
    output: Output = "pandas",
    inter_labels: bool = False,
    file_format: FileFormat = "parquet",
) -> Any:
    """The events of one release (None = latest), filtered inside the Parquet scan.

    Filters combine with AND; each takes one value or a list (any of them matches). Text filters
    (``country``, ``iso3``, ``region``, ``admin1``, ``admin2``, ``location``, ``event_type``,
    ``sub_event_type``, ``actor``) match case-insensitively; a value that occurs nowhere in the release
    raises :class:`~openconflict.errors.ArgumentError` naming the release's closest values, and a value of the
    wrong type (``iso3=760``) raises :class:`~openconflict.errors.ArgumentTypeError`.

    - ``actor`` matches ``actor1`` or ``actor2`` (the default, ``actor_role="primary"``); with
      ``actor_role="any"`` also a whole name in ``assoc_actor_1``/``assoc_actor_2``.
    - ``start``/``end`` are inclusive and take a date, "YYYY-MM-DD", "YYYY-MM" or a year; ``year`` takes
      whole years. A window or year outside the release's dates raises, stating the dates it covers.
    - ``interaction`` takes codes (12) or ACLED's labels ("State forces-Rebel group"); ``min_fatalities``
      keeps events with at least that many; ``civilian_targeting`` takes True/False or the flag's text
      ("Civilian targeting", meaning True).

    ``columns`` selects columns (filters may use others). ``output``: "pandas" (typed: datetime64 dates,
    nullable integers, pandas' text dtype for all text, vocabularies included, so every group-by and
    ``value_counts()`` shows only what exists under pandas 2 and 3 alike), "arrow", "polars",
    "duckdb" (a lazy relation), "dask" (a lazy dask DataFrame) or "geopandas" (a GeoDataFrame of points in
    WGS 84; needs the ``geo`` extra). ``inter_labels=True`` gives ``inter1``, ``inter2`` and ``interaction``
    as ACLED's current text labels ("State forces", "State forces-Rebel group", "Rebel group only"; no
    second actor is missing) in every output. ``file_format="csv"`` reads the CSV twin, with the same types.
    """
    frames.check_output(output)
    filters = Filters(country=country, iso3=iso3, region=region, admin1=admin1, admin2=admin2, location=location,
                      start=start, end=end, year=year, event_type=event_type, sub_event_type=sub_event_type,
                      actor=actor, actor_role=actor_role, interaction=interaction, min_fatalities=min_fatalities,
                      civilian_targeting=civilian_targeting)
    if output in ("duckdb", "dask"):
        if file_format != "parquet":
            raise ValueError(f"output={output!r} reads the Parquet file; file_format must be 'parquet'")
        frames.require(output if output == "duckdb" else "dask.dataframe", output)
    elif output == "polars":
        frames.require("polars", "polars")
    elif output == "geopandas":
        require_geo()
    t, release = resolve(version)
    rel = file_for("events", file_format)
    path = locate(t, release, rel).path
    sha256 = release.file(rel).sha256
    resolve_filters(filters, Values(path, file_format, sha256, facts(), release.version))
    if output == "duckdb":
        return frames.duckdb_relation(path, columns, filters, "events", labelled=inter_labels)
    if output == "dask":
        lazy = frames.dask_events(path, columns, filters)
        return lazy.map_partitions(label_frame, meta=label_frame(lazy._meta)) if inter_labels else lazy
    cols = check_columns(columns, file_columns(path, file_format, events_types()), "events")
    table = scan(path, file_format, None, cols, filters, columnar=lambda: open_copy(path, sha256))
    if output == "arrow":
        return label_frame(table) if inter_labels else table
    if output == "polars":
        vocab = package.enums(package.datapackage(t, release))
        frame = frames.polars_events(table, frames.categories(path, file_format, vocab, sha256, facts()))
        return label_frame(frame) if inter_labels else frame
    df = frames.type_pandas(frames.arrow_to_pandas(table))
    if inter_labels:
        df = label_frame(df)
    if output == "geopandas":
        from openconflict.export_geo import to_geopandas

        return to_geopandas(df)
    return df
