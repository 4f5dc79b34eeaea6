"""Scheduling: the crontab entry (idempotent, runs as written under cron's bare environment), the systemd timer,
the run lock (a second run exits 75 at once), --quiet, and log rotation. Never touches the real crontab."""

from __future__ import annotations

import io
import os
import shlex
import subprocess
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from crontab import CronTab
from filelock import FileLock

from runner import schedule as s
from runner.cli import cli
from runner.env import Environment
from runner.lock import lock_path
from runner.paths import Paths
from tests.conftest import FIXTURES, optout


@pytest.fixture(autouse=True)
def scheduler(tmp_path, monkeypatch) -> dict[str, Path]:
    """Every test writes a crontab file and a unit dir of its own, never the user's."""
    where = {"tab": tmp_path / "crontab", "units": tmp_path / "systemd-user"}
    monkeypatch.setenv("OPTOUT_CRONTAB_FILE", str(where["tab"]))
    monkeypatch.setenv("OPTOUT_SYSTEMD_DIR", str(where["units"]))
    return where


def ours(tab: Path) -> list:
    return list(CronTab(tabfile=str(tab)).find_comment(s.COMMENT))


# -- cron -----------------------------------------------------------------------------------------------------


def test_install_twice_leaves_one_entry_and_remove_leaves_none(scheduler):
    tab = scheduler["tab"]
    tab.write_text("MAILTO=jane@example.com\n5 4 * * * /usr/bin/backup # someone else's\n")
    first = optout("schedule", "install")
    assert first.returncode == 0, first.stderr
    second = optout("schedule", "install", "--every", "daily")
    assert second.returncode == 0, second.stderr
    (entry,) = ours(tab)
    assert str(entry.slices) == s.CRON_EVERY["daily"]
    words = shlex.split(entry.command)
    program = next(w for w in words if "=" not in w)
    assert os.path.isabs(program) and words[words.index(program) + 1 : words.index(program) + 3] == ["--all", "--quiet"]
    assert "PATH=" in entry.command and f"OPTOUT_HOME={os.environ['OPTOUT_HOME']}" in entry.command
    assert f">> {Paths.from_env().state_dir / 'cron.log'} 2>&1" in entry.command
    assert "/usr/bin/backup" in tab.read_text() and "MAILTO=jane@example.com" in tab.read_text()

    shown = optout("schedule", "show")
    assert shown.returncode == 0 and shown.stdout.count("crontab:") == 1 and "--all --quiet" in shown.stdout

    removed = optout("schedule", "remove")
    assert removed.returncode == 0 and "removed 1 crontab entry" in removed.stdout
    assert ours(tab) == [] and "/usr/bin/backup" in tab.read_text()
    assert "not scheduled" in optout("schedule", "show").stdout
    assert "nothing was scheduled" in optout("schedule", "remove").stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (("--every", "61 * * * *"), "is not daily, weekly or a cron expression"),
        (("--every", "hourly-ish"), "is not daily, weekly or a cron expression"),
        (("--", "status"), "only options of the main command"),
        (("--", "-p", "myspace"), "'myspace' is not one of"),
        (("--", "--replay", "fixtures/x/exposed"), "give an absolute path"),
        (("--systemd", "--every", "17 3 * * 1"), "looks like a cron expression"),
        (("--systemd", "--mail"), "--mail is for cron"),
    ],
)
def test_bad_schedule_input_is_one_line_and_exit_2(args, message, scheduler):
    done = optout("schedule", "install", *args)
    assert done.returncode == 2, done.stdout
    assert message in done.stderr and "Traceback" not in done.stderr
    assert not scheduler["tab"].exists() or ours(scheduler["tab"]) == []


def cron_like(home: Path) -> dict[str, str]:
    """What cron gives a command: SHELL, HOME, LOGNAME and a bare PATH (crontab(5)); nothing else."""
    return {"SHELL": "/bin/sh", "HOME": str(home), "LOGNAME": "jane", "PATH": "/usr/bin:/bin"}


def run_entry(tab: Path, home: Path) -> subprocess.CompletedProcess:
    (entry,) = ours(tab)
    command = entry.command.replace("\\%", "%")  # what cron itself does with an escaped %
    return subprocess.run(["/bin/sh", "-c", command], cwd=home, env=cron_like(home), capture_output=True, text=True, timeout=180)


