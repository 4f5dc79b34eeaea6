"""Run history: every result recorded as its job ends, drift reported as re-enabled by the platform, bounded size."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from runner.config import Config, ConfigError
from runner.exitcodes import ExitStatus, exit_status
from runner import history as h
from runner.paths import Paths
from runner.results import Reason, Result, Status
from tests.conftest import OPTOUT_RUN, ROOT, optout

POLL = 0.02  # seconds between looks at the database; never a fixed wait


def database(home: Path) -> Path:
    return home / "data" / h.FILE_NAME


def result(setting: str, status: Status, account: str = "jane") -> Result:
    reason = {
        Status.COMPLIANT: Reason.ALREADY_OPTED_OUT,
        Status.CHANGED: Reason.SWITCHED,
        Status.NON_COMPLIANT: Reason.EXPOSED,
        Status.NEEDS_MANUAL: Reason.CHALLENGE,
        Status.FAILED: Reason.TIMEOUT,
    }[status]
    return Result("x", account, setting, status, reason, f"{setting} {status.value}")


# -- drift between two replay runs ----------------------------------------------------------------------------


def test_drift_between_two_replay_runs_is_reported_as_reenabled_with_exit_5(optout_home):
    first = optout("-p", "x", "--replay", "fixtures/x/compliant", "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["drift"] == []

    second = optout("-p", "x", "--replay", "fixtures/x/exposed", "--json")
    assert second.returncode == ExitStatus.DRIFTED == 5, second.stderr
    document = json.loads(second.stdout)
    assert document["exit_status"] == 5
    assert {r["setting"]: r["status"] for r in document["results"]} == {"grok_training": "changed", "partner_sharing": "changed"}
    drift = {d["setting"]: d for d in document["drift"]}
    assert set(drift) == {"grok_training", "partner_sharing"}
    for d in drift.values():
        assert d["message"] == "re-enabled by the platform"
        assert d["opted_out_status"] == "compliant" and d["status"] == "changed"
        assert d["platform"] == "x" and d["account"] == "jane_doe_demo"

    third = optout("-p", "x", "--replay", "fixtures/x/exposed")  # human lines, not a terminal
    assert third.returncode == 5, third.stderr
    assert "x jane_doe_demo grok_training: re-enabled by the platform" in third.stdout
    assert "switched off again" in third.stdout
    assert "2 re-enabled by the platform; exit 5" in third.stdout

    status = optout("status", "--json")
    assert status.returncode == 0, status.stderr
    settings = {s["setting"]: s for s in json.loads(status.stdout)["settings"]}
    assert settings["grok_training"]["status"] == "changed"
    assert settings["grok_training"]["drift"] is True and settings["grok_training"]["reenabled_at"]
    human = optout("status")
    assert "re-enabled by the platform" in human.stdout and "LAST CHECKED" in human.stdout

    changes = json.loads(optout("history", "-p", "x", "--json").stdout)["changes"]
    grok = [c for c in changes if c["setting"] == "grok_training"]
    assert [(c["from"], c["to"], c["drift"]) for c in grok] == [
        (None, "compliant", False),
        ("compliant", "changed", True),
        ("changed", "changed", True),
    ]
    assert all(c["replay"] and not c["check"] for c in grok)


def test_a_replay_without_optout_home_never_touches_the_users_data(tmp_path, monkeypatch):
    """The --help example run twice is no drift: each replay gets a throwaway home, removed when it ends."""
    monkeypatch.delenv("OPTOUT_HOME")
    home, tmp = tmp_path / "home", tmp_path / "tmp"
    tmp.mkdir()
    xdg = {f"XDG_{kind}_HOME": str(home / kind.lower()) for kind in ("CONFIG", "DATA", "STATE", "CACHE")}
    env = {"HOME": str(home), "TMPDIR": str(tmp), **xdg}
    for _ in range(2):
        done = optout("-p", "x", "--replay", "fixtures/x/exposed", "--json", env=env)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["drift"] == []
        assert list(tmp.iterdir()) == [], "the throwaway home is removed"
    assert not (home / "data" / "optout-run").exists() and not (home / "state" / "optout-run").exists()
    assert json.loads(optout("status", "--json", env=env).stdout) == {"settings": [], "notices": []}

    kept = optout("-p", "x", "--replay", "fixtures/x/ui-changed", env=env)  # a failure keeps its evidence
    assert kept.returncode == 1, kept.stderr
    [throwaway] = tmp.iterdir()
    assert f"this replay kept its evidence in {throwaway / 'state' / 'runs'}" in kept.stderr
    assert any(p.name == "trace.zip" for p in throwaway.rglob("*")) and str(throwaway) in kept.stdout
    assert not (home / "data" / "optout-run").exists() and not (home / "state" / "optout-run").exists()


def test_check_mode_drift_beats_plain_exposure(optout_home):
    assert optout("-p", "x", "--replay", "fixtures/x/compliant").returncode == 0
    done = optout("-p", "x", "--replay", "fixtures/x/exposed", "--check", "--json")
    assert done.returncode == 5, done.stderr
    document = json.loads(done.stdout)
    assert {d["status"] for d in document["drift"]} == {"non_compliant"}
    text = optout("status").stdout
    assert "still exposed" in text


def test_exposed_from_the_start_is_not_drift(optout_home):
    done = optout("-p", "x", "--replay", "fixtures/x/exposed", "--check", "--json")
    assert done.returncode == 4 and json.loads(done.stdout)["drift"] == []
    done = optout("-p", "x", "--replay", "fixtures/x/exposed", "--json")  # exposed before: switching is no drift
    assert done.returncode == 0 and json.loads(done.stdout)["drift"] == []
    done = optout("-p", "x", "--replay", "fixtures/x/compliant", "--json")
    assert done.returncode == 0 and json.loads(done.stdout)["drift"] == []


def test_exit_status_stays_pure_and_failures_and_people_still_win():
    d = [h.Drift("x", "jane", "a", "changed", "2026-01-01T00:00:00Z", "compliant")]
    assert exit_status([result("a", Status.CHANGED)], d) == ExitStatus.DRIFTED
    assert exit_status([result("a", Status.CHANGED)]) == ExitStatus.OK
    assert exit_status([result("a", Status.NON_COMPLIANT)], d) == ExitStatus.DRIFTED
    assert exit_status([result("a", Status.CHANGED), result("b", Status.NEEDS_MANUAL)], d) == ExitStatus.NEEDS_PERSON
    assert exit_status([result("a", Status.CHANGED), result("b", Status.FAILED)], d) == ExitStatus.FAILED


def test_help_and_readme_list_every_exit_status_from_one_table():
    from runner.exitcodes import readme_table

    helptext = " ".join(optout("--help").stdout.split())
    for code in ExitStatus:
        assert f"{int(code)} {code.meaning}" in helptext
    assert readme_table() in (ROOT / "README.md").read_text()


def test_drift_uses_the_last_known_state_across_failures(optout_home):
    with h.History.for_paths(Paths.from_env()) as db:
        db.start_run(False, False).record([result("a", Status.COMPLIANT)])
        db.start_run(False, False).record([result("a", Status.FAILED)])  # says nothing about the setting
        drift = db.start_run(False, False).record([result("a", Status.CHANGED)])
        assert [d.setting for d in drift] == ["a"] and drift[0].opted_out_status == "compliant"
        assert db.start_run(False, False).record([result("a", Status.CHANGED)])  # re-enabled once more
        assert not db.start_run(True, False).record([result("b", Status.NON_COMPLIANT)])  # first sight: no drift


# -- a killed run keeps what it recorded -----------------------------------------------------------------------


def count_results(path: Path) -> int:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as conn:
            return conn.execute("SELECT count(*) FROM results").fetchone()[0]
    except sqlite3.Error:
        return 0  # not created or not migrated yet


def test_a_run_killed_mid_way_leaves_a_readable_database_with_the_finished_jobs(optout_home, scenario_copy):
    accounts = 8
    x = scenario_copy("x")
    manifest = x / "exposed" / "manifest.toml"
    extra = "".join(f'\n[[account]]\nusername = "extra_{i}"\npassword = "demo-password-x-1"\n' for i in range(accounts - 1))
    text = manifest.read_text()
    manifest.write_text(text.replace("\n[state]", extra + "\n[state]", 1))
    path = database(optout_home)

    proc = subprocess.Popen(
        [OPTOUT_RUN, "-p", "x", "--replay", str(x / "exposed"), "--jobs", "1"],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the browser dies with it
    )
    try:
        deadline = time.monotonic() + 90
        while count_results(path) < 2:
            assert proc.poll() is None, "the run ended before its first job was recorded"
            assert time.monotonic() < deadline, "no job was recorded in time"
            time.sleep(POLL)
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    with h.History.open(path) as db:
        assert db.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        (run,) = db.runs()
        assert run["finished_at"] is None and run["replay"] == 1
        rows = db.conn.execute("SELECT account, setting, status FROM results ORDER BY id").fetchall()
        assert 2 <= len(rows) < 2 * accounts, "killed mid-way"
        assert len(rows) % 2 == 0, "a job's results are recorded together or not at all"
        first = {(r["setting"], r["status"]) for r in rows if r["account"] == rows[0]["account"]}
        assert first == {("grok_training", "changed"), ("partner_sharing", "changed")}

    # No stale lock and a usable history: the next run and `status` just work.
    again = optout("-p", "x", "--replay", "fixtures/x/compliant")
    assert again.returncode == 0, again.stderr
    assert optout("status").returncode == 0


CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from runner.history import History
    from runner.results import Reason, Result, Status

    def result(setting):
        return Result("x", "jane", setting, Status.COMPLIANT, Reason.ALREADY_OPTED_OUT, "fine")

    def stalls():  # one job's results; the process dies while the second is being written
        yield result("first_of_job_two")
        print("holding", flush=True)
        sys.stdin.read()
        yield result("second_of_job_two")

    db = History.open(Path(sys.argv[1]))
    run = db.start_run(check=False, replay=False)
    run.record([result("job_one")])
    run.record(stalls())
    """
)


