"""A release planned a few countries at a time, so that a build's memory is bounded by its largest part.

Why (issue 12): a release held whole (the curated text, the derived table, the previous release, the
diff) needs memory in proportion to its events; a later release of 10M events needed 18 GB. Here the
events are read, validated, derived, compared with the previous release and written one *part* at a time,
while the registries are read and checked once. A part is a run of whole countries in the release's
order, closed once its files reach :data:`PART_BYTES`; what the rules need of the whole release is
gathered as the parts go by: the count, the newest date, the cited reports, the aggregates, and the
changes (as large as what changed).

Same bytes as one part: a country's events all lie in its folder (rule ``id.country``) and the release is
ordered by country first, so the parts' rows, each part sorted, follow one another in the release's
order; the Parquet writer cuts row groups across parts (:class:`~openconflict.release.write.PartsWriter`);
the aggregates and the changes are sorted by keys that give every row one place. A test builds releases
in one part and in many and compares every byte.

Refusals: whatever would refuse the release (a layout or validation problem, a rule of the plan) stops the
parts with :class:`Whole`, and the caller plans the release whole (:func:`~.plan.plan_release`), which
refuses it with the very message and report a curator gets from ``openconflict validate``. A refusal may
take the memory of the whole release; a release that is published never does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openconflict.curated import Curated, read_table, read_tables, walk_layout
from openconflict.errors import BuildError
from openconflict.ledger import Ledger
from openconflict.release.plan import (
    REGISTRY_TABLES,
    LatestRelease,
    ReleasePlan,
    WrittenEvents,
    _check_bump,
    _validated_events,
    check_date,
    check_deletion_versions,
    check_tombstones,
    check_version,
)
from openconflict.versions import next_version

if TYPE_CHECKING:
    import pyarrow as pa

    from openconflict.schema import Schema

__all__ = ["PART_BYTES", "Part", "Whole", "plan_in_parts", "plan_parts"]

#: A part is closed once its event files hold this many bytes (about 130,000 events of realistic text).
PART_BYTES = 64 << 20


class Whole(Exception):  # noqa: N818 - a signal, not an error: "plan this release whole"
    """The parts found something that refuses the release (or that they do not handle): plan it whole."""


@dataclass
class Part:
    """A run of event files in the release's order: countries by name, each country's months in order."""

    countries: list[str] = field(default_factory=list)  # every country with files (or deletions) here
    files: list[Path] = field(default_factory=list)
    size: int = 0
    ends: list[str] = field(default_factory=list)  # countries whose last files are here


def plan_parts(files: list[Path], schema: Schema, previous: set[str], budget: int) -> list[Part]:
    """Cut the event files into parts of about ``budget`` bytes, in the release's order (country name, then
    month; a large country spans parts); countries only the previous release holds join in too, so that
    their deleted events are found. Always at least one part (the registries are checked with the first)."""
    by_country: dict[str, list[Path]] = {iso3: [] for iso3 in previous}
    for path in files:
        by_country.setdefault(path.parent.name, []).append(path)
    unknown = sorted(c for c in by_country if c not in schema.countries)
    if unknown:
        raise Whole(f"event folders or released countries not in the countries vocabulary: {unknown}")
    parts = [Part()]
    for iso3 in sorted(by_country, key=lambda c: schema.countries[c].name):
        for path in [None] if not by_country[iso3] else sorted(by_country[iso3], key=lambda p: p.name):
            if parts[-1].size >= budget and path is not None:
                parts.append(Part())
            part = parts[-1]
            if iso3 not in part.countries:
                part.countries.append(iso3)
            if path is not None:
                part.files.append(path)
                try:
                    part.size += path.stat().st_size
                except OSError as exc:
                    raise Whole(str(exc)) from None
        parts[-1].ends.append(iso3)
    return parts


class PreviousEvents:
    """The latest release's events, read a country at a time: its ids, then the rows the parts ask for.

    Why by id and not by month: a corrected event may move to another month (or file), so a part's events
    are matched with the previous release by id, over the whole country; rows are read a row group at a
    time (row groups chosen by the statistics of ``iso3``), never the whole release.
    """

    def __init__(self, path: Path) -> None:
        import numpy as np
        import pyarrow.parquet as pq

        self.file = pq.ParquetFile(path)
        names = self.file.schema_arrow.names
        if "iso3" not in names:
            raise Whole("the latest release has no iso3 column")
        at = names.index("iso3")
        meta = self.file.metadata
        self._ranges: list[tuple[str, str] | None] = []
        sizes = []
        for g in range(meta.num_row_groups):
            group = meta.row_group(g)
            stats = group.column(at).statistics
            ok = stats is not None and stats.has_min_max
            self._ranges.append((stats.min, stats.max) if ok else None)
            sizes.append(group.num_rows)
        self._starts = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)])

    def countries(self) -> set[str]:
        """The countries (ISO3) the release holds, read one batch at a time."""
        import pyarrow.compute as pc

        found: set[str] = set()
        for batch in self.file.iter_batches(batch_size=65_536, columns=["iso3"], use_threads=False):
            found.update(pc.unique(batch.column(0)).to_pylist())
        return {c for c in found if c is not None}

    def country_ids(self, iso3: str) -> tuple[pa.Array, Any]:
        """The ids of ``iso3``'s events and their row numbers in the file."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        ids, rows = [], []
        for g, r in enumerate(self._ranges):
            if r is not None and not r[0] <= iso3 <= r[1]:
                continue
            group = self.file.read_row_group(g, columns=["event_id_cnty", "iso3"], use_threads=False)
            mask = pc.equal(group.column("iso3"), iso3)
            ids.append(group.column("event_id_cnty").filter(mask).combine_chunks())
            rows.append(np.flatnonzero(pc.fill_null(mask, False).to_numpy(zero_copy_only=False)) + self._starts[g])
        if not ids:
            return pa.array([], pa.string()), np.array([], np.int64)
        return pa.concat_arrays(ids), np.concatenate(rows)

    def take(self, rows: Any) -> pa.Table:
        """The rows numbered ``rows`` (ascending), every column."""
        import numpy as np
        import pyarrow as pa

        if not len(rows):
            return self.file.schema_arrow.empty_table()
        group_of = np.searchsorted(self._starts, rows, side="right") - 1
        groups = np.unique(group_of)
        table = self.file.read_row_groups(groups.tolist())
        base = np.concatenate([[0], np.cumsum(self._starts[groups + 1] - self._starts[groups])])
        local = rows - self._starts[group_of] + base[np.searchsorted(groups, group_of)]
        return table.take(pa.array(local))


