"""Run `optout-run --all --quiet` periodically: a crontab entry (python-crontab) or a systemd user timer.

Cron runs commands with almost no environment (SHELL=/bin/sh, HOME, LOGNAME and a minimal PATH; no D-Bus
session, no XDG_RUNTIME_DIR), so the entry carries what the run needs inline, for this command only, and
calls the program by its absolute path. Its output is appended to a log in the user state dir, which each run
rotates (LOG_MAX_BYTES, LOG_KEEP old files).

Injectable for tests: OPTOUT_CRONTAB_FILE (a tab file instead of the user's crontab) and OPTOUT_SYSTEMD_DIR
(a unit directory instead of ~/.config/systemd/user; then systemctl is not called).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from runner.paths import Paths, private_dir, write_atomic

COMMENT = "managed by optout-run schedule"  # identifies our entry: install replaces it, remove deletes it
SCHEDULED_ARGS = ("--all", "--quiet")
UNIT = "optout-run"
LOG_NAME = "cron.log"
LOG_MAX_BYTES = 256 * 1024
LOG_KEEP = 3  # cron.log.1 .. cron.log.3
PASS_THROUGH = ("OPTOUT_HOME", "OPTOUT_CHROMIUM", "PLAYWRIGHT_BROWSERS_PATH", "PYTHON_KEYRING_BACKEND")

CRON_EVERY = {"daily": "17 10 * * *", "weekly": "17 10 * * 1"}  # 10:17 local time, Mondays for weekly
SYSTEMD_EVERY = {"daily": "daily", "weekly": "weekly"}
RANDOMIZED_DELAY = "1h"


class ScheduleError(Exception):
    """Bad input or no scheduler available; the message is one line for the user."""


def log_file(paths: Paths) -> Path:
    return paths.state_dir / LOG_NAME


# -- what to run ---------------------------------------------------------------------------------------------


def program() -> list[str]:
    """optout-run by absolute path: the console script next to this interpreter (venv, pipx), else `python -m runner`."""
    python = Path(os.path.abspath(sys.executable))  # not resolved: a venv's python is a symlink that must stay one
    script = python.parent / "optout-run"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    found = shutil.which("optout-run")
    if found and "/shims/" not in found:
        return [os.path.abspath(found)]
    return [str(python), "-m", "runner"]


def run_environment(environ: dict[str, str] | None = None) -> dict[str, str]:
    """What cron lacks and the run needs: PATH, the D-Bus session bus (keyring), XDG_RUNTIME_DIR, our own variables."""
    environ = dict(os.environ if environ is None else environ)
    env: dict[str, str] = {}
    entries = [str(Path(program()[0]).parent)] + environ.get("PATH", "").split(os.pathsep) + ["/usr/local/bin", "/usr/bin", "/bin"]
    env["PATH"] = os.pathsep.join(dict.fromkeys(p for p in entries if p and os.path.isabs(p)))
    runtime = Path(f"/run/user/{os.getuid()}")
    if (runtime / "bus").exists():
        env["DBUS_SESSION_BUS_ADDRESS"] = f"unix:path={runtime / 'bus'}"
    elif environ.get("DBUS_SESSION_BUS_ADDRESS"):
        env["DBUS_SESSION_BUS_ADDRESS"] = environ["DBUS_SESSION_BUS_ADDRESS"]
    if runtime.is_dir():
        env["XDG_RUNTIME_DIR"] = str(runtime)
    for name in PASS_THROUGH:
        if environ.get(name):
            value = environ[name]
            env[name] = os.path.abspath(os.path.expanduser(value)) if name != "PYTHON_KEYRING_BACKEND" else value
    return env


def command_args(extra: tuple[str, ...] = ()) -> list[str]:
    return [*program(), *SCHEDULED_ARGS, *extra]


def cron_command(paths: Paths, extra: tuple[str, ...] = (), mail: bool = False, environ: dict | None = None) -> str:
    """One sh command line: VAR=value ... /abs/optout-run --all --quiet >> LOG 2>&1 (cron's % escaped)."""
    env = run_environment(environ)
    words = [f"{k}={shlex.quote(v)}" for k, v in env.items()] + [shlex.quote(a) for a in command_args(extra)]
    line = " ".join(words)
    if not mail:
        line += f" >> {shlex.quote(str(log_file(paths)))} 2>&1"
    return line.replace("%", "\\%")


# -- cron ----------------------------------------------------------------------------------------------------


def cron_slices(every: str) -> str:
    from crontab import CronSlices

    expression = CRON_EVERY.get(every, every).strip()
    if not expression or any(c in expression for c in "\n\r#") or not CronSlices.is_valid(expression):
        raise ScheduleError(f"--every {every!r} is not daily, weekly or a cron expression such as '17 10 * * 1'")
    return expression


def crontab():
    """The user's crontab, or OPTOUT_CRONTAB_FILE (a tab file, created if missing) in tests."""
    from crontab import CronTab

    tabfile = os.environ.get("OPTOUT_CRONTAB_FILE")
    try:
        if tabfile:
            path = Path(tabfile)
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                write_atomic(path, b"")
            return CronTab(tabfile=str(path))
        if not shutil.which("crontab"):
            raise ScheduleError("no `crontab` command here: install cron, or schedule with --systemd")
        return CronTab(user=True)
    except (OSError, ValueError, subprocess.SubprocessError) as exc:
        raise ScheduleError(f"cannot read your crontab ({exc}); install cron, or schedule with --systemd") from None


def write_crontab(tab) -> None:
    try:
        tab.write()
    except (OSError, ValueError, subprocess.SubprocessError) as exc:
        raise ScheduleError(f"cannot write your crontab ({exc})") from None


@dataclass(frozen=True)
class CronEntry:
    when: str
    command: str

    def render(self) -> str:
        return f"{self.when} {self.command} # {COMMENT}"


def cron_entries(tab) -> list[CronEntry]:
    return [CronEntry(str(job.slices), job.command) for job in tab.find_comment(COMMENT)]


def install_cron(paths: Paths, every: str, extra: tuple[str, ...] = (), mail: bool = False) -> CronEntry:
    when = cron_slices(every)
    if not mail:
        private_dir(paths.state_dir)  # the log's directory must exist before cron redirects into it
    command = cron_command(paths, extra, mail)
    tab = crontab()
    tab.remove_all(comment=COMMENT)
    job = tab.new(command=command, comment=COMMENT)
    job.setall(when)
    write_crontab(tab)
    return CronEntry(when, command)


def remove_cron() -> int:
    tab = crontab()
    found = len(list(tab.find_comment(COMMENT)))
    if found:
        tab.remove_all(comment=COMMENT)
        write_crontab(tab)
    return found


# -- systemd -------------------------------------------------------------------------------------------------


def unit_dir() -> Path:
    injected = os.environ.get("OPTOUT_SYSTEMD_DIR")
    if injected:
        return Path(injected)
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "systemd" / "user"


def systemd_injected() -> bool:
    return bool(os.environ.get("OPTOUT_SYSTEMD_DIR"))


def systemd_present() -> bool:
    return Path("/run/systemd/system").is_dir() and shutil.which("systemctl") is not None


def on_calendar(every: str) -> str:
    expression = SYSTEMD_EVERY.get(every, every).strip()
    if not expression or any(c in expression for c in "\n\r"):
        raise ScheduleError(f"--every {every!r} is empty or not one line")
    if len(expression.split()) == 5 and "-" not in expression and ":" not in expression:
        raise ScheduleError(
            f"--every {every!r} looks like a cron expression; with --systemd give daily, weekly or an "
            "OnCalendar expression such as 'Mon *-*-* 10:17'"
        )
    checker = shutil.which("systemd-analyze")
    if checker and every not in SYSTEMD_EVERY:
        done = subprocess.run([checker, "calendar", expression], capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            raise ScheduleError(f"--every {every!r} is not a systemd OnCalendar expression (see `man systemd.time`)")
    return expression


def systemd_escape(word: str) -> str:
    return shlex.quote(word).replace("%", "%%")


def unit_files(every: str, extra: tuple[str, ...] = (), environ: dict | None = None) -> dict[str, str]:
    calendar = on_calendar(every)
    env = run_environment(environ)
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)  # the user manager provides the session bus and XDG_RUNTIME_DIR
    env.pop("XDG_RUNTIME_DIR", None)
    environment = "".join(f"Environment={systemd_escape(f'{k}={v}')}\n" for k, v in env.items())
    service = (
        "[Unit]\n"
        "Description=optout-run: re-check that AI training and data sharing stay switched off\n"
        "\n"
        "[Service]\n"
        "Type=oneshot\n"
        f"{environment}"
        f"ExecStart={' '.join(systemd_escape(a) for a in command_args(extra))}\n"
        "SuccessExitStatus=75\n"  # another run held the lock: nothing went wrong
    )
    timer = (
        "[Unit]\n"
        f"Description=Run optout-run {calendar}\n"
        "\n"
        "[Timer]\n"
        f"OnCalendar={calendar}\n"
        "Persistent=true\n"
        f"RandomizedDelaySec={RANDOMIZED_DELAY}\n"
        "\n"
        "[Install]\n"
        "WantedBy=timers.target\n"
    )
    return {f"{UNIT}.service": service, f"{UNIT}.timer": timer}


def systemctl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["systemctl", "--user", *args], capture_output=True, text=True, stdin=subprocess.DEVNULL)


