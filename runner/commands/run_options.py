"""The main command's options, shared by the command itself (runner/cli.py) and by `schedule install`, which
checks the options it is asked to schedule by parsing them exactly as the main command will, without importing
the command line that imports it."""

from __future__ import annotations

from pathlib import Path

import click

from runner.commands import PLATFORM, PLATFORMS_LISTED

HELP_OPTIONS = {"help_option_names": ["-h", "--help"]}

OPTIONS = [
    click.option("--all", "run_all", is_flag=True, help="Every configured account of every platform."),
    click.option(
        "-p",
        "--platform",
        "platforms",
        multiple=True,
        type=PLATFORM,
        metavar="PLATFORM",
        help=f"Run this platform (repeatable). {PLATFORMS_LISTED}",
    ),
    click.option("--check", is_flag=True, help="Read only: report what is exposed, change nothing."),
    click.option("--headed", is_flag=True, help="Show the browser (needs a display; try xvfb-run)."),
    click.option("--slow-mo", type=click.IntRange(min=0), default=0, metavar="MS", help="Slow each browser action down."),
    click.option("--jobs", type=click.IntRange(1, 32), default=4, show_default=True, help="Accounts run at once."),
    click.option("--json", "json_out", is_flag=True, help="One JSON document with every result on stdout."),
    click.option(
        "--replay",
        type=click.Path(exists=True, file_okay=False, path_type=Path),
        help="Run offline against recorded fixtures: a scenario directory or a fixtures root.",
    ),
    click.option("-q", "--quiet", is_flag=True, help="For cron: print nothing when all is opted out, else a short report."),
    click.option("--trace", is_flag=True, help="Keep Playwright traces of successful runs too (failures always keep one)."),
    click.option("--pause", is_flag=True, help="Open the Playwright inspector at the settings page (implies --headed)."),
    click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug)."),
]


def run_options(f):
    """Give a command the main command's options, listed in this order."""
    for option in reversed(OPTIONS):
        f = option(f)
    return f


@click.command(context_settings={**HELP_OPTIONS, "allow_extra_args": True, "allow_interspersed_args": False})
@run_options
def _main_command(**_) -> None:
    """Stands in for the main command (a group) when options are only parsed: what is not an option is left over."""


def parse(args: list[str]) -> click.Context:
    """args parsed as the main command parses them, running nothing; ctx.args holds what is not an option."""
    return _main_command.make_context("optout-run", args)