def test_the_entry_runs_as_written_under_crons_environment(scheduler, tmp_path, monkeypatch, optout_home):
    home = tmp_path / "cron-home"
    home.mkdir()
    playwright_cache = Path.home() / ".cache" / "ms-playwright"
    if playwright_cache.is_dir() and "PLAYWRIGHT_BROWSERS_PATH" not in os.environ:
        monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(playwright_cache))  # HOME changes under this cron
    log = optout_home / "state" / "cron.log"

    # Point the scheduled run at a replay, so it needs no account; all compliant: --quiet writes nothing.
    assert optout("schedule", "install", "--", "--replay", str(FIXTURES / "x" / "compliant")).returncode == 0
    done = run_entry(scheduler["tab"], home)
    assert done.returncode == 0, log.read_text() if log.exists() else done.stderr
    assert done.stdout == "" and done.stderr == "", "everything goes to the log"
    assert log.exists() and log.read_text() == ""

    # The platform switched both back on: the scheduled run switches them off again and says so, exit 5.
    assert optout("schedule", "install", "--", "--replay", str(FIXTURES / "x" / "exposed")).returncode == 0
    done = run_entry(scheduler["tab"], home)
    text = log.read_text()
    assert done.returncode == 5, text
    assert "re-enabled by the platform" in text and "exit 5" in text
    assert "compliant" not in text, "--quiet leaves out what was fine"


def test_mail_leaves_the_output_to_cron(scheduler):
    assert optout("schedule", "install", "--mail").returncode == 0
    (entry,) = ours(scheduler["tab"])
    assert ">>" not in entry.command and entry.command.split()[-2:] == ["--all", "--quiet"]


def test_the_entry_carries_what_cron_lacks(tmp_path, monkeypatch):
    paths = Paths(tmp_path / "c", tmp_path / "d", tmp_path / "s")
    environ = {"PATH": "/opt/tools/bin:relative/bin:/usr/bin", "OPTOUT_HOME": "~/optout", "DBUS_SESSION_BUS_ADDRESS": "unix:path=/tmp/bus"}
    env = s.run_environment(environ)
    assert env["PATH"].split(":")[:2] == [str(Path(s.program()[0]).parent), "/opt/tools/bin"]
    assert "relative/bin" not in env["PATH"]
    assert env["OPTOUT_HOME"] == os.path.expanduser("~/optout")
    bus = Path(f"/run/user/{os.getuid()}/bus")
    assert env["DBUS_SESSION_BUS_ADDRESS"] == (f"unix:path={bus}" if bus.exists() else "unix:path=/tmp/bus")
    assert "DBUS_SESSION_BUS_ADDRESS" in s.run_environment({"PATH": "/usr/bin"}) or not bus.exists()
    line = s.cron_command(paths, environ=environ)
    assert line.endswith(f" --all --quiet >> {paths.state_dir / 'cron.log'} 2>&1")
    monkeypatch.setattr(s, "program", lambda: ["/opt/100%/optout-run"])
    assert "/opt/100\\%/optout-run" in s.cron_command(paths, environ=environ), "cron's % is escaped"


def test_no_crontab_command_is_one_line_and_exit_2(tmp_path, monkeypatch):
    monkeypatch.delenv("OPTOUT_CRONTAB_FILE")
    monkeypatch.setenv("PATH", str(tmp_path))  # no crontab(1) on it
    out, err = io.StringIO(), io.StringIO()
    env = Environment(stdout=out, stderr=err, stdin_isatty=False, stdout_isatty=False, paths=Paths.from_env())
    result = CliRunner().invoke(cli, ["schedule", "install"], obj=env)
    assert result.exit_code == 2 and "--systemd" in result.output and "Traceback" not in result.output


# -- systemd --------------------------------------------------------------------------------------------------


