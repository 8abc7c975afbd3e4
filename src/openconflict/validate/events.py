"""Table rules of the events table, one function per group of rules.

Why grouped: hierarchy, identity, references, source dates, coding consistency and probable duplicates
are separate questions a curator asks; each function answers one, over whole columns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..curated import CuratedTable
from ..schema import Schema
from .emit import Checker
from .fatalities import check_fatalities
from .fields import check_fields, check_list_format
from .kernels import INT_RE, duplicate_rows, lookup, matches, nonempty
from .suggest import with_suggestions

CIVILIAN_TYPE = 7
PROTESTER_TYPE = 6
RIOTER_TYPE = 5
TARGETING_TYPES = {"Violence against civilians", "Explosions/Remote violence", "Riots"}
#: Digits of an event id's number that still fit a signed 64-bit integer, whatever the digits are.
ID_DIGITS = 18


def event_steps(schema: Schema, tables: dict[str, CuratedTable]) -> list[Callable[[Checker], Any]]:
    """The rule groups of the events table, in the order their problems are reported; each only reads the
    tables, so they may run at the same time (see ``run``)."""
    return [
        lambda ch: check_fields(ch, schema.curated["events"]["fields"]),
        check_list_formats,
        lambda ch: check_hierarchy(ch, schema),
        lambda ch: check_identity(ch, schema, tables["deletions"]),
        lambda ch: check_references(ch, tables),
        lambda ch: check_source_dates(ch, tables["sources"]),
        lambda ch: check_consistency(ch, tables["actors"]),
        lambda ch: check_crowd_size(ch, schema),
        check_fatalities,
        check_duplicate_events,
    ]


def check_list_formats(ch: Checker) -> None:
    for name in ("assoc_actor_1", "assoc_actor_2", "source_ids", "tags"):
        check_list_format(ch, name)


def check_events(ch: Checker, schema: Schema, tables: dict[str, CuratedTable]) -> None:
    for step in event_steps(schema, tables):
        step(ch)


def row_iso3(ch: Checker) -> Any:
    """The ISO3 code of the folder (events) or file (locations) each row comes from."""
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.take(pa.array(ch.ct.file_iso3, pa.string()), ch.col("_file"))


def check_file_countries(ch: Checker, schema: Schema, what: str) -> None:
    from .suggest import nearest

    wrong = [iso for iso in ch.ct.file_iso3 if iso not in schema.countries]
    near = nearest(sorted(set(wrong)), sorted(schema.countries)) if wrong else {}
    for i, iso in enumerate(ch.ct.file_iso3):
        if iso not in schema.countries:
            hint = f"; did you mean '{near[iso]}'?" if iso in near else ""
            ch.file_problem(i, "file.country", f"the {what} name is not an ISO 3166-1 alpha-3 code{hint}", iso)


def check_hierarchy(ch: Checker, schema: Schema) -> None:
    """The sub-event type belongs to the event type."""
    import pyarrow as pa
    import pyarrow.compute as pc

    et, st = ch.col("event_type"), ch.col("sub_event_type")
    pairs = pc.binary_join_element_wise(et, st, "|")
    valid_pairs = pa.array([f"{e.event_type}|{e.sub_event_type}" for e in schema.event_types], pa.string())
    both_known = pc.and_(
        ch.per_value(lambda v: pc.is_in(v, value_set=pa.array(schema.vocabulary("event_type"))), "event_type"),
        ch.per_value(lambda v: pc.is_in(v, value_set=pa.array(schema.vocabulary("sub_event_type"))), "sub_event_type"))
    ch.emit(pc.and_(both_known, pc.invert(pc.is_in(pairs, value_set=valid_pairs))), "sub_event_type",
            "hierarchy.sub-event-type", "this sub-event type does not belong to the event type", values=pairs)


def check_identity(ch: Checker, schema: Schema, deletions: CuratedTable) -> None:
    """Ids fit the build, carry their folder's country and were never deleted; dates fit the file's month."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    eid = ch.col("event_id")
    shaped = matches(eid, schema.field("curated", "events", "event_id")["constraints"]["pattern"])
    ch.emit(pc.and_(shaped, pc.greater(pc.utf8_length(eid), 3 + ID_DIGITS)), "event_id", "id.range",
            f"the number after the country code has more than {ID_DIGITS} digits; the build stores it as "
            "a 64-bit integer")
    check_file_countries(ch, schema, "folder")
    ch.emit(pc.and_(nonempty(eid), pc.not_equal(pc.utf8_slice_codeunits(eid, 0, 3), row_iso3(ch))), "event_id",
            "id.country", "the id's country code must match the folder the file is in")
    dates, _ = ch.dates("event_date")
    months = np.array([y * 100 + m if ym else -1 for ym in ch.ct.file_month for (y, m) in [ym or (0, 0)]],
                      dtype=np.int64)
    files = ch.col("_file").to_numpy()
    row_month = pa.array(months[files]) if len(months) else pa.array([], pa.int64())
    ev_month = pc.add(pc.multiply(pc.year(dates), 100), pc.month(dates))
    ch.emit(pc.not_equal(ev_month, row_month), "event_date", "date.file-month",
            "the date lies outside the month the file is named for")
    if deletions.num_rows:
        ch.emit(pc.is_in(eid, value_set=deletions.table.column("event_id")), "event_id", "id.deleted",
                "this id was deleted (deletions.csv); a deleted id is never reused")


