"""The public loader: ``openconflict.load_events()`` and friends.

One call turns a pinned version into a typed DataFrame: the registry says what the files
must hash to, :mod:`openconflict.cache` finds or fetches a verified copy, and the filters
are pushed into the Parquet scan so that a country-year reads a few row groups of the
sorted file instead of the whole release.

pandas, pyarrow and the optional engines are imported inside functions, never at module
import, so ``import openconflict`` stays fast.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections.abc import Iterable, Sequence
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from openconflict import cache as _cache
from openconflict.registry import (
    ChecksumError,
    DownloadError,
    MirrorNotConfiguredError,
    OfflineError,
    OpenConflictError,
    Registry,
    RegistryError,
    Release,
    VersionNotFoundError,
    load_registry,
)

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa
    import pyarrow.dataset as pads

__all__ = [
    "ChecksumError",
    "DownloadError",
    "MirrorNotConfiguredError",
    "OfflineError",
    "OpenConflictError",
    "RegistryError",
    "VersionNotFoundError",
    "changes",
    "download",
    "info",
    "inter_labels",
    "load_events",
    "load_table",
    "verify",
    "versions",
]

Output = Literal["pandas", "arrow", "polars", "duckdb", "dask"]
FileFormat = Literal["parquet", "csv"]
OUTPUTS: tuple[str, ...] = ("pandas", "arrow", "polars", "duckdb", "dask")
TABLES: tuple[str, ...] = ("events", "actors", "locations", "sources", "deletions", "changes")

# The released events table (ACLED's 31 columns, then our extras), as the build writes it.
EVENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("event_id_cnty", "string"),
    ("event_date", "date32"),
    ("year", "int32"),
    ("time_precision", "int32"),
    ("disorder_type", "string"),
    ("event_type", "string"),
    ("sub_event_type", "string"),
    ("actor1", "string"),
    ("assoc_actor_1", "string"),
    ("inter1", "int32"),
    ("actor2", "string"),
    ("assoc_actor_2", "string"),
    ("inter2", "int32"),
    ("interaction", "int32"),
    ("civilian_targeting", "string"),
    ("iso", "int32"),
    ("region", "string"),
    ("country", "string"),
    ("admin1", "string"),
    ("admin2", "string"),
    ("admin3", "string"),
    ("location", "string"),
    ("latitude", "float64"),
    ("longitude", "float64"),
    ("geo_precision", "int32"),
    ("source", "string"),
    ("source_scale", "string"),
    ("notes", "string"),
    ("fatalities", "int32"),
    ("tags", "string"),
    ("timestamp", "int64"),
    ("iso3", "string"),
    ("location_id", "string"),
    ("source_ids", "string"),
    ("source_urls", "string"),
)
VOCABULARY_COLUMNS: tuple[str, ...] = (
    "disorder_type",
    "event_type",
    "sub_event_type",
    "civilian_targeting",
    "region",
    "country",
    "iso3",
    "source_scale",
)
INTER_COLUMNS: tuple[str, ...] = ("inter1", "inter2")
DEFAULT_INTER_LABELS: dict[int, str] = {
    1: "State forces",
    2: "Rebel group",
    3: "Political militia",
    4: "Identity militia",
    5: "Rioters",
    6: "Protesters",
    7: "Civilians",
    8: "External/Other forces",
}


# =========================================================================== registry API


def _registry() -> Registry:
    return load_registry()


def _release(version: str | None) -> tuple[Registry, Release]:
    reg = _registry()
    return reg, reg.get(version)


def _local_state(reg: Registry, rel: Release) -> tuple[bool, bool]:
    """(fully bundled, fully cached) by size only: cheap enough for listing every version."""
    def complete(folder: Path) -> bool:
        for f in rel.files.values():
            try:
                if (folder / f.path).stat().st_size != f.bytes:
                    return False
            except OSError:
                return False
        return True

    return complete(reg.root / rel.version), complete(_cache.version_cache_dir(rel.version))


def versions() -> pd.DataFrame:
    """Every release in the registry, oldest first, and whether it is already on this machine.

    Columns: version, date, events, size (bytes of all files), bundled, cached.
    """
    import pandas as pd

    reg = _registry()
    rows = []
    for rel in reg.releases:
        bundled, cached = _local_state(reg, rel)
        rows.append(
            {"version": rel.version, "date": rel.date, "events": rel.events, "size": rel.size,
             "bundled": bundled, "cached": cached}
        )
    df = pd.DataFrame(rows, columns=["version", "date", "events", "size", "bundled", "cached"])
    df["date"] = pd.to_datetime(df["date"], errors="coerce").astype("datetime64[ns]")
    df["events"] = df["events"].astype("Int64")
    df["size"] = df["size"].astype("Int64")
    df["bundled"] = df["bundled"].astype(bool)
    df["cached"] = df["cached"].astype(bool)
    return df


def info(version: str | None = None) -> dict[str, Any]:
    """Everything the CLI's ``info`` verb prints about one version, as plain data."""
    reg, rel = _release(version)
    bundled, cached = _local_state(reg, rel)
    base = _cache.mirror_url()
    return {
        "version": rel.version,
        "date": rel.date,
        "events": rel.events,
        "size": rel.size,
        "latest": rel.version == reg.latest.version,
        "bundled": bundled,
        "cached": cached,
        "bundled_dir": str(reg.root / rel.version),
        "cache_dir": str(_cache.version_cache_dir(rel.version)),
        "mirror": f"{base}/{rel.version}/" if base else None,
        "offline": _cache.offline(),
        "files": [{"path": f.path, "bytes": f.bytes, "sha256": f.sha256} for f in rel.files.values()],
    }


