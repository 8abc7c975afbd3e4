"""The ``openconflict`` command line: thin wrappers over the library, one verb per job.

Exit codes: 0 success, 1 the job found problems (validation errors, a refused build, a failed check),
2 usage problems (click's own convention). A reader that stops early (``openconflict diff A B | head -1``)
is not a problem: the command ends quietly with 0.

One module per family of verbs, so that each stays small and ``openconflict --help`` imports none of the
heavy libraries (pandas, pyarrow): :mod:`.curate` (validate, codebook, build, verify, archive, publish),
:mod:`.research` (versions, info, download, update), :mod:`.changes` (diff), :mod:`.export` (export);
``cite`` comes from :mod:`openconflict.cite`, ``lookup`` and ``new`` from :mod:`openconflict.curation.cli`
(imported only when used).
The shared machinery (no tracebacks, closed pipes, fast exit, missing extras) is in :mod:`.common`.
"""

from __future__ import annotations

from importlib import import_module

import click

from openconflict import __version__
from openconflict.cli import common
from openconflict.cli.common import OpenConflictGroup, fast_exit

__all__ = ["DEFERRED", "OPTIONAL", "fast_exit", "main", "run"]

#: Verbs defined elsewhere, imported only when used (``cite`` pulls in the ledger): name -> (where, summary).
#: The summary is what ``openconflict --help`` lists; a test keeps it equal to the command's own.
DEFERRED = {
    "cite": ("openconflict.cite:cite_command",
             "Print how to cite VERSION (default: the latest release): version, release date and the sha256 "
             "of its data/events.parquet, from the release ledger."),
    "lookup": ("openconflict.curation.cli:lookup_command",
               "Find places, actors and reports already known, before adding new ones."),
    "new": ("openconflict.curation.cli:new_command",
            "Append a row with its id and 'updated' filled in, and validate it at once."),
}
#: Verbs whose module may not be installed yet (another branch adds it); registered only when present.
OPTIONAL = {
    "report": ("openconflict.reporting.cli:report_command",
               "Write a self-contained HTML report (charts, map, what changed) of release VERSION (default: "
               "latest)."),
}


class Deferred(click.Command):
    """A stand-in listed by ``--help`` until the real command is asked for."""

    def __init__(self, name: str, target: str, summary: str) -> None:
        super().__init__(name, help=summary)
        self.target = target

    def load(self) -> click.Command:
        module, attr = self.target.split(":")
        command: click.Command = getattr(import_module(module), attr)
        return command


class MainGroup(OpenConflictGroup):
    """The top-level group: deferred verbs load on first use, never for the command list."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = self.commands.get(cmd_name)
        if isinstance(command, Deferred):
            command = self.commands[cmd_name] = command.load()
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        listed = [(name, cmd) for name, cmd in sorted(self.commands.items()) if not cmd.hidden]
        if listed:
            limit = formatter.width - 6 - max(len(name) for name, _ in listed)
            with formatter.section("Commands"):
                formatter.write_dl([(name, cmd.get_short_help_str(limit)) for name, cmd in listed])


@click.group(cls=MainGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="openconflict")
def main() -> None:
    """Curate, validate, release and load the OpenConflict event dataset."""


def run() -> None:
    """Entry point of the ``openconflict`` command and ``python -m openconflict``."""
    common.FAST_EXIT = True
    common.exit_cleanly_on_sigterm()
    common.run_quietly_on_closed_pipe(main)


def _register() -> None:
    from openconflict.cli import changes, curate, export, research

    for module in (curate, research, changes, export):
        for command in module.COMMANDS:
            main.add_command(command)
    for name, (target, summary) in DEFERRED.items():  # cite; lookup place|actor|source; new event|source|location
        main.add_command(Deferred(name, target, summary))
    for name, (target, summary) in OPTIONAL.items():
        if _present(target.split(":")[0]):
            main.add_command(Deferred(name, target, summary))


def _present(module: str) -> bool:
    from importlib.util import find_spec

    try:
        return find_spec(module) is not None
    except ImportError:
        return False


_register()
