"""What a person reads: tables wrapped to the terminal, a summary that says what its exit code means, help that
names PLATFORM whole, shell completion, and `status` dates that mean what they say."""

from __future__ import annotations

import io
import json

import pytest

from runner.env import Environment
from runner.exitcodes import ExitStatus
from runner.paths import Paths
from runner.report import human
from runner.results import Reason, Result, Status
from tests.conftest import optout

LONG = " ".join(f"word{i}" for i in range(80)) + " /a/very/long/path/" + "x" * 90


@pytest.mark.parametrize("columns", [60, 100])
def test_the_terminal_table_wraps_the_detail_to_the_width(monkeypatch, columns):
    monkeypatch.setenv("COLUMNS", str(columns))
    out = io.StringIO()
    env = Environment(stdout=out, stdout_isatty=True, colour=False, paths=Paths.from_env())
    results = [Result("snapchat", "jane", "my_ai", Status.NEEDS_MANUAL, Reason.APP_ONLY, LONG)]
    human(env, results, ExitStatus.NEEDS_PERSON)
    lines = out.getvalue().splitlines()
    assert max(len(line) for line in lines[:-1]) <= columns  # the table; the summary below is one line
    assert "".join(line.split("jane")[-1] for line in lines).count("word79") == 1  # wrapped, nothing cut
    assert lines[-1].startswith("1 needs_manual; exit 3: a person must act")


def test_a_pipe_keeps_each_result_on_one_line(monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")
    out = io.StringIO()
    env = Environment(stdout=out, stdout_isatty=False, paths=Paths.from_env())
    human(env, [Result("x", "jane", "grok", Status.FAILED, Reason.TIMEOUT, LONG)], ExitStatus.FAILED)
    first, covered, last = out.getvalue().splitlines()
    assert first.startswith("x jane grok: failed (timeout) word0") and first.endswith("x" * 90)
    assert covered.startswith("x does not cover: ")  # one line per platform that ran, from its data
    assert last == f"1 failed; exit 1: {ExitStatus.FAILED.meaning}"


def test_help_names_platform_whole_and_lists_the_names():
    for args in (("--help",), ("login", "--help"), ("history", "--help"), ("credentials", "set", "--help")):
        done = optout(*args, env={"COLUMNS": "80"})
        assert done.returncode == 0
        assert "PLATFORM is one of: x, linkedin" in " ".join(done.stdout.split())
        assert "|" not in done.stdout.split("Exit status")[0]


def test_shell_completion_offers_platform_names():
    env = {"_OPTOUT_RUN_COMPLETE": "bash_complete", "COMP_WORDS": "optout-run -p li", "COMP_CWORD": "2"}
    done = optout(env=env)
    assert done.returncode == 0
    assert "plain,linkedin" in done.stdout.splitlines()
    assert "optout-run" in optout(env={"_OPTOUT_RUN_COMPLETE": "zsh_source"}).stdout


def test_status_has_no_last_change_for_a_setting_that_only_ever_failed():
    assert optout("-p", "x", "--replay", "fixtures/x/ui-changed").returncode == 1
    assert optout("-p", "linkedin", "--replay", "fixtures/linkedin/exposed").returncode == 0
    settings = json.loads(optout("status", "--json").stdout)["settings"]
    last = {(s["platform"], s["setting"]): s["last_changed"] for s in settings}
    assert last.pop(("x", "grok_training")) is None  # only ever failed: its state was never read
    assert all(last.values())  # x's partner_sharing and LinkedIn's settings were switched: they have a date
    row = next(line for line in optout("status").stdout.splitlines() if "grok_training" in line)
    assert row.split()[-1] == "-"