def _path(rel: Release, name: str, reg: Registry) -> Path:
    return _cache.locate(reg, rel, name).path


# =========================================================================== download / verify


def _download_one(reg: Registry, rel: Release, force: bool) -> Path:
    if not force:
        bundled = reg.root / rel.version
        if all(_cache.local_copy(reg, rel, p) == bundled / p for p in rel.files):
            return bundled
    folder = _cache.version_cache_dir(rel.version)
    for p, entry in rel.files.items():
        located = _cache.locate(reg, rel, p, force=force)
        if located.origin == "bundled":  # assemble one complete folder the user can point tools at
            _cache.copy_verified(located.path, entry, folder / p)
    return folder


def download(version: str | None = None, *, force: bool = False) -> Path | list[Path]:
    """Make every file of ``version`` (None = latest, "all" = every release) available locally.

    Returns the folder holding the complete, verified release (the bundled copy when it is
    complete, else the cache folder); a list of folders for "all".  ``force`` re-downloads.
    Useful before going offline, or to hand the CSVs to other tools.
    """
    reg = _registry()
    if version == "all":
        return [_download_one(reg, rel, force) for rel in reg.releases]
    return _download_one(reg, reg.get(version), force)


def verify(version: str | None = None, *, repair: bool = False) -> pd.DataFrame:
    """Re-hash every local copy (bundled and cached) of ``version`` (None = latest, "all").

    Returns one row per file and place: version, file, location (bundled | cache | None),
    path, status (ok | corrupt | missing), expected and actual sha256.  ``repair`` deletes
    corrupt cached copies and fetches them again (needs a mirror).  Unlike loading, which
    trusts a stat stamp, this always reads every byte: use it to detect silent disk damage.
    """
    import pandas as pd

    reg = _registry()
    releases = list(reg.releases) if version == "all" else [reg.get(version)]
    rows: list[dict[str, Any]] = []
    for rel in releases:
        folder = _cache.version_cache_dir(rel.version)
        for p, entry in rel.files.items():
            places = [("bundled", reg.root / rel.version / p), ("cache", folder / p)]
            seen = False
            for where, path in places:
                if not path.exists():
                    continue
                seen = True
                actual = _cache.sha256_file(path)
                ok = actual == entry.sha256 and path.stat().st_size == entry.bytes
                if ok:  # refresh the stamp so loads trust this re-hash
                    key = f"bundled:{path.resolve()}" if where == "bundled" else p
                    _cache.record_valid(path, entry, folder, key)
                elif repair and where == "cache":
                    path.unlink()
                    _cache.locate(reg, rel, p, force=True)
                    actual = _cache.sha256_file(path)
                    ok = actual == entry.sha256
                rows.append({"version": rel.version, "file": p, "location": where, "path": str(path),
                             "status": "ok" if ok else "corrupt", "expected": entry.sha256, "actual": actual})
            if not seen:
                rows.append({"version": rel.version, "file": p, "location": None, "path": None,
                             "status": "missing", "expected": entry.sha256, "actual": None})
    return pd.DataFrame(rows, columns=["version", "file", "location", "path", "status", "expected", "actual"])


# =========================================================================== metadata


_DP_MEMO: dict[tuple[str, int], dict[str, Any]] = {}


def _datapackage(reg: Registry, rel: Release) -> dict[str, Any] | None:
    """The release's datapackage.json, checked to be the version we asked for.

    It is small, so we fetch it if needed; when it cannot be had (offline, no mirror) the
    loader still works and only loses the vocabulary enums it uses for categories.
    """
    if "datapackage.json" not in rel.files:
        return None
    try:
        path = _path(rel, "datapackage.json", reg)
    except (OfflineError, MirrorNotConfiguredError, DownloadError):
        return None
    st = path.stat()
    key = (str(path), st.st_mtime_ns)
    if key not in _DP_MEMO:
        dp = json.loads(path.read_text(encoding="utf-8"))
        served = str(dp.get("version", rel.version))
        if served != rel.version:
            raise OpenConflictError(
                f"{path} describes version {served}, not the requested {rel.version}: the registry and "
                "release disagree. Reinstall openconflict or clear the cache folder of this version."
            )
        _DP_MEMO[key] = dp
    return _DP_MEMO[key]


def _resource_schema(dp: dict[str, Any] | None, name: str) -> dict[str, Any] | None:
    if not dp:
        return None
    for res in dp.get("resources", []):
        if res.get("name") == name or str(res.get("path", "")).startswith(f"data/{name}."):
            schema = res.get("schema")
            if isinstance(schema, dict):
                return schema
    return None


