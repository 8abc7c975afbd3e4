"""A release built a few countries at a time is the release built whole, byte for byte (issue 12).

The build reads, validates, derives, compares and writes the events in parts of whole countries
(:mod:`openconflict.release.stream`) so that its memory is bounded by its largest part. These tests build
the same SYNTHETIC trees in one part and with every country a part of its own, first and later releases
(events modified, added, deleted, and a whole country deleted), and compare every file; they also check
that the parts were really used (no silent fall back to the whole plan), that the Parquet writer gives
the same bytes however a table is cut, and that the previous release is read country by country exactly.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.synth import generate  # noqa: E402

from openconflict.release import build_release, publish, sources_in, stream  # noqa: E402
from openconflict.release.write import ROW_GROUP, PartsWriter, write_table  # noqa: E402

DATE = "2026-02-01"


def _files(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _build(root: Path, out: Path, version: str, monkeypatch: pytest.MonkeyPatch, budget: int | None) -> tuple[dict, int]:
    """Build ``version`` of ``root`` into ``out`` with parts of ``budget`` bytes; the files' hashes and how
    many parts were planned. The whole plan is forbidden: the parts must publish the release themselves.
    With ``budget`` None the parts are forbidden instead: the release is planned whole (the reference)."""
    calls = []
    original = stream._plan_part

    def counted(*args: object, **kwargs: object) -> None:
        calls.append(1)
        original(*args, **kwargs)  # type: ignore[arg-type]

    def whole(*args: object, **kwargs: object) -> None:
        raise AssertionError("the release fell back to the whole plan")

    def parts(*args: object, **kwargs: object) -> None:
        raise stream.Whole("the reference is planned whole")

    with monkeypatch.context() as m:
        if budget is None:
            m.setattr(stream, "plan_in_parts", parts)
        else:
            m.setattr(stream, "PART_BYTES", budget)
            if budget < 1 << 40:  # the sources registry in many chunks and store batches too
                m.setattr(sources_in, "CHUNK_BYTES", 4096)
                m.setattr(sources_in, "STORE_ROWS", 97)
            m.setattr(stream, "_plan_part", counted)
            m.setattr(publish, "plan_release", whole)
        result = build_release(root, version, date=DATE, releases_dir=out / "releases", dist_dir=out / "dist")
    files = _files(result.path)
    files.update({f"dist/{p.name}": hashlib.sha256(p.read_bytes()).hexdigest() for p in (out / "dist").glob("*.zip")})
    return files, len(calls)


def _csv_rows(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def _revise(root: Path) -> int:
    """A later release's edits: notes revised, one event added, one deleted, one whole country deleted."""
    countries = sorted(p.name for p in (root / "events").iterdir())
    gone, kept = countries[0], countries[1]
    tombstones = []
    for path in sorted((root / "events" / gone).glob("*.csv")):
        tombstones += [line.split(",", 1)[0] for line in _csv_rows(path)[1:]]
    import shutil

    shutil.rmtree(root / "events" / gone)
    files = sorted((root / "events" / kept).glob("*.csv"))
    rows = _csv_rows(files[0])
    assert len(rows) > 2
    tombstones.append(rows[1].split(",", 1)[0])
    used = [line.split(",", 1)[0] for f in files for line in _csv_rows(f)[1:]]
    used += [line.split(",", 1)[0] for line in _csv_rows(root / "deletions.csv")[1:]]
    biggest = max(int(e[3:]) for e in used if e.startswith(kept))  # a new id: never used, never deleted
    added = rows[2].replace(rows[2].split(",", 1)[0], f"{kept}{biggest + 1}", 1)
    # an event corrected to an earlier month moves to that month's file (and, in small parts, to another part)
    last = _csv_rows(files[-1])
    moved = last[1].split(",")
    moved[1] = f"{files[0].stem}-01"
    files[-1].write_text("".join([last[0], *last[2:]]), encoding="utf-8")
    files[0].write_text("".join([rows[0], *rows[2:], added, ",".join(moved)]), encoding="utf-8")
    for path in sorted((root / "events").glob("*/*.csv"))[::7]:
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("(generated; not reported).", "(generated; not reported; revised)."),
                        encoding="utf-8")
    with (root / "deletions.csv").open("a", encoding="utf-8") as out:
        out.writelines(f"{eid},1.1.0,SYNTHETIC: removed for the parts test\n" for eid in tombstones)
    return len(tombstones)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("parts") / "datasets"
    generate(root, 2500, seed=3, n_countries=6)
    return root


