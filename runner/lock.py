"""Two runs never overlap: an flock on a file in the user state dir, held for the whole run.

flock is released by the kernel when the process ends, however it ends, so a crash never leaves a stale lock.
Python opens files non-inheritable, so the browser and Playwright's driver never hold it.

A state dir that cannot be written does not give the guarantee up: flock needs no write access, so an existing
run.lock is locked read-only (a disk that went read-only after earlier runs). With no run.lock and no way to make
one, the run does not start (exit 2, one line): two runs at once could each click the same switch and turn it back.
"""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import click

from runner.commands import UserError
from runner.exitcodes import ExitStatus
from runner.paths import Paths, private_dir, why_not_written

LOCK_NAME = "run.lock"


class AlreadyRunning(click.ClickException):
    """Another optout-run holds the lock: exit 75 (EX_TEMPFAIL) at once, one line on stderr."""

    exit_code = ExitStatus.LOCKED


def lock_path(paths: Paths) -> Path:
    return paths.state_dir / LOCK_NAME


def open_lock_file(path: Path) -> int:
    """run.lock, made if need be; read-only where it cannot be written, since flock needs no write access."""
    try:
        private_dir(path.parent)
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        try:
            return os.open(path, os.O_RDONLY)
        except OSError:
            raise UserError(
                f"cannot make the run lock {path} ({why_not_written(exc)}); not running without it, since two runs "
                "at once could switch the same setting back"
            ) from None


@contextmanager
def run_lock(paths: Paths) -> Iterator[Path]:
    path = lock_path(paths)
    fd = open_lock_file(path)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AlreadyRunning(f"another optout-run is already running (lock {path}); not starting a second one") from None
        yield path
    finally:
        os.close(fd)  # releases the flock