def check_references(ch: Checker, tables: dict[str, CuratedTable]) -> None:
    """Actors, locations and sources named by an event exist in their registries.

    A registry that could not be read is skipped: its own file problem names the cause, and hundreds of
    knock-on "unknown" errors would only hide it.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    actors, locations, sources = tables["actors"], tables["locations"], tables["sources"]
    if actors.usable:
        names = actors.table.column("actor")
        for name, is_list in (("actor1", False), ("actor2", False), ("assoc_actor_1", True), ("assoc_actor_2", True)):
            check_refs(ch, name, names, "ref.actor", "actor", is_list)
    lid = ch.col("location_id")
    skip = pa.array(sorted(locations.unusable_iso3), pa.string())
    checkable = pc.invert(pc.is_in(pc.utf8_slice_codeunits(lid, 0, 3), value_set=skip))
    check_refs(ch, "location_id", locations.table.column("location_id"), "ref.location", "location", False,
               only=checkable)
    ch.emit(pc.and_(nonempty(lid), pc.not_equal(pc.utf8_slice_codeunits(lid, 0, 3), row_iso3(ch))), "location_id",
            "ref.location-country", "the location belongs to another country than the event")
    if sources.usable:
        check_refs(ch, "source_ids", sources.table.column("source_id"), "ref.source", "source", True)


def check_refs(ch: Checker, name: str, known: Any, rule: str, what: str, is_list: bool, only: Any = None) -> None:
    """Every (list) item of column ``name`` must be in ``known``; the message suggests the nearest."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = ch.col(name)
    message = f"unknown {what}; add it to the registry or fix the spelling"
    if not is_list:
        bad = pc.and_(nonempty(arr), pc.invert(ch.per_value(lambda v: pc.is_in(v, value_set=known), name)))
        if only is not None:
            bad = pc.and_(bad, only)
        ch.emit(bad, name, rule, message, messages=with_suggestions(message, arr, bad, known))
        return
    flat, parents = ch.lists(name)
    missing = pc.fill_null(pc.and_(nonempty(flat), pc.invert(pc.is_in(flat, value_set=known))), False)
    midx = pc.indices_nonzero(missing)
    if len(midx) == 0:
        return
    rows = np.asarray(pc.take(parents, midx).to_numpy(), dtype=np.int64)
    items = pc.take(flat, midx)
    bad_rows, first, counts = np.unique(rows, return_index=True, return_counts=True)
    offsets = np.r_[0, np.cumsum(counts)].astype(np.int32)
    joined = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), items.combine_chunks()
                                                     if isinstance(items, pa.ChunkedArray) else items), "; ")
    firsts = pc.take(items, pa.array(first))
    msgs = with_suggestions(message, firsts, pa.array(np.ones(len(first), dtype=bool)), known)
    ch.emit_rows(pa.array(bad_rows), name, rule, message, values=_full(joined, bad_rows, len(arr)),
                 aligned_messages=msgs)


def _full(values: Any, rows: Any, n: int) -> Any:
    """A length-``n`` array holding ``values`` at ``rows`` and null elsewhere."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    pos = np.full(n, -1, dtype=np.int64)
    pos[rows] = np.arange(len(rows))
    return pc.take(values, pa.array(pos, mask=pos < 0))


def check_source_dates(ch: Checker, sources: CuratedTable) -> None:
    """A report cannot describe an event that happened after it was published."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from .kernels import parse_dates

    flat, parents = ch.lists("source_ids")
    pub_dates, _ = parse_dates(sources.table.column("published"))
    published = lookup(flat, sources.table.column("source_id"), pub_dates)
    dates, _ = ch.dates("event_date")
    early = pc.fill_null(pc.less(published, pc.take(dates, parents)), False)
    eidx = pc.indices_nonzero(early)
    if len(eidx) == 0:
        return
    rows = np.asarray(pc.take(parents, eidx).to_numpy(), dtype=np.int64)
    text = pc.binary_join_element_wise(pc.take(flat, eidx), pc.cast(pc.take(published, eidx), pa.string()),
                                       " published ")
    bad_rows, first = np.unique(rows, return_index=True)
    ch.emit_rows(pa.array(bad_rows), "source_ids", "source.before-event",
                 "a source is dated before the event it reports",
                 values=_full(pc.take(text, pa.array(first)), bad_rows, ch.ct.num_rows))