def test_first_and_later_releases_in_parts_equal_the_release_in_one_part(
        tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    one, some, many, whole = (tmp_path / n for n in ("one", "some", "many", "whole"))
    size = sum(p.stat().st_size for p in tree.glob("events/*/*.csv"))
    first_whole, _ = _build(tree, whole, "1.0.0", monkeypatch, None)
    first_one, parts_one = _build(tree, one, "1.0.0", monkeypatch, 1 << 40)
    first_some, parts_some = _build(tree, some, "1.0.0", monkeypatch, size // 9)  # parts end inside countries
    assert parts_one == 1 and parts_some == 9
    assert first_one == first_some == first_whole
    _, parts_many = _build(tree, many, "1.0.0", monkeypatch, 1 << 40)

    deleted = _revise(tree)
    later_whole, _ = _build(tree, whole, "1.1.0", monkeypatch, None)
    later_one, _ = _build(tree, one, "1.1.0", monkeypatch, 1 << 40)
    later_some, _ = _build(tree, some, "1.1.0", monkeypatch, size // 9)
    later_many, parts_many = _build(tree, many, "1.1.0", monkeypatch, 1)  # every file a part of its own
    assert parts_many == len(list(tree.glob("events/*/*.csv")))
    assert later_one == later_some == later_many == later_whole
    changes = pq.read_table(many / "releases" / "1.1.0" / "data" / "changes.parquet")
    found = {k["values"]: k["counts"] for k in pc.value_counts(changes.column("change")).to_pylist()}
    assert found["added"] == 1 and found["deleted"] == deleted and found["modified"] > 0
    moved = changes.filter(pc.equal(changes.column("field"), "event_date"))
    assert len(moved) == 1  # the event that moved month was matched by id, not deleted and added


def test_a_refusal_found_in_a_part_is_the_refusal_of_the_whole_plan(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """An invalid event in the last country: the parts stop and the whole plan refuses with its report."""
    from openconflict.errors import BuildError
    from openconflict.validate import validate

    root = tmp_path / "datasets"
    generate(root, 600, seed=5, n_countries=3)
    last = sorted((root / "events").glob("*/*.csv"))[-1]
    rows = _csv_rows(last)
    rows[1] = rows[1].replace(",20", ",19", 1)  # an event date outside the file's month
    last.write_text("".join(rows), encoding="utf-8")
    expected, _ = validate([root])
    assert not expected.ok
    monkeypatch.setattr(stream, "PART_BYTES", 1)
    with pytest.raises(BuildError) as err:
        build_release(root, "1.0.0", date=DATE, releases_dir=tmp_path / "releases", dist_dir=None)
    assert err.value.args[0] == f"validation failed: {expected.summary()}"
    assert not (tmp_path / "releases" / "1.0.0").exists()
    # nothing half-written is left (the lock file stays, as after any build)
    assert [p.name for p in (tmp_path / "releases").iterdir()] == [".build.lock"]


@pytest.mark.parametrize("soon", [False, True])
@pytest.mark.parametrize("seed", range(6))
def test_the_parts_writer_gives_the_bytes_of_the_whole_table(tmp_path: Path, seed: int, soon: bool) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 3 * ROW_GROUP))
    table = pa.table({"id": pa.array([f"SYN{i}" for i in range(n)], pa.string()),
                      "note": pa.array([("x" * int(k)) if k % 5 else None for k in rng.integers(0, 40, n)],
                                       pa.string()),
                      "value": pa.array(rng.integers(-5, 5, n), pa.int32())})
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    whole.mkdir()
    parts.mkdir()
    write_table(table, whole, "t")
    cuts = sorted({0, n, *(int(c) for c in rng.integers(0, n + 1, int(rng.integers(0, 9))))} |
                  ({ROW_GROUP} if n > ROW_GROUP else set()))
    writer = PartsWriter(parts, "t", table.schema)
    writer.add(table.slice(0, 0))  # an empty part anywhere changes nothing
    for a, b in zip(cuts, cuts[1:], strict=False):
        writer.add(table.slice(a, b - a))
    if soon:  # the rest handed to the writer's threads first, as a large build does, then waited for
        writer.close_soon()
        writer.close_soon()  # (twice: nothing is written twice)
    writer.close()
    assert _files(whole) == _files(parts)
    assert writer.num_rows == n
    with pytest.raises(RuntimeError, match="added after the writer was closed"):
        writer.add(table.slice(0, 1))
    assert _files(whole) == _files(parts)


def test_the_previous_release_is_read_country_by_country_exactly(tmp_path: Path) -> None:
    from openconflict.release.write import write_parquet

    countries = ["AFG", "BRA", "CMR", "DZA", "EGY"]
    sizes = [3000, 1, 9000, 0, 4100]
    iso3 = [c for c, n in zip(countries, sizes, strict=True) for _ in range(n)]
    table = pa.table({"event_id_cnty": [f"{c}{i}" for i, c in enumerate(iso3)], "iso3": iso3,
                      "n": pa.array(range(len(iso3)), pa.int64())})
    write_parquet(table, tmp_path / "events.parquet")
    previous = stream.PreviousEvents(tmp_path / "events.parquet")
    assert previous.countries() == {c for c, n in zip(countries, sizes, strict=True) if n}
    for c in [*countries, "ZZZ"]:
        ids, rows = previous.country_ids(c)
        mask = pc.equal(table.column("iso3"), c)
        assert ids.equals(table.column("event_id_cnty").filter(mask).combine_chunks())
        assert rows.tolist() == np.flatnonzero(mask.to_numpy(zero_copy_only=False)).tolist()
    # a file not sorted by country (groups of a country apart, one group without it between): same answers
    mixed_order = np.concatenate([np.arange(0, 4096), np.arange(12100, 16101), np.arange(4096, 12100)])
    mixed = table.take(pa.array(mixed_order))
    write_parquet(mixed, tmp_path / "mixed.parquet")
    unsorted = stream.PreviousEvents(tmp_path / "mixed.parquet")
    for c in [*countries, "ZZZ"]:
        ids, rows = unsorted.country_ids(c)
        mask = pc.equal(mixed.column("iso3"), c)
        assert ids.equals(mixed.column("event_id_cnty").filter(mask).combine_chunks())
        assert rows.tolist() == np.flatnonzero(mask.to_numpy(zero_copy_only=False)).tolist()
    rng = np.random.default_rng(0)
    for k in (0, 1, 17, 5000):
        rows = np.sort(rng.choice(len(iso3), k, replace=False))
        assert previous.take(rows).equals(table.take(pa.array(rows, pa.int64())))
    # runs of rows (taken as slices of what was read): inside a row group, across groups, the whole file,
    # and runs with one row missing or one row repeated (which must not pass for a run)
    n = len(iso3)
    for a, b in [(0, 1), (5, 6), (10, 4000), (3000, 3001), (1000, 9500), (0, n), (n - 1, n), (4095, 4097)]:
        run = np.arange(a, b)
        assert previous.take(run).equals(table.take(pa.array(run, pa.int64())))
        if b - a > 2:
            for other in (np.delete(run, (b - a) // 2), np.sort(np.append(run[:-1], run[1]))):
                assert previous.take(other).equals(table.take(pa.array(other, pa.int64())))


@pytest.mark.parametrize("batch", [1, 7, 1 << 16])
def test_the_sources_written_in_batches_are_the_sources_released_whole(tmp_path: Path, batch: int,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Same bytes as the whole registry, and 'unchanged since the previous release' told batch by batch."""
    import datetime as dt

    from openconflict.curated import read_curated
    from openconflict.release import sources_out
    from openconflict.release.derive import released_sources, sources_order
    from openconflict.schema import load_schema

    root = tmp_path / "datasets"
    generate(root, 400, seed=9, n_countries=2)
    schema = load_schema()
    curated = read_curated(root, schema).tables["sources"].table
    cited = np.arange(curated.num_rows) % 3 != 0  # most reports cited, some not
    monkeypatch.setattr(sources_in, "STORE_ROWS", 61)
    store = sources_in.SourceStore.read([root / "sources.csv"], [], root, schema, dt.date(2026, 11, 30), tmp_path)
    whole = tmp_path / "whole"
    whole.mkdir()
    write_table(released_sources(curated, schema, sources_order(curated, cited)), whole, "sources")
    monkeypatch.setattr(sources_out, "BATCH_ROWS", batch)
    for name, mask, previous, same in [("first", cited, None, None), ("again", cited, whole, True),
                                       ("fewer", cited & (np.arange(curated.num_rows) != 5), whole, False)]:
        out = tmp_path / name
        out.mkdir()
        got = sources_out.write_sources(store, schema, mask, out, previous=None if previous is None else
                                        previous / "sources.parquet")
        assert got.same is same
        if name != "fewer":
            assert _files(out) == _files(whole)
            table = pq.read_table(whole / "sources.parquet")
            assert got.publishers == sorted(set(table.column("publisher").to_pylist()))
            assert got.newest == pc.max(table.column("published")).as_py()
            assert got.report.equals(table.select(["publisher", "language"]))
    edited = tmp_path / "edited"
    edited.mkdir()
    table = pq.read_table(whole / "sources.parquet")
    titles = table.column("title").to_pylist()
    titles[-1] = "SYNTHETIC: a corrected title"
    write_table(table.set_column(table.column_names.index("title"), "title", pa.array(titles, pa.string())),
                edited, "sources")
    out = tmp_path / "against-edited"
    out.mkdir()
    assert sources_out.write_sources(store, schema, cited, out, previous=edited / "sources.parquet").same is False
    # the same table in other bytes (another writer's settings) is still the same table; equal bytes answer
    # without decoding either file
    other = tmp_path / "other-writer"
    other.mkdir()
    pq.write_table(table, other / "sources.parquet", compression="snappy", row_group_size=97)
    assert (other / "sources.parquet").read_bytes() != (whole / "sources.parquet").read_bytes()
    decoded: list[int] = []
    real_take = sources_out._Rows.take
    monkeypatch.setattr(sources_out._Rows, "take", lambda self, n: decoded.append(n) or real_take(self, n))
    for name, previous, same, reads in [("vs-other", other, True, True), ("vs-whole", whole, True, False)]:
        decoded.clear()
        out = tmp_path / name
        out.mkdir()
        assert sources_out.write_sources(store, schema, cited, out, previous=previous / "sources.parquet").same is same
        assert bool(decoded) is reads
    # the ledger's digest of the previous file stands in for hashing it; a digest that does not match the new
    # file's bytes sends the answer to the batch comparison, which still finds the same table
    digest = hashlib.sha256((whole / "sources.parquet").read_bytes()).hexdigest()
    for name, known, reads in [("ledger-digest", digest, False), ("other-digest", "0" * 64, True)]:
        decoded.clear()
        out = tmp_path / name
        out.mkdir()
        got = sources_out.write_sources(store, schema, cited, out, previous=whole / "sources.parquet",
                                        previous_sha256=known)
        assert got.same is True
        assert bool(decoded) is reads


def test_parts_are_runs_of_files_in_the_release_order(tmp_path: Path) -> None:
    """Countries by name (not by code), months in order, cut only between files; a country only the previous
    release holds is planned too; every country ends in exactly one part."""
    from openconflict.schema import load_schema

    schema = load_schema()
    by_name = sorted(["SYR", "IRQ", "AFG", "YEM"], key=lambda c: schema.countries[c].name)
    files = []
    for iso3 in ["YEM", "SYR", "AFG", "IRQ"]:  # not in order on purpose
        for month in ["2020-03", "2019-12", "2020-01"]:
            path = tmp_path / iso3 / f"{month}.csv"
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(b"x" * 10)
            files.append(path)
    gone = "LBN"  # only in the previous release
    for budget, expected_parts in [(1 << 30, 1), (25, 4), (1, 12)]:  # a part closes at >= budget bytes
        parts = stream.plan_parts(files, schema, {gone}, budget)
        assert len(parts) == expected_parts
        flat = [(p.parent.name, p.stem) for part in parts for p in part.files]
        names = sorted([*by_name, gone], key=lambda c: schema.countries[c].name)
        assert flat == [(c, m) for c in names if c != gone for m in ["2019-12", "2020-01", "2020-03"]]
        assert sorted(c for part in parts for c in part.ends) == sorted(names)
        seen = [c for part in parts for c in part.countries]
        assert [c for i, c in enumerate(seen) if c not in seen[:i]] == names
    with pytest.raises(stream.Whole):
        stream.plan_parts(files, schema, {"XXX"}, 1)  # a country the vocabulary does not know


@pytest.mark.parametrize("seed", range(5))
def test_take_rows_equals_take_on_any_chunking(seed: int) -> None:
    from openconflict.release.joins import take_rows

    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 400))
    values = [None if k % 7 == 0 else f"SYNTHETIC-{k}" for k in range(n)]
    cuts = sorted({0, n, *(int(c) for c in rng.integers(0, n + 1, int(rng.integers(0, 6))))})
    column = pa.chunked_array([pa.array(values[a:b], pa.string()) for a, b in zip(cuts, cuts[1:], strict=False)]
                              or [pa.array([], pa.string())], pa.string())
    table = pa.table({"s": column, "n": pa.chunked_array([pa.array(range(n), pa.int64())])})
    for k in (0, 1, n // 2, n):
        rows = rng.integers(0, max(1, n), k) if n else np.array([], np.int64)
        got = take_rows(table, pa.array(rows, pa.int64()))
        assert got.equals(table.take(pa.array(rows, pa.int64())))


def test_a_sources_registry_saved_by_another_editor_builds_the_same_release_in_parts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """CRLF line breaks and a byte-order mark in sources.csv: the chunked store takes them (no fall back to
    the whole plan) and the release is the whole plan's, byte for byte."""
    root = tmp_path / "datasets"
    generate(root, 500, seed=13, n_countries=2)
    path = root / "sources.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    whole, _ = _build(root, tmp_path / "whole", "1.0.0", monkeypatch, None)
    parts, count = _build(root, tmp_path / "parts", "1.0.0", monkeypatch, 1 << 14)
    assert count > 1 and parts == whole


def test_a_source_id_repeated_in_another_chunk_is_refused_as_validate_reports_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from openconflict.errors import BuildError
    from openconflict.validate import validate

    root = tmp_path / "datasets"
    generate(root, 500, seed=13, n_countries=2)
    path = root / "sources.csv"
    rows = _csv_rows(path)
    path.write_text("".join([*rows, rows[1]]), encoding="utf-8")  # the first report again, at the end
    expected, _ = validate([root])
    assert not expected.ok
    monkeypatch.setattr(stream, "PART_BYTES", 1 << 14)
    monkeypatch.setattr(sources_in, "CHUNK_BYTES", 4096)  # the two copies in different chunks
    with pytest.raises(BuildError) as err:
        build_release(root, "1.0.0", date=DATE, releases_dir=tmp_path / "releases", dist_dir=None)
    assert err.value.args[0] == f"validation failed: {expected.summary()}"
    assert not (tmp_path / "releases" / "1.0.0").exists()
    # the registry was read on its own thread, beside the first part: that thread is gone, and so is its scratch
    import threading

    assert not [t.name for t in threading.enumerate() if t.name.startswith("sources-registry")]
    assert [p.name for p in (tmp_path / "releases").iterdir()] == [".build.lock"]


def test_a_sources_registry_in_any_order_builds_the_same_release_in_parts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The store is read a batch at a time by row number; a registry shuffled across its chunks gives the
    same rows to every part, and the same release, as the registry in the order of its events."""
    import random

    root = tmp_path / "datasets"
    generate(root, 500, seed=17, n_countries=3)
    ordered, _ = _build(root, tmp_path / "ordered", "1.0.0", monkeypatch, 1 << 14)
    rows = _csv_rows(root / "sources.csv")
    body = rows[1:]
    random.Random(5).shuffle(body)
    (root / "sources.csv").write_text("".join([rows[0], *body]), encoding="utf-8")
    shuffled, count = _build(root, tmp_path / "shuffled", "1.0.0", monkeypatch, 1 << 14)
    assert count > 1 and shuffled == ordered


def test_a_failure_after_the_parts_stops_the_events_writer_and_leaves_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The events files are finished on their threads while the sources are written: a failure there stops
    those threads, and no release folder or half-written file is left."""
    import threading

    from openconflict.errors import BuildError

    root = tmp_path / "datasets"
    generate(root, 600, seed=6, n_countries=3)
    monkeypatch.setattr(stream, "PART_BYTES", 1)

    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(stream, "write_sources", full_disk)
    with pytest.raises(BuildError, match="could not write release 1.0.0: .*No space left on device"):
        build_release(root, "1.0.0", date=DATE, releases_dir=tmp_path / "releases", dist_dir=None)
    assert [p.name for p in (tmp_path / "releases").iterdir()] == [".build.lock"]
    assert not [t.name for t in threading.enumerate() if t.name.startswith("write-events")]


def test_a_tree_without_event_files_builds_in_parts_as_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No events files at all: one empty part, the sources registry (read on its own thread) still waited
    for, and the release equals the whole plan's."""
    root = tmp_path / "datasets"
    generate(root, 300, seed=8, n_countries=2)
    for path in (root / "events").glob("*/*.csv"):
        path.unlink()
    reference, _ = _build(root, tmp_path / "whole", "1.0.0", monkeypatch, None)
    got, planned = _build(root, tmp_path / "parts", "1.0.0", monkeypatch, 1)
    assert planned <= 1
    assert got == reference
