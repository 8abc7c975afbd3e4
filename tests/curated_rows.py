"""Helpers shared by the fixture writers of several test folders (on the path via pytest's ``pythonpath``)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any


def with_fatality_range(row: dict[str, str]) -> dict[str, str]:
    """The row with its fatality range filled where a test left it out: reports agree on the low figure
    (best = high = fatalities), and a figure was given exactly when it is above 0."""
    out = dict(row)
    low = out.get("fatalities", "") or "0"
    out["fatalities_best"] = out.get("fatalities_best") or low
    out["fatalities_high"] = out.get("fatalities_high") or out["fatalities_best"]
    out["fatalities_known"] = out.get("fatalities_known") or ("true" if int(out["fatalities_high"]) > 0 else "false")
    return out


def write_csv(path: Path, header: list[str], rows: list[Any]) -> None:
    """A curated CSV as the project writes them (LF, minimal quoting): rows as dicts or as sequences."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow([r[h] for h in header] if isinstance(r, dict) else list(r))
