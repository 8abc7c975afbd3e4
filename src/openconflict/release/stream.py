"""A release planned a part at a time, so that a build's memory is bounded by its largest part.

Why (issue 12): a release held whole (the curated text, the derived table, the previous release, the
diff) needs memory in proportion to its events; a later release of 10M events needed 18 GB. Here the
events are read, validated, derived, compared with the previous release and written one *part* at a time,
while the registries are read and checked once. A part is a run of event files in the release's order
(:func:`~openconflict.release.parts.plan_parts`), closed once its files reach :data:`PART_BYTES`; what the
rules need of the whole release is gathered as the parts go by (:mod:`openconflict.release.gathered`):
the count, the newest date, the cited reports, the aggregates (on disk), and the changes (as large as
what changed).

Same bytes as one part: a country's events all lie in its folder (rule ``id.country``), each file holds
one month (rule ``date.file-month``), and the release is ordered by country, then date, so the parts'
rows, each part sorted, follow one another in the release's order; events are matched with the previous
release by id over the whole country, so one that moved to another month (and part) is still modified;
the Parquet writer cuts row groups across parts (:class:`~openconflict.release.write.PartsWriter`); the
aggregates and the changes are sorted by keys that give every row one place. A test builds releases in
one part and in many and compares every byte.

Refusals: whatever would refuse the release (a layout or validation problem, a rule of the plan) stops the
parts with :class:`Whole`, and the caller plans the release whole (:func:`~.plan.plan_release`), which
refuses it with the very message and report a curator gets from ``openconflict validate``. A refusal may
take the memory of the whole release; a release that is published never does.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openconflict.curated import Curated, read_table, read_tables, walk_layout
from openconflict.errors import BuildError
from openconflict.ledger import Ledger
from openconflict.release.gathered import AggregateParts, Gathered, merged_changes
from openconflict.release.parts import Country, Part, PreviousEvents, Whole, plan_parts
from openconflict.release.plan import (
    REGISTRY_TABLES,
    LatestRelease,
    ReleasePlan,
    Written,
    _check_bump,
    _validated_events,
    check_date,
    check_deletion_versions,
    check_tombstones,
    check_version,
)
from openconflict.release.sources_in import SourceStore
from openconflict.release.sources_out import write_sources
from openconflict.validate import validate_curated
from openconflict.versions import next_version

if TYPE_CHECKING:
    import pyarrow as pa

    from openconflict.schema import Schema

__all__ = ["PART_BYTES", "Part", "PreviousEvents", "Whole", "plan_in_parts", "plan_parts"]

_SMALL_REGISTRIES = tuple(n for n in REGISTRY_TABLES if n != "sources")
#: A part is closed once its event files hold this many bytes (about 130,000 events of realistic text).
PART_BYTES = 64 << 20


def plan_in_parts(root: Path, schema: Schema, version: str | None, *, date: dt.date, today: dt.date,
                  ledger: Ledger, latest: LatestRelease | None, data: Path, changelog: str | None = None,
                  citation_template: str | None = None, allow_unchanged: bool = False,
                  agreement: pa.Table | None = None, budget: int | None = None,
                  finish: Any = None) -> ReleasePlan:
    """Plan release ``version`` like :func:`~.plan.plan_release`, writing its events to ``data`` part by part.

    Raises :class:`Whole` when the release is refused (or unusual): the caller then plans it whole, which
    raises the refusal. ``finish(path)`` runs once each events file is complete (sealing and hashing).
    """
    import numpy as np
    import pyarrow as pa

    from openconflict.release import texts
    from openconflict.release.derive import derive_registries, release_arrow_schema
    from openconflict.release.descriptor import events_fields
    from openconflict.release.diff import ReleaseDiff, diff_schemas
    from openconflict.release.write import PartsWriter

    expected = ledger.latest.version if ledger.entries else None
    if (latest.version if latest else None) != expected or (version is None and not allow_unchanged):
        raise Whole("left to the whole plan to refuse")
    files, problems, broken = walk_layout(root)
    if problems:
        raise Whole("the layout has problems")
    # the registries but the sources, read whole and checked by their own rules once (they never read the events)
    registries_read, problems = read_tables(root, schema, files, broken, names=_SMALL_REGISTRIES)
    if problems or not validate_curated(Curated(root, registries_read, [], 0), schema, today).ok:
        raise Whole("a registry has problems")
    # the aggregates and the sources wait in a scratch folder beside data/, gone however the plan ends
    # (the pool is left, waiting for the sources thread, before the scratch folder is removed)
    with tempfile.TemporaryDirectory(prefix=".scratch-", dir=data.parent, ignore_cleanup_errors=True) as scratch, \
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="sources-registry") as pool:
        # the sources registry is read and checked on a thread while the first part's events are read
        store_soon = pool.submit(SourceStore.read, files["sources"], broken["sources"], root, schema, today,
                                 Path(scratch))
        previous = PreviousEvents(Path(latest.events.path)) if latest is not None else None
        parts = plan_parts(files["events"], schema, previous.countries() if previous else set(),
                           budget or PART_BYTES)
        tombstones = registries_read["deletions"].table.column("event_id")
        earlier = latest.registries["deletions"].column("event_id") if latest is not None else None
        gathered = Gathered(AggregateParts(Path(scratch)), cited=None)
        writer = PartsWriter(data, "events", release_arrow_schema(schema, "events"), finish=finish)
        try:
            try:
                for part in parts:
                    _plan_part(root, schema, today, part, registries_read, store_soon, previous, tombstones, earlier,
                               gathered, writer)
            finally:
                if previous is not None:
                    previous.close()
            store = store_soon.result()  # (read already when a part ran; a tree without events waits here)
            if gathered.cited is None:
                gathered.cited = np.zeros(store.num_rows, bool)
            # the events files are finished on the writer's threads while the sources and aggregates are
            # written below (the rest of the plan waits for them before it returns)
            writer.close_soon()
            curated = Curated(root, registries_read, [], 0)
            release_dates = {e.version: dt.date.fromisoformat(e.date) for e in ledger.entries}
            if version is not None:
                release_dates[version] = date
            registries: dict[str, Any] = derive_registries(curated, schema, release_dates, sources=False)
            # (the latest release is the ledger's latest, checked above; its sources digest is the ledger's)
            known = ledger.latest.files.get("data/sources.parquet") if latest is not None else None
            sources = write_sources(store, schema, gathered.cited, data, finish,
                                    Path(latest.events.path).parent / "sources.parquet" if latest else None,
                                    known.sha256 if known is not None else None)
            registries["sources"] = sources.written
            diff = ReleaseDiff.of(merged_changes(gathered.changes, latest is not None), gathered.modified)
            if latest is not None:
                if latest.fields is not None:
                    diff.schema_changes = diff_schemas(latest.fields, events_fields(schema))
                diff.registry_changes = [n for n in REGISTRY_TABLES if not (
                    sources.same if n == "sources" else registries[n].equals(latest.registries[n]))]
            try:
                if version is None:  # a dry run without a version: the smallest version the change allows
                    version = str(next_version(latest.version if latest else None, diff.required))
                    release_dates[version] = date
                    registries.update(derive_registries(curated, schema, release_dates, sources=False))
                parsed = check_version(version, ledger)
                registries.update(gathered.aggregates.write(data, schema.vocabulary("event_type"), finish))
                registries["agreement"] = (agreement if agreement is not None
                                           else release_arrow_schema(schema, "agreement").empty_table())
                no_events = pa.table({"event_id_cnty": pa.array([], pa.string())})
                check_tombstones(no_events, registries["deletions"], diff, latest)  # reuse was checked part by part
                unchanged = _check_bump(parsed, diff, latest, allow_unchanged)
                check_deletion_versions(curated, release_dates)
                newest = pa.table({"event_date": pa.array([gathered.newest] if gathered.newest else [], pa.date32())})
                reports = pa.table({"published": pa.array([sources.newest] if sources.newest else [], pa.date32())})
                check_date(date, today, newest, reports, latest)
            except BuildError as exc:
                raise Whole(str(exc)) from None
            prev_version = latest.version if latest else None
            plan = ReleasePlan(
                version=version, date=date, previous=prev_version, events=Written(gathered.rows),
                registries=registries, diff=diff,
                publishers=sources.publishers, report_sources=sources.report,
                changelog=texts.changelog_section(changelog, version, date, diff, prev_version),
                citation=texts.citation(citation_template, version, date), unchanged=unchanged,
            )
            writer.close()  # the events files, finished meanwhile
        except BaseException:
            writer.abort()
            raise
        return plan


def _plan_part(root: Path, schema: Schema, today: dt.date, part: Part, registries: dict[str, Any],
               store_soon: Future[SourceStore], previous: PreviousEvents | None, tombstones: Any, earlier: Any,
               gathered: Gathered, writer: Any) -> None:
    """Read, validate, derive, compare and hand one part's events to the writer (``store_soon``: the sources
    registry, still being read on its own thread when the first part starts)."""
    import pyarrow.compute as pc

    from openconflict.changeset import compare_events
    from openconflict.release.aggregates import aggregate_tables

    events_read, problems = read_table("events", part.files, root, schema.columns("curated", "events"))
    if problems:
        raise Whole("an events file has problems")
    # The previous release's rows of these events (matched by the curated ids, which the released ids
    # are) are read on a thread while the part is validated and derived.
    curated_ids = events_read.table.column("event_id")
    matched = _match(part, curated_ids, pc.utf8_slice_codeunits(curated_ids, 0, 3), previous, gathered)
    old = previous.take_soon(matched) if previous is not None else None
    store = store_soon.result()
    sources, cited = store.cited_by(events_read.table)
    gathered.cited = cited if gathered.cited is None else gathered.cited | cited
    curated = Curated(root, {"events": events_read, **registries, "sources": sources}, [], len(part.files))
    try:  # the events' rules (the registries' were checked once, before the parts)
        events = _validated_events(curated, schema, today, ("events",))
    except BuildError as exc:
        raise Whole(str(exc)) from None
    del curated, events_read
    ids = events.column("event_id_cnty")
    for deleted in (tombstones, earlier):
        if deleted is not None and len(deleted) and pc.any(pc.is_in(ids, value_set=deleted)).as_py():
            raise Whole("a deleted id is used again")
    gathered.rows += events.num_rows
    if events.num_rows:
        newest = pc.max(events.column("event_date")).as_py()
        gathered.newest = newest if gathered.newest is None else max(gathered.newest, newest)
    gathered.aggregates.add(aggregate_tables(events, schema.vocabulary("event_type")))
    changes, modified = compare_events(old.result() if old is not None else None, events)
    gathered.changes.append(changes)
    gathered.modified += modified
    writer.add(events)
    for iso3 in part.ends:
        _settle(gathered.countries.pop(iso3), previous is not None, gathered)


def _match(part: Part, ids: Any, iso3s: Any, previous: PreviousEvents | None, gathered: Gathered) -> Any:
    """The previous release's rows of this part's events (matched by id within each country, ascending)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    rows = []
    for iso3 in part.countries:
        country = gathered.countries.get(iso3)
        if country is None:
            found = previous.country_ids(iso3) if previous is not None else (pa.array([], pa.string()), None)
            country = gathered.countries[iso3] = Country(found[0], found[1], np.zeros(len(found[0]), bool))
        mine = ids.filter(pc.equal(iso3s, iso3)) if len(part.countries) > 1 else ids
        country.current.append(mine)
        if previous is not None and len(country.previous_ids):
            where = pc.index_in(mine, value_set=country.previous_ids)
            at = where.filter(pc.is_valid(where)).to_numpy(zero_copy_only=False)
            country.seen[at] = True
            rows.append(country.previous_rows[at])
    return np.sort(np.concatenate(rows)) if rows else np.array([], np.int64)


def _settle(country: Country, later: bool, gathered: Gathered) -> None:
    """A country's last part is done: its ids must be distinct across its parts (validation saw each part
    alone), and the previous events none of its parts matched are deleted."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from openconflict.changeset import labelled

    if len(country.current) > 1:
        current = pa.chunked_array(country.current, pa.string())
        if pc.count_distinct(current).as_py() != len(current):
            raise Whole("an event id is used in two files of a country")
    if later and len(country.previous_ids):
        gone = country.previous_ids.filter(pa.array(~country.seen))
        if len(gone):
            gathered.changes.append(labelled(gone, "deleted"))