def _enums(dp: dict[str, Any] | None) -> dict[str, list[str]]:
    """Vocabulary values per column from the events Table Schema's ``enum`` constraints."""
    schema = _resource_schema(dp, "events") or {}
    out: dict[str, list[str]] = {}
    for fld in schema.get("fields", []):
        enum = (fld.get("constraints") or {}).get("enum")
        if isinstance(enum, list) and fld.get("name") in VOCABULARY_COLUMNS:
            out[fld["name"]] = [str(v) for v in enum]
    return out


def inter_labels(obj: Any = None, *, columns: Sequence[str] = ("inter1", "inter2", "interaction")) -> Any:
    """Actor-type labels instead of codes.

    ``inter_labels()`` returns the code -> label mapping (from schema/vocabularies/actor_types.csv
    when available, else the built-in table).  Given a pandas DataFrame, a pyarrow Table or a
    polars DataFrame, returns a copy whose ``inter1``/``inter2`` hold labels ("State forces")
    and ``interaction`` a pair label ("State forces-Civilians", "Rioters only"); 0 or null
    (no second actor) becomes null.  Codes are compact for analysis; labels are for tables and plots.
    """
    labels = _inter_label_table()
    if obj is None:
        return dict(labels)
    cols = [c for c in columns if c in _column_names(obj)]
    kind = _frame_kind(obj)
    mapping = {c: (_interaction_labels(labels) if c == "interaction" else labels) for c in cols}
    if kind == "pandas":
        import pandas as pd

        out = obj.copy()
        for c, m in mapping.items():
            cats = list(dict.fromkeys(m.values()))
            values = out[c].astype("Int64").map(m, na_action="ignore")
            out[c] = pd.Categorical(values, categories=cats)
        return out
    if kind == "arrow":
        import pyarrow as pa

        out = obj
        for c, m in mapping.items():
            values = [None if v is None else m.get(int(v)) for v in obj.column(c).to_pylist()]
            arr = pa.array(values, pa.string()).dictionary_encode()
            out = out.set_column(out.schema.get_field_index(c), c, arr)
        return out
    if kind == "polars":
        import polars as pl

        return obj.with_columns(
            pl.col(c).replace_strict({k: v for k, v in m.items()}, default=None, return_dtype=pl.String)
            .cast(pl.Enum(list(dict.fromkeys(m.values()))))
            for c, m in mapping.items()
        )
    raise TypeError(f"inter_labels() takes a pandas, pyarrow or polars frame, not {type(obj).__name__}")


_label_frame = inter_labels  # load_events has a parameter of the same name


def _inter_label_table() -> dict[int, str]:
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


def _column_names(obj: Any) -> list[str]:
    if _frame_kind(obj) == "arrow":
        return list(obj.column_names)
    return [str(c) for c in obj.columns]


# =========================================================================== filters


def _as_list(name: str, value: Any, *, upper: bool = False) -> list[str] | None:
    if value is None:
        return None
    values = [value] if isinstance(value, str) else list(value)
    if not values:
        raise ValueError(f"{name}=[] matches nothing; pass None to not filter on {name}")
    for v in values:
        if not isinstance(v, str):
            raise TypeError(f"{name} values must be strings, got {v!r}")
    return [v.strip().upper() if upper else v for v in values]


_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?$")