def test_a_process_killed_inside_a_transaction_loses_only_that_transaction(tmp_path):
    path = tmp_path / "data" / h.FILE_NAME
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        lines = iter(child.stdout.readline, "")  # unconfigured structlog logs to stdout too
        assert "holding" in (line.strip() for line in lines)
        assert count_results(path) == 1, "the open transaction is invisible to others"
    finally:
        child.kill()
        child.wait(timeout=30)

    with h.History.open(path) as db:
        assert db.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert [r["setting"] for r in db.conn.execute("SELECT setting FROM results")] == ["job_one"]
        assert [r["setting"] for r in db.latest()] == ["job_one"]
        db.start_run(False, False).record([result("later", Status.COMPLIANT)])  # nobody holds a lock any more
        assert count_results(path) == 2


# -- schema, migrations, errors -------------------------------------------------------------------------------


def test_schema_is_versioned_and_migrations_apply_in_order(tmp_path, monkeypatch):
    path = tmp_path / h.FILE_NAME
    with h.History.open(path) as db:
        assert db.version == len(h.MIGRATIONS)
        assert db.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        db.start_run(False, False).record([result("a", Status.COMPLIANT)])

    step = ("ALTER TABLE runs ADD COLUMN note TEXT", "UPDATE runs SET note = 'migrated'")
    monkeypatch.setattr(h, "MIGRATIONS", [*h.MIGRATIONS, step])
    with h.History.open(path) as db:
        assert db.version == len(h.MIGRATIONS)
        assert [r["note"] for r in db.runs()] == ["migrated"]
        assert [r["setting"] for r in db.latest()] == ["a"]


