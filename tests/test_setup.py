"""`optout-run setup` (issue 14 §5) run for real in a pseudo-terminal (pexpect): a first run that adds accounts,
stores a password at the hidden prompt, checks and fixes a replay and installs the schedule; a second run that
shows all of it and skips every step; and `doctor` naming the platforms with an AI-training switch and no account.

Each spawned setup has its own HOME, XDG dirs, OPTOUT_HOME, crontab file and a keyrings.alt plaintext keyring under
tmp_path (the in-memory keyring of the other tests cannot cross into a subprocess), and no display.
"""

from __future__ import annotations

import io
import os
import re
import sys
import time
import tomllib
from pathlib import Path

import pexpect
import pytest
from crontab import CronTab

from runner import sitedata
from runner.schedule import COMMENT
from tests.conftest import FIXTURES, ROOT, optout
from tests.test_from_browser import firefox_store
from tests.test_steps import data  # noqa: F401  (a selectors folder of the test's own)

PASSWORD = "correct horse battery"
ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture
def terminal_env(tmp_path, optout_home) -> dict[str, str]:
    for folder in ("home", "xdg"):
        (tmp_path / folder).mkdir()
    environ = {
        **os.environ,
        "HOME": str(tmp_path / "home"),
        "XDG_DATA_HOME": str(tmp_path / "xdg"),
        "XDG_CONFIG_HOME": str(tmp_path / "home" / ".config"),
        "OPTOUT_HOME": str(optout_home),
        "OPTOUT_CRONTAB_FILE": str(tmp_path / "crontab"),
        "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
        "OPTOUT_ALLOW_PLAINTEXT_KEYRING": "1",
        "TERM": "xterm",
    }
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "COLUMNS", "LINES", "NO_COLOR"):
        environ.pop(name, None)
    return environ


class Setup:
    """The real `optout-run setup --replay fixtures` in a pty; `said` is everything the terminal showed, without
    its escape codes."""

    def __init__(self, environ: dict[str, str]) -> None:
        self.transcript = io.StringIO()
        self.child = pexpect.spawn(
            sys.executable,
            ["-m", "runner", "setup", "--replay", str(FIXTURES)],
            env=environ,
            cwd=str(ROOT),
            timeout=90,
            dimensions=(60, 200),
            encoding="utf-8",
        )
        self.child.logfile_read = self.transcript

    def answer(self, prompt: str, reply: str) -> None:
        self.child.expect(prompt)
        self.child.sendline(reply)

    def finish(self) -> int:
        self.child.expect(pexpect.EOF)
        self.child.close()
        return self.child.exitstatus

    @property
    def said(self) -> str:
        return ESCAPES.sub("", self.transcript.getvalue())


def stored_password(environ: dict[str, str], platform: str, username: str, monkeypatch) -> str | None:
    from keyrings.alt.file import PlaintextKeyring

    monkeypatch.setenv("XDG_DATA_HOME", environ["XDG_DATA_HOME"])
    return PlaintextKeyring().get_password(f"optout-run/{platform}", username)


def between(text: str, start: str, end: str) -> str:
    return text[text.index(start) : text.index(end, text.index(start))]