@dataclass
class _Country:
    """A country spanning parts: its previous ids (which were matched), and its current ids so far."""

    previous_ids: Any
    previous_rows: Any
    seen: Any
    current: list[Any] = field(default_factory=list)


@dataclass
class _Gathered:
    """What the rules need of the whole release, gathered part by part."""

    rows: int = 0
    newest: dt.date | None = None
    cited: list[Any] = field(default_factory=list)
    changes: list[Any] = field(default_factory=list)
    modified: int = 0
    aggregates: dict[str, list[Any]] = field(default_factory=dict)
    countries: dict[str, _Country] = field(default_factory=dict)


def plan_in_parts(root: Path, schema: Schema, version: str | None, *, date: dt.date, today: dt.date,
                  ledger: Ledger, latest: LatestRelease | None, data: Path, changelog: str | None = None,
                  citation_template: str | None = None, allow_unchanged: bool = False,
                  agreement: pa.Table | None = None, budget: int | None = None,
                  finish: Any = None) -> ReleasePlan:
    """Plan release ``version`` like :func:`~.plan.plan_release`, writing its events to ``data`` part by part.

    Raises :class:`Whole` when the release is refused (or unusual): the caller then plans it whole, which
    raises the refusal. ``finish(path)`` runs once each events file is complete (sealing and hashing).
    """
    import pyarrow as pa

    from openconflict.release import texts
    from openconflict.release.derive import cited_sources_only, derive_registries, release_arrow_schema
    from openconflict.release.descriptor import events_fields
    from openconflict.release.diff import ReleaseDiff, diff_schemas
    from openconflict.release.write import PartsWriter

    expected = ledger.latest.version if ledger.entries else None
    if (latest.version if latest else None) != expected or (version is None and not allow_unchanged):
        raise Whole("left to the whole plan to refuse")
    files, problems, broken = walk_layout(root)
    if problems:
        raise Whole("the layout has problems")
    registries_read, problems = read_tables(root, schema, files, broken, names=("actors", "locations", "sources",
                                                                               "deletions"))
    if problems:
        raise Whole("a registry has problems")
    previous = PreviousEvents(Path(latest.events.path)) if latest is not None else None
    parts = plan_parts(files["events"], schema, previous.countries() if previous else set(), budget or PART_BYTES)
    tombstones = registries_read["deletions"].table.column("event_id")
    earlier = latest.registries["deletions"].column("event_id") if latest is not None else None
    gathered = _Gathered()
    writer = PartsWriter(data, "events", release_arrow_schema(schema, "events"), finish=finish)
    try:
        for k, part in enumerate(parts):
            _plan_part(root, schema, today, part, k, registries_read, previous, tombstones, earlier, gathered,
                       writer)
        writer.close()
    except BaseException:
        writer.abort()
        raise
    curated = Curated(root, registries_read, [], 0)
    release_dates = {e.version: dt.date.fromisoformat(e.date) for e in ledger.entries}
    if version is not None:
        release_dates[version] = date
    cited = pa.concat_arrays(gathered.cited).unique() if gathered.cited else pa.array([], pa.string())
    registries = cited_sources_only(derive_registries(curated, schema, release_dates), cited=cited)
    diff = ReleaseDiff(_changes(gathered.changes, latest is not None), modified=gathered.modified)
    kinds = diff.changes.column("change")
    diff.added = _count(kinds, "added")
    diff.deleted = _count(kinds, "deleted")
    if latest is not None:
        if latest.fields is not None:
            diff.schema_changes = diff_schemas(latest.fields, events_fields(schema))
        diff.registry_changes = [n for n in REGISTRY_TABLES if not registries[n].equals(latest.registries[n])]
    try:
        if version is None:  # a dry run without a version: the smallest version the change allows
            version = str(next_version(latest.version if latest else None, diff.required))
            release_dates[version] = date
            registries = cited_sources_only(derive_registries(curated, schema, release_dates), cited=cited)
        parsed = check_version(version, ledger)
        registries.update(_aggregates(gathered.aggregates, schema.vocabulary("event_type")))
        registries["agreement"] = (agreement if agreement is not None
                                   else release_arrow_schema(schema, "agreement").empty_table())
        no_events = pa.table({"event_id_cnty": pa.array([], pa.string())})
        check_tombstones(no_events, registries["deletions"], diff, latest)  # reuse was checked part by part
        unchanged = _check_bump(parsed, diff, latest, allow_unchanged)
        check_deletion_versions(curated, release_dates)
        newest = pa.table({"event_date": pa.array([gathered.newest] if gathered.newest else [], pa.date32())})
        check_date(date, today, newest, registries["sources"], latest)
    except BuildError as exc:
        raise Whole(str(exc)) from None
    prev_version = latest.version if latest else None
    return ReleasePlan(
        version=version, date=date, previous=prev_version, events=WrittenEvents(gathered.rows),
        registries=registries, diff=diff,
        publishers=sorted(set(registries["sources"].column("publisher").to_pylist())),
        changelog=texts.changelog_section(changelog, version, date, diff, prev_version),
        citation=texts.citation(citation_template, version, date), unchanged=unchanged,
    )


