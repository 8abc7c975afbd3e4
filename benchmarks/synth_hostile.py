"""Hostile additions to the synthetic trees: file-level mistakes, tombstone history, adversarial shapes.

Why apart from ``synth.py``: the generator writes clean curation; this module breaks it on purpose, in two
ways. ``inject_files`` plants the mistakes a row edit cannot make (folders where files belong, stray and
hidden files, broken encodings, line endings, headers, an unclosed quote, a published release whose
tombstones the tree forgot), so that together with ``synth._inject_events`` every rule of the catalogue
that can be planted is planted once. ``reshape`` turns a whole clean events table into one of the
adversarial shapes of the validate benchmark (one id everywhere, every row a duplicate, every cell wrong).
All of it is synthetic and marked so.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: Catalogue rules no synthetic tree can carry, and why (each has a test of its own in tests/validate).
NOT_INJECTED = {
    "file.missing": "every registry and folder is needed by the other injections",
    "file.unreadable": "the benchmark may run as root, whom no file permission stops",
    "warn.history-unchecked": "an unreadable history would hide the tombstone injections",
}
SHAPES = ("one-id", "duplicate-events", "all-errors")
MARKER = "SYNTHETIC.txt"


def inject_files(out: Path, countries: list[str], columns: list[str], event_files: list[str],
                 counts: np.ndarray, deleted: list[str]) -> list[tuple[str, int, str]]:
    """Plant the file-level mistakes under ``out`` (a datasets folder); returns (file, line, rule)."""
    name = out.name
    c0, c1 = countries[0], countries[1]
    header = ",".join(columns)
    planted: list[tuple[str, int, str]] = []

    def write(rel: str, data: bytes, line: int, rule: str) -> None:
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(data)
        planted.append((f"{name}/{rel}", line, rule))

    (out / "events" / c0 / "2015-01.csv").mkdir(parents=True)
    planted.append((f"{name}/events/{c0}/2015-01.csv", 0, "file.not-regular"))
    write("NOTES.txt", b"SYNTHETIC: a stray file nothing reads\n", 0, "file.unexpected")
    write(f"events/{c0}/.~lock.2016-01.csv#", b"SYNTHETIC lock file\n", 0, "warn.hidden-file")
    write(f"events/{c1}/2015-02.csv", b"", 1, "file.empty")
    write(f"events/{c1}/2015-03.csv", header.encode() + b"\nSYNTHETIC caf\xe9\n", 2, "file.encoding")
    write(f"events/{c1}/2015-04.csv", header.encode() + b"\n\xef\xbb\xbf\n", 2, "file.bom")
    write(f"events/{c1}/2015-05.csv", header.encode() + b"\r", 1, "file.line-endings")
    write(f"events/{c1}/2015-06.csv", ",".join(columns[:-1]).encode() + b"\n", 1, "file.header")
    write(f"events/{c1}/2015-07.csv", (header + ",notes\n").encode(), 1, "file.duplicate-column")
    # An unclosed quote at the end of a real month file: the file's other rows are still read.
    f = next(k for k, n in enumerate(counts) if n > 0 and event_files[k].startswith(f"events/{c1}/"))
    with (out / event_files[f]).open("ab") as fh:
        fh.write(b'"SYNTHETIC unclosed quote\n')
    planted.append((f"{name}/{event_files[f]}", int(counts[f]) + 2, "csv.malformed"))
    return planted


def publish_history(out: Path, forgotten: list[str]) -> None:
    """A published release 0.1.0 next to the tree whose tombstones include ids the tree forgot.

    Only what the validator reads is written (the ledger and ``data/deletions.parquet``), through the
    ledger's own writer; it is a synthetic stand-in, never a real release.
    """
    import shutil

    import pyarrow.parquet as pq

    from openconflict.ledger import append_release, folder_files

    releases = out.parent / "build" / "releases"
    if releases.exists():  # only ever replace our own stand-in, never a real releases folder
        if not (releases / "0.1.0" / MARKER).is_file():
            raise RuntimeError(f"{releases} exists and is not a synthetic stand-in; refusing to touch it")
        shutil.rmtree(releases)
    data = releases / "0.1.0" / "data"
    data.mkdir(parents=True)
    table = pa.table({"event_id": pa.array(forgotten, pa.string()),
                      "deleted_in": pa.array(["0.1.0"] * len(forgotten), pa.string()),
                      "reason": pa.array(["SYNTHETIC tombstone"] * len(forgotten), pa.string())})
    pq.write_table(table, data / "deletions.parquet")
    (releases / "0.1.0" / MARKER).write_text("SYNTHETIC stand-in release for the benchmark\n", encoding="utf-8")
    append_release(releases, "0.1.0", "2020-01-01", 0, folder_files(releases / "0.1.0"))


def reshape(events: pa.Table, shape: str, counts: np.ndarray) -> pa.Table:
    """One adversarial shape of a clean events table (same rows, same files)."""
    n = events.num_rows
    if shape == "one-id":
        return events.set_column(0, "event_id", pa.array(["SYR1"] * n, pa.string()))
    if shape == "duplicate-events":
        starts = np.repeat(np.cumsum(np.r_[0, counts[:-1]]), counts)
        k = np.arange(n) - starts
        src = pa.array(np.arange(n) - (k % 2))  # rows 2j+1 copy row 2j of the same file
        for col in ("event_date", "event_type", "sub_event_type", "actor1", "actor2", "assoc_actor_2",
                    "location_id", "civilian_targeting"):
            events = events.set_column(events.column_names.index(col), col, pc.take(events.column(col), src))
        return events
    if shape == "all-errors":
        num = pc.cast(pa.array(np.arange(n)), pa.string())
        bad = {
            "event_id": pc.binary_join_element_wise("bad id ", num, ""), "event_date": "2015-02-30",
            "time_precision": "9", "event_type": "Battle", "sub_event_type": "Armed Clash",
            "actor1": pc.binary_join_element_wise("SYNTHETIC unknown actor ", num, ""),
            "assoc_actor_1": "a;b", "actor2": pc.binary_join_element_wise("SYNTHETIC unknown victim ", num, ""),
            "assoc_actor_2": "x ", "location_id": pc.binary_join_element_wise("bad_loc_", num, ""),
            "geo_precision": "x", "fatalities": "-1", "fatalities_known": "maybe", "civilian_targeting": "yes",
            "source_ids": pc.binary_join_element_wise("synthetic-missing-", num, ""),
            "notes": "=SYNTHETIC()\x07", "tags": " x", "updated": "1899-01-01T00:00:00Z",
        }
        for col, value in bad.items():
            arr = value if isinstance(value, pa.Array | pa.ChunkedArray) else pa.array([value] * n, pa.string())
            events = events.set_column(events.column_names.index(col), col, arr)
        return events
    raise ValueError(f"unknown shape {shape!r}; one of {', '.join(SHAPES)}")