def test_a_first_setup_adds_accounts_stores_a_password_checks_fixes_and_schedules(terminal_env, optout_home, tmp_path, monkeypatch):
    store = firefox_store(tmp_path / "ff", [("", "sid", "s", ".pinterest.com.evil.org", time.time() + 3600, 1, 1, 1)])
    setup = Setup(terminal_env)
    setup.answer("Add accounts on which platforms", "myspace 99")
    setup.answer("Add accounts on which platforms", "1, pinterest")  # asked again after the unknown names
    setup.answer("user name .* on X", "jane")
    setup.answer("user name .* on Pinterest", "jane@example.com")
    setup.answer(r"X as jane \(nothing stored yet\): how should optout-run sign in", "z")
    setup.answer("how should optout-run sign in", "p")  # asked again after a letter that is not a choice
    setup.answer("Password for jane on x: ", PASSWORD)
    setup.answer(r"\(again\): ", PASSWORD)
    setup.answer(r"Pinterest as jane@example.com \(nothing stored yet\): how should", "b")  # no display here
    setup.answer("Pinterest as jane@example.com .*: how should", "f")
    setup.answer("Which browser", f"firefox:{store}")  # a Firefox profile without a Pinterest session
    setup.answer("Pinterest as jane@example.com .*: how should", "")  # skipped, after two that failed
    setup.answer(r"Check x, pinterest now\?", "y")
    setup.answer("Switch every exposed setting to opted out now", "y")
    setup.answer("on a schedule", "w")
    assert setup.finish() == 0, setup.said
    said = setup.said

    assert "not a platform here: myspace, 99" in said and "type one of p, b, f, r, s" in said
    assert PASSWORD not in said  # typed at a hidden prompt, twice, and never shown
    assert "stored the password for jane on x in the keyring" in said
    assert "Error: no display for the browser window" in said
    assert f"Error: Pinterest: no session in firefox (profile {store})" in said
    check = between(said, "Step 3 of 5", "Step 4 of 5")
    assert re.search(r"x +jane_doe_demo +grok_training +EXPOSED", check)
    assert re.search(r"pinterest +\S+ +canvas_training +EXPOSED", check)
    assert "exit 4: --check found a setting still exposed" in check
    fix = between(said, "Step 4 of 5", "Step 5 of 5")
    assert re.search(r"x +jane_doe_demo +grok_training +fixed", fix) and "3 changed; exit 0" in fix
    assert "not scheduled" in between(said, "Step 5 of 5", "setup is done")

    config = tomllib.loads((optout_home / "config" / "config.toml").read_text())
    assert config["account"] == [{"platform": "x", "username": "jane"}, {"platform": "pinterest", "username": "jane@example.com"}]
    assert stored_password(terminal_env, "x", "jane", monkeypatch) == PASSWORD
    assert stored_password(terminal_env, "pinterest", "jane@example.com", monkeypatch) is None
    (entry,) = CronTab(tabfile=terminal_env["OPTOUT_CRONTAB_FILE"]).find_comment(COMMENT)
    assert str(entry.slices) == "17 10 * * 1" and "--all --quiet" in entry.command

    # Run again: what is configured is shown, and every step can be skipped with Enter, changing nothing.
    config_before = (optout_home / "config" / "config.toml").read_bytes()
    tab_before = Path(terminal_env["OPTOUT_CRONTAB_FILE"]).read_bytes()
    again = Setup(terminal_env)
    again.answer("Add accounts on which platforms", "")
    again.answer(r"X as jane \(password stored\): how should .*s = keep it\]", "")
    again.answer(r"Pinterest as jane@example.com \(nothing stored yet\): how should .*s = skip\]", "")
    again.answer(r"Check x, pinterest now\?", "s")
    again.answer("on a schedule", "")
    assert again.finish() == 0, again.said
    said = again.said
    assert "x  jane: password stored" in said and "pinterest  jane@example.com: nothing stored yet" in said
    assert re.search(r"1  x .*\[yours: jane\]", said) and re.search(r"12  pinterest .*\[yours: jane@example.com\]", said)
    assert "nothing checked, so nothing to fix" in said and "EXPOSED" not in said
    assert "crontab: 17 10 * * 1" in between(said, "Step 5 of 5", "setup is done")
    assert (optout_home / "config" / "config.toml").read_bytes() == config_before
    assert Path(terminal_env["OPTOUT_CRONTAB_FILE"]).read_bytes() == tab_before

    # And a third time, to change something: Pinterest goes, and the schedule with it.
    third = Setup(terminal_env)
    third.answer("Add accounts on which platforms", "")
    third.answer("X as jane .*: how should", "s")
    third.answer("Pinterest as jane@example.com .*: how should", "r")
    third.answer(r"Check x now\?", "")
    third.answer("on a schedule", "r")
    assert third.finish() == 0, third.said
    assert "forgot jane@example.com on pinterest" in third.said and "removed 1 crontab entry" in third.said
    config = tomllib.loads((optout_home / "config" / "config.toml").read_text())
    assert config["account"] == [{"platform": "x", "username": "jane"}]
    assert list(CronTab(tabfile=terminal_env["OPTOUT_CRONTAB_FILE"]).find_comment(COMMENT)) == []


def test_an_app_only_platform_has_no_sign_in_step_and_nothing_to_check_skips_the_fix(terminal_env):
    setup = Setup(terminal_env)
    setup.answer("Add accounts on which platforms", "snapchat")
    setup.answer("user name .* on Snapchat", "jane")
    setup.answer(r"Check snapchat now\?", "")
    setup.answer("on a schedule", "")
    assert setup.finish() == 0, setup.said
    assert "Snapchat as jane: its settings are only in the app, so there is nothing to sign in to" in setup.said
    assert "nothing checked, so nothing to fix" in setup.said


def test_setup_without_a_terminal_is_one_line_that_names_the_commands_and_exit_2(optout_home):
    done = optout("setup")
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    for command in ("credentials set", "login", "--all --check", "schedule install"):
        assert f"optout-run {command}" in done.stderr
    assert not (optout_home / "config").exists()


def test_doctor_names_the_platforms_with_an_ai_training_switch_and_no_account(optout_home):
    config = optout_home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[[account]]\nplatform = "x"\nusername = "jane"\n\n[[account]]\nplatform = "reddit"\nusername = "jane"\n')
    done = optout("doctor", env={"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"})
    (line,) = [line for line in done.stdout.splitlines() if line.startswith("accounts:")]
    # x has an account; reddit and tiktok have no AI-training switch; snapchat's is only in its app.
    assert line == (
        "accounts: 2 configured; no account on linkedin, tumblr, pinterest, which have an AI-training switch "
        "(add one: `optout-run setup`)"
    )


def test_the_ai_training_marker_is_checked_as_data(data):
    text = (ROOT / "selectors" / "pinterest.toml").read_text()
    assert "trains_ai = true" in text
    data("pinterest", text.replace("trains_ai = true", 'trains_ai = "yes"'))
    with pytest.raises(sitedata.DataError, match="trains_ai.*must be true or false"):
        sitedata.load("pinterest")


def test_ctrl_c_at_a_question_ends_setup_with_130_and_one_line(terminal_env, optout_home):
    setup = Setup(terminal_env)
    setup.answer("Add accounts on which platforms", "x")
    setup.child.expect("user name .* on X")
    setup.child.sendintr()
    assert setup.finish() == 130
    assert "optout-run: stopped by Ctrl-C" in setup.said and "Traceback" not in setup.said
    assert not (optout_home / "config" / "config.toml").exists()