def test_a_history_from_a_newer_version_or_a_broken_file_is_one_line_and_exit_2(optout_home):
    path = database(optout_home)
    path.parent.mkdir(parents=True)
    sqlite3.connect(path).execute(f"PRAGMA user_version = {len(h.MIGRATIONS) + 1}")
    done = optout("status")
    assert done.returncode == 2 and "newer optout-run" in done.stderr and "Traceback" not in done.stderr

    path.write_bytes(b"this is not a database" * 100)
    for args in (("status",), ("history",)):
        done = optout(*args)
        assert done.returncode == 2 and "cannot be used" in done.stderr and "Traceback" not in done.stderr
    # A run is not stopped by a broken history: it opts out, and says the history was not recorded.
    done = optout("-p", "x", "--replay", "fixtures/x/compliant")
    assert done.returncode == 0 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        f"optout-run: not saved: the history in {path} (the history database cannot be used (file is not a database): "
        "move it aside to start afresh)"
    ]


def test_status_and_history_before_any_run():
    done = optout("status")
    assert done.returncode == 0 and "no runs recorded yet" in done.stdout
    assert json.loads(optout("status", "--json").stdout) == {"settings": [], "notices": []}
    assert json.loads(optout("history", "--json").stdout) == {"changes": []}


@pytest.mark.parametrize(
    "args, message",
    [
        (("history", "--since", "last tuesday"), "--since 'last tuesday'"),
        (("history", "-p", "myspace"), "'myspace' is not one of"),
    ],
)
def test_history_bad_input_is_one_line_and_exit_2(args, message):
    done = optout(*args)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr


