"""The rule catalogue: every problem the validator can report, with its severity and what it means.

Why one list: a curator reading ``value.enum`` in a report, the codebook's "Validation rules" section,
``openconflict validate --explain RULE``, the benchmark's error injector and the tests all read it from
here, and the emitter refuses a rule id that is not listed. Standard library only (the codebook imports it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    description: str


_E: Severity = "error"
_W: Severity = "warning"

RULES: tuple[Rule, ...] = (
    # -- the files and folders under datasets/ ----------------------------------------------------------
    Rule("file.missing", _E, "A registry file or a folder the layout requires does not exist."),
    Rule("file.unreadable", _E, "The operating system refused to read a file or list a folder."),
    Rule("file.not-regular", _E, "Something other than a regular file (or folder) sits where the layout "
                                 "expects one: a folder, a broken or looping link, a device or a pipe."),
    Rule("file.unexpected", _E, "A file or folder that is not part of the datasets layout; nothing would "
                                "read it, so it is reported instead of ignored."),
    Rule("warn.hidden-file", _W, "A hidden file (its name starts with a dot, like an editor's lock file) "
                                 "lies in the datasets tree; it is not read."),
    Rule("file.name", _E, "A file or folder is not named the way the layout requires (ASCII only: "
                          "events/<ISO3>/<YYYY>-<MM>.csv, locations/<ISO3>.csv)."),
    Rule("file.country", _E, "A folder or file is named by a three-letter code that is not an ISO 3166-1 "
                             "alpha-3 country code."),
    Rule("file.empty", _E, "The file holds nothing, or only blank lines; even a table without rows needs "
                           "its header row."),
    Rule("file.encoding", _E, "The file is not valid UTF-8 text."),
    Rule("file.bom", _E, "A byte-order mark (U+FEFF) appears somewhere other than the very start of the "
                         "file."),
    Rule("file.line-endings", _E, "A line ends in a carriage return alone (old Mac line endings, or a mix); "
                                  "save the file with LF or CRLF line endings."),
    Rule("file.header", _E, "The header row does not list exactly the table's columns in the schema's "
                            "order."),
    Rule("file.duplicate-column", _E, "The header row names the same column more than once."),
    Rule("csv.columns", _E, "A row has more or fewer cells than the header."),
    Rule("csv.malformed", _E, "A row cannot be parsed as CSV (most often a quote that is never closed); "
                              "the rows around it are still checked."),
    # -- single values, from the Table Schemas -----------------------------------------------------------
    Rule("value.required", _E, "A column that must always hold a value is empty."),
    Rule("value.type", _E, "The text is not a number of the column's type (plain ASCII digits, no "
                           "exponent)."),
    Rule("value.range", _E, "A number lies outside the range the schema allows or that its released "
                            "type can hold."),
    Rule("value.decimals", _E, "A coordinate has more than four decimals."),
    Rule("value.date", _E, "Not a real calendar date written YYYY-MM-DD from 1900 on."),
    Rule("value.datetime", _E, "Not a real UTC time written YYYY-MM-DDTHH:MM:SSZ from 1900 on."),
    Rule("value.enum", _E, "The value is not in the column's vocabulary (the message suggests the nearest "
                           "one)."),
    Rule("value.pattern", _E, "The value does not have the shape the schema's pattern requires (the whole "
                              "value, ASCII letters and digits only)."),
    Rule("value.url", _E, "A source URL is not an http(s) address without spaces (the whole value)."),
    Rule("value.list", _E, "A list cell does not separate its items with exactly '; '."),
    Rule("value.control", _E, "A cell holds a control character (NUL and the like); only tab and line "
                              "breaks inside quoted cells are allowed."),
    Rule("date.future", _E, "A date lies after the day of validation."),
    Rule("date.file-month", _E, "An event's date lies outside the month its file is named for."),
    # -- identity -------------------------------------------------------------------------------------------
    Rule("id.pattern", _E, "An event id is not a country code followed by a number without a leading zero."),
    Rule("id.range", _E, "An event id's number has more than 18 digits, so the build could not store it "
                         "as a 64-bit integer."),
    Rule("id.country", _E, "An id's country code differs from the folder or file it is in."),
    Rule("key.duplicate", _E, "A value that must be unique (an event id, an actor, a location or source id) "
                              "occurs more than once; the message names the other places."),
    Rule("id.deleted", _E, "An event uses an id listed in deletions.csv; a deleted id is never reused."),
    Rule("id.tombstone-removed", _E, "An id deleted in a published release is no longer listed in "
                                     "deletions.csv; a tombstone is never removed."),
    Rule("id.deleted-reused", _E, "An event uses an id that a published release deleted; a deleted id is "
                                  "never reused, even after its tombstone was removed."),
    Rule("warn.history-unchecked", _W, "The published releases could not be read, so tombstones were not "
                                       "checked against them."),
    # -- references between tables -------------------------------------------------------------------------
    Rule("ref.actor", _E, "An actor name is not in actors.csv (the message suggests the nearest one)."),
    Rule("ref.location", _E, "A location id is not in locations/<ISO3>.csv (with a suggestion)."),
    Rule("ref.location-country", _E, "An event's location belongs to another country than the event."),
    Rule("ref.source", _E, "A source id is not in sources.csv (with a suggestion)."),
    Rule("source.before-event", _E, "A source was published before the event it reports."),
    # -- coding rules between fields ------------------------------------------------------------------------
    Rule("hierarchy.sub-event-type", _E, "The sub-event type belongs to another event type (or disorder "
                                         "type)."),
    Rule("consistency.assoc-without-actor", _E, "An associated actor 2 is given without an actor2."),
    Rule("consistency.civilian-actor1", _E, "Civilians (actor type 7) are coded as actor1; they are only "
                                            "ever victims."),
    Rule("consistency.vac-victim", _E, "Violence against civilians has no civilian actor (type 7) as "
                                       "actor2."),
    Rule("consistency.protest-actor", _E, "A Protests event does not have protesters (type 6) as actor1."),
    Rule("consistency.riot-actor", _E, "A Riots event does not have rioters (type 5) as actor1."),
    Rule("consistency.civilian-targeting", _E, "Civilian targeting is missing where the event type needs "
                                               "it, or set where it does not belong."),
    Rule("consistency.crowd-size", _E, "A Protests or Riots event lacks its one crowd-size tag ('crowd "
                                       "size=' with the report's figure or wording, or 'crowd size=no report'), "
                                       "or another event type carries one."),
    Rule("consistency.fatality-range", _E, "The fatality figures are out of order: the lowest reported figure "
                                           "(fatalities) must not exceed fatalities_best, nor that "
                                           "fatalities_high."),
    Rule("consistency.fatality-known", _E, "fatalities_known is 'false' (no report gave a death toll) while a "
                                           "fatality figure above 0 is coded."),
    Rule("consistency.fatality-traceable", _E, "A best or high death toll that differs from the lowest figure "
                                               "is not stated in the notes, so a reader cannot trace it to the "
                                               "cited report that gives it."),
    # -- administrative units -----------------------------------------------------------------------------
    Rule("ref.admin-pcode", _E, "A location's P-code is not a unit of the right level in its country's "
                                "crosswalk (schema/crosswalk/), or its country has no crosswalk."),
    Rule("consistency.admin-pcode", _E, "A location's administrative units disagree with the crosswalk: a "
                                        "P-code that does not lie in the level above, or a name that is not "
                                        "the crosswalk's name for its P-code."),
    Rule("warn.admin-pcode-missing", _W, "An administrative unit is named without its P-code in a country that "
                                         "has a crosswalk, so its spelling cannot be checked."),
    # -- coordinates ------------------------------------------------------------------------------------------
    Rule("geo.bbox", _E, "A location's coordinates fall outside its country's bounding box."),
    Rule("geo.no-bbox", _W, "The country vocabulary has no bounding box for this country, so its "
                            "coordinates could not be checked."),
    # -- warnings -----------------------------------------------------------------------------------------------
    Rule("warn.duplicate-event", _W, "Two events share date, location, sub-event type and both actors: "
                                     "probably one event coded twice."),
    Rule("warn.formula", _W, "Free text starts like a spreadsheet formula (= + - @), which a spreadsheet "
                             "would run."),
)

CATALOGUE: dict[str, Rule] = {r.id: r for r in RULES}


class UnknownRuleError(KeyError):
    """A rule id that is not in the catalogue: a programming error, caught by the tests."""


def rule(rule_id: str) -> Rule:
    """The catalogue entry of ``rule_id``; an unknown id raises :class:`UnknownRuleError`."""
    try:
        return CATALOGUE[rule_id]
    except KeyError:
        raise UnknownRuleError(f"rule {rule_id!r} is not in the catalogue (validate/rules.py)") from None


def explain(rule_id: str) -> str:
    """The text ``openconflict validate --explain`` prints."""
    r = rule(rule_id)
    return f"{r.id} ({r.severity}): {r.description}"


def markdown() -> list[str]:
    """The codebook's "Validation rules" section."""
    out = ["## Validation rules", "",
           "Every problem `openconflict validate` can report. Errors stop a build; warnings do not. "
           "`openconflict validate --explain RULE` prints one entry.", "",
           "| rule | severity | meaning |", "|---|---|---|"]
    out += [f"| `{r.id}` | {r.severity} | {r.description} |" for r in RULES]
    return out
