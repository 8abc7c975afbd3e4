"""The ``openconflict`` command line: thin wrappers over the library, one verb per job.

Exit codes: 0 success, 1 the job found problems (validation errors, a refused build, a failed check),
2 usage problems (click's own convention). A reader that stops early (``openconflict diff A B | head -1``)
is not a problem: the command ends quietly with 0.

One module per family of verbs, so that each stays small and ``openconflict --help`` imports none of the
heavy libraries (pandas, pyarrow): :mod:`.curate` (validate, codebook, build, verify, archive, publish),
:mod:`.research` (versions, info, download, update), :mod:`.changes` (diff), :mod:`.export` (export);
``cite`` comes from :mod:`openconflict.cite`, ``lookup`` and ``new`` from :mod:`openconflict.curation.cli`.
The shared machinery (no tracebacks, closed pipes, fast exit, missing extras) is in :mod:`.common`.
"""

from __future__ import annotations

import click

from openconflict import __version__
from openconflict.cli import common
from openconflict.cli.common import OpenConflictGroup, fast_exit

__all__ = ["fast_exit", "main", "run"]


@click.group(cls=OpenConflictGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="openconflict")
def main() -> None:
    """Curate, validate, release and load the OpenConflict event dataset."""


def run() -> None:
    """Entry point of the ``openconflict`` command and ``python -m openconflict``."""
    common.FAST_EXIT = True
    common.run_quietly_on_closed_pipe(main)


def _register() -> None:
    from openconflict.cite import cite_command
    from openconflict.cli import changes, curate, export, research
    from openconflict.curation.cli import lookup_command, new_command

    for module in (curate, research, changes, export):
        for command in module.COMMANDS:
            main.add_command(command)
    main.add_command(cite_command)  # openconflict cite
    main.add_command(lookup_command)  # openconflict lookup place|actor|source
    main.add_command(new_command)  # openconflict new event|source|location


_register()
