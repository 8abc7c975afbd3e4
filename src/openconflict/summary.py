"""A readable summary of one release folder, for ``openconflict info``.

Why: a researcher deciding whether a release answers their question wants to know, at a glance, what
period and places it covers, what kinds of events it holds, how many reports from how many publishers
stand behind it, under which licence it may be used, how to cite it and where the codebook is. The raw
``datapackage.json`` has some of this and none of it readably; ``--json`` keeps the machine form
(:func:`summary_data`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

__all__ = ["summary", "summary_data"]

_TOP = 8  # list at most this many admin1 units by name


def summary_data(folder: str | os.PathLike[str]) -> dict[str, Any]:
    """The facts :func:`summary` prints, as plain JSON-ready data."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    root = Path(folder)
    descriptor = _read_json(root / "datapackage.json")
    events_path = root / "data" / "events.parquet"
    if not events_path.is_file():
        raise FileNotFoundError(f"{root} holds no data/events.parquet; is it a release folder?")
    events = pq.read_table(events_path, columns=["event_date", "event_type", "country", "admin1", "fatalities",
                                                 "latitude", "longitude"])
    dates = events.column("event_date")
    data: dict[str, Any] = {
        "version": descriptor.get("version"),
        "created": descriptor.get("created"),
        "events": events.num_rows,
        "first_date": _iso(pc.min(dates).as_py()),
        "last_date": _iso(pc.max(dates).as_py()),
        "fatalities": int(pc.sum(events.column("fatalities")).as_py() or 0),
        "countries": _counts(events.column("country")),
        "admin1": _counts(events.column("admin1")),
        "event_types": _counts(events.column("event_type")),
        "bbox": None,
        "licenses": [{k: v for k, v in lic.items() if k in ("name", "title", "path")}
                     for lic in descriptor.get("licenses", []) if isinstance(lic, dict)],
        "codebook": str((root / "codebook.md").resolve()) if (root / "codebook.md").is_file() else None,
        "reports": None,
        "publishers": None,
        "changes": None,
    }
    if events.num_rows:
        lon, lat = events.column("longitude"), events.column("latitude")
        data["bbox"] = [pc.min(lon).as_py(), pc.min(lat).as_py(), pc.max(lon).as_py(), pc.max(lat).as_py()]
    sources = root / "data" / "sources.parquet"
    if sources.is_file():
        table = pq.read_table(sources, columns=["publisher"])
        data["reports"] = table.num_rows
        data["publishers"] = len(pc.unique(table.column("publisher")).drop_null())
    changes = root / "data" / "changes.parquet"
    if changes.is_file():
        counts = _counts(pq.read_table(changes, columns=["change"]).column("change"))
        data["changes"] = {kind: counts.get(kind, 0) for kind in ("added", "modified", "deleted")}
    data["citation"] = _citation(root, data["version"])
    return data


def summary(folder: str | os.PathLike[str]) -> str:
    """A few lines of text describing the release in ``folder`` (a ``build/releases/<version>`` folder)."""
    d = summary_data(folder)
    created = (d["created"] or "")[:10]
    lines = [f"OpenConflict {d['version']}" + (f" (released {created})" if created else "")]
    lines.append(f"  Events:      {d['events']:,}, {d['first_date']} to {d['last_date']}"
                 if d["events"] else "  Events:      none")
    lines.append(f"  Fatalities:  {d['fatalities']:,} (sum of the lowest figure reported for each event)")
    if d["countries"]:
        lines.append("  Countries:   " + _listing(d["countries"]))
        more = len(d["admin1"]) - _TOP
        lines.append(f"  Admin1:      {_n(len(d['admin1']), 'unit')}: " + _listing(d["admin1"], _TOP)
                     + (f", and {more} more" if more > 0 else ""))
    if d["bbox"]:
        w, s, e, n = d["bbox"]
        lines.append(f"  Area:        longitude {w} to {e}, latitude {s} to {n} (WGS 84)")
    if d["event_types"]:
        lines.append("  Event types: " + _listing(d["event_types"]))
    if d["reports"] is not None:
        lines.append(f"  Sources:     {_n(d['reports'], 'report')} from {_n(d['publishers'], 'publisher')}")
    if d["changes"] is not None:
        c = d["changes"]
        lines.append(f"  Changes:     {c['added']} added, {c['modified']} modified, {c['deleted']} deleted "
                     "against the previous release")
    for lic in d["licenses"]:
        lines.append(f"  Licence:     {lic.get('title') or lic.get('name')}"
                     + (f" ({lic['name']})" if lic.get("title") and lic.get("name") else "")
                     + (f", {lic['path']}" if lic.get("path") else ""))
    if d["codebook"]:
        lines.append(f"  Codebook:    {d['codebook']}")
    if d["citation"]:
        lines.append("  Cite as:     " + d["citation"].strip().replace("\n", "\n               "))
        lines.append(f"               (BibTeX or CFF: openconflict cite {d['version']} --format bibtex|cff)")
    return "\n".join(lines) + "\n"


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"no {path.name} in {path.parent}; is it a release folder?") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a JSON object")
    return data


def _n(count: int, word: str) -> str:
    return f"{count:,} {word}" + ("" if count == 1 else "s")


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def _counts(column: Any) -> dict[str, int]:
    """Value -> count, most frequent first, ties by name; missing values are left out."""
    import pyarrow.compute as pc

    pairs = [(str(v["values"]), int(v["counts"])) for v in pc.value_counts(column.drop_null()).to_pylist()]
    return dict(sorted(pairs, key=lambda p: (-p[1], p[0])))


def _listing(counts: dict[str, int], limit: int | None = None) -> str:
    items = list(counts.items())[:limit]
    return ", ".join(f"{name} {count:,}" for name, count in items)


def _citation(root: Path, version: str | None) -> str | None:
    """The APA citation when the folder sits in a releases folder with its ledger; None otherwise."""
    if not version:
        return None
    from openconflict.cite import cite
    from openconflict.errors import OpenConflictError

    try:
        return cite(version, "apa", releases=root.parent)
    except OpenConflictError:
        return None
