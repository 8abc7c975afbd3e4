"""What a release will be, decided without touching the disk: :func:`plan_release`.

Why pure: every rule that can refuse a release (validation, version, tombstones, date) is decided here
from values the publish step hands over (the curated tables, the ledger, the latest published release as
read after checking it against the ledger, today's date), so each rule can be tested on its own and none
of them can see a half-written folder. The publish step does the I/O around it.

The rules, in the order they are checked:

- the curated tables validate without error;
- the version is strict ``X.Y.Z``, not already published, and strictly above the latest *published*
  release (publication order comes from the ledger, never from folder names);
- the diff is taken against that latest release; the version bump is no smaller than the diff requires,
  and a release in which nothing changed (no event, column or registry row) is refused;
- every earlier tombstone is still present, no deleted id is used again, and every event that vanished
  has a tombstone;
- the date is not in the future, not before the newest event or report (a source's ``published`` date)
  the release contains, and not before the latest published release.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from openconflict.errors import BuildError
from openconflict.ledger import Ledger
from openconflict.versions import RANK, Version, bump_kind, next_version

if TYPE_CHECKING:
    import pyarrow as pa

    from openconflict.curated import Curated
    from openconflict.release.diff import ReleaseDiff
    from openconflict.schema import Schema

__all__ = ["REGISTRY_TABLES", "LatestRelease", "ReleasePlan", "Written", "check_date", "check_tombstones", "check_version",
           "plan_release"]

REGISTRY_TABLES = ("actors", "locations", "sources", "deletions")
_SHOWN = 20


@dataclass(frozen=True)
class LatestRelease:
    """The latest published release, as read by the publish step after checking it against the ledger."""

    version: str
    date: dt.date
    #: its events: a table, or anything with ``column_names``, ``num_rows`` and ``column(name)`` (the publish
    #: step hands over :class:`~openconflict.release.publish.ReleasedColumns`, read one column at a time)
    events: pa.Table | Any
    fields: list[dict[str, Any]] | None  # the events Table Schema fields of its descriptor
    registries: dict[str, pa.Table]  # actors, locations, sources, deletions


@dataclass(frozen=True)
class Written:
    """A table a large build already wrote to the release folder as its parts went by (the events, the
    aggregates: :mod:`openconflict.release.stream`); the plan carries its row count only."""

    num_rows: int


@dataclass
class ReleasePlan:
    """Everything a release folder will hold, before any byte of it is written."""

    version: str
    date: dt.date
    previous: str | None
    events: pa.Table | Written
    registries: dict[str, pa.Table | Written]
    diff: ReleaseDiff
    publishers: list[str]
    changelog: str
    citation: str
    #: Set only when the caller allowed an unchanged release (a dry run): why a real build would be refused.
    unchanged: str | None = None
    #: The sources' columns the report counts, when the sources table itself was written in parts.
    report_sources: pa.Table | None = None


def _ids(ids: list[str]) -> str:
    def key(e: str) -> tuple[str, int, str]:
        return (e[:3], int(e[3:]) if e[3:].isdecimal() and e[3:].isascii() else -1, e)

    shown = sorted(ids, key=key)
    return ", ".join(shown[:_SHOWN]) + (f" … ({len(shown)} in all)" if len(shown) > _SHOWN else "")


def check_version(version: object, ledger: Ledger) -> Version:
    """Refuse a malformed version, one already published, or one not above the latest published release."""
    try:
        parsed = Version.parse(version)
    except (TypeError, ValueError) as exc:
        raise BuildError(str(exc)) from None
    if version in ledger:
        raise BuildError(f"release {version} already exists (it is in the ledger {ledger.origin}); published "
                         "releases are never overwritten: choose a new version")
    if ledger.entries:
        latest = ledger.latest.version
        if parsed <= Version.parse(latest):
            raise BuildError(f"version {version} is not above the latest published release {latest}; a new "
                             "release must have a higher version than every release before it")
    return parsed


def check_tombstones(events: pa.Table, deletions: pa.Table, diff: ReleaseDiff,
                     latest: LatestRelease | None) -> None:
    """Tombstones are permanent: none removed, no deleted id reused, every vanished event has one."""
    import pyarrow.compute as pc

    tombs = deletions.column("event_id")
    problems: list[str] = []
    current = set(tombs.to_pylist())
    reused = events.column("event_id_cnty").filter(pc.is_in(events.column("event_id_cnty"), value_set=tombs))
    if len(reused):
        problems.append(f"event ids that deletions.csv marks as deleted are used again: {_ids(reused.to_pylist())}")
    if latest is not None:
        earlier = latest.registries["deletions"].column("event_id")
        removed = sorted(set(earlier.to_pylist()) - current)
        if removed:
            problems.append(f"tombstones of release {latest.version} were removed from deletions.csv: "
                            f"{_ids(removed)} (a deleted id stays deleted forever)")
            back = events.column("event_id_cnty").filter(pc.is_in(events.column("event_id_cnty"), value_set=earlier))
            if len(back):
                problems.append(f"ids deleted in an earlier release are used again: {_ids(back.to_pylist())}")
        vanished = [e for e in diff.ids("deleted") if e not in current]
        if vanished:
            problems.append(f"events missing without a tombstone in deletions.csv: {_ids(vanished)}")
    if problems:
        raise BuildError("; ".join(problems))


def check_deletion_versions(curated: Curated, release_dates: dict[str, dt.date]) -> None:
    """Every tombstone names the release that deleted it: a published version or the one being built."""
    deleted_in = curated.tables["deletions"].table.column("deleted_in").to_pylist()
    unknown = sorted({v for v in deleted_in if v not in release_dates})
    if unknown:
        raise BuildError(f"deletions.csv names deleted_in versions that are neither published nor this release: "
                         f"{', '.join(unknown)} (published: {', '.join(release_dates)})")


def _max_date(column: Any) -> dt.date | None:
    import pyarrow.compute as pc

    return pc.max(column).as_py() if len(column) else None


def check_date(date: dt.date, today: dt.date, events: pa.Table, sources: pa.Table,
               latest: LatestRelease | None) -> None:
    """A release date is not in the future nor before anything the release contains or follows."""
    if date > today:
        raise BuildError(f"release date {date} is in the future (today is {today}, UTC)")
    newest_event = _max_date(events.column("event_date"))
    if newest_event is not None and date < newest_event:
        raise BuildError(f"release date {date} is before the newest event it contains ({newest_event})")
    newest_report = _max_date(sources.column("published"))
    if newest_report is not None and date < newest_report:
        raise BuildError(f"release date {date} is before the newest report it cites (published {newest_report})")
    if latest is not None and date < latest.date:
        raise BuildError(f"release date {date} is before the date of the latest published release "
                         f"{latest.version} ({latest.date})")


def _check_bump(version: Version, diff: ReleaseDiff, latest: LatestRelease | None,
                allow_unchanged: bool) -> str | None:
    if latest is None:
        return None
    need = diff.required
    if need == "none":
        why = (f"nothing changed since release {latest.version} (no event, column or registry row differs); a "
               "release must publish a change")
        if allow_unchanged:
            return why
        raise BuildError(why)
    got = bump_kind(latest.version, version)
    if RANK[got] < RANK[need]:
        raise BuildError(f"version {version} understates the change since {latest.version}: it is a {got} bump, "
                         f"but the change needs at least a {need} bump ({diff.summary()})")
    return None


def _validated_events(curated: Curated, schema: Schema, today: dt.date,
                      only: tuple[str, ...] | None = None) -> pa.Table:
    """The released events table, derived while the curated tables are validated; validation decides.

    Why together: both only read the curated tables and are made of Arrow kernels that release the GIL,
    so on two cores the derivation (about 1 s at a million events) hides inside the validation instead of
    following it (issue 12). Validation's verdict comes first: on invalid tables whatever the derivation
    made, or raised, is dropped, and the curator sees the validation errors only.
    """
    from openconflict.release.derive import derive_events
    from openconflict.validate import validate_curated

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="validate") as pool:
        verdict = pool.submit(validate_curated, curated, schema, today, only)
        try:
            events, failure = derive_events(curated, schema), None
        except Exception as exc:  # noqa: BLE001 - re-raised below unless validation explains it
            events, failure = None, exc
        report = verdict.result()
    if not report.ok:
        raise BuildError(f"validation failed: {report.summary()}", report)
    if failure is not None:
        raise failure
    assert events is not None
    return events


def plan_release(curated: Curated, schema: Schema, version: str | None, *, date: dt.date, today: dt.date,
                 ledger: Ledger, latest: LatestRelease | None, changelog: str | None = None,
                 citation_template: str | None = None, allow_unchanged: bool = False,
                 agreement: pa.Table | None = None) -> ReleasePlan:
    """Decide the release ``version`` or raise :class:`BuildError` naming the first rule it breaks.

    ``latest`` must be the release the ledger lists last (None only when the ledger is empty); ``changelog``
    and ``citation_template`` are the curator's CHANGELOG.md and CITATION.cff texts, if any. With
    ``allow_unchanged`` (dry runs) a release identical to the latest is planned, and ``unchanged`` says why a
    real build would refuse it.
    """
    from openconflict.release import texts
    from openconflict.release.aggregates import aggregate_tables
    from openconflict.release.derive import cited_ids, derive_registries, release_arrow_schema
    from openconflict.release.descriptor import events_fields
    from openconflict.release.diff import diff_events, diff_schemas

    expected = ledger.latest.version if ledger.entries else None
    if (latest.version if latest else None) != expected:
        raise BuildError(f"internal: the plan was given release {latest and latest.version} as the latest, "
                         f"but the ledger's latest is {expected}")
    if version is None and not allow_unchanged:
        raise BuildError("a release needs a version (X.Y.Z); only a dry run may leave the choice to the build")
    events = _validated_events(curated, schema, today)
    # The aggregates depend on the events only: counted on a thread while the registries and the diff are
    # made (numpy and Arrow release the GIL), collected where the plan needs them.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="aggregates") as pool:
        aggregates = pool.submit(aggregate_tables, events, schema.vocabulary("event_type"))
        release_dates = {e.version: dt.date.fromisoformat(e.date) for e in ledger.entries}
        if version is not None:
            release_dates[version] = date
        cited = cited_ids(events)
        registries = derive_registries(curated, schema, release_dates, cited)
        diff = diff_events(latest.events if latest else None, events)
        counts = aggregates.result()
    if latest is not None:
        if latest.fields is not None:
            diff.schema_changes = diff_schemas(latest.fields, events_fields(schema))
        diff.registry_changes = [n for n in REGISTRY_TABLES if not registries[n].equals(latest.registries[n])]
    if version is None:  # a dry run without a version: the smallest version the change allows
        version = str(next_version(latest.version if latest else None, diff.required))
        release_dates[version] = date
        registries = derive_registries(curated, schema, release_dates, cited)
    parsed = check_version(version, ledger)
    registries.update(counts)
    registries["agreement"] = (agreement if agreement is not None
                               else release_arrow_schema(schema, "agreement").empty_table())
    check_tombstones(events, registries["deletions"], diff, latest)
    unchanged = _check_bump(parsed, diff, latest, allow_unchanged)
    check_deletion_versions(curated, release_dates)
    check_date(date, today, events, registries["sources"], latest)

    previous = latest.version if latest else None
    return ReleasePlan(
        version=version, date=date, previous=previous, events=events, registries=registries, diff=diff,
        publishers=sorted(set(registries["sources"].column("publisher").to_pylist())),
        changelog=texts.changelog_section(changelog, version, date, diff, previous),
        citation=texts.citation(citation_template, version, date), unchanged=unchanged,
    )
