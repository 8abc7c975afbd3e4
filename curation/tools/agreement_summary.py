"""Write curation/agreement/summary.csv: the coder-agreement table every release ships (data/agreement).

Each completed blind sample is compared with the first coder's values as they stood when the blind coding was
committed (before the second pass corrected anything), so the rates measure independent coding, not the
reviewer agreeing with their own corrections. The datasets at that commit are taken from git. Rows: one per
batch and measure, then the batches pooled ("all"); Krippendorff's alpha (nominal) for event and sub-event type.

Only complete random samples are listed in BATCHES. Partial or headline-only codings (c1, c2, c3 of round 2,
when the search budget ran out) are left out on purpose; their files say why.

Run from the repository root: ``python curation/tools/agreement_summary.py``.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import replace
from pathlib import Path

from openconflict.curation import agreement as ag
from openconflict.errors import CurationError

ROOT = Path(__file__).resolve().parents[2]
AGREEMENT = ROOT / "curation" / "agreement"
#: (batch, sample file, second-coder file, commit whose datasets hold the first coding before review)
BATCHES = (
    ("h1", "sample-h1.csv", "second-coder-h1.csv", "5c7395f"),
    ("c4", "sample-c4.csv", "second-coder-c4.csv", "6478b3a"),
)
HEADER = ("sample", "measure", "agreements", "samples", "value")


def first_coding_tree(commit: str, into: Path) -> Path:
    """datasets/ and curation/staging/ as they were at ``commit``, extracted under ``into``."""
    data = subprocess.run(["git", "archive", "--format=tar", commit, "datasets", "curation/staging"],
                          cwd=ROOT, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into / "datasets"


def renames() -> dict[str, str]:
    """Actor renames applied to the whole dataset since (schema/crosswalk/actor_renames.csv, the rows whose new
    name is in today's actor registry): a first coding from before a rename is compared under the new name, as
    the second coding's names were updated too (commit b343f80)."""
    actors = {r["actor"] for r in csv.DictReader((ROOT / "datasets" / "actors.csv").open(encoding="utf-8"))}
    rows = csv.DictReader((ROOT / "schema" / "crosswalk" / "actor_renames.csv").open(encoding="utf-8"))
    return {r["old_name"]: r["new_name"] for r in rows if r["new_name"] in actors}


def pairs_of(sample: str, second: str, commit: str, tmp: Path) -> list[ag.Pair]:
    datasets = first_coding_tree(commit, tmp / commit)
    locations = ag.read_locations(datasets)
    drawn = ag.read_sample(AGREEMENT / sample)
    coded = {sid: ag.locate(c, locations) for sid, c in ag.read_second(AGREEMENT / second).items()}
    new = renames()
    first = {eid: replace(c, actor1=new.get(c.actor1, c.actor1), actor2=new.get(c.actor2, c.actor2))
             for eid, c in ag.read_first(datasets, list(drawn.values()), locations).items()}
    return ag.join(drawn, coded, first)


def rows_for(batch: str, pairs: list[ag.Pair]) -> list[list[object]]:
    rows: list[list[object]] = [[batch, label, k, n, round(k / n, 4)] for label, k, n in ag.rates(pairs)]
    for field in ("event_type", "sub_event_type"):
        ratings = [[getattr(p.first, field) for p in pairs], [getattr(p.second, field) for p in pairs]]
        try:
            alpha = ag.nominal_alpha(ratings)
        except CurationError:
            continue  # undefined when every coded value is the same category; the rate row still says it
        same = sum(ag.same_name(getattr(p.first, field), getattr(p.second, field)) for p in pairs)
        rows.append([batch, f"{field} (Krippendorff's alpha, nominal)", same, len(pairs), round(alpha, 4)])
    return rows


def main() -> int:
    out: list[list[object]] = []
    pooled: list[ag.Pair] = []
    with tempfile.TemporaryDirectory() as tmp:
        for batch, sample, second, commit in BATCHES:
            pairs = pairs_of(sample, second, commit, Path(tmp))
            out += rows_for(batch, pairs)
            pooled += pairs
    if len(BATCHES) > 1:
        out += rows_for("all", pooled)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(out)
    (AGREEMENT / "summary.csv").write_text(buf.getvalue(), encoding="utf-8")
    print(f"wrote {len(out)} rows for {len(BATCHES)} batches ({len(pooled)} sampled events)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
