"""Ctrl-C, SIGTERM and SIGHUP (issue 12, row 5), each sent for real to the process group of a child started with
default signal handlers: what finished is printed and kept, the rest is recorded as interrupted, the browser closes."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import OPTOUT_RUN, ROOT


def slow_fixtures(scenario_copy) -> Path:
    """x as it is, LinkedIn's AI page answering only after a minute: when x is done, LinkedIn is still waiting."""
    scenario_copy("x")
    linkedin = scenario_copy("linkedin")
    manifest = linkedin / "exposed" / "manifest.toml"
    text = manifest.read_text()
    page = 'file = "../pages/data_for_ai.html"\n'
    assert text.count(page) == 1
    manifest.write_text(text.replace(page, page + "delay_ms = 60000\n"))
    return linkedin.parent


def default_signals() -> None:
    """A background child of a non-interactive shell starts with SIGINT ignored; a test of Ctrl-C needs it live."""
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)


def processes_tagged(tag: str) -> list[int]:
    """Processes that inherited our tag in their environment: the CLI, Playwright's driver and the browser."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if tag.encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def catches(pid: int, signum: int) -> bool:
    """The kernel's view: has the process installed a handler for this signal yet?"""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = int(next(line.split()[1] for line in status.splitlines() if line.startswith("SigCgt:")), 16)
    return bool(caught & (1 << (signum - 1)))


def recorded(home: Path) -> sqlite3.Connection | None:
    path = home / "data" / "history.sqlite3"
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True) if path.exists() else None


def wait_for(condition, what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.1)


def x_is_recorded(home: Path) -> bool:
    db = recorded(home)
    if db is None:
        return False
    try:
        return db.execute("SELECT count(*) FROM results WHERE platform = 'x'").fetchone()[0] > 0
    except sqlite3.Error:
        return False
    finally:
        db.close()


@pytest.mark.parametrize(
    "signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)], ids=["SIGINT", "SIGTERM", "SIGHUP"]
)
def test_a_signal_reports_what_finished_and_records_the_rest_as_interrupted(scenario_copy, optout_home, signum, code):
    fixtures = slow_fixtures(scenario_copy)
    tag = f"OPTOUT_SIGNAL_TEST={uuid.uuid4().hex}"
    env = {**os.environ, "OPTOUT_TIMEOUT_MS": "120000", tag.split("=")[0]: tag.split("=")[1]}
    child = subprocess.Popen(
        [OPTOUT_RUN, "-p", "x", "-p", "linkedin", "--replay", str(fixtures), "--json"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job has
        preexec_fn=default_signals,
    )
    try:
        wait_for(lambda: x_is_recorded(optout_home) or child.poll() is not None, "x to finish")
        assert child.poll() is None, child.communicate()
        os.killpg(child.pid, signum)
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
    assert child.returncode == code, err
    assert "Traceback" not in err
    document = json.loads(out)
    assert document["exit_status"] == code
    outcome = {(r["platform"], r["reason"]) for r in document["results"]}
    assert ("x", "switched") in outcome
    assert {r["reason"] for r in document["results"] if r["platform"] == "linkedin"} == {"interrupted"}

    db = recorded(optout_home)
    (exit_status, finished), = db.execute("SELECT exit_status, finished_at FROM runs").fetchall()
    assert exit_status == code and finished
    reasons = dict(db.execute("SELECT platform, group_concat(DISTINCT reason) FROM results GROUP BY platform").fetchall())
    assert reasons == {"x": "switched", "linkedin": "interrupted"}
    db.close()
    wait_for(lambda: not processes_tagged(tag), "the browser and the driver to exit", timeout=30)


def reading_stdin(pid: int) -> bool:
    """The kernel's view: is the process blocked in read(0, ...), i.e. waiting for the password line?"""
    try:
        return Path(f"/proc/{pid}/syscall").read_text().split()[:2] == ["0", "0x0"]
    except OSError:
        return False


def test_a_signal_before_the_browser_starts_is_its_exit_code_and_one_line(optout_home, tmp_path):
    """Stopped while it waits on a password that never comes: no traceback, no "Aborted!"."""
    # A keyring the command accepts (a file backend in tmp_path, opted in), so it really gets to the prompt.
    env = {
        **os.environ,
        "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
        "OPTOUT_ALLOW_PLAINTEXT_KEYRING": "1",
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }
    child = subprocess.Popen(
        [OPTOUT_RUN, "credentials", "set", "x", "jane"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,  # held open: the command waits for the password
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=default_signals,
    )
    try:
        wait_for(lambda: reading_stdin(child.pid) or child.poll() is not None, "the password prompt", timeout=30)
        assert child.poll() is None, child.communicate()
        assert catches(child.pid, signal.SIGINT)
        os.killpg(child.pid, signal.SIGINT)
        out, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
    assert child.returncode == 130, err
    assert "Traceback" not in err and "Aborted" not in err
    assert err.strip().splitlines() == ["optout-run: stopped by Ctrl-C"]
