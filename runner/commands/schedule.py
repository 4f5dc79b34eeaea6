"""`optout-run schedule install|show|remove`: run `optout-run --all --quiet` from cron or a systemd user timer."""

from __future__ import annotations

from pathlib import Path

import click

from runner.commands import UserError, environment, run_options


def _check_extra(extra: tuple[str, ...]) -> tuple[str, ...]:
    """Extra options for the scheduled run (after `--`) must be options of the main command, and paths absolute."""
    if not extra:
        return extra
    if any(a in ("-h", "--help") for a in extra):
        raise UserError("--help cannot be scheduled")
    try:
        ctx = run_options.parse(["--all", "--quiet", *extra])
    except click.ClickException as exc:
        raise UserError(f"the options to schedule are not valid: {exc.format_message()}") from None
    if ctx.args:
        raise UserError(f"only options of the main command can be scheduled, not {' '.join(ctx.args)!r}")
    replay = ctx.params.get("replay")
    if replay is not None and not Path(replay).is_absolute():
        raise UserError(f"--replay {replay}: give an absolute path (scheduled runs start in another directory)")
    return extra


@click.group()
def schedule() -> None:
    """Re-check periodically (platforms switch settings back on): a crontab entry or a systemd user timer."""


@schedule.command()
@click.option(
    "--every",
    default="weekly",
    show_default=True,
    metavar="daily|weekly|EXPR",
    help="How often: daily, weekly, or a cron expression (with --systemd: an OnCalendar expression).",
)
@click.option("--systemd", "use_systemd", is_flag=True, help="A systemd user timer instead of a crontab entry.")
@click.option("--mail", is_flag=True, help="Cron only: let cron mail the (quiet) output instead of appending it to the log.")
@click.argument("extra", nargs=-1, type=click.UNPROCESSED, metavar="[-- OPTIONS]")
def install(every: str, use_systemd: bool, mail: bool, extra: tuple[str, ...]) -> None:
    """Schedule `optout-run --all --quiet` (plus OPTIONS after `--`, e.g. `-- --check`); replaces an earlier schedule."""
    from runner import schedule as s

    env = environment()
    extra = _check_extra(extra)
    try:
        if use_systemd:
            if mail:
                raise s.ScheduleError("--mail is for cron; a systemd timer's output goes to the journal")
            written = s.install_systemd(every, extra)
            replaced = _quietly(s.remove_cron)
            for path in written:
                env.out(f"wrote {path}")
            if replaced:
                env.out("removed the earlier crontab entry")
            if s.systemd_injected():
                env.out(f"enable it with: systemctl --user daemon-reload && systemctl --user enable --now {s.UNIT}.timer")
            else:
                env.out(f"enabled {s.UNIT}.timer; output goes to the journal: journalctl --user -u {s.UNIT}")
            env.out("to run while you are logged out: loginctl enable-linger $USER")
        else:
            entry = s.install_cron(env.paths, every, extra, mail)
            replaced = s.remove_systemd()
            env.out(f"crontab: {entry.render()}")
            if replaced:
                env.out("removed the earlier systemd timer")
            if not mail:
                env.out(f"output is appended to {s.log_file(env.paths)}")
    except s.ScheduleError as exc:
        raise UserError(str(exc)) from None


def _quietly(remove) -> int:
    """Remove a schedule of the other kind if there is one; no crontab command means there is none."""
    from runner.schedule import ScheduleError

    try:
        return remove()
    except ScheduleError:
        return 0


@schedule.command()
def show() -> None:
    """The crontab entry or systemd timer optout-run installed, if any."""
    from runner import schedule as s

    env = environment()
    found = False
    try:
        for entry in s.cron_entries(s.crontab()):
            env.out(f"crontab: {entry.render()}")
            found = True
    except s.ScheduleError as exc:
        if not s.systemd_units():
            raise UserError(str(exc)) from None
    for unit in s.systemd_units():
        found = True
        env.out(f"systemd: {unit}")
        for line in s.unit_summary(unit):
            env.out(f"  {line}")
    if found:
        log = s.log_file(env.paths)
        if log.exists():
            env.out(f"log: {log}")
    else:
        env.out("not scheduled; set it up with `optout-run schedule install [--every daily|weekly]`")


@schedule.command()
def remove() -> None:
    """Remove the crontab entry and the systemd timer optout-run installed."""
    from runner import schedule as s

    env = environment()
    removed_units = s.remove_systemd()
    try:
        removed = s.remove_cron()
    except s.ScheduleError as exc:
        if not removed_units:
            raise UserError(str(exc)) from None
        removed = 0
    if removed:
        env.out(f"removed {removed} crontab entr{'y' if removed == 1 else 'ies'}")
    for unit in removed_units:
        env.out(f"removed {unit}")
    if not removed and not removed_units:
        env.out("nothing was scheduled")
