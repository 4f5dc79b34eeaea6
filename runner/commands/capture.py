"""`optout-run capture` (a settings page as a scrubbed draft scenario) and `optout-run bug-report` (one archive
with what a maintainer needs when a platform breaks, and nothing secret)."""

from __future__ import annotations

from pathlib import Path

import click

from runner.commands import PLATFORM, UserError, environment

REPLAY = click.option(
    "--replay",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Capture recorded fixtures instead of the live site: a scenario directory or a fixtures root.",
)
ACCOUNT = click.option("--account", metavar="NAME", help="Only this account (its name or user name).")
SCRUB = click.option(
    "--scrub", "also", multiple=True, metavar="TEXT", help="More text that names you (a display name), replaced wherever it appears."
)
HEADED = click.option("--headed", is_flag=True, help="Show the browser (needs a display; try xvfb-run).")


def request_for(platform: str, replay: Path | None, headed: bool, keep_scripts: bool, also: tuple[str, ...]):
    from runner.capture import Capture
    from runner.plan import RunRequest

    if headed:
        from runner.interactive import has_display

        if not has_display():
            raise UserError("no display for a headed browser: run it under `xvfb-run`, over `ssh -X`, or on your desktop")
    capture = Capture(keep_scripts=keep_scripts, also=also)
    return RunRequest(platforms=(platform.lower(),), check=True, headed=headed, jobs=1, replay=replay, capture=capture)


@click.command()
@click.argument("platform", type=PLATFORM)
@ACCOUNT
@click.option("--setting", metavar="ID", help="Only this setting's page.")
@click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), help="Where the draft scenario goes [default: captures/ in the data dir]."
)
@click.option(
    "--keep-scripts",
    is_flag=True,
    help="Keep the pages' scripts, scrubbed of secrets and of your names; other people's words in them stay: read before sharing.",
)
@SCRUB
@REPLAY
@HEADED
def capture(platform, account, setting, out, keep_scripts, also, replay, headed) -> None:
    """Read PLATFORM's settings pages with your session, changing nothing, and keep each one, scrubbed of who you
    are and of every secret, as a draft replay scenario (see CONTRIBUTING.md, "Turn a capture into a fixture")."""
    from runner import capture as capturing
    from runner.exitcodes import ExitStatus

    env = environment()
    request = request_for(platform, replay, headed, keep_scripts, also)
    results, drafts = capturing.run(env, request, out or env.paths.data_dir / "captures", account, setting)
    for r in results:  # what the capture read; its exit status is the capture's own, not a check's
        env.out(f"{r.platform} {r.account} {r.setting}: {r.status.value} ({r.reason.value})")
    for draft in drafts:
        env.out(f"draft scenario: {draft}")
        env.out(f"  replay it: optout-run -p {platform.lower()} --replay {draft} --check")
    pages = sum(len(d.pages) for d in request.capture.drafts.values())
    if not pages and any(r.reason.value != "app_only" for r in results):
        env.err("optout-run: no settings page was reached, so none was captured (see the results above)")
        raise SystemExit(int(ExitStatus.FAILED))


@click.command("bug-report")
@click.argument("platform", type=PLATFORM)
@ACCOUNT
@click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), help="Where the archive goes [default: bug-reports/ in the data dir]."
)
@SCRUB
@REPLAY
@HEADED
def bug_report(platform, account, out, also, replay, headed) -> None:
    """One archive (0600) for a maintainer: versions, PLATFORM's last results and locator health, and a fresh
    scrubbed capture of its pages. Check what it lists before you send it."""
    from runner import bugreport

    env = environment()
    request = request_for(platform, replay, headed, False, also)
    archive, names = bugreport.make(env, request, out or env.paths.data_dir / "bug-reports", account)
    env.out(f"bug report: {archive}")
    env.out("it holds (nothing else; look before you send it):")
    for name in names:
        env.out(f"  {name}")
