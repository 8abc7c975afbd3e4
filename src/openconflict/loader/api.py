"""The public loader: ``openconflict.load_events()`` and friends.

One call turns a pinned version into a typed frame: the trusted ledger (:mod:`.trust`) says what the
release's files must hash to, :mod:`.locate` finds or fetches a verified copy, and the filters are pushed
into the Parquet scan (:mod:`.scan`) so a country-year reads a few row groups of the sorted file.

pandas, pyarrow and the optional engines are imported inside functions, never at module import, so
``import openconflict`` stays fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from openconflict.config import redact_url
from openconflict.ledger import Entry
from openconflict.loader import frames, package, settings
from openconflict.loader.apply import apply_changes
from openconflict.loader.columns import TABLES
from openconflict.loader.compare import compare_events, empty_changes
from openconflict.loader.copies import download, verify
from openconflict.loader.events import Output, file_for, load_events, require_geo
from openconflict.loader.locate import bundled_path, local_copy, locate
from openconflict.loader.scan import FileFormat, check_columns, conform, dataset, scan
from openconflict.loader.trust import Trusted, cache, refresh, resolve, trusted

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

__all__ = ["apply_changes", "changes", "download", "events_fields", "info", "load_events", "load_table", "update",
           "verify", "versions"]


def _local_state(t: Trusted, release: Entry) -> tuple[bool, bool]:
    """(fully bundled, fully cached) by size only: cheap enough for listing every version."""
    store = cache()

    def complete(find: Any) -> bool:
        for f in release.files.values():
            path = find(f.path)
            try:
                if path is None or path.stat().st_size != f.bytes:
                    return False
            except OSError:
                return False
        return True

    bundled = complete(lambda rel: bundled_path(t, release.version, rel))
    try:
        store.check()
        cached = complete(lambda rel: store.file(release.version, rel))
    except Exception:  # noqa: BLE001 - an unusable cache simply holds nothing
        cached = False
    return bundled, cached


def update() -> list[str]:
    """Fetch the mirror's ledger and accept it if it extends the trusted one; returns the versions it added."""
    return refresh()[1]


def versions(refresh: bool = False) -> pd.DataFrame:
    """Every release in the trusted ledger, in publication order, and whether it is already on this machine.

    Columns: version, date, events, size (bytes of all files), bundled, cached. With ``refresh`` the
    mirror's ledger is fetched first and accepted if it extends the trusted one (``openconflict update``).
    """
    import pandas as pd

    if refresh:
        update()
    t = trusted()
    rows = []
    for release in t.ledger.entries:
        bundled, cached = _local_state(t, release)
        rows.append({"version": release.version, "date": release.date, "events": release.events,
                     "size": release.size, "bundled": bundled, "cached": cached})
    df = pd.DataFrame(rows, columns=["version", "date", "events", "size", "bundled", "cached"])
    df["date"] = pd.to_datetime(df["date"], errors="coerce").astype("datetime64[ns]")
    for col in ("events", "size"):
        df[col] = df[col].astype("Int64")
    for col in ("bundled", "cached"):
        df[col] = df[col].astype(bool)
    return df


def info(version: str | None = None) -> dict[str, Any]:
    """Everything the CLI's ``info`` verb prints about one version, as plain data."""
    t, release = resolve(version)
    bundled, cached = _local_state(t, release)
    base = settings.mirror()
    return {
        "version": release.version, "date": release.date, "events": release.events, "size": release.size,
        "latest": release.version == t.ledger.latest.version, "bundled": bundled, "cached": cached,
        "bundled_dir": str(t.releases / release.version),
        "cache_dir": str(cache().version_dir(release.version)),
        "mirror": redact_url(f"{base}/{release.version}/") if base else None,
        "offline": settings.offline(),
        "ledger": {"source": t.source, "releases": len(t.ledger.entries), "head": t.ledger.head,
                   "entry": release.digest},
        "files": [{"path": f.path, "bytes": f.bytes, "sha256": f.sha256} for f in release.files.values()],
    }


def load_table(name: str, version: str | None = None, *, columns: Sequence[str] | None = None,
               output: Output = "pandas", file_format: FileFormat = "parquet") -> Any:
    """One of the release's other tables: actors, locations, sources, deletions or changes.

    ``name="events"`` is the same as :func:`load_events` without filters. pandas output uses nullable Int64
    for integers and datetime64[ns] for dates, whichever format is read; ``output="geopandas"`` works for
    tables with coordinates (locations) and needs the ``geo`` extra.
    """
    if name == "events":
        return load_events(version, columns=columns, output=output, file_format=file_format)
    if name not in TABLES:
        raise ValueError(f"unknown table {name!r}; choose one of {', '.join(TABLES)}")
    frames.check_output(output)
    if output in ("duckdb", "dask") and file_format != "parquet":
        raise ValueError(f"output={output!r} reads the Parquet file; file_format must be 'parquet'")
    if output == "geopandas":
        require_geo()
    t, release = resolve(version)
    path = locate(t, release, file_for(name, file_format)).path
    types = package.csv_types(name, package.datapackage(t, release) if file_format == "csv" else None)
    if output == "duckdb":
        return frames.duckdb_relation(path, columns, None, name)
    if output == "dask":
        dd = frames.require("dask.dataframe", "dask")
        return dd.read_parquet(str(path), columns=list(columns) if columns else None)
    data = dataset(path, file_format, types)
    table = data.to_table(columns=check_columns(columns, data.schema.names, name))
    if file_format == "csv" and not types:
        # Without a Table Schema in datapackage.json, match the Parquet's own types when it is local.
        pq_path = local_copy(t, release, file_for(name, "parquet"))
        if pq_path is not None:
            import pyarrow.parquet as pq

            table = conform(table, {f.name: f.type for f in pq.read_schema(pq_path)})
    if output == "arrow":
        return table
    if output == "polars":
        return frames.require("polars", "polars").from_arrow(table)
    if output == "geopandas":
        if not {"latitude", "longitude"} <= set(table.column_names):
            raise ValueError(f"output='geopandas' needs latitude and longitude columns, which {name} lacks")
        from openconflict.export_geo import to_geopandas

        return to_geopandas(frames.generic_pandas(table))
    return frames.generic_pandas(table)


def changes(old: str, new: str, *, output: Literal["pandas", "arrow"] = "pandas") -> Any:
    """What changed in the events between two versions: one row per added or deleted event and per modified
    field (event_id, change, field, old_value, new_value).

    For consecutive versions this is the later release's own changes table; otherwise the two events tables
    are compared by event_id_cnty (values as text, the ``timestamp`` bookkeeping column ignored).
    """
    if output not in ("pandas", "arrow"):
        raise ValueError("changes() output must be 'pandas' or 'arrow'")
    _, old_rel = resolve(old)
    t, new_rel = resolve(new)
    if old_rel.version == new_rel.version:
        table = empty_changes()
    else:
        prev = t.ledger.previous_of(new_rel.version)
        if prev is not None and prev.version == old_rel.version and "data/changes.parquet" in new_rel.files:
            table = load_table("changes", new_rel.version, output="arrow")
        else:
            table = compare_events(_all_events(t, old_rel), _all_events(t, new_rel))
    return table if output == "arrow" else frames.generic_pandas(table)


def _all_events(t: Trusted, release: Entry) -> pa.Table:
    return scan(locate(t, release, "data/events.parquet").path, "parquet", None, None, None)


def events_fields(version: str) -> list[dict[str, Any]] | None:
    """The events Table Schema's fields of ``version`` (for ``openconflict diff``), or None when unknown."""
    t, release = resolve(version)
    return package.events_fields(package.datapackage(t, release))