def _plan_part(root: Path, schema: Schema, today: dt.date, part: Part, k: int, registries: dict[str, Any],
               previous: PreviousEvents | None, tombstones: Any, earlier: Any, gathered: _Gathered,
               writer: Any) -> None:
    """Read, validate, derive, compare and hand one part's events to the writer."""
    import pyarrow.compute as pc

    from openconflict.changeset import compare_events
    from openconflict.release.aggregates import aggregate_tables
    from openconflict.release.derive import cited_ids

    events_read, problems = read_table("events", part.files, root, schema.columns("curated", "events"))
    if problems:
        raise Whole("an events file has problems")
    curated = Curated(root, {"events": events_read, **registries}, [], len(part.files))
    try:  # the registries' own rules with the first part only: they do not depend on the events
        events = _validated_events(curated, schema, today, None if k == 0 else ("events",))
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
    gathered.cited.append(cited_ids(events))
    for name, table in aggregate_tables(events, schema.vocabulary("event_type")).items():
        gathered.aggregates.setdefault(name, []).append(table)
    matched = _match(part, ids, events.column("iso3"), previous, gathered)
    changes, modified = compare_events(previous.take(matched) if previous is not None else None, events)
    gathered.changes.append(changes)
    gathered.modified += modified
    writer.add(events)
    for iso3 in part.ends:
        _settle(gathered.countries.pop(iso3), previous is not None, gathered)


