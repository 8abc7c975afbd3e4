"""The bad-input corpus: each case damages the clean synthetic tree in one way and names, exactly, every
problem (file, line, rule id, severity) the validator must report, no more and no fewer."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from validate_fixtures import (
    ACTORS,
    ALLIES,
    ARMY,
    CIVILIANS,
    DELETIONS,
    EV10,
    EV11,
    LOC,
    LOC_IRQ,
    REBELS,
    SOURCES,
    TODAY,
    Mutation,
    add_column,
    append_row,
    cell,
    chain,
    copy_row_to,
    drop_column,
    edit_line,
    move,
    remove,
    replace_bytes,
    swap_columns,
    to_crlf,
    write_bytes,
)

import openconflict.validate
from openconflict.problems import Report
from openconflict.validate import validate

Expected = tuple[str, int, str, str]


def E(file: str, line: int, rule: str) -> Expected:  # noqa: N802 - reads like a table
    return (file, line, rule, "error")


def W(file: str, line: int, rule: str) -> Expected:  # noqa: N802
    return (file, line, rule, "warning")


@dataclass
class Case:
    name: str
    mutate: Mutation
    expected: list[Expected] = field(default_factory=list)


ACT = "events/SYR/2015-10.csv"  # relative to datasets/, for the mutation helpers
ACT11 = "events/SYR/2015-11.csv"
ACTORS_REL, LOC_REL, SRC_REL, DEL_REL = "actors.csv", "locations/SYR.csv", "sources.csv", "deletions.csv"

CASES: list[Case] = [
    # --- tolerated: these must stay clean --------------------------------------------------------------
    Case("bom tolerated", lambda r: (r / ACT).write_bytes(b"\xef\xbb\xbf" + (r / ACT).read_bytes())),
    Case("crlf line endings tolerated", to_crlf(ACT)),
    Case("a number where text belongs is text", cell(ACT, 3, "notes", "12345")),
    Case("combined source scale", cell(SRC_REL, 2, "source_scale", "National-Local partner")),
    Case("quoted line break inside notes", cell(ACT, 4, "notes", "SYNTHETIC TEST ROW\nsecond line")),
    Case("header-only events file", write_bytes(ACT11, (",".join(openconflict.validate.load_schema()
                                                               .columns("curated", "events")) + "\n").encode())),
    # --- file level --------------------------------------------------------------------------------------
    Case("non-UTF-8 bytes", replace_bytes(ACT, b"SYNTHETIC TEST ROW 3", b"SYNTHETIC caf\xe9 ROW 3"),
         [E(EV10, 4, "file.encoding")]),
    Case("empty file", write_bytes(ACT11, b""), [E(EV11, 1, "file.empty")]),
    Case("blank-lines-only file", write_bytes(ACT11, b"\n\r\n  \n"), [E(EV11, 1, "file.empty")]),
    Case("missing column", drop_column(ACT, "tags"), [E(EV10, 1, "file.header")]),
    Case("extra column", add_column(ACT, "comment", "x"), [E(EV10, 1, "file.header")]),
    Case("columns reordered", swap_columns(ACT, "actor1", "actor2"), [E(EV10, 1, "file.header")]),
    Case("binary file as events CSV", write_bytes(ACT11, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xd8"),
         [E(EV11, 1, "file.encoding"), E(EV11, 1, "file.header")]),
    Case("unclosed quote", replace_bytes(ACT, b"SYNTHETIC TEST ROW 3", b'"SYNTHETIC TEST ROW 3'),
         [E(EV10, 4, "csv.malformed")]),
    Case("row with too many cells", edit_line(ACT, 3, lambda s: s + ",surplus"), [E(EV10, 3, "csv.columns")]),
    Case("row with too few cells", edit_line(ACT, 5, lambda s: s.rsplit(",", 1)[0]), [E(EV10, 5, "csv.columns")]),
    Case("badly named event file", move(ACT11, "events/SYR/2015-13.csv"),
         [E("datasets/events/SYR/2015-13.csv", 0, "file.name")]),
    Case("badly named country folder", move(ACT11, "events/Syria/2015-11.csv"),
         [E("datasets/events/Syria", 0, "file.name")]),
    Case("badly named location file", move("locations/IRQ.csv", "locations/iraq.csv"),
         [E("datasets/locations/iraq.csv", 0, "file.name")]),
    Case("missing registry", remove(DEL_REL), [E(DELETIONS, 0, "file.missing")]),
    Case("unknown country file", write_bytes("locations/XXX.csv", b"location_id,location,admin1,admin2,admin3,"
                                             b"latitude,longitude,coordinate_source,admin1_pcode,admin2_pcode,admin3_pcode\n"),
         [E("datasets/locations/XXX.csv", 0, "file.country")]),
    # -- ACLED's crowd-size tag (issue 11) ------------------------------------------------------------------
    Case("protest without a crowd-size tag", cell(ACT, 4, "tags", ""), [E(EV10, 4, "consistency.crowd-size")]),
    Case("riot with two crowd-size tags", cell(ACT, 5, "tags", "crowd size=dozens; crowd size=hundreds"),
         [E(EV10, 5, "consistency.crowd-size")]),
    Case("empty crowd-size tag", cell(ACT, 4, "tags", "crowd size="), [E(EV10, 4, "consistency.crowd-size")]),
    Case("crowd-size tag on a battle", cell(ACT, 2, "tags", "crowd size=no report"),
         [E(EV10, 2, "consistency.crowd-size")]),
    # -- fatality ranges (issue 15): low <= best <= high, known agrees, every other figure stated ---------
    Case("best figure below the lowest", cell(ACT, 2, "fatalities_best", "2"),
         [E(EV10, 2, "consistency.fatality-range")]),
    Case("high figure below the best", cell(ACT, 2, "fatalities_high", "2"),
         [E(EV10, 2, "consistency.fatality-range")]),
    Case("no report gave a figure, yet deaths are coded", cell(ACT, 2, "fatalities_known", "false"),
         [E(EV10, 2, "consistency.fatality-known")]),
    Case("high figure nowhere in the notes", cell(ACT, 2, "fatalities_high", "40"),
         [E(EV10, 2, "consistency.fatality-traceable")]),
    Case("high figure only inside a longer number", chain(cell(ACT, 2, "fatalities_high", "12"),
                                                          cell(ACT, 2, "notes", "SYNTHETIC 120 and 1.12 and 12a")),
         [E(EV10, 2, "consistency.fatality-traceable")]),
    Case("best and high figures stated", chain(cell(ACT, 2, "fatalities_best", "4"),
                                               cell(ACT, 2, "fatalities_high", "12"),
                                               cell(ACT, 2, "notes", "SYNTHETIC: one report 4, another 12.")), []),
    Case("explicit 'no one died' is a known 0", cell(ACT, 4, "fatalities_known", "true"), []),
    Case("known spelled True", cell(ACT, 2, "fatalities_known", "True"), [E(EV10, 2, "value.type")]),
    Case("known spelled 1", cell(ACT, 2, "fatalities_known", "1"), [E(EV10, 2, "value.type")]),
    Case("known with a trailing space", cell(ACT, 2, "fatalities_known", "true "), [E(EV10, 2, "value.type")]),
    Case("known left empty", cell(ACT, 2, "fatalities_known", ""), [E(EV10, 2, "value.required")]),
    Case("best figure in words", cell(ACT, 2, "fatalities_best", "three"), [E(EV10, 2, "value.type")]),
    # -- administrative units against the crosswalk (issue 11) ---------------------------------------------
    Case("unknown governorate P-code", cell(LOC_REL, 2, "admin1_pcode", "SY99"),
         [E(LOC, 2, "ref.admin-pcode"), E(LOC, 2, "consistency.admin-pcode")]),
    Case("district of another governorate", cell(LOC_REL, 2, "admin2_pcode", "SY0700"),
         [E(LOC, 2, "consistency.admin-pcode")]),  # both the P-code's parent and the name disagree
    Case("admin name spelled unlike the crosswalk", cell(LOC_REL, 2, "admin2", "Azaz"),
         [E(LOC, 2, "consistency.admin-pcode")]),
    Case("admin name without its P-code", cell(LOC_REL, 3, "admin2", "Abu Kamal"),
         [W(LOC, 3, "warn.admin-pcode-missing")]),
    Case("P-code in a country without a crosswalk", cell("locations/IRQ.csv", 2, "admin1_pcode", "IQ01"),
         [E(LOC_IRQ, 2, "ref.admin-pcode")]),
    Case("country without a bounding box", append_row(
        "locations/ABW.csv", {"location_id": "ABW-delta", "location": "Delta (SYNTHETIC)", "admin1": "Aruba",
                              "latitude": "12.5000", "longitude": "-70.0000", "coordinate_source": "SYNTHETIC"}),
         [W("datasets/locations/ABW.csv", 2, "geo.no-bbox")]),
    # --- types and required values ---------------------------------------------------------------------
    Case("required notes empty", cell(ACT, 3, "notes", ""), [E(EV10, 3, "value.required")]),
    Case("required fatalities empty", cell(ACT, 2, "fatalities", ""), [E(EV10, 2, "value.required")]),
    Case("required source title empty", cell(SRC_REL, 3, "title", ""), [E(SOURCES, 3, "value.required")]),
    Case("text in fatalities", cell(ACT, 2, "fatalities", "three"), [E(EV10, 2, "value.type")]),
    # A number where text belongs is an error wherever the text is a code or a name from a registry.
    Case("a number where the event type belongs", cell(ACT, 2, "event_type", "1"),
         [E(EV10, 2, "value.enum")]),
    Case("a number where an actor name belongs", cell(ACT, 2, "actor1", "42"), [E(EV10, 2, "ref.actor")]),
    Case("a number where a language code belongs", cell(SRC_REL, 2, "language", "12"),
         [E(SOURCES, 2, "value.pattern")]),
    Case("decimal in fatalities", cell(ACT, 2, "fatalities", "2.5"), [E(EV10, 2, "value.type")]),
    Case("text in actor_type", cell(ACTORS_REL, 3, "actor_type", "two"), [E(ACTORS, 3, "value.type")]),
    Case("text in latitude", cell(LOC_REL, 2, "latitude", "north"), [E(LOC, 2, "value.type")]),
    # --- dates ---------------------------------------------------------------------------------------------
    Case("impossible day 2015-02-30", cell(ACT, 2, "event_date", "2015-02-30"), [E(EV10, 2, "value.date")]),
    Case("month 13", cell(ACT, 2, "event_date", "2015-13-01"), [E(EV10, 2, "value.date")]),
    Case("year 0025", cell(ACT, 2, "event_date", "0025-10-14"),
         [E(EV10, 2, "value.date"), E(EV10, 2, "date.file-month")]),
    Case("date in the wrong shape", cell(ACT, 2, "event_date", "14/10/2015"), [E(EV10, 2, "value.date")]),
    Case("impossible source date", cell(SRC_REL, 2, "published", "2015-02-30"), [E(SOURCES, 2, "value.date")]),
    Case("event in the future", append_row(
        "events/SYR/2024-07.csv", copy_line=None, **{
            "event_id": "SYR8", "event_date": "2024-07-01", "time_precision": "1", "event_type": "Battles",
            "sub_event_type": "Armed clash", "actor1": ARMY, "actor2": REBELS, "location_id": "SYR-alpha",
            "geo_precision": "1", "fatalities": "0", "fatalities_best": "0", "fatalities_high": "0",
            "fatalities_known": "false", "source_ids": "src-two", "notes": "SYNTHETIC TEST ROW 8",
            "updated": "2024-01-01T00:00:00Z"}),
         [E("datasets/events/SYR/2024-07.csv", 2, "date.future"),
          E("datasets/events/SYR/2024-07.csv", 2, "source.before-event")]),
    Case("updated without time", cell(ACT, 2, "updated", "2024-01-01 00:00:00"), [E(EV10, 2, "value.datetime")]),
    Case("updated on an impossible day", cell(ACT, 2, "updated", "2024-02-30T00:00:00Z"),
         [E(EV10, 2, "value.datetime")]),
    # --- vocabularies and hierarchy ----------------------------------------------------------------------
    Case("unknown event type", cell(ACT, 2, "event_type", "Battle"), [E(EV10, 2, "value.enum")]),
    Case("unknown sub-event type", cell(ACT, 2, "sub_event_type", "Armed Clash"), [E(EV10, 2, "value.enum")]),
    Case("civilian_targeting not in vocabulary", cell(ACT, 3, "civilian_targeting", "yes"),
         [E(EV10, 3, "value.enum"), E(EV10, 3, "consistency.civilian-targeting")]),
    Case("unknown actor country", cell(ACTORS_REL, 2, "country_iso3", "XYZ"), [E(ACTORS, 2, "value.enum")]),
    Case("unknown source scale", cell(SRC_REL, 2, "source_scale", "Global"), [E(SOURCES, 2, "value.enum")]),
    Case("sub-event type of another event type", cell(ACT, 2, "sub_event_type", "Attack"),
         [E(EV10, 2, "hierarchy.sub-event-type")]),
    # --- ranges, precision, coordinates -----------------------------------------------------------------
    Case("time precision 0", cell(ACT, 2, "time_precision", "0"), [E(EV10, 2, "value.range")]),
    Case("time precision 4", cell(ACT, 2, "time_precision", "4"), [E(EV10, 2, "value.range")]),
    Case("geo precision 4", cell(ACT, 3, "geo_precision", "4"), [E(EV10, 3, "value.range")]),
    Case("negative fatalities", cell(ACT, 2, "fatalities", "-1"), [E(EV10, 2, "value.range")]),
    Case("fatalities beyond 32 bits", cell(ACT, 2, "fatalities", "3000000000"), [E(EV10, 2, "value.range")]),
    Case("actor type 9", cell(ACTORS_REL, 2, "actor_type", "9"), [E(ACTORS, 2, "value.range")]),
    Case("latitude 95", cell(LOC_REL, 2, "latitude", "95"), [E(LOC, 2, "value.range"), E(LOC, 2, "geo.bbox")]),
    Case("five decimals", cell(LOC_REL, 2, "latitude", "36.12345"), [E(LOC, 2, "value.decimals")]),
    Case("outside the country", cell(LOC_REL, 3, "longitude", "30.0000"), [E(LOC, 3, "geo.bbox")]),
    # --- identity ---------------------------------------------------------------------------------------
    Case("event id with a leading zero", cell(ACT, 2, "event_id", "SYR01"), [E(EV10, 2, "id.pattern")]),
    Case("deleted id malformed", cell(DEL_REL, 2, "event_id", "syr7"), [E(DELETIONS, 2, "id.pattern")]),
    Case("event id of another country", cell(ACT, 2, "event_id", "IRQ9"), [E(EV10, 2, "id.country")]),
    Case("location id of another file", cell("locations/IRQ.csv", 2, "location_id", "JOR-gamma"),
         [E("datasets/locations/IRQ.csv", 2, "id.country")]),
    Case("date outside the file's month", cell(ACT, 2, "event_date", "2015-09-30"),
         [E(EV10, 2, "date.file-month")]),
    Case("event id in two files", copy_row_to(ACT, 2, ACT11, event_date="2015-11-03", source_ids="src-two"),
         [E(EV10, 2, "key.duplicate"), E(EV11, 3, "key.duplicate")]),
    Case("actor listed twice", append_row(ACTORS_REL, copy_line=3), [E(ACTORS, 3, "key.duplicate"),
                                                                     E(ACTORS, 10, "key.duplicate")]),
    Case("deleted id reused", cell(ACT11, 2, "event_id", "SYR7"), [E(EV11, 2, "id.deleted")]),
    # --- patterns -----------------------------------------------------------------------------------------
    Case("language not a 2-letter code", cell(SRC_REL, 3, "language", "english"), [E(SOURCES, 3, "value.pattern")]),
    Case("malformed location id", cell(ACT, 2, "location_id", "SYR_alpha"),
         [E(EV10, 2, "value.pattern"), E(EV10, 2, "ref.location")]),
    Case("release version malformed", cell(DEL_REL, 2, "deleted_in", "v1"), [E(DELETIONS, 2, "value.pattern")]),
    Case("ftp url", cell(SRC_REL, 2, "url", "ftp://example.invalid/one"), [E(SOURCES, 2, "value.url")]),
    Case("url with a space", cell(SRC_REL, 3, "url", "https://example.invalid/a b"), [E(SOURCES, 3, "value.url")]),
    # --- references ---------------------------------------------------------------------------------------
    Case("unknown actor1", cell(ACT, 2, "actor1", "Ghost Army (SYNTHETIC)"), [E(EV10, 2, "ref.actor")]),
    Case("unknown actor2", cell(ACT11, 2, "actor2", "Ghost Army (SYNTHETIC)"), [E(EV11, 2, "ref.actor")]),
    Case("unknown associated actor", cell(ACT, 6, "assoc_actor_1", f"{ALLIES}; Ghost Militia (SYNTHETIC)"),
         [E(EV10, 6, "ref.actor")]),
    Case("unknown location", cell(ACT, 2, "location_id", "SYR-nowhere"), [E(EV10, 2, "ref.location")]),
    Case("location in another country", cell(ACT, 2, "location_id", "IRQ-gamma"),
         [E(EV10, 2, "ref.location-country")]),
    Case("unknown source in a list", cell(ACT, 3, "source_ids", "src-one; src-missing"), [E(EV10, 3, "ref.source")]),
    Case("source published before the event", cell(ACT, 2, "event_date", "2015-10-20"),
         [E(EV10, 2, "source.before-event")]),
    # --- consistency --------------------------------------------------------------------------------------
    Case("assoc_actor_2 without actor2", cell(ACT, 4, "assoc_actor_2", ALLIES),
         [E(EV10, 4, "consistency.assoc-without-actor")]),
    Case("violence against civilians with an armed victim", cell(ACT, 3, "actor2", REBELS),
         [E(EV10, 3, "consistency.vac-victim"), E(EV10, 3, "consistency.civilian-targeting")]),
    Case("violence against civilians not marked as targeting", cell(ACT, 3, "civilian_targeting", ""),
         [E(EV10, 3, "consistency.civilian-targeting")]),
    Case("civilian targeting in a battle", cell(ACT, 2, "civilian_targeting", "Civilian targeting"),
         [E(EV10, 2, "consistency.civilian-targeting")]),
    Case("civilian targeting without civilian victims", cell(ACT, 6, "actor2", REBELS),
         [E(EV10, 6, "consistency.civilian-targeting")]),
    Case("civilians as actor1", cell(ACT, 2, "actor1", CIVILIANS), [E(EV10, 2, "consistency.civilian-actor1")]),
    Case("protest by the army", cell(ACT, 4, "actor1", ARMY), [E(EV10, 4, "consistency.protest-actor")]),
    Case("riot by the army", cell(ACT, 5, "actor1", ARMY), [E(EV10, 5, "consistency.riot-actor")]),
    # --- lists ----------------------------------------------------------------------------------------------
    Case("list without a space", cell(ACT, 3, "tags", "synthetic;second"), [E(EV10, 3, "value.list")]),
    Case("list with a trailing separator", cell(ACT, 3, "tags", "synthetic; "), [E(EV10, 3, "value.list")]),
    Case("source list without a space", cell(ACT, 3, "source_ids", "src-one;src-two"),
         [E(EV10, 3, "value.list"), E(EV10, 3, "ref.source")]),
    # --- warnings ---------------------------------------------------------------------------------------
    Case("probable duplicate", append_row(ACT, copy_line=2, event_id="SYR8", notes="SYNTHETIC TEST ROW 8"),
         [W(EV10, 2, "warn.duplicate-event"), W(EV10, 7, "warn.duplicate-event")]),
    Case("formula with =", cell(ACT, 3, "notes", '=HYPERLINK("https://example.invalid")'),
         [W(EV10, 3, "warn.formula")]),
    Case("formula with @", cell(ACTORS_REL, 4, "description", "@SUM(1)"), [W(ACTORS, 4, "warn.formula")]),
    Case("formula with + and -", chain(cell(ACT, 2, "notes", "+1 SYNTHETIC"), cell(ACT, 3, "tags", "-x")),
         [W(EV10, 2, "warn.formula"), W(EV10, 3, "warn.formula")]),
]


def _found(report: Report) -> set[Expected]:
    return {(p.file, p.line, p.rule, p.severity) for p in report.problems}


def _run(root: Path) -> Report:
    report, _ = validate([root], today=TODAY)
    return report


def test_clean_tree_has_no_problem(tree: Path) -> None:
    report = _run(tree)
    assert report.problems == []
    assert report.ok
    assert report.rows_checked == {"events": 6, "actors": 8, "locations": 3, "sources": 2, "deletions": 1}


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 30
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case: Case, tree: Path) -> None:
    case.mutate(tree)
    report = _run(tree)
    assert sorted(_found(report)) == sorted(case.expected), report.to_text()
    assert report.ok == (not any(sev == "error" for *_, sev in case.expected))


def test_unreadable_file(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file the OS refuses to read (simulated: chmod does not stop root) is reported, not raised."""
    target = (tree / ACT11).resolve()
    real_open = Path.open

    def open_(self: Path, *args: object, **kwargs: object) -> object:
        if self.resolve() == target:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "open", open_)
    assert _found(_run(tree)) == {E(EV11, 0, "file.unreadable")}


