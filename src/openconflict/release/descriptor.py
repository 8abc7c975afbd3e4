"""The release descriptor (``datapackage.json``): Data Package v2 metadata of one release.

Why its own module: the descriptor is the contract a researcher's tools (frictionless, dplib, R's
frictionless) read first; what goes into it depends only on the plan (version, date, diff, sources) and on
the written CSV files' sizes and hashes, so it is a pure function of those, and its bytes are reproducible.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from openconflict.ledger import PACKAGE, FileEntry
from openconflict.schema import RELEASE_TABLES, Schema

if TYPE_CHECKING:
    from openconflict.release.plan import ReleasePlan

__all__ = ["DP_PROFILE", "PARQUET_MEDIATYPE", "descriptor", "descriptor_bytes", "events_fields", "table_schema"]

DP_PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
PARQUET_MEDIATYPE = "application/vnd.apache.parquet"
GAZETTEER_CREDIT = {
    "title": "UCDP Georeferenced Event Dataset (GED): place coordinates (CC BY 4.0). Sundberg, Ralph and "
             "Erik Melander (2013) Introducing the UCDP Georeferenced Event Dataset, Journal of Peace "
             "Research 50(4); Högbladh, Stina (2019) UCDP GED Codebook version 19.1, Uppsala University",
    "path": "https://doi.org/10.1177/0022343313484347",
}
NATURAL_EARTH_CREDIT = {"title": "Natural Earth 1:110m Admin 0 countries (public domain): country bounding boxes",
                        "path": "https://www.naturalearthdata.com/"}


def table_schema(schema: Schema, name: str) -> dict[str, Any]:
    """The released Table Schema of ``name``, with vocabulary enums refreshed from the vocabularies."""
    from openconflict.codebook import synced_table_schemas

    return synced_table_schemas(schema)[f"release/{name}.json"]


def events_fields(schema: Schema) -> list[dict[str, Any]]:
    """The events table's fields as this build will publish them (what the schema diff compares)."""
    return table_schema(schema, "events")["fields"]


def _foreign_keys(name: str) -> list[dict[str, Any]]:
    if name == "events":
        return [{"fields": ["location_id"], "reference": {"resource": "locations", "fields": ["location_id"]}}]
    return []


def descriptor(schema: Schema, plan: ReleasePlan, csv_files: Mapping[str, FileEntry],
               report: FileEntry | None = None) -> dict[str, Any]:
    """The descriptor of ``plan``; ``csv_files`` gives the written CSVs' sizes and sha256 by path, and
    ``report`` the release report's page, declared as a plain (non-tabular) resource."""
    resources = []
    for name in RELEASE_TABLES:
        ts = {k: v for k, v in table_schema(schema, name).items() if k != "foreignKeys"}
        ts["fields"] = [dict(f) for f in ts["fields"]]
        fks = _foreign_keys(name)
        if fks:
            ts["foreignKeys"] = fks
        csv = csv_files[f"data/{name}.csv"]
        resources.append({
            "name": name, "type": "table", "path": f"data/{name}.csv", "format": "csv", "mediatype": "text/csv",
            "encoding": "utf-8", "bytes": csv.bytes, "hash": f"sha256:{csv.sha256}",
            "dialect": {"delimiter": ",", "header": True, "quoteChar": '"'},
            "schema": ts,
        })
        # No bytes/hash here: frictionless-py 5 reads Parquet without its byte stream and would report
        # every declared count as a mismatch. The Parquet files' sizes and sha256 are in SHA256SUMS and
        # in the ledger, which is what the loader and `openconflict verify` check.
        resources.append({
            "name": f"{name}-parquet", "type": "table", "path": f"data/{name}.parquet", "format": "parquet",
            "mediatype": PARQUET_MEDIATYPE, "schema": ts,
            "description": f"The {name} table as Parquet (zstd); same rows and columns as data/{name}.csv. "
                           "Size and sha256: see SHA256SUMS.",
        })
    if report is not None:
        resources.append({
            "name": "report", "path": report.path, "format": "html", "mediatype": "text/html",
            "encoding": "utf-8", "bytes": report.bytes, "hash": f"sha256:{report.sha256}",
            "description": "A self-contained page with this release's figures, charts, map and changes; "
                           "it fetches nothing from the network.",
        })
    diff, version = plan.diff, plan.version
    return {
        "$schema": DP_PROFILE,
        "name": PACKAGE,
        "id": f"urn:openconflict:events:{version}",
        "version": version,
        "title": "OpenConflict: political violence and protest events",
        "description": (
            f"OpenConflict release {version}: {plan.events.num_rows} events coded from cited public reports, "
            f"in ACLED's column layout. Changes against {plan.previous or 'nothing (first release)'}: "
            f"{diff.added} added, {diff.modified} modified, {diff.deleted} deleted. Not a complete record of "
            "any conflict: see codebook.md for coverage."
        ),
        "homepage": "https://github.com/openconflict/openconflict",
        "created": f"{plan.date.isoformat()}T00:00:00Z",
        "keywords": ["conflict", "political violence", "protest", "events", "Syria", "ACLED-compatible"],
        "licenses": [{"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0",
                      "path": "https://creativecommons.org/licenses/by/4.0/"}],
        "contributors": [{"title": "OpenConflict contributors", "roles": ["creator"]}],
        "sources": [{"title": f"Reports published by {p}"} for p in plan.publishers]
                   + [GAZETTEER_CREDIT, NATURAL_EARTH_CREDIT],
        "resources": resources,
    }


def descriptor_bytes(desc: Mapping[str, Any]) -> bytes:
    """The file bytes of a descriptor (deterministic: same descriptor, same bytes)."""
    return (json.dumps(desc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
