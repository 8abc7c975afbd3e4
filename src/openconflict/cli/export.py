"""``openconflict export``: any table of a release, filtered as ``load_events`` filters, in any format.

Why a module of its own: parity with the Python API is a promise with many options (every filter of
``load_events``, every table, every format, ACLED's labels); the writing itself is
:mod:`openconflict.export`'s. Filters pass through as ``load_events`` keyword arguments, so one the
installed loader lacks is named as such rather than ignored.
"""

from __future__ import annotations

from typing import Any

import click

from openconflict.export import FORMATS, STDOUT, TABLES

_MULTI = "(repeatable; any of them matches)"


def _numbers_or_text(values: tuple[str, ...]) -> list[int | str]:
    """Interaction codes as numbers (``12``), labels as text (``State forces-Rebel group``)."""
    return [int(v) if v.strip().isdigit() else v for v in values]


@click.command()
@click.argument("version", required=False)
@click.option("--output", "-o", metavar="FILE", help="File to write, or - for standard output (csv or jsonl). Required.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="Output format (default: from the file extension; csv for -). geoparquet, geojson and gpkg "
                   "are map files of points in WGS 84; gpkg needs the 'geo' extra.")
@click.option("--table", type=click.Choice(TABLES), default="events", show_default=True,
              help="Which table of the release. Filters select events; the aggregates are then computed from "
                   "the filtered events.")
@click.option("--columns", multiple=True, metavar="A,B,...", help="Columns to keep, comma-separated or repeated.")
@click.option("--country", multiple=True, help=f"Country name {_MULTI}.")
@click.option("--iso3", multiple=True, help=f"ISO 3166-1 alpha-3 code {_MULTI}.")
@click.option("--region", multiple=True, help=f"ACLED region {_MULTI}.")
@click.option("--admin1", multiple=True, help=f"First-level unit, e.g. a governorate {_MULTI}.")
@click.option("--admin2", multiple=True, help=f"Second-level unit, e.g. a district {_MULTI}.")
@click.option("--location", multiple=True, help=f"Location name {_MULTI}.")
@click.option("--start", help="First event date (YYYY-MM-DD, YYYY-MM or YYYY).")
@click.option("--end", help="Last event date (inclusive).")
@click.option("--year", multiple=True, type=int, help=f"Year {_MULTI}.")
@click.option("--event-type", "event_type", multiple=True, help=f"Event type {_MULTI}.")
@click.option("--sub-event-type", "sub_event_type", multiple=True, help=f"Sub-event type {_MULTI}.")
@click.option("--actor", multiple=True, help=f"Actor name {_MULTI}.")
@click.option("--actor-role", "actor_role", metavar="ROLE",
              help="Where --actor must appear, e.g. 'any' to include associated actors.")
@click.option("--interaction", multiple=True, help=f"Interaction code (12) or label {_MULTI}.")
@click.option("--min-fatalities", "min_fatalities", type=click.IntRange(min=0),
              help="Only events with at least this many reported fatalities.")
@click.option("--civilian-targeting/--no-civilian-targeting", "civilian_targeting", default=None,
              help="Only events that targeted civilians (or only those that did not).")
@click.option("--acled-labels", is_flag=True,
              help="inter1, inter2 and interaction as ACLED's current text labels instead of codes.")
@click.option("--mkdirs", is_flag=True, help="Create the output folder when it does not exist.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary line.")
def export(version: str | None, output: str | None, fmt: str | None, table: str, columns: tuple[str, ...],
           acled_labels: bool, mkdirs: bool, quiet: bool, **filters: Any) -> None:
    """Write a release's events (or another TABLE) to CSV, Parquet, JSON Lines, Stata, GeoParquet, GeoJSON
    or GeoPackage, with the filters of load_events.

    VERSION defaults to the latest release. JSON Lines carry dates as YYYY-MM-DD and text unescaped; a
    file appears whole or not at all; a missing output folder is an error unless --mkdirs.
    """
    from openconflict.export import export_table

    if output is None:
        looks_like_a_file = version is not None and "." in version and not version.replace(".", "").isdigit()
        raise click.UsageError(f"name the output with -o: openconflict export -o {version}"
                               if looks_like_a_file else "Missing option '-o' / '--output'.")
    given: dict[str, Any] = {}
    for name, value in filters.items():
        if value is None or value == ():
            continue
        if name == "interaction":
            value = _numbers_or_text(value)
        given[name] = list(value) if isinstance(value, tuple) else value
    cols = list(dict.fromkeys(c.strip() for item in columns for c in item.split(",") if c.strip()))
    n = export_table(output, fmt, version, table=table, columns=cols or None, acled_labels=acled_labels,
                     mkdirs=mkdirs, quiet=quiet, **given)
    if not quiet:
        what = "events" if table == "events" else f"rows of {table}"
        click.echo(f"wrote {n} {what} to {'standard output' if output == STDOUT else output}",
                   err=output == STDOUT)


COMMANDS = (export,)
