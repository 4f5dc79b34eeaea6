"""The live progress while a run goes (issue 14 §5): at a real terminal (a pty, pexpect) a row per account updated in
place, waiting, working, then done with its counts; in a pipe (cron) nothing at all; and plain lines when only
stderr is redirected."""

from __future__ import annotations

import io
import os
import re
import sys

import pexpect

import flows
from runner.config import Account
from runner.engine import Job
from runner.env import Environment
from runner.paths import Paths
from runner.report import Progress
from runner.results import Reason, Result, Status
from tests.conftest import FIXTURES, ROOT, optout

RUN = ("-p", "x", "-p", "linkedin", "--check", "--jobs", "1", "--replay", str(FIXTURES))
CURSOR_UP = "\x1b[1A"


def at_a_terminal(*args: str) -> str:
    environ = {**os.environ, "TERM": "xterm"}
    for name in ("COLUMNS", "LINES", "NO_COLOR"):
        environ.pop(name, None)
    child = pexpect.spawn(sys.executable, ["-m", "runner", *args], env=environ, cwd=str(ROOT), timeout=90, dimensions=(40, 160))
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 4, child.before
    return child.before.decode()


def rows(frame: str) -> dict[str, str]:
    """platform -> its PROGRESS cell, from one frame of the live table."""
    found = {}
    for line in re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", frame).splitlines():
        words = line.split(maxsplit=2)
        if len(words) == 3 and words[0] in ("x", "linkedin"):
            found[words[0]] = words[2].strip()
    return found


def test_at_a_terminal_each_account_has_a_row_that_updates_in_place():
    said = at_a_terminal(*RUN)
    live, _, final = said.partition("\x1b[?25h")  # the cursor comes back when the live rows are done
    frames = [rows(f) for f in live.split("PLATFORM")[1:]]
    # One account at a time (--jobs 1): x works while linkedin waits, then linkedin works, then both are done.
    assert {"x": "working", "linkedin": "waiting"} in frames
    assert {"x": "done: 2 EXPOSED", "linkedin": "working"} in frames
    assert frames[-1] == {"x": "done: 2 EXPOSED", "linkedin": "done: 1 EXPOSED"}
    assert live.count(CURSOR_UP) >= 2 * 3  # each new frame moves up over the last one instead of adding lines
    assert "SETTING" in final and "3 non_compliant; exit 4" in final  # then the final table, once


def test_a_pipe_gets_no_progress_and_no_escape_codes():
    done = optout(*RUN)
    assert done.returncode == 4, done.stderr
    assert "\x1b" not in done.stdout + done.stderr
    assert "working" not in done.stderr and "done:" not in done.stderr and "waiting" not in done.stderr
    assert done.stdout.splitlines()[-1] == "3 non_compliant; exit 4: --check found a setting still exposed"


def test_with_only_stderr_redirected_progress_is_a_plain_line_per_start_and_end():
    err = io.StringIO()
    env = Environment(stdout=io.StringIO(), stderr=err, stdout_isatty=True, paths=Paths.from_env())
    flow = flows.load("x")
    job = Job(flow, Account("x", "jane"), list(flow.settings), {})
    progress = Progress(env, enabled=True, jobs=[job])
    progress("start", job, [])
    progress("done", job, [Result("x", "jane", "grok_training", Status.NON_COMPLIANT, Reason.EXPOSED, "")])
    progress.close()
    assert err.getvalue().splitlines() == ["… x (jane): working", "✓ x (jane): done: 1 EXPOSED"]


def test_json_and_quiet_runs_have_no_progress_even_at_a_terminal():
    env = Environment(stdout=io.StringIO(), stderr=io.StringIO(), stdout_isatty=True, paths=Paths.from_env())
    flow = flows.load("x")
    job = Job(flow, Account("x", "jane"), list(flow.settings), {})
    progress = Progress(env, enabled=False, jobs=[job])
    progress("start", job, [])
    assert env.stderr.getvalue() == ""


def test_log_lines_print_above_the_live_rows_not_into_them():
    said = at_a_terminal("-v", *RUN)
    live = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", said.partition("\x1b[?25h")[0])
    logged = [line for line in live.splitlines() if "] signing in" in line]
    assert len(logged) == 2  # one per account, each on a line of its own, not after a row's last cell
    assert all(re.match(r"\d{4}-\d\d-\d\dT", line) for line in logged), logged
