"""``python -m openconflict.reporting [VERSION] [-o DIR]``: the report command without the main CLI."""

from openconflict.reporting.cli import report_command

if __name__ == "__main__":
    report_command(prog_name="python -m openconflict.reporting")
