"""The curator commands ``lookup place|actor|source`` and ``new event|source|location`` (click groups).

Registered by the main CLI as ``main.add_command(lookup_command)`` and ``main.add_command(new_command)``.
Exit codes: ``lookup`` 0 with matches, 1 with none; ``new`` 0 when the new row validates, 1 when it has
errors (the row is kept, its file and line printed) or was refused (nothing written), 2 on usage errors.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..errors import OpenConflictError

DATASETS = click.option("--datasets", "datasets", type=click.Path(path_type=Path), default=None,
                        help="The datasets folder (default: ./datasets).")
AS_JSON = click.option("--json", "as_json", is_flag=True, help="Print the matches as JSON.")
LIMIT = click.option("--limit", type=click.IntRange(1, 1000), default=10, show_default=True,
                     help="At most this many matches.")


class _CuratorGroup(click.Group):
    """Turns a refused curator action (an OpenConflictError) into one line and exit 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OpenConflictError as exc:
            raise click.ClickException(str(exc)) from None


def _tree(datasets: Path | None) -> Any:
    from .tree import open_tree

    return open_tree(datasets)


def _print_matches(matches: list[Any], as_json: bool, fmt: Callable[[Any], str], query: str) -> None:
    if as_json:
        click.echo(json.dumps([m.to_json() for m in matches], indent=2, ensure_ascii=False))
    elif matches:
        for m in matches:
            click.echo(fmt(m))
    else:
        click.echo(f"no match for {query!r}", err=True)
    if not matches:
        raise SystemExit(1)


@click.group("lookup", cls=_CuratorGroup)
def lookup_command() -> None:
    """Find places, actors and reports already known, before adding new ones."""


@lookup_command.command("place")
@click.argument("text")
@DATASETS
@click.option("--gazetteer", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="The gazetteer CSV (default: ../shared/gazetteer/ beside the repository, else the copy in "
                   "schema/gazetteer/).")
@click.option("--min-score", type=click.FloatRange(0, 100), default=75.0, show_default=True)
@LIMIT
@AS_JSON
def lookup_place(text: str, datasets: Path | None, gazetteer: Path | None, min_score: float, limit: int,
                 as_json: bool) -> None:
    """Fuzzy search of curated locations and the gazetteer, tolerant of transliteration.

    Prints score, id (curated locations) or [gazetteer], name, admin names, coordinates and where the
    coordinates come from, best first. 'Tel Jabin' finds 'Tall Jibbin'.
    """
    from .places import format_match, load_places, search
    from .tree import default_gazetteer

    tree = _tree(datasets)
    if gazetteer is not None and not gazetteer.is_file():
        raise click.UsageError(f"no gazetteer file at {gazetteer}")
    path = gazetteer or default_gazetteer(tree)
    matches = search(text, load_places(tree, path), limit=limit, min_score=min_score)
    _print_matches(matches, as_json, format_match, text)


@lookup_command.command("actor")
@click.argument("text")
@DATASETS
@click.option("--min-score", type=click.FloatRange(0, 100), default=75.0, show_default=True)
@LIMIT
@AS_JSON
def lookup_actor(text: str, datasets: Path | None, min_score: float, limit: int, as_json: bool) -> None:
    """Find an actor by its registry name, the parts of an 'ABBR: Name' name, or an alias."""
    from .actors import format_match, read_actors, search

    matches = search(text, read_actors(_tree(datasets)), limit=limit, min_score=min_score)
    _print_matches(matches, as_json, format_match, text)


@lookup_command.command("source")
@click.argument("url")
@DATASETS
@click.option("--min-score", type=click.FloatRange(0, 100), default=70.0, show_default=True)
@LIMIT
@AS_JSON
def lookup_source(url: str, datasets: Path | None, min_score: float, limit: int, as_json: bool) -> None:
    """Is this report already registered? Same URL (after normalisation) first, then similar titles.

    URL may also be a title. Normalisation ignores scheme, www., trailing slashes, tracking parameters
    (utm_* and the like), fragments and AMP variants.
    """
    from .sources import format_match, read_sources, search

    matches = search(url, read_sources(_tree(datasets)), limit=limit, min_score=min_score)
    _print_matches(matches, as_json, format_match, url)


# ------------------------------------------------------------------------------------------------- new


@click.group("new", cls=_CuratorGroup)
def new_command() -> None:
    """Append a row with its id and 'updated' filled in, and validate it at once.

    A new row with errors is kept (fix it at the printed file and line) and the command exits 1;
    --dry-run shows the row and the verdict without changing any file.
    """


DRY_RUN = click.option("--dry-run", is_flag=True, help="Validate the row in a temporary copy; change nothing.")
SET = click.option("--set", "extra", multiple=True, metavar="COLUMN=VALUE",
                   help="Any other column of the table (repeatable).")


def _fields(pairs: dict[str, Any], extra: tuple[str, ...]) -> dict[str, str]:
    """Option values keyed by column; repeated options joined with '; '; --set COLUMN=VALUE added."""
    out: dict[str, str] = {}
    for column, value in pairs.items():
        if value is None or value == ():
            continue
        out[column] = "; ".join(v.strip() for v in value) if isinstance(value, tuple) else str(value).strip()
    for item in extra:
        column, sep, value = item.partition("=")
        if not sep or not column.strip():
            raise click.UsageError(f"--set takes COLUMN=VALUE, not {item!r}")
        out[column.strip()] = value.strip()
    return out


