"""``openconflict diff A B``: what changed between two releases, said so a researcher can act on it.

Why a module of its own: a diff answers three questions that are easy to get wrong. Which file holds these
changes? (Each release's ``data/changes.csv`` holds only the step from the release before it, so from A to
a B several releases later no single file does.) Is the order the intended one? (B older than A lists the
way back.) And what does the version step mean for the user's code? (patch, minor, major in plain words.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from openconflict.cli.common import refused

#: What each kind of change means for a researcher's data and code.
MEANING = {
    "none": "no event, column or vocabulary value differs",
    "patch": "values of existing events were corrected; no event was added or deleted, and no column or "
             "vocabulary value changed",
    "major": "a column or a vocabulary value was removed, renamed or retyped: code that filters on or "
             "selects it may need changing",
}
STEP = {"patch": "a patch step (only the last number grew)", "minor": "a minor step (the middle number grew)",
        "major": "a major step (the first number grew)"}


def meaning(required: str, diff: Any) -> str:
    """``required`` (the smallest bump the change needs) in words, from what the diff actually holds."""
    if required != "minor":
        return f"{required}: {MEANING[required]}"
    schema_added = [sc for sc in diff.schema_changes if sc.kind == "minor"]
    if diff.added or diff.deleted:
        said = "events were added or deleted"
        rest = ("; columns or vocabulary values were added, none removed or changed" if schema_added
                else "; no column or vocabulary value changed")
        return f"minor: {said}{rest}"
    return "minor: columns or vocabulary values were added; none removed or changed, and no event added or deleted"


def _published(releases: Path | None) -> list[str]:
    """Every version in publication order, from a releases folder's ledger or the loader's trusted one."""
    if releases is not None:
        from openconflict.release import release_versions

        return list(release_versions(releases))
    from openconflict.loader import versions

    return [str(v) for v in versions()["version"].tolist()]


def _events_and_fields(version: str, releases: Path | None) -> tuple[Any, Any]:
    """A release's events (Arrow) and its events Table Schema fields: from a releases folder (checked
    against its ledger) or, without one, through the loader's public API."""
    if releases is not None:
        import json

        import pyarrow.parquet as pq

        from openconflict.errors import BuildError
        from openconflict.ledger import check_published
        from openconflict.release.guard import read_releases_ledger

        ledger = read_releases_ledger(releases)
        ledger.get(version)
        problems = check_published(releases, ledger, [version])
        if problems:
            raise BuildError(f"release {version} does not match the ledger: " + "; ".join(problems))
        folder = releases / version
        desc = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
        fields = next((r["schema"]["fields"] for r in desc["resources"] if r["name"] == "events"), None)
        return pq.read_table(folder / "data" / "events.parquet"), fields
    from openconflict.loader import events_fields, load_events

    return load_events(version, output="arrow"), events_fields(version)


def where(old: str, new: str, order: list[str], releases: Path | None) -> str:
    """Which file(s) hold the changes from ``old`` to ``new``, said correctly for one step or several."""
    def changes_file(version: str) -> str:
        return str(releases / version / "data" / "changes.csv") if releases is not None \
            else f"data/changes.csv of release {version}"

    i, j = order.index(old), order.index(new)
    lo, hi = min(i, j), max(i, j)
    steps = [f"{changes_file(order[k + 1])} ({order[k]} -> {order[k + 1]})" for k in range(lo, hi)]
    if j < i:
        return (f"Release files record changes forward only: those from {new} to {old} (the list above, "
                f"reversed) are in " + "; ".join(steps) + ".")
    if j == i + 1:
        return (f"These are exactly the changes in {new}'s own changes table: {changes_file(new)} "
                f"(also `openconflict export {new} --table changes -o FILE`).")
    return (f"No single file holds these changes: each release's data/changes.csv holds only the step from the "
            f"release before it, here {len(steps)} steps: " + "; ".join(steps)
            + ". Write the changes listed here to one file with --output FILE.")


@click.command()
@click.argument("old")
@click.argument("new")
@click.option("--releases", type=click.Path(path_type=Path), default=None,
              help="A releases folder to read from (default: build/releases in a checkout, else the loader's "
                   "bundled or cached releases).")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=0),
              help="How many changed events to list.")
@click.option("--output", "-o", metavar="FILE",
              help="Also write every change (event_id, change, field, old_value, new_value) to FILE "
                   "(csv, parquet or jsonl, by its extension).")
def diff(old: str, new: str, releases: Path | None, limit: int, output: str | None) -> None:
    """Summarise what changed between two releases OLD and NEW (OLD published first)."""
    from openconflict.errors import OpenConflictError
    from openconflict.release.diff import diff_events, diff_schemas
    from openconflict.versions import bump_kind

    if releases is None and (Path("build/releases") / "registry.json").is_file():
        releases = Path("build/releases")
    if output is not None:
        from openconflict.export import check_output, format_for

        if output == "-":
            raise click.UsageError("--output takes a file name (standard output holds the summary)")
        out_fmt = format_for(output, None)
        check_output(output, out_fmt)
    try:
        order = _published(releases)
        (a, fa), (b, fb) = _events_and_fields(old, releases), _events_and_fields(new, releases)
        reversed_order = old in order and new in order and order.index(new) < order.index(old)
        bump = bump_kind(new, old) if reversed_order else bump_kind(old, new)
    except (OpenConflictError, ValueError) as exc:
        refused(exc, "diff")
    d = diff_events(a, b)
    if fa is not None and fb is not None:
        d.schema_changes = diff_schemas(fa, fb)
    if old == new:
        click.echo(f"{old} and {new} are the same release: nothing changed")
        return
    if reversed_order:
        warning = (f"reversed order: {new} was published before {old}, so this lists the way back from {old} "
                   f"to {new} (events added since {new} show as deleted). For what changed from {new} to "
                   f"{old}, run: openconflict diff {new} {old}")
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"{old} -> {new}" + (" (REVERSED: the newer release first)" if reversed_order else ""))
    if bump != "none":
        click.echo(f"Version step: {STEP[bump]}" + ("" if reversed_order else
                                                     f"; the change needs at least a {d.required} step"
                                                     if d.required != "none" else ""))
    click.echo(f"What changed: {meaning(d.required, d)}")
    click.echo(d.summary())
    rows = d.changes.to_pylist()
    by_field: dict[str, int] = {}
    for r in rows:
        if r["change"] == "modified":
            by_field[r["field"]] = by_field.get(r["field"], 0) + 1
    if by_field:
        click.echo("modified fields: " + ", ".join(f"{k} ({v})" for k, v in sorted(by_field.items())))
    for r in rows[:limit]:
        if r["change"] == "modified":
            click.echo(f"  {r['event_id']}: {r['field']}: {r['old_value']!r} -> {r['new_value']!r}")
        else:
            click.echo(f"  {r['event_id']}: {r['change']}")
    if len(rows) > limit:
        click.echo(f"  ... and {len(rows) - limit} more change(s)")
    if old in order and new in order:
        click.echo(where(old, new, order, releases))
    if output is not None:
        from openconflict.export import write_frame

        n = write_frame(d.changes, output, out_fmt, quiet=True)
        click.echo(f"wrote {n} change(s) to {output}")


COMMANDS = (diff,)
