"""What a release's ``datapackage.json`` tells the loader: vocabularies (for categories and for catching a
misspelt filter) and the Table Schemas of the other tables (so a CSV reads with its Parquet's types).

The descriptor is one of the release's files, so it is located and verified like any other; when it cannot
be had (offline, no mirror) the loader still works and only loses the vocabulary lists.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openconflict.errors import DownloadError, LedgerError, MirrorNotConfiguredError, OfflineError
from openconflict.files import hash_key
from openconflict.ledger import Entry
from openconflict.loader.columns import VOCABULARY_COLUMNS, arrow_type, events_types
from openconflict.loader.locate import locate
from openconflict.loader.trust import Trusted

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["csv_types", "datapackage", "enums", "events_fields", "resource_schema"]

DESCRIPTOR = "datapackage.json"
_MEMO: dict[tuple[str, tuple[int, ...]], dict[str, Any]] = {}
_MEMO_LOCK = threading.Lock()
_TABLE_SCHEMA_TYPES = {"string": "string", "integer": "int64", "number": "float64", "date": "date32",
                       "boolean": "boolean", "year": "int64"}


def datapackage(t: Trusted, release: Entry) -> dict[str, Any] | None:
    """The release's descriptor, checked to describe the version we asked for; None when unavailable."""
    if DESCRIPTOR not in release.files:
        return None
    try:
        path = locate(t, release, DESCRIPTOR).path
    except (OfflineError, MirrorNotConfiguredError, DownloadError):
        return None
    import os

    key = (str(path), hash_key(os.stat(path)))
    with _MEMO_LOCK:
        known = _MEMO.get(key)
    if known is None:
        known = json.loads(Path(path).read_text(encoding="utf-8"))
        served = str(known.get("version", release.version))
        if served != release.version:
            raise LedgerError(f"{path} describes version {served}, not the requested {release.version}: the ledger "
                              "and the release disagree")
        with _MEMO_LOCK:
            _MEMO[key] = known
    return known


def resource_schema(dp: dict[str, Any] | None, name: str) -> dict[str, Any] | None:
    if not dp:
        return None
    for res in dp.get("resources", []):
        if res.get("name") == name or str(res.get("path", "")).startswith(f"data/{name}."):
            schema = res.get("schema")
            if isinstance(schema, dict):
                return schema
    return None


def events_fields(dp: dict[str, Any] | None) -> list[dict[str, Any]] | None:
    """The events Table Schema's fields (what ``openconflict diff`` compares for schema changes)."""
    schema = resource_schema(dp, "events")
    fields = schema.get("fields") if schema else None
    return fields if isinstance(fields, list) else None


def enums(dp: dict[str, Any] | None) -> dict[str, list[str]]:
    """Vocabulary values per column from the events Table Schema's ``enum`` constraints."""
    out: dict[str, list[str]] = {}
    for fld in events_fields(dp) or []:
        enum = (fld.get("constraints") or {}).get("enum")
        if isinstance(enum, list) and fld.get("name") in VOCABULARY_COLUMNS:
            out[fld["name"]] = [str(v) for v in enum]
    return out


def csv_types(table: str, dp: dict[str, Any] | None) -> dict[str, pa.DataType]:
    """Column types for a CSV twin, so it reads exactly as its Parquet does."""
    if table == "events":
        return events_types()
    schema = resource_schema(dp, table) or {}
    return {f["name"]: arrow_type(_TABLE_SCHEMA_TYPES.get(f.get("type", "string"), "string"))
            for f in schema.get("fields", []) if "name" in f}