def _parse_bound(name: str, value: Any, *, end: bool) -> dt.date | None:
    """A date bound; a year or year-month means its first day for start and its last day for end."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    text = str(value).strip()[:10] if not isinstance(value, str) else value.strip()
    m = _DATE_RE.match(text)
    if not m:
        raise ValueError(f"{name}={value!r}: use a date such as '2024-03-01', '2024-03', 2024 or a datetime.date")
    year, month, day = int(m.group(1)), m.group(2), m.group(3)
    try:
        if day is not None:
            return dt.date(year, int(month), int(day))
        if month is not None:
            first = dt.date(year, int(month), 1)
            if not end:
                return first
            nxt = dt.date(year + (first.month == 12), first.month % 12 + 1, 1)
            return nxt - dt.timedelta(days=1)
        return dt.date(year, 12, 31) if end else dt.date(year, 1, 1)
    except ValueError as exc:
        raise ValueError(f"{name}={value!r}: {exc}") from None


class _Filters:
    """Normalised filters, translated into each engine's own pushdown language."""

    def __init__(self, *, country: Any, iso3: Any, admin1: Any, start: Any, end: Any,
                 event_type: Any, sub_event_type: Any, actor: Any) -> None:
        self.equals: dict[str, list[str]] = {}
        for col, val, upper in (("iso3", iso3, True), ("country", country, False), ("admin1", admin1, False),
                                ("event_type", event_type, False), ("sub_event_type", sub_event_type, False)):
            values = _as_list(col, val, upper=upper)
            if values is not None:
                self.equals[col] = values
        self.start = _parse_bound("start", start, end=False)
        self.end = _parse_bound("end", end, end=True)
        if self.start and self.end and self.start > self.end:
            raise ValueError(f"start {self.start} is after end {self.end}")
        self.actor = _as_list("actor", actor)

    @property
    def columns(self) -> list[str]:
        cols = list(self.equals)
        if self.start or self.end:
            cols.append("event_date")
        if self.actor:
            cols += ["actor1", "actor2", "assoc_actor_1", "assoc_actor_2"]
        return cols

    def check_vocabulary(self, enums: dict[str, list[str]]) -> None:
        """A misspelt event type would silently return nothing; say so instead."""
        import difflib

        for col, values in self.equals.items():
            allowed = enums.get(col)
            if not allowed:
                continue
            for v in values:
                if v not in allowed:
                    close = difflib.get_close_matches(v, allowed, n=3)
                    hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
                    raise ValueError(f"{col}={v!r} is not in this release's vocabulary{hint}")

    # ---- pyarrow dataset expression (row-group statistics pruning happens on these)

    def arrow(self) -> pads.Expression | None:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.dataset as ds

        parts: list[pads.Expression] = []
        for col, values in self.equals.items():
            # A chain of == (rather than is_in) is what the statistics simplifier prunes reliably.
            expr = ds.field(col) == values[0]
            for v in values[1:]:
                expr = expr | (ds.field(col) == v)
            parts.append(expr)
        if self.start:
            parts.append(ds.field("event_date") >= pa.scalar(self.start, pa.date32()))
        if self.end:
            parts.append(ds.field("event_date") <= pa.scalar(self.end, pa.date32()))
        if self.actor:
            pattern = _assoc_pattern(self.actor)
            expr = None
            for col in ("actor1", "actor2"):
                for v in self.actor:
                    e = ds.field(col) == v
                    expr = e if expr is None else expr | e
            for col in ("assoc_actor_1", "assoc_actor_2"):
                expr = expr | pc.coalesce(pc.match_substring_regex(ds.field(col), pattern=pattern), pa.scalar(False))
            parts.append(expr)
        if not parts:
            return None
        out = parts[0]
        for p in parts[1:]:
            out = out & p
        return out

    # ---- SQL for DuckDB (parameters, never string-pasted values)

    def sql(self) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        for col, values in self.equals.items():
            clauses.append(f"{_quote_ident(col)} IN ({', '.join('?' for _ in values)})")
            params += values
        if self.start:
            clauses.append("event_date >= ?")
            params.append(self.start)
        if self.end:
            clauses.append("event_date <= ?")
            params.append(self.end)
        if self.actor:
            marks = ", ".join("?" for _ in self.actor)
            ors = [f"actor1 IN ({marks})", f"actor2 IN ({marks})"]
            params += self.actor * 2
            for col in ("assoc_actor_1", "assoc_actor_2"):
                ors.append(f"coalesce(list_has_any(string_split({col}, '; '), ?::VARCHAR[]), false)")
                params.append(list(self.actor))
            clauses.append("(" + " OR ".join(ors) + ")")
        return (" AND ".join(clauses) or "TRUE"), params


_RE_META = set("\\.^$|?*+()[]{}")


def _assoc_pattern(values: Iterable[str]) -> str:
    """An RE2/Python regex matching one whole element of a '; '-joined list."""
    alts = "|".join("".join("\\" + ch if ch in _RE_META else ch for ch in v) for v in values)
    return f"(?:^|; )(?:{alts})(?:; |$)"


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# =========================================================================== reading


def _arrow_type(kind: str) -> pa.DataType:
    import pyarrow as pa

    return {"string": pa.string(), "date32": pa.date32(), "int32": pa.int32(), "int64": pa.int64(),
            "float64": pa.float64(), "boolean": pa.bool_()}[kind]


def _events_types() -> dict[str, pa.DataType]:
    return {name: _arrow_type(kind) for name, kind in EVENT_COLUMNS}


_TABLE_SCHEMA_TYPES = {"string": "string", "integer": "int64", "number": "float64", "date": "date32",
                       "boolean": "boolean", "year": "int64"}


def _csv_types(table: str, dp: dict[str, Any] | None) -> dict[str, pa.DataType]:
    """Column types for a CSV twin, so it reads exactly as its Parquet does."""
    if table == "events":
        return _events_types()
    schema = _resource_schema(dp, table) or {}
    return {f["name"]: _arrow_type(_TABLE_SCHEMA_TYPES.get(f.get("type", "string"), "string"))
            for f in schema.get("fields", []) if "name" in f}


def _dataset(path: Path, file_format: FileFormat, types: dict[str, pa.DataType]) -> pads.Dataset:
    import pyarrow.csv as pcsv
    import pyarrow.dataset as ds

    if file_format == "parquet":
        return ds.dataset(path, format="parquet")
    with open(path, newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh), [])
    column_types = {c: types.get(c, _arrow_type("string")) for c in header}
    fmt = ds.CsvFileFormat(
        convert_options=pcsv.ConvertOptions(column_types=column_types, strings_can_be_null=True,
                                            quoted_strings_can_be_null=True),
        read_options=pcsv.ReadOptions(block_size=1 << 24),
    )
    return ds.dataset(path, format=fmt)


