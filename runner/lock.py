"""Two runs never overlap: an flock on a file in the user state dir, held for the whole run.

flock is released by the kernel when the process ends, however it ends, so a crash never leaves a stale lock.
Python opens files non-inheritable, so the browser and Playwright's driver never hold it.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import click

from runner.exitcodes import ExitStatus
from runner.paths import Paths, private_dir

LOCK_NAME = "run.lock"


class AlreadyRunning(click.ClickException):
    """Another optout-run holds the lock: exit 75 (EX_TEMPFAIL) at once, one line on stderr."""

    exit_code = ExitStatus.LOCKED


def lock_path(paths: Paths) -> Path:
    return paths.state_dir / LOCK_NAME


@contextmanager
def run_lock(paths: Paths) -> Iterator[Path]:
    from filelock import FileLock, Timeout

    path = lock_path(paths)
    private_dir(path.parent)
    lock = FileLock(str(path), timeout=0, mode=0o600)
    try:
        lock.acquire()
    except Timeout:
        raise AlreadyRunning(f"another optout-run is already running (lock {path}); not starting a second one") from None
    try:
        yield path
    finally:
        lock.release()