def _report(outcome: Any) -> None:
    where = f"{outcome.shown} line {outcome.appended.line}"
    verb = "would add" if outcome.dry_run else "added"
    click.echo(f"{verb} {outcome.key} to {where}" + (" (new file)" if outcome.appended.created else ""))
    click.echo(f"  {outcome.appended.text}")
    for p in outcome.problems:
        click.echo(f"  {p.format()}")
    if outcome.other_errors:
        click.echo(f"note: the tree has {outcome.other_errors} other error(s); run: openconflict validate", err=True)
    if outcome.errors:
        kept = "nothing was changed (dry run)" if outcome.dry_run else f"the row was kept: fix it at {where}"
        click.echo(f"error: the new row has {len(outcome.errors)} error(s); {kept}", err=True)
        raise SystemExit(1)


@new_command.command("event")
@DATASETS
@click.option("--date", "event_date", required=True, help="event_date, YYYY-MM-DD (picks the monthly file).")
@click.option("--time-precision", "time_precision")
@click.option("--type", "event_type")
@click.option("--sub-type", "sub_event_type")
@click.option("--actor1")
@click.option("--assoc-actor1", "assoc_actor_1", multiple=True)
@click.option("--actor2")
@click.option("--assoc-actor2", "assoc_actor_2", multiple=True)
@click.option("--location", "location_id", help="location_id, e.g. SYR-ahras (its prefix picks the country).")
@click.option("--geo-precision", "geo_precision")
@click.option("--fatalities", help="The lowest reported death toll (0 when no report gives one).")
@click.option("--fatalities-best", "fatalities_best", help="The most credible toll (default: --fatalities).")
@click.option("--fatalities-high", "fatalities_high", help="The highest reported toll (default: the best).")
@click.option("--fatalities-known", "fatalities_known", type=click.Choice(["true", "false"]),
              help="Whether any report gives a toll (default: whether the high figure is above 0).")
@click.option("--civilian-targeting", "civilian_targeting")
@click.option("--source", "source_ids", multiple=True, help="A source_id (repeatable).")
@click.option("--notes")
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable).")
@click.option("--iso3", default=None, help="Country folder (default: the --location prefix).")
@click.option("--releases", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="The releases folder whose ledger lists published ids (default: build/releases beside datasets).")
@SET
@DRY_RUN
def new_event(datasets: Path | None, iso3: str | None, releases: Path | None, extra: tuple[str, ...],
              dry_run: bool, **columns: Any) -> None:
    """Append an event with the next never-used id (above curated, deleted and published ids)."""
    from . import new

    outcome = new.new_event(_tree(datasets), _fields(columns, extra), iso3=iso3, releases=releases, dry_run=dry_run)
    _report(outcome)


@new_command.command("source")
@DATASETS
@click.option("--publisher", required=True)
@click.option("--title", required=True)
@click.option("--url", required=True)
@click.option("--published", required=True, help="Publication date, YYYY-MM-DD.")
@click.option("--language", help="ISO 639-1 code.")
@click.option("--scale", "source_scale", help="Source scale (e.g. National, International).")
@click.option("--key", default=None, help="Id prefix for the publisher (default: the one its sources use).")
@click.option("--id", "source_id_", default=None, help="The full source_id, instead of a generated one.")
@SET
@DRY_RUN
def new_source(datasets: Path | None, key: str | None, source_id_: str | None, extra: tuple[str, ...],
               dry_run: bool, **columns: Any) -> None:
    """Append a report; refused if its URL (after normalisation) is already registered."""
    from . import new

    outcome = new.new_source(_tree(datasets), _fields(columns, extra), key=key, source_id_=source_id_,
                             dry_run=dry_run)
    _report(outcome)


@new_command.command("location")
@DATASETS
@click.option("--name", "location", default=None, help="The place's name (default: the gazetteer's, without type).")
@click.option("--admin1")
@click.option("--admin2")
@click.option("--admin3")
@click.option("--from-gazetteer", "from_gazetteer", default=None, metavar="NAME",
              help="Take coordinates (4 decimals) and admin names from this gazetteer row.")
@click.option("--gazetteer", type=click.Path(path_type=Path, dir_okay=False), default=None)
@click.option("--latitude")
@click.option("--longitude")
@click.option("--coordinate-source", "coordinate_source", help="Mandatory with explicit coordinates.")
@click.option("--iso3", default="SYR", show_default=True)
@click.option("--id", "location_id", default=None, help="The location_id (default: ISO3-slug of the name).")
@SET
@DRY_RUN
def new_location(datasets: Path | None, from_gazetteer: str | None, gazetteer: Path | None, iso3: str,
                 location_id: str | None, extra: tuple[str, ...], dry_run: bool, **columns: Any) -> None:
    """Append a place, with coordinates from the gazetteer or from a cited source."""
    from . import new
    from .tree import default_gazetteer

    tree = _tree(datasets)
    if gazetteer is not None and not gazetteer.is_file():
        raise click.UsageError(f"no gazetteer file at {gazetteer}")
    outcome = new.new_location(tree, _fields(columns, extra), iso3=iso3,
                               gazetteer=gazetteer or default_gazetteer(tree), from_gazetteer=from_gazetteer,
                               location_id=location_id, dry_run=dry_run)
    _report(outcome)