def _check_columns(columns: Sequence[str] | None, available: Sequence[str], table: str) -> list[str] | None:
    if columns is None:
        return None
    if isinstance(columns, str):
        columns = [columns]
    unknown = [c for c in columns if c not in available]
    if unknown:
        raise ValueError(f"unknown {table} column(s) {unknown}; available: {', '.join(available)}")
    return list(columns)


def _scan(path: Path, file_format: FileFormat, types: dict[str, pa.DataType], columns: list[str] | None,
          filters: _Filters | None) -> pa.Table:
    """Read only the row groups and columns needed; the filter runs inside the scan."""
    expr = filters.arrow() if filters else None
    if file_format == "parquet":
        return _conform(_scan_parquet(path, columns, filters, expr), types)
    dataset = _dataset(path, file_format, types)
    table = dataset.to_table(columns=columns, filter=expr)
    return _conform(table, types)


PRUNABLE_COLUMNS = frozenset({"iso3", "country", "admin1", "event_type", "sub_event_type", "event_date"})
_PARQUET_MEMO: dict[tuple[str, int, int], tuple[Any, list[dict[str, tuple[Any, Any]]]]] = {}


def _parquet_index(path: Path) -> tuple[Any, list[dict[str, tuple[Any, Any]]]]:
    """The Parquet footer and each row group's min/max per column, read once per file and process.

    Why not a pyarrow dataset per call: building it re-reads and re-parses the footer every time, which
    costs more than reading the one or two row groups a country-year needs from the sorted file.
    """
    import pyarrow.parquet as pq

    st = path.stat()
    key = (str(path), st.st_mtime_ns, st.st_size)
    if key not in _PARQUET_MEMO:
        pf = pq.ParquetFile(path, memory_map=True)
        md = pf.metadata
        names = [md.schema.column(j).path for j in range(md.num_columns)]
        # Only the columns filters can prune on: reading every column's statistics of a file with
        # hundreds of row groups would cost more than the load it speeds up.
        prunable = [j for j, n in enumerate(names) if n in PRUNABLE_COLUMNS]
        stats: list[dict[str, tuple[Any, Any]]] = []
        for i in range(md.num_row_groups):
            rg = md.row_group(i)
            entry: dict[str, tuple[Any, Any]] = {}
            for j in prunable:
                s = rg.column(j).statistics
                if s is not None and s.has_min_max:
                    entry[names[j]] = (s.min, s.max)
            stats.append(entry)
        # Keep the parsed footer, not the open file: a ParquetFile is not safe to share between threads.
        _PARQUET_MEMO[key] = (md, stats)
    return _PARQUET_MEMO[key]


def _row_groups(stats: list[dict[str, tuple[Any, Any]]], filters: _Filters | None) -> list[int]:
    """Row groups whose statistics admit a match (equality sets and the date range)."""
    keep = []
    for i, entry in enumerate(stats):
        ok = True
        if filters is not None:
            for col, values in filters.equals.items():
                bounds = entry.get(col)
                if bounds is not None and not any(bounds[0] <= v <= bounds[1] for v in values):
                    ok = False
                    break
            dates = entry.get("event_date")
            if ok and dates is not None:
                if filters.start is not None and dates[1] < filters.start:
                    ok = False
                if filters.end is not None and dates[0] > filters.end:
                    ok = False
        if ok:
            keep.append(i)
    return keep


def _scan_parquet(path: Path, columns: list[str] | None, filters: _Filters | None, expr: Any) -> pa.Table:
    import pyarrow.parquet as pq

    md, stats = _parquet_index(path)
    pf = pq.ParquetFile(path, metadata=md, memory_map=True)
    groups = _row_groups(stats, filters)
    needed = None if columns is None else list(dict.fromkeys([*columns, *(filters.columns if filters else [])]))
    if groups:
        table = pf.read_row_groups(groups, columns=needed, use_threads=True)
    else:
        schema = pf.schema_arrow
        table = schema.empty_table() if needed is None else schema.empty_table().select(needed)
    if expr is not None:
        table = table.filter(expr)
    return table if columns is None else table.select(columns)


def _conform(table: pa.Table, types: dict[str, pa.DataType]) -> pa.Table:
    """Cast to the canonical types so every format (and any writer's quirks) read alike."""
    import pyarrow as pa

    fields = []
    for f in table.schema:
        t = types.get(f.name, f.type)
        if pa.types.is_large_string(t) or pa.types.is_string_view(t):
            t = pa.string()
        fields.append(pa.field(f.name, t))
    target = pa.schema(fields)
    return table if target.equals(table.schema) else table.cast(target)


_CATEGORIES_MEMO: dict[tuple[str, int, int], dict[str, list[str]]] = {}