def test_systemd_units_are_written_replace_cron_and_are_removed(scheduler):
    assert optout("schedule", "install").returncode == 0
    done = optout("schedule", "install", "--systemd", "--every", "daily")
    assert done.returncode == 0, done.stderr
    assert "removed the earlier crontab entry" in done.stdout and ours(scheduler["tab"]) == []
    assert optout("schedule", "install", "--systemd", "--every", "daily").returncode == 0  # idempotent
    service = (scheduler["units"] / "optout-run.service").read_text()
    timer = (scheduler["units"] / "optout-run.timer").read_text()
    assert "Type=oneshot" in service and "SuccessExitStatus=75" in service
    (exec_start,) = [line for line in service.splitlines() if line.startswith("ExecStart=")]
    words = shlex.split(exec_start.removeprefix("ExecStart="))
    assert os.path.isabs(words[0]) and words[-2:] == ["--all", "--quiet"]
    assert f"Environment=OPTOUT_HOME={os.environ['OPTOUT_HOME']}" in service
    for line in ("OnCalendar=daily", "Persistent=true", "RandomizedDelaySec=1h", "WantedBy=timers.target"):
        assert line in timer
    shown = optout("schedule", "show").stdout
    assert "OnCalendar=daily" in shown and "crontab:" not in shown
    removed = optout("schedule", "remove")
    assert removed.returncode == 0 and not list(scheduler["units"].iterdir())


# -- the lock -------------------------------------------------------------------------------------------------


def test_a_second_run_exits_75_at_once(optout_home):
    lock = FileLock(str(lock_path(Paths.from_env())), timeout=0)
    lock_path(Paths.from_env()).parent.mkdir(parents=True, exist_ok=True)
    with lock:
        started = time.monotonic()
        done = optout("-p", "x", "--replay", "fixtures/x/compliant")
        elapsed = time.monotonic() - started
        assert done.returncode == 75, done.stderr
        assert done.stderr.strip().count("\n") == 0 and "already running" in done.stderr
        assert done.stdout == "" and "Traceback" not in done.stderr
        assert not (optout_home / "data" / "history.sqlite3").exists(), "it stopped before doing anything"
        assert optout("status").returncode == 0, "read-only commands do not take the lock"
    assert elapsed < 30, "no waiting for the lock"
    assert optout("-p", "x", "--replay", "fixtures/x/compliant").returncode == 0  # released: runs again


# -- --quiet --------------------------------------------------------------------------------------------------


def test_quiet_prints_nothing_when_all_is_compliant():
    done = optout("-p", "x", "--replay", "fixtures/x/compliant", "--quiet")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""


def test_quiet_reports_briefly_when_something_was_fixed_or_failed():
    done = optout("-p", "x", "--replay", "fixtures/x/exposed", "-q")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("optout-run, ") and lines[-1].startswith("2 changed; exit 0: every setting is opted out")
    assert len(lines) == 4 and not any("compliant" in line for line in lines[1:-1])


# -- the log never grows without bound -----------------------------------------------------------------------


def test_the_cron_log_is_rotated_in_place_and_bounded(tmp_path):
    log = tmp_path / "cron.log"
    with open(log, "a") as held:  # like cron's shell: appending through a descriptor opened before the run
        for n in range(6):
            held.write(f"run {n}\n" + "x" * 200 + "\n")
            held.flush()
            assert s.rotate_log(log, max_bytes=100, keep=3)
        held.write("after\n")
        held.flush()
    assert log.read_text() == "after\n", "the open descriptor keeps appending to the emptied file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cron.log", "cron.log.1", "cron.log.2", "cron.log.3"]
    assert (tmp_path / "cron.log.1").read_text().startswith("run 5")
    assert (tmp_path / "cron.log.3").read_text().startswith("run 3")
    assert not s.rotate_log(log, max_bytes=100, keep=3), "small logs are left alone"


def test_quiet_leaves_out_app_only_settings_no_run_can_act_on():
    from runner.exitcodes import ExitStatus
    from runner.report import human
    from runner.results import Reason, Result, Status

    def report(*results: Result) -> str:
        out = io.StringIO()
        human(Environment(stdout=out, stdout_isatty=False, paths=Paths.from_env()), list(results), ExitStatus.OK, quiet=True)
        return out.getvalue()

    fine = Result("x", "jane", "grok_training", Status.COMPLIANT, Reason.ALREADY_OPTED_OUT, "off")
    app = Result("snapchat", "jane", "my_selfie_in_ads", Status.NEEDS_MANUAL, Reason.APP_ONLY, "tap ...")
    person = Result("x", "jane", "partner_sharing", Status.NEEDS_MANUAL, Reason.CHALLENGE, "sign in once yourself")
    assert report(fine, app) == ""
    text = report(fine, app, person)
    assert "partner_sharing: needs_manual (challenge)" in text and "my_selfie" not in text and "grok" not in text
