"""The `optout-run` command line. Heavy imports (Playwright, keyring) wait until a command needs them."""

from __future__ import annotations

import logging
import sys

import click

import flows
from runner.commands import capture as _capture
from runner.commands import credentials as _credentials
from runner.commands import doctor as _doctor
from runner.commands import notify as _notify
from runner.commands import report as _report
from runner.commands import session as _session
from runner.commands import UserError, environment
from runner.commands import history as _history
from runner.commands import schedule as _schedule
from runner.commands import setup as _setup
from runner.commands import status as _status
from runner.commands.run_options import HELP_OPTIONS, run_options
from runner.exitcodes import HELP


@click.group(invoke_without_command=True, epilog=HELP, context_settings=HELP_OPTIONS)
@run_options
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
    from runner.plan import RunRequest
    from runner.run import execute

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
    """Each platform, what opting out there does not cover, its settings, the opted-out state, what opting out costs
    you, and how each setting is known."""
    env = environment()
    for name in flows.names():
        flow = flows.load(name)
        env.out(f"{flow.title} ({name})  {flow.home_url}")
        if flow.notes:
            env.out(f"  {flow.notes}")
        if flow.site.not_covered:
            env.out("  does not cover:")
            for sentence in flow.site.not_covered:
                env.out(f"    * {sentence}")
        for s in flow.settings:
            state = {True: "on", False: "off"}.get(s.opted_out, s.opted_out)  # type: ignore[arg-type]
            optional = "" if s.default else "  [optional]"
            per = f"{s.repeats.upper()}NAME" if s.repeats else ""  # a setting per blog: BLOGNAME stands for each
            env.out(f"  - {s.id}: {s.label.replace('{subject}', per)!r} -> {state}{optional}")
            env.out(f"      where: {s.url.replace('{subject}', per)}")
            env.out(f"      cost:  {s.cost}")
            known = s.provenance
            env.out(f"      known: {known.status} as of {known.on} ({known.source})")
            if s.broken:
                env.out(f"      BROKEN: {s.broken}; runs skip it and ask you to switch it by hand")
        env.out()


cli.add_command(_credentials.credentials)
cli.add_command(_session.login)
cli.add_command(_session.logout)
cli.add_command(_doctor.doctor)
cli.add_command(_status.status)
cli.add_command(_status.ack)
cli.add_command(_history.history)
cli.add_command(_schedule.schedule)
cli.add_command(_notify.notify)
cli.add_command(_setup.setup)
cli.add_command(_capture.capture)
cli.add_command(_capture.bug_report)
cli.add_command(_report.report)


def main() -> None:
    from runner.stop import STOP, Interrupted, describe, exit_status

    STOP.install()
    try:
        cli.main(prog_name="optout-run")
    except Interrupted as stopped:  # before or after the browser phase; during it, a run reports what finished
        print(f"optout-run: stopped by {describe(stopped.signum)}", file=sys.stderr)
        sys.exit(exit_status(stopped.signum))
