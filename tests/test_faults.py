"""Faults and bad input (issue 12): each provoked for real, each one line and its documented exit code."""

from __future__ import annotations

import os
import stat

import pytest

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


async def _run_with_saved_state(browser, tmp_path, state):
    """x/exposed and linkedin/exposed in one run, x's saved session replaced by `state` (encrypted as a real one is)."""
    import json

    from cryptography.fernet import Fernet

    from runner.replay import Scenario
    from runner.sessions import SessionStore
    from tests.conftest import FIXTURES, replay_run

    sessions = SessionStore(tmp_path / "sessions", Fernet.generate_key())
    path = sessions.path("x", f"{(FIXTURES / 'x' / 'exposed').resolve()}|jane_doe_demo")
    path.parent.mkdir(parents=True)
    path.write_bytes(Fernet(sessions.key).encrypt(json.dumps(state).encode()))
    scenarios = [Scenario.load(FIXTURES / "x" / "exposed"), Scenario.load(FIXTURES / "linkedin" / "exposed")]
    results, harnesses = await replay_run(browser, *scenarios, sessions=sessions)
    return results, harnesses, path


MALFORMED_STATES = {
    "cookies as text": {"cookies": "li_at=1", "origins": []},
    "a cookie without a name": {"cookies": [{"value": "v", "domain": "x.com", "path": "/"}], "origins": []},
    "a list, not a state": [1, 2, 3],
    # the shape is right but the browser refuses it: caught where the context is made
    "a cookie the browser refuses": {
        "cookies": [{"name": "a", "value": "b", "domain": "x.com", "path": "/", "sameSite": "Sometimes", "expires": -1}],
        "origins": [],
    },
}


@pytest.mark.parametrize("kind", MALFORMED_STATES)
async def test_a_saved_session_that_decrypts_to_something_malformed_is_discarded(browser, tmp_path, kind):
    results, harnesses, path = await _run_with_saved_state(browser, tmp_path, MALFORMED_STATES[kind])
    by_platform = {r.platform: r.status.value for r in results}
    assert by_platform == {"x": "changed", "linkedin": "changed"}, results
    assert harnesses[0].password_submissions == 1  # x signed in afresh instead of crashing


async def test_trouble_opening_one_accounts_first_page_never_ends_another(browser):
    """The first page is opened inside the account's error handling: a context that cannot be prepared
    (here the harness refuses x) ends x alone."""
    from runner.credentials import throwaway_keyring
    from runner.engine import Options, run_jobs
    from runner.replay import Scenario
    from runner.plan import REPLAY_TIMEOUT_MS, replay_jobs
    from tests.conftest import FIXTURES

    with throwaway_keyring():
        jobs, harnesses = replay_jobs([Scenario.load(FIXTURES / p / "exposed") for p in ("x", "linkedin")])

        async def prepare(job, context):
            if job.platform == "x":
                raise RuntimeError("cannot prepare this context")
            await harnesses[id(job)].attach(context)

        results = await run_jobs(browser, jobs, Options(timeout_ms=REPLAY_TIMEOUT_MS), prepare)
    by_platform = {r.platform: (r.status.value, r.reason.value) for r in results}
    assert by_platform == {"x": ("failed", "internal"), "linkedin": ("changed", "switched")}