def check_consistency(ch: Checker, actors: CuratedTable) -> None:
    """Coding rules between fields: who can be actor1 and actor2 of which event type, civilian targeting."""
    import pyarrow as pa
    import pyarrow.compute as pc

    et, a2 = ch.col("event_type"), ch.col("actor2")
    ch.emit(pc.and_(nonempty(ch.col("assoc_actor_2")), pc.invert(nonempty(a2))), "assoc_actor_2",
            "consistency.assoc-without-actor", "an associated actor 2 needs an actor2")
    if not actors.usable:
        return
    at = actors.table
    codes = pc.cast(pc.if_else(pc.match_substring_regex(at.column("actor_type"), INT_RE), at.column("actor_type"),
                               None), pa.int64())
    t1 = ch.per_value(lambda v: lookup(v, at.column("actor"), codes), "actor1")
    t2 = ch.per_value(lambda v: lookup(v, at.column("actor"), codes), "actor2")

    def is_type(t: Any, code: int) -> Any:
        return pc.fill_null(pc.equal(t, code), False)

    ch.emit(pc.equal(t1, CIVILIAN_TYPE), "actor1", "consistency.civilian-actor1",
            "civilians are victims, never actor1; put the perpetrator in actor1")
    vac = pc.equal(et, "Violence against civilians")
    ch.emit(pc.and_(vac, pc.invert(is_type(t2, CIVILIAN_TYPE))), "actor2", "consistency.vac-victim",
            "Violence against civilians needs a civilian actor (type 7) as actor2")
    ch.emit(pc.and_(pc.equal(et, "Protests"), pc.invert(is_type(t1, PROTESTER_TYPE))), "actor1",
            "consistency.protest-actor", "a Protests event has protesters (type 6) as actor1")
    ch.emit(pc.and_(pc.equal(et, "Riots"), pc.invert(is_type(t1, RIOTER_TYPE))), "actor1",
            "consistency.riot-actor", "a Riots event has rioters (type 5) as actor1")
    targeted = pc.equal(ch.col("civilian_targeting"), "Civilian targeting")
    ch.emit(pc.and_(vac, pc.invert(targeted)), "civilian_targeting", "consistency.civilian-targeting",
            "Violence against civilians always targets civilians: set 'Civilian targeting'")
    allowed_type = pc.is_in(et, value_set=pa.array(sorted(TARGETING_TYPES)))
    ch.emit(pc.and_(targeted, pc.invert(allowed_type)), "civilian_targeting", "consistency.civilian-targeting",
            "civilian targeting is coded only for violence against civilians, explosions and riots")
    ch.emit(pc.and_(pc.and_(targeted, allowed_type), pc.invert(is_type(t2, CIVILIAN_TYPE))),
            "civilian_targeting", "consistency.civilian-targeting",
            "civilian targeting needs a civilian actor (type 7) as actor2")


CROWD_TAG = "crowd size="
CROWD_TYPES = ("Protests", "Riots")


def check_crowd_size(ch: Checker, schema: Schema) -> None:
    """Every Protests and Riots event carries exactly one crowd-size tag; other event types carry none.

    ACLED's convention: the tag gives the crowd's size as the report words it, or says that no report gave
    one (``crowd size=no report``), so a filter on the tag never silently misses a protest.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    def framed(tags: Any) -> Any:
        # "; " before and ";" after every list make each tag start with "; " and end before ";".
        return pc.binary_join_element_wise("; ", pc.fill_null(tags, ""), ";", "")

    count = ch.per_value(lambda v: pc.count_substring(framed(v), pattern="; " + CROWD_TAG), "tags")
    empty_value = ch.per_value(lambda v: pc.match_substring_regex(framed(v), pattern=r"; crowd size=\s*;"), "tags")
    crowd = ch.per_value(lambda v: pc.is_in(v, value_set=pa.array(CROWD_TYPES)), "event_type")
    ch.emit(pc.and_(crowd, pc.not_equal(count, 1)), "tags", "consistency.crowd-size",
            "a Protests or Riots event needs exactly one tag 'crowd size=<figure or wording from the report>' "
            "or 'crowd size=no report'")
    ch.emit(pc.and_(crowd, empty_value), "tags", "consistency.crowd-size",
            "the crowd-size tag is empty: give the report's figure or wording, or 'crowd size=no report'")
    other = pc.and_(pc.invert(crowd), ch.per_value(
        lambda v: pc.is_in(v, value_set=pa.array(schema.vocabulary("event_type"))), "event_type"))
    ch.emit(pc.and_(other, pc.greater(count, 0)), "tags", "consistency.crowd-size",
            "only Protests and Riots events carry a crowd-size tag")


def check_duplicate_events(ch: Checker) -> None:
    """Warn about probable duplicates: same date, location, sub-event type and actors."""
    names = ("event_date", "location_id", "sub_event_type", "actor1", "actor2")
    dup = duplicate_rows([ch.col(n) for n in names], [ch.codes(n) for n in names])
    if dup.any():
        ch.emit(dup, "event_id", "warn.duplicate-event",
                "probable duplicate: same date, location, sub-event type and actors as another event")