def test_history_filters_by_platform_and_since(optout_home):
    with h.History.for_paths(Paths.from_env()) as db:
        db.start_run(False, False).record([result("a", Status.COMPLIANT)])
        db.start_run(False, False).record([result("a", Status.COMPLIANT)])  # no transition
        db.start_run(False, False).record([result("a", Status.FAILED)])
    changes = json.loads(optout("history", "--json").stdout)["changes"]
    assert [(c["from"], c["to"]) for c in changes] == [(None, "compliant"), ("compliant", "failed")]
    assert json.loads(optout("history", "--since", "2999-01-01", "--json").stdout)["changes"] == []
    assert len(json.loads(optout("history", "--since", "1d", "--json").stdout)["changes"]) == 2
    assert json.loads(optout("history", "-p", "linkedin", "--json").stdout)["changes"] == []
    text = optout("history").stdout
    assert "first seen compliant" in text and "compliant -> failed" in text


# -- nothing grows without bound ------------------------------------------------------------------------------


def test_old_runs_and_run_folders_are_pruned_to_keep_runs(optout_home):
    paths = Paths.from_env()
    runs_dir = paths.state_dir / "runs"
    for i in range(5):
        folder = runs_dir / f"run-{i}"
        folder.mkdir(parents=True)
        (folder / "evidence.png").write_bytes(b"x")
        os.utime(folder, (1_000_000 + i, 1_000_000 + i))
    (runs_dir / "not-a-run.txt").write_text("left alone")
    for setting in ("a", "b", "c", "d", "e"):
        recorder = h.Recorder(paths, check=False, replay=False)
        recorder.record([result(setting, Status.COMPLIANT)])
        recorder.finish(0, keep_runs=2)
        recorder.close()
    with h.History.for_paths(paths) as db:
        assert len(db.runs()) == 2
        assert {r["setting"] for r in db.conn.execute("SELECT setting FROM results")} == {"d", "e"}
        assert len(db.latest()) == 5, "each setting's latest state outlives its runs"
    assert sorted(p.name for p in runs_dir.iterdir()) == ["not-a-run.txt", "run-3", "run-4"]


def test_keep_runs_comes_from_the_config(tmp_path):
    path = tmp_path / "config.toml"
    assert Config.load(path).keep_runs == 50
    path.write_text("[history]\nkeep_runs = 7\n")
    config = Config.load(path)
    assert config.keep_runs == 7
    for bad in ("0", "-1", '"many"', "true"):
        path.write_text(f"[history]\nkeep_runs = {bad}\n")
        with pytest.raises(ConfigError, match="keep_runs"):
            Config.load(path)
