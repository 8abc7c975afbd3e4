"""One-off migration (issue 15): add fatalities_best, fatalities_high and fatalities_known to the curated events.

The figures were coded during the sweeps into ``curation/staging/fatality-ranges*.csv`` (one row per event,
with the evidence: which report gave which figure). This script puts them into every monthly events file and
into the held-back events, right after ``fatalities`` as the curated schema orders them. Where a best or high
figure differs from the lowest one and the note does not state it, the coder's evidence line is appended to
the note ("Figures: ..."), so every figure stays traceable to a cited report (the validator's
``consistency.fatality-traceable`` rule). The staging files then move to ``curation/evidence/``.

Run from the repository root: ``python curation/tools/apply_fatality_ranges.py``. It refuses to write
anything when an event lacks a row, a row names no event, or a row breaks low <= best <= high.
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

from openconflict.validate.fatalities import STATED

NEW = ("fatalities_best", "fatalities_high", "fatalities_known")
ROOT = Path(__file__).resolve().parents[2]


def read_ranges(paths: list[Path]) -> dict[str, dict[str, str]]:
    ranges: dict[str, dict[str, str]] = {}
    for path in paths:
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                eid = row["event_id"].strip()
                if None in row:
                    raise SystemExit(f"{path.name}: {eid} has more cells than the header (quote the evidence)")
                if eid in ranges and ranges[eid] != row:
                    raise SystemExit(f"{path.name}: {eid} has two different rows")
                ranges[eid] = row
    return ranges


def stated(notes: str) -> set[int]:
    """The figures a note states, read exactly as the validator's traceability rule reads them."""
    return {int(m) for m in STATED.findall(notes)}


def migrate_rows(rows: list[dict[str, str]], ranges: dict[str, dict[str, str]], where: str,
                 problems: list[str]) -> int:
    """Fill the three columns of ``rows`` in place; return how many notes gained a figures line."""
    noted = 0
    for row in rows:
        r = ranges.get(row["event_id"])
        if r is None:
            problems.append(f"{where}: {row['event_id']} has no fatality-range row")
            continue
        low, best, high = int(row["fatalities"]), int(r["fatalities_best"]), int(r["fatalities_high"])
        known = r["fatalities_known"].strip().lower()
        if not low <= best <= high or known not in ("true", "false") or (known == "false" and high > 0):
            problems.append(f"{where}: {row['event_id']} low {low}, best {best}, high {high}, known {known!r}")
            continue
        row.update({"fatalities_best": str(best), "fatalities_high": str(high), "fatalities_known": known})
        missing = {best, high} - {low} - stated(row["notes"])
        if missing:
            evidence = r["evidence"].strip().rstrip(".")
            row["notes"] = f"{row['notes'].rstrip()} Figures: {evidence}."
            if set(missing) - stated(row["notes"]):
                problems.append(f"{where}: {row['event_id']} evidence does not state {sorted(missing)}")
            noted += 1
    return noted


def rewrite(path: Path, ranges: dict[str, dict[str, str]], problems: list[str]) -> tuple[str, int, int]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        header = list(reader.fieldnames or [])
        rows = list(reader)
    if "fatalities_best" in header:
        raise SystemExit(f"{path}: already migrated")
    at = header.index("fatalities") + 1
    new_header = header[:at] + list(NEW) + header[at:]
    noted = migrate_rows(rows, ranges, path.name, problems)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=new_header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue(), len(rows), noted


def main() -> int:
    staging = sorted((ROOT / "curation" / "staging").glob("fatality-ranges*.csv"))
    ranges = read_ranges(staging)
    files = sorted((ROOT / "datasets" / "events").glob("*/*.csv"))
    held = ROOT / "curation" / "staging" / "held-back-events.csv"
    problems: list[str] = []
    texts: dict[Path, str] = {}
    seen = 0
    noted = 0
    for path in [*files, held]:
        text, n, k = rewrite(path, ranges, problems)
        texts[path] = text
        seen += n
        noted += k
    ids = set()
    for path in [*files, held]:
        ids.update(r["event_id"] for r in csv.DictReader(io.StringIO(texts[path])))
    problems += [f"fatality-range row for {eid}, which is no event" for eid in sorted(set(ranges) - ids)]
    if problems:
        print("\n".join(problems), file=sys.stderr)
        print(f"{len(problems)} problem(s); nothing was written", file=sys.stderr)
        return 1
    for path, text in texts.items():
        path.write_text(text, encoding="utf-8", newline="")
    evidence = ROOT / "curation" / "evidence"
    evidence.mkdir(exist_ok=True)
    for path in staging:
        path.rename(evidence / path.name)
    print(f"{seen} events given fatality ranges from {len(staging)} staging files; {noted} notes gained a "
          "figures line")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