def _categories(path: Path, file_format: FileFormat, enums: dict[str, list[str]]) -> dict[str, list[str]]:
    """Categories per vocabulary column: the release's enum plus every value in the file, sorted.

    Taken from the whole release (not the filtered rows) so that every load of a version,
    whatever its filters, format or engine, has the same categorical dtype and the frames
    concatenate cleanly.  Only columns without an enum are read, once per file and process.
    """
    st = path.stat()
    key = (str(path), st.st_mtime_ns, st.st_size)
    if key in _CATEGORIES_MEMO:
        return _CATEGORIES_MEMO[key]
    dataset = _dataset(path, file_format, _events_types())
    present = [c for c in VOCABULARY_COLUMNS if c in dataset.schema.names]
    need = [c for c in present if c not in enums]
    # Observed values depend only on the file's bytes, so they are kept in the cache keyed by its
    # verified sha256: a large release pays the column scan once per machine, not once per process.
    digest = _cache.stamped_sha256(path)
    memo_file = _cache.derived_dir() / f"categories-{digest}.json"
    observed: dict[str, list[str]] = {}
    if need and digest:
        try:
            saved = json.loads(memo_file.read_text(encoding="utf-8"))
            if all(c in saved["values"] for c in need):
                observed = saved["values"]
        except (OSError, ValueError, KeyError, AttributeError):
            observed = {}
    if need and not observed:
        table = dataset.to_table(columns=need)
        observed = {c: sorted(str(v) for v in table.column(c).unique().to_pylist() if v is not None)
                    for c in need}
        if digest:
            _cache.write_json_atomic(memo_file, {"sha256": digest, "values": observed})
    out = {c: sorted(set(enums.get(c, [])) | set(observed.get(c, []))) for c in present}
    _CATEGORIES_MEMO[key] = out
    return out


def _type_pandas(df: pd.DataFrame, categories: dict[str, list[str]]) -> pd.DataFrame:
    """The one place pandas dtypes are decided, whatever the file format or engine.

    Dates become datetime64[ns], integer codes nullable Int32/Int64 (missing codes stay
    missing instead of turning the column into floats), vocabularies categorical, and
    text the pandas default string dtype.
    """
    import pandas as pd

    types = dict(EVENT_COLUMNS)
    text = _text_dtype()
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
        if col in VOCABULARY_COLUMNS:
            # Values outside the categories would silently become NaN: add them rather than lose data.
            cats = list(categories.get(col, []))
            if isinstance(dtype, pd.CategoricalDtype):  # dictionary-encoded by Arrow: cheap remap
                present = [str(v) for v in dtype.categories]
                if present != cats:
                    extra = sorted(set(present) - set(cats))
                    df[col] = df[col].cat.set_categories(cats + extra)
            else:
                extra = sorted(set(map(str, df[col].dropna().unique())) - set(cats))
                df[col] = df[col].astype(pd.CategoricalDtype(cats + extra))
        elif kind == "string" and dtype != text:
            df[col] = df[col].astype(text)
    return df


def _text_dtype() -> Any:
    """pandas' own default for text: the ``str`` dtype from pandas 3, object before."""
    import pandas as pd

    return "str" if int(pd.__version__.split(".")[0]) >= 3 else object