def test_all_problems_at_once_sorted(tree: Path) -> None:
    chain(
        cell(ACT11, 2, "fatalities", "many"),
        cell(ACT, 5, "event_type", "Riot"),
        cell(ACT, 2, "time_precision", "7"),
        cell(SRC_REL, 3, "url", "mailto:x@example.invalid"),
        cell(ACTORS_REL, 5, "actor_type", "0"),
        cell(LOC_REL, 3, "latitude", "-95.5"),
        cell(ACT, 3, "notes", ""),
    )(tree)
    report = _run(tree)
    assert _found(report) == {
        E(ACTORS, 5, "value.range"), E(EV10, 2, "value.range"), E(EV10, 3, "value.required"),
        E(EV10, 5, "value.enum"), E(EV11, 2, "value.type"), E(LOC, 3, "value.range"), E(LOC, 3, "geo.bbox"),
        E(SOURCES, 3, "value.url"),
    }
    keys = [(p.file, p.line) for p in report.problems]
    assert keys == sorted(keys)


def test_paths_narrow_the_report(tree: Path) -> None:
    chain(cell(ACT, 2, "fatalities", "x"), cell(ACT11, 2, "fatalities", "y"))(tree)
    report, _ = validate([tree / ACT11], today=TODAY)
    assert _found(report) == {E(EV11, 2, "value.type")}
    report, _ = validate([tree / "events"], today=TODAY)
    assert _found(report) == {E(EV10, 2, "value.type"), E(EV11, 2, "value.type")}


def test_values_and_columns_are_reported(tree: Path) -> None:
    cell(ACT, 2, "fatalities", "three")(tree)
    (problem,) = _run(tree).problems
    assert (problem.column, problem.value) == ("fatalities", "three")
