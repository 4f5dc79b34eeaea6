"""The `optout-run` command line. Heavy imports (Playwright, keyring) wait until a command needs them."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

import flows
from runner.commands import credentials as _credentials
from runner.commands import doctor as _doctor
from runner.commands import session as _session
from runner.commands import PLATFORM, PLATFORMS_LISTED, UserError, environment
from runner.commands import history as _history
from runner.commands import schedule as _schedule
from runner.commands import status as _status
from runner.exitcodes import HELP


@click.group(invoke_without_command=True, epilog=HELP, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--all", "run_all", is_flag=True, help="Every configured account of every platform.")
@click.option(
    "-p",
    "--platform",
    "platforms",
    multiple=True,
    type=PLATFORM,
    metavar="PLATFORM",
    help=f"Run this platform (repeatable). {PLATFORMS_LISTED}",
)
@click.option("--check", is_flag=True, help="Read only: report what is exposed, change nothing.")
@click.option("--headed", is_flag=True, help="Show the browser (needs a display; try xvfb-run).")
@click.option("--slow-mo", type=click.IntRange(min=0), default=0, metavar="MS", help="Slow each browser action down.")
@click.option("--jobs", type=click.IntRange(1, 32), default=4, show_default=True, help="Accounts run at once.")
@click.option("--json", "json_out", is_flag=True, help="One JSON document with every result on stdout.")
@click.option(
    "--replay",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Run offline against recorded fixtures: a scenario directory or a fixtures root.",
)
@click.option("-q", "--quiet", is_flag=True, help="For cron: print nothing when all is opted out, else a short report.")
@click.option("--trace", is_flag=True, help="Keep Playwright traces of successful runs too (failures always keep one).")
@click.option("--pause", is_flag=True, help="Open the Playwright inspector at the settings page (implies --headed).")
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug).")
@click.pass_context
def cli(ctx: click.Context, run_all, platforms, check, headed, slow_mo, jobs, json_out, replay, quiet, trace, pause, verbose) -> None:
    """Switch off AI training and data sharing on your accounts, and prove it by reading each setting back.

    \b
    Examples:
      optout-run credentials set x jane@example.com
      optout-run --all
      optout-run -p x --check
      optout-run -p x --replay fixtures/x/exposed --json
    """
    from runner.logs import configure

    env = environment()
    ctx.obj = env
    level = logging.ERROR if quiet and not verbose else [logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)]
    configure(json_logs=not env.stdout_isatty, level=level)
    if ctx.invoked_subcommand:
        return
    if not run_all and not platforms:
        raise click.UsageError("choose platforms with -p NAME (repeatable) or run them all with --all")
    from runner.run import RunRequest, execute

    if headed or pause:
        from runner.interactive import has_display

        if not has_display():
            raise UserError("no display for a headed browser: run it under `xvfb-run`, over `ssh -X`, or on your desktop")
        headed = True
    request = RunRequest(
        platforms=tuple(flows.names()) if run_all else tuple(dict.fromkeys(p.lower() for p in platforms)),
        run_all=run_all,
        check=check,
        headed=headed,
        slow_mo=slow_mo,
        jobs=jobs,
        json_out=json_out,
        replay=replay,
        quiet=quiet,
        trace=trace,
        pause=pause,
    )
    ctx.exit(int(execute(env, request)))


@cli.command()
def platforms() -> None:
    """Each platform, its settings, the opted-out state, and what opting out costs you."""
    env = environment()
    for name in flows.names():
        flow = flows.load(name)
        env.out(f"{flow.title} ({name})  {flow.home_url}")
        if flow.notes:
            env.out(f"  {flow.notes}")
        for s in flow.settings:
            state = {True: "on", False: "off"}.get(s.opted_out, s.opted_out)  # type: ignore[arg-type]
            optional = "" if s.default else "  [optional]"
            env.out(f"  - {s.id}: {s.label!r} -> {state}{optional}")
            env.out(f"      where: {s.url}")
            env.out(f"      cost:  {s.cost}")
        env.out()


cli.add_command(_credentials.credentials)
cli.add_command(_session.login)
cli.add_command(_session.logout)
cli.add_command(_doctor.doctor)
cli.add_command(_status.status)
cli.add_command(_history.history)
cli.add_command(_schedule.schedule)


def main() -> None:
    from runner.stop import STOP, Interrupted, describe, exit_status

    STOP.install()
    try:
        cli.main(prog_name="optout-run")
    except Interrupted as stopped:  # before or after the browser phase; during it, a run reports what finished
        print(f"optout-run: stopped by {describe(stopped.signum)}", file=sys.stderr)
        sys.exit(exit_status(stopped.signum))
