"""``openconflict report [VERSION] [-o DIR]``: render the report of a published release on demand.

Why through the ledger: the version a user names must be a published one, and the "what changed"
section needs the release published just before it; the ledger (``registry.json``) knows both, and its
file list lets us refuse a release folder whose bytes are not the published ones, so a report never
describes edited data. Earlier releases are never rewritten: their report goes to ``-o DIR``.

Register it on the main group of ``openconflict.cli`` with ``main.add_command(report_command)``.
"""

from __future__ import annotations

from pathlib import Path

import click

from openconflict.errors import OpenConflictError


@click.command("report")
@click.argument("version", required=False)
@click.option("-o", "--output", "output", type=click.Path(path_type=Path), default=None,
              help="Folder to write index.html into (default: build/reports/<version>).")
@click.option("--releases", type=click.Path(path_type=Path), default=Path("build/releases"), show_default=True,
              help="The releases folder holding registry.json and one folder per version.")
@click.option("--no-verify", is_flag=True, help="Skip checking the release folder's files against the ledger.")
def report_command(version: str | None, output: Path | None, releases: Path, no_verify: bool) -> None:
    """Write a self-contained HTML report (charts, map, what changed) of release VERSION (default: latest)."""
    from openconflict.ledger import LEDGER_FILE, check_folder, read_ledger

    from . import render_report

    try:
        ledger = read_ledger(releases / LEDGER_FILE)
        entry = ledger.get(version)
        previous = ledger.previous_of(entry.version)
        folder = releases / entry.version
        if not no_verify:
            problems = check_folder(folder, entry)
            if problems:
                shown = "\n  ".join(problems[:10]) + ("\n  …" if len(problems) > 10 else "")
                raise click.ClickException(f"release {entry.version} does not match the ledger, so no report "
                                           f"was made:\n  {shown}")
        prev_folder = releases / previous.version if previous is not None else None
        if prev_folder is not None and not (prev_folder / "datapackage.json").is_file():
            prev_folder = None  # the version rule is then left out, the change counts still shown
        out = output if output is not None else Path("build/reports") / entry.version
        if out.resolve().is_relative_to(releases.resolve()):
            raise click.ClickException(f"refusing to write into {releases}: published releases are never "
                                       "changed; choose an output folder outside it with -o")
        path = render_report(folder, out, prev_folder)
    except OpenConflictError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote the report of {entry.version} to {path}")
