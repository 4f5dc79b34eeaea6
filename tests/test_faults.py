"""Faults and bad input (issue 12): each provoked for real, each one line and its documented exit code."""

from __future__ import annotations

import os
import stat

from tests.conftest import optout


def test_an_age_beyond_any_date_is_a_usage_error():
    done = optout("history", "--since", "99999999999d")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "--since" in done.stderr


def test_a_mistyped_keyring_backend_is_one_line_and_exit_2():
    env = {"PYTHON_KEYRING_BACKEND": "keyring.backends.nope.Keyring"}
    done = optout("credentials", "list", env=env)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "keyring.backends.nope.Keyring" in done.stderr and "PYTHON_KEYRING_BACKEND" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_replay_does_not_need_the_users_keyring_backend():
    done = optout("-p", "x", "--replay", "fixtures/x/compliant", env={"PYTHON_KEYRING_BACKEND": "keyring.backends.nope.Keyring"})
    assert done.returncode == 0, done.stderr


def test_every_evidence_file_is_0600_in_0700_folders(optout_home):
    done = optout("-p", "x", "--replay", "fixtures/x/ui-changed", "--trace")
    assert done.returncode == 1, done.stderr
    runs = optout_home / "state" / "runs"
    files = [p for p in runs.rglob("*") if p.is_file()]
    assert any(p.name == "trace.zip" for p in files)
    for path in [runs, *runs.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o600 if path.is_file() else 0o700), f"{path} is {mode:04o}"
    assert not [p for p in runs.rglob("*.tmp")]


def test_a_browser_that_cannot_start_is_exit_2_and_leaves_no_history_row(tmp_path, optout_home):
    import sqlite3

    broken = tmp_path / "chromium"
    broken.write_text("#!/bin/sh\necho 'chromium: broken build' >&2\nexit 1\n")
    broken.chmod(0o755)
    for executable in ("/etc/passwd", str(broken)):
        done = optout("-p", "x", "--replay", "fixtures/x/exposed", env={"OPTOUT_CHROMIUM": executable})
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr and executable in done.stderr
    database = next((optout_home / "data").glob("history*"), None)
    if database is not None:
        assert sqlite3.connect(database).execute("SELECT count(*) FROM runs").fetchone() == (0,)
