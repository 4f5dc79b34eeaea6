"""Full and read-only disks (issue 12, row 6), provoked for real: a read-only bind mount and a tiny tmpfs filled up.

Not chmod: root (and CI runs as root) writes through mode bits. A run whose history, evidence or sessions cannot be
written still reports every result with its usual exit status, then says once, on stderr, what was not saved and why.
"""

from __future__ import annotations

import errno
import json
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import optout

READ_ONLY = "read-only file system"
FULL = "the disk is full"
# Each fixture's exit status in a fresh home without any fault: ui-changed fails (and keeps evidence), exposed is fixed.
EXIT = {"fixtures/x/ui-changed": 1, "fixtures/x/exposed": 0}


def mount(*args: str) -> None:
    done = subprocess.run(["mount", *args], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount here ({done.stderr.strip() or done.returncode}); the disk faults need a real mount")


@contextmanager
def read_only(directory: Path):
    """directory as a read-only bind mount of itself: every write in it fails with EROFS, for root too."""
    directory.mkdir(parents=True, exist_ok=True)
    mount("--bind", str(directory), str(directory))
    try:
        mount("-o", "remount,bind,ro", str(directory))
        yield directory
    finally:
        subprocess.run(["umount", str(directory)], check=True)


@contextmanager
def full(directory: Path):
    """directory as a small tmpfs filled to the last byte: a new file can still be made, but writing it gives ENOSPC."""
    directory.mkdir(parents=True, exist_ok=True)
    mount("-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", str(directory))
    try:
        with open(directory / "filler", "wb", buffering=0) as filler:
            with pytest.raises(OSError) as filled:
                while True:
                    filler.write(b"\0" * 4096)
            assert filled.value.errno == errno.ENOSPC
        yield directory
    finally:
        subprocess.run(["umount", str(directory)], check=True)


FAULTS = {
    "read-only state": ("state", read_only, READ_ONLY),
    "full state": ("state", full, FULL),
    "read-only data": ("data", read_only, READ_ONLY),
    "full data": ("data", full, FULL),
}
NOT_SAVED = {"state": "evidence in", "data": "the history in"}  # what ui-changed cannot keep when that dir fails


def one_line_about(stderr: str, *words: str) -> str:
    """stderr is the one line that says what was not saved, with these words in it (the cause, the place)."""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("optout-run: not saved: "), stderr
    assert all(word in lines[0] for word in words), lines[0]
    return lines[0]


# Each fault with each fixture once; each fixture's output both as text and as JSON.
CASES = [
    ("read-only state", "fixtures/x/ui-changed", False),
    ("read-only state", "fixtures/x/exposed", True),
    ("full state", "fixtures/x/ui-changed", True),
    ("full state", "fixtures/x/exposed", False),
    ("read-only data", "fixtures/x/ui-changed", False),
    ("read-only data", "fixtures/x/exposed", True),
    ("full data", "fixtures/x/ui-changed", True),
    ("full data", "fixtures/x/exposed", False),
]


@pytest.mark.parametrize("fault, scenario, json_out", CASES)
def test_a_full_or_read_only_disk_never_costs_the_results(optout_home, fault, scenario, json_out):
    where, provoke, cause = FAULTS[fault]
    state = optout_home / "state"
    state.mkdir(parents=True)
    (state / "run.lock").touch()  # made by an earlier run, before the disk went read-only
    with provoke(optout_home / where):
        done = optout("-p", "x", "--replay", scenario, *(["--json"] if json_out else []))
    assert done.returncode == EXIT[scenario], done.stderr
    if json_out:
        document = json.loads(done.stdout)
        assert document["exit_status"] == EXIT[scenario] and len(document["results"]) == 2
    else:
        assert "x jane_doe_demo grok_training:" in done.stdout and "x jane_doe_demo partner_sharing:" in done.stdout
    line = one_line_about(done.stderr, cause, str(optout_home / where))
    if scenario == "fixtures/x/ui-changed":
        assert NOT_SAVED[where] in line
    assert "move it aside" not in line


def test_a_read_only_state_dir_with_no_lock_file_is_one_line_and_exit_2(optout_home):
    """Without a run.lock there is no lock to take, and two runs could undo each other's switches: not started."""
    with read_only(optout_home / "state"):
        done = optout("-p", "x", "--replay", "fixtures/x/exposed")
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert str(optout_home / "state" / "run.lock") in done.stderr and READ_ONLY in done.stderr


def test_a_state_dir_gone_read_only_still_keeps_two_runs_apart(optout_home):
    """The existing run.lock is locked read-only, so a second run still exits 75."""
    import fcntl

    state = optout_home / "state"
    state.mkdir(parents=True)
    (state / "run.lock").touch()
    with read_only(state):
        with open(state / "run.lock", "rb") as held:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
            done = optout("-p", "x", "--replay", "fixtures/x/exposed")
    assert done.returncode == 75 and "already running" in done.stderr, done.stderr


def test_doctor_names_each_directory_it_cannot_write_and_why(optout_home):
    (optout_home / "config").mkdir(parents=True)
    healthy = optout("doctor")
    assert "NOT WRITABLE" not in healthy.stdout, healthy.stdout
    with read_only(optout_home / "state"), full(optout_home / "data"):
        done = optout("doctor")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    lines = {line.split(":")[0]: line for line in done.stdout.splitlines()}
    assert f"NOT WRITABLE: {READ_ONLY}" in lines["state"]
    assert f"NOT WRITABLE: {FULL}" in lines["data"]
    assert "NOT WRITABLE" not in lines["config"]