def _arrow_to_pandas(table: pa.Table, categories: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """Arrow -> pandas with the typing done in Arrow, column by column, before the conversion.

    Vocabulary columns become dictionary arrays over the release's full category list (so pandas
    receives the final categorical dtype and does no remapping), dates become timestamp[ns], and
    integer codes map to pandas' nullable integers. :func:`_type_pandas` then finds nothing to change.
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    types = dict(EVENT_COLUMNS)
    for i, name in enumerate(table.column_names):
        typ = table.schema.field(i).type
        col = table.column(i)
        if name in VOCABULARY_COLUMNS and pa.types.is_string(typ):
            cats = pa.array(categories.get(name, []) if categories else [], pa.string())
            idx = pc.index_in(col, value_set=cats) if len(cats) else None
            if idx is not None and pc.sum(pc.is_null(idx)).as_py() == pc.sum(pc.is_null(col)).as_py():
                chunks = [pa.DictionaryArray.from_arrays(c, cats) for c in
                          (idx.chunks if isinstance(idx, pa.ChunkedArray) else [idx])]
                table = table.set_column(i, name, pa.chunked_array(chunks, pa.dictionary(pa.int32(), pa.string())))
            else:  # a value outside the known categories: _type_pandas adds it rather than lose it
                table = table.set_column(i, name, pc.dictionary_encode(col))
        elif types.get(name) == "date32" and pa.types.is_date(typ):
            table = table.set_column(i, name, pc.cast(col, pa.timestamp("ns")))

    mapping = {pa.int8(): pd.Int64Dtype(), pa.int16(): pd.Int64Dtype(), pa.int32(): pd.Int32Dtype(),
               pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}
    return table.to_pandas(types_mapper=mapping.get, date_as_object=False)


def _generic_pandas(table: pa.Table) -> pd.DataFrame:
    """Registries: integers Int64 and dates datetime64[ns], whatever width the file stored."""
    import pandas as pd
    import pyarrow as pa

    df = _arrow_to_pandas(table)
    for f in table.schema:
        if pa.types.is_null(f.type):  # an all-empty column: text, as its CSV twin reads
            df[f.name] = df[f.name].astype(_text_dtype())
        elif pa.types.is_integer(f.type):
            df[f.name] = df[f.name].astype("Int64")
        elif pa.types.is_date(f.type) or pa.types.is_timestamp(f.type):
            df[f.name] = pd.to_datetime(df[f.name]).astype("datetime64[ns]")
    return df


def _require(module: str, output: str) -> Any:
    try:
        return import_module(module)
    except ImportError:
        raise ImportError(
            f"output={output!r} needs the optional package {module.split('.')[0]!r}, which is not installed. "
            f"Install it with: pip install 'openconflict[{output}]' (or 'openconflict[all]')"
        ) from None


def _check_output(output: str) -> None:
    if output not in OUTPUTS:
        raise ValueError(f"output={output!r}; choose one of {', '.join(map(repr, OUTPUTS))}")


def _file_for(table: str, file_format: FileFormat) -> str:
    if file_format not in ("parquet", "csv"):
        raise ValueError(f"file_format={file_format!r}; choose 'parquet' or 'csv'")
    return f"data/{table}.{file_format}"


def load_events(
    version: str | None = None,
    *,
    country: str | Sequence[str] | None = None,
    iso3: str | Sequence[str] | None = None,
    admin1: str | Sequence[str] | None = None,
    start: str | int | dt.date | None = None,
    end: str | int | dt.date | None = None,
    event_type: str | Sequence[str] | None = None,
    sub_event_type: str | Sequence[str] | None = None,
    actor: str | Sequence[str] | None = None,
    columns: Sequence[str] | None = None,
    output: Output = "pandas",
    inter_labels: bool = False,
    file_format: FileFormat = "parquet",
) -> Any:
    """The events of one release (None = latest), filtered inside the Parquet scan.

    Each filter takes one value or a list (any of them matches); filters combine with AND.
    ``start``/``end`` are inclusive and take a date, "YYYY-MM-DD", "YYYY-MM" or a year.
    ``actor`` matches actor1, actor2 and the associated-actor lists.  ``columns`` selects
    columns (filters may use others).  ``output``: "pandas" (typed: datetime64 dates,
    categorical vocabularies, nullable integers), "arrow", "polars", "duckdb" (a lazy
    relation over the Parquet file) or "dask" (a lazy dask DataFrame).  ``inter_labels``
    replaces actor-type codes by labels.  ``file_format="csv"`` reads the CSV twin instead,
    with exactly the same types.
    """
    _check_output(output)
    if inter_labels and output in ("duckdb", "dask"):
        raise ValueError("inter_labels=True works with pandas, arrow and polars output; "
                         "for duckdb/dask apply openconflict.inter_labels() to the computed result")
    filters = _Filters(country=country, iso3=iso3, admin1=admin1, start=start, end=end,
                       event_type=event_type, sub_event_type=sub_event_type, actor=actor)
    if output in ("duckdb", "dask"):
        if file_format != "parquet":
            raise ValueError(f"output={output!r} reads the Parquet file; file_format must be 'parquet'")
        _require(output if output == "duckdb" else "dask.dataframe", output)
    reg, rel = _release(version)
    path = _path(rel, _file_for("events", file_format), reg)
    enums = _enums(_datapackage(reg, rel))
    filters.check_vocabulary(enums)
    types = _events_types()

    if output == "duckdb":
        return _duckdb_events(path, columns, filters)
    categories = _categories(path, file_format, enums)
    if output == "dask":
        return _dask_events(path, columns, filters, categories)

    if file_format == "parquet":
        names = _parquet_index(path)[0].schema.to_arrow_schema().names
    else:
        names = _dataset(path, file_format, types).schema.names
    cols = _check_columns(columns, names, "events")
    table = _scan(path, file_format, types, cols, filters)
    if output == "arrow":
        return _label_frame(table) if inter_labels else table
    if output == "polars":
        pl = _require("polars", "polars")
        frame = pl.from_arrow(table)
        frame = frame.with_columns(
            pl.col(c).cast(pl.Enum(categories[c])) for c in VOCABULARY_COLUMNS if c in frame.columns
        )
        return _label_frame(frame) if inter_labels else frame
    df = _type_pandas(_arrow_to_pandas(table, categories), categories)
    return _label_frame(df) if inter_labels else df


def _duckdb_events(path: Path, columns: Sequence[str] | None, filters: _Filters) -> Any:
    duckdb = _require("duckdb", "duckdb")
    import pyarrow.parquet as pq

    cols = _check_columns(columns, pq.read_schema(path).names, "events")
    select = ", ".join(_quote_ident(c) for c in cols) if cols else "*"
    where, params = filters.sql()
    literal = "'" + str(path).replace("'", "''") + "'"
    return duckdb.sql(f"SELECT {select} FROM read_parquet({literal}) WHERE {where}", params=params)


def _dask_events(path: Path, columns: Sequence[str] | None, filters: _Filters,
                 categories: dict[str, list[str]]) -> Any:
    """A lazy dask DataFrame with one partition per row group that survives the pruning.

    Partitions are planned with pyarrow's own statistics pruning and read with the same
    scan and typing as the pandas output, so both give identical rows, order and dtypes
    (dask's own read_parquet reorders row groups when given filters).
    """
    dd = _require("dask.dataframe", "dask")
    import functools

    import pyarrow.dataset as ds

    dataset = ds.dataset(path, format="parquet")
    cols = _check_columns(columns, dataset.schema.names, "events")
    expr = filters.arrow()
    fragment = next(iter(dataset.get_fragments()))
    groups = [rg.id for piece in fragment.split_by_row_group(expr) for rg in piece.row_groups]
    read = functools.partial(_read_row_groups, str(path), cols, filters, categories)
    meta = read([])
    if not groups:
        return dd.from_pandas(meta, npartitions=1)
    return dd.from_map(read, [[g] for g in groups], meta=meta, enforce_metadata=False)


def _read_row_groups(path: str, columns: list[str] | None, filters: _Filters,
                     categories: dict[str, list[str]], row_groups: list[int]) -> pd.DataFrame:
    """One dask partition: the given row groups, filtered and typed exactly as load_events does."""
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    read_cols = None if columns is None else list(dict.fromkeys([*columns, *filters.columns]))
    table = pf.read_row_groups(row_groups, columns=read_cols) if row_groups else \
        pf.schema_arrow.empty_table().select(read_cols or pf.schema_arrow.names)
    expr = filters.arrow()
    if expr is not None:
        table = table.filter(expr)
    if columns is not None:
        table = table.select(columns)
    return _type_pandas(_arrow_to_pandas(_conform(table, _events_types()), categories), categories)


def load_table(
    name: str,
    version: str | None = None,
    *,
    columns: Sequence[str] | None = None,
    output: Output = "pandas",
    file_format: FileFormat = "parquet",
) -> Any:
    """One of the release's other tables: actors, locations, sources, deletions or changes.

    ``name="events"`` is the same as :func:`load_events` without filters.  pandas output
    uses nullable Int64 for integers and datetime64[ns] for dates, whichever format is read.
    """
    if name == "events":
        return load_events(version, columns=columns, output=output, file_format=file_format)
    if name not in TABLES:
        raise ValueError(f"unknown table {name!r}; choose one of {', '.join(TABLES)}")
    _check_output(output)
    reg, rel = _release(version)
    if output in ("duckdb", "dask") and file_format != "parquet":
        raise ValueError(f"output={output!r} reads the Parquet file; file_format must be 'parquet'")
    path = _path(rel, _file_for(name, file_format), reg)
    types = _csv_types(name, _datapackage(reg, rel) if file_format == "csv" else None)
    if output == "duckdb":
        duckdb = _require("duckdb", "duckdb")
        import pyarrow.parquet as pq

        cols = _check_columns(columns, pq.read_schema(path).names, name)
        select = ", ".join(_quote_ident(c) for c in cols) if cols else "*"
        return duckdb.sql(f"SELECT {select} FROM read_parquet('" + str(path).replace("'", "''") + "')")
    if output == "dask":
        dd = _require("dask.dataframe", "dask")
        return dd.read_parquet(str(path), columns=list(columns) if columns else None)
    dataset = _dataset(path, file_format, types)
    cols = _check_columns(columns, dataset.schema.names, name)
    table = dataset.to_table(columns=cols)
    if file_format == "csv" and name != "events":
        # Without a Table Schema in datapackage.json, match the Parquet's own types when it is local.
        pq_path = _cache.local_copy(reg, rel, _file_for(name, "parquet")) if not types else None
        if pq_path is not None:
            import pyarrow.parquet as pq

            table = _conform(table, {f.name: f.type for f in pq.read_schema(pq_path)})
    if output == "arrow":
        return table
    if output == "polars":
        return _require("polars", "polars").from_arrow(table)
    return _generic_pandas(table)


# =========================================================================== changes


CHANGE_COLUMNS: tuple[str, ...] = ("event_id", "change", "field", "old_value", "new_value")


def changes(old: str, new: str, *, output: Literal["pandas", "arrow"] = "pandas") -> Any:
    """What changed in the events between two versions: one row per added or deleted event
    and per modified field (event_id, change, field, old_value, new_value).

    For consecutive versions this is the release's own changes table; otherwise it is
    computed by comparing the two events tables by event_id_cnty (values as text, the
    ``timestamp`` bookkeeping column ignored), with the build's own diff code.
    """
    import pyarrow as pa

    if output not in ("pandas", "arrow"):
        raise ValueError("changes() output must be 'pandas' or 'arrow'")
    reg = _registry()
    old_rel, new_rel = reg.get(old), reg.get(new)
    if old_rel.version == new_rel.version:
        table = pa.table({c: pa.array([], pa.string()) for c in CHANGE_COLUMNS})
    else:
        prev = reg.previous(new_rel.version)
        consecutive = prev is not None and prev.version == old_rel.version
        if consecutive and "data/changes.parquet" in new_rel.files:
            table = load_table("changes", new_rel.version, output="arrow")
        else:
            table = _diff_events(reg, old_rel, new_rel)
    if output == "arrow":
        return table
    return _generic_pandas(table)


def _diff_events(reg: Registry, old: Release, new: Release) -> pa.Table:
    """Compare two events tables with the same code the build uses for its changes table."""
    from openconflict.diff import diff_events

    types = _events_types()
    a = _scan(_path(old, "data/events.parquet", reg), "parquet", types, None, None)
    b = _scan(_path(new, "data/events.parquet", reg), "parquet", types, None, None)
    return diff_events(a, b).changes