def install_systemd(every: str, extra: tuple[str, ...] = ()) -> list[Path]:
    if not systemd_injected() and not systemd_present():
        raise ScheduleError("systemd is not running here; schedule with cron instead (leave out --systemd)")
    files = unit_files(every, extra)
    directory = unit_dir()
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files.items():
        write_atomic(directory / name, text.encode(), mode=0o644)
        written.append(directory / name)
    if not systemd_injected():
        for args in (("daemon-reload",), ("enable", "--now", f"{UNIT}.timer")):
            done = systemctl(*args)
            if done.returncode != 0:
                why = (done.stderr.strip().splitlines() or ["no reason given"])[-1]
                raise ScheduleError(
                    f"wrote {directory / UNIT}.{{service,timer}} but `systemctl --user {' '.join(args)}` failed ({why}); "
                    f"run `systemctl --user daemon-reload && systemctl --user enable --now {UNIT}.timer` in your session"
                )
    return written


def systemd_units() -> list[Path]:
    directory = unit_dir()
    return [directory / f"{UNIT}.{kind}" for kind in ("timer", "service") if (directory / f"{UNIT}.{kind}").is_file()]


def remove_systemd() -> list[Path]:
    units = systemd_units()
    if units and not systemd_injected() and systemd_present():
        systemctl("disable", "--now", f"{UNIT}.timer")
    for unit in units:
        unit.unlink(missing_ok=True)
    if units and not systemd_injected() and systemd_present():
        systemctl("daemon-reload")
    return units


def unit_summary(path: Path) -> list[str]:
    keys = ("OnCalendar=", "ExecStart=")
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith(keys)]


# -- the log -------------------------------------------------------------------------------------------------


def rotate_log(path: Path, max_bytes: int = LOG_MAX_BYTES, keep: int = LOG_KEEP) -> bool:
    """Copy-and-truncate once the log passes max_bytes: cron's shell holds it open for appending, so the file
    is emptied in place (the next write lands at its new end), never renamed under it. Old copies: .1 .. .keep."""
    try:
        if path.stat().st_size <= max_bytes:
            return False
    except FileNotFoundError:
        return False
    for n in range(keep - 1, 0, -1):
        older = path.with_name(f"{path.name}.{n}")
        if older.exists():
            os.replace(older, path.with_name(f"{path.name}.{n + 1}"))
    write_atomic(path.with_name(f"{path.name}.1"), path.read_bytes())
    os.truncate(path, 0)
    return True