def _match(part: Part, ids: Any, iso3s: Any, previous: PreviousEvents | None, gathered: _Gathered) -> Any:
    """The previous release's rows of this part's events (matched by id within each country, ascending)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    rows = []
    for iso3 in part.countries:
        country = gathered.countries.get(iso3)
        if country is None:
            found = previous.country_ids(iso3) if previous is not None else (pa.array([], pa.string()), None)
            country = gathered.countries[iso3] = _Country(found[0], found[1], np.zeros(len(found[0]), bool))
        mine = ids.filter(pc.equal(iso3s, iso3)) if len(part.countries) > 1 else ids
        country.current.append(mine)
        if previous is not None and len(country.previous_ids):
            where = pc.index_in(mine, value_set=country.previous_ids)
            at = where.filter(pc.is_valid(where)).to_numpy(zero_copy_only=False)
            country.seen[at] = True
            rows.append(country.previous_rows[at])
    return np.sort(np.concatenate(rows)) if rows else np.array([], np.int64)


def _settle(country: _Country, later: bool, gathered: _Gathered) -> None:
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


def _changes(pieces: list[Any], later: bool) -> pa.Table:
    """The parts' changes as one table: a first release's in the events' order (all added), a later one's
    sorted by the keys that order every row (:func:`~openconflict.changeset.in_change_order`)."""
    import pyarrow as pa

    from openconflict.changeset import empty_changes, in_change_order

    table = pa.concat_tables(pieces) if pieces else empty_changes()
    return in_change_order(table) if later else table


def _aggregates(pieces: dict[str, list[Any]], event_types: list[str]) -> dict[str, pa.Table]:
    """Each aggregate table from its parts' tables. A (unit, month, event type) group never spans parts (a
    part holds whole months of a country), so the groups are the whole release's; they are sorted again as
    :func:`~openconflict.release.aggregates.grouped_reference` sorts them (units, month, event type's rank)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from openconflict.release.aggregates import AGGREGATES

    out = {}
    for name, tables in pieces.items():
        table = pa.concat_tables(tables)
        keyed = table.append_column("_rank", pc.index_in(table.column("event_type"),
                                                          value_set=pa.array(event_types, pa.string())))
        order = pc.sort_indices(keyed, sort_keys=[*((u, "ascending") for u in AGGREGATES[name]),
                                                  ("month", "ascending"), ("_rank", "ascending")])
        out[name] = table.take(order)
    return out


def _count(kinds: Any, kind: str) -> int:
    import pyarrow.compute as pc

    return int(pc.sum(pc.equal(kinds, kind)).as_py() or 0)
