"""The ``openconflict`` command line: thin wrappers over the library, one verb per job.

Exit codes: 0 success, 1 the job found problems (validation errors, a refused build, a failed check),
2 usage problems (click's own convention).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__


class _Group(click.Group):
    """Turns unexpected exceptions into a one-line error instead of a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except Exception as exc:  # noqa: BLE001 - the CLI's promise is: no traceback, ever
            click.echo(f"error: {type(exc).__name__}: {exc}", err=True)
            sys.exit(1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="openconflict")
def main() -> None:
    """Curate, validate, release and load the OpenConflict event dataset."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: one line per problem; json: a machine-readable report.")
@click.option("--quiet", is_flag=True, help="Print only the summary line (text format).")
def validate(paths: tuple[Path, ...], fmt: str, quiet: bool) -> None:
    """Check the curated tables and report every problem at once.

    PATHS are the datasets folder (default: ./datasets) or files and folders inside it; all tables are
    read, and problems are shown for the named paths. Exit 0 when there is no error (warnings allowed),
    1 on errors.
    """
    from .validate import validate as run

    targets = list(paths) or [Path("datasets")]
    for p in targets:
        if not p.exists():
            raise click.UsageError(f"no such file or folder: {p}")
    report, _ = run(targets)
    if fmt == "json":
        click.echo(report.to_json())
    else:
        click.echo(report.summary() if quiet else report.to_text())
    sys.exit(0 if report.ok else 1)


@main.command()
@click.option("--check", is_flag=True, help="Only report stale generated files; exit 1 if any.")
def codebook(check: bool) -> None:
    """Regenerate schema enums, schema/event.schema.json and schema/codebook.md from the vocabularies."""
    from .codebook import stale_files, write_generated

    if check:
        stale = stale_files()
        for p in stale:
            click.echo(f"stale: {p}")
        sys.exit(1 if stale else 0)
    changed = write_generated()
    for p in changed:
        click.echo(f"wrote {p}")
    click.echo(f"{len(changed)} file(s) regenerated" if changed else "all generated files are up to date")
