"""Where optout-run keeps what it writes; OPTOUT_HOME relocates all of it at once (tests, the demo)."""

from __future__ import annotations

import errno
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP = "optout-run"


@dataclass(frozen=True)
class Paths:
    config_dir: Path
    data_dir: Path
    state_dir: Path

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Paths":
        environ = os.environ if environ is None else environ
        home = environ.get("OPTOUT_HOME")
        if home:
            return cls.under(Path(home).expanduser())
        return cls(
            Path(platformdirs.user_config_dir(APP)),
            Path(platformdirs.user_data_dir(APP)),
            Path(platformdirs.user_state_dir(APP)),
        )

    @classmethod
    def under(cls, root: Path) -> "Paths":
        """Everything under one directory: OPTOUT_HOME, or a replay's throwaway home."""
        return cls(root / "config", root / "data", root / "state")


def private_dir(path: Path) -> Path:
    """Create a directory only its owner can read: sessions and evidence are as sensitive as passwords.

    Every folder it has to create on the way is 0700 too (mkdir(parents=True) would give those the umask's mode).
    """
    missing = []
    while not path.exists() and path != path.parent:
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
        folder.chmod(0o700)
    target = missing[0] if missing else path
    if target.stat().st_mode & 0o777 != 0o700:  # a chmod that changes nothing still fails on a read-only disk
        target.chmod(0o700)
    return target


def write_atomic(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write through a temporary file and rename, so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def unwritable(directory: Path) -> OSError | None:
    """Why nothing can be written in directory (None: a file can be), found by writing and removing one.

    Mode bits cannot tell: root writes through them, and neither a read-only mount nor a full disk shows in them.
    """
    try:
        fd, name = tempfile.mkstemp(prefix=".optout-probe-", dir=directory)
    except OSError as exc:
        return exc
    try:
        os.write(fd, b"optout-run")  # a full disk still gives out inodes: only data needs space
        os.fsync(fd)
    except OSError as exc:
        return exc
    finally:
        os.close(fd)
        os.unlink(name)
    return None


NODE_ERRNO = re.compile(r"\b(E[A-Z]+): ")  # Playwright's driver (Node) words a failed write "ENOSPC: no space ..."
DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}


def disk_error(exc: BaseException) -> OSError | None:
    """The OSError behind exc, also when Playwright's driver did the writing; None if it is no disk trouble."""
    if isinstance(exc, OSError):
        return exc
    found = NODE_ERRNO.search(str(exc))
    code = getattr(errno, found.group(1), None) if found else None
    return OSError(code, os.strerror(code)) if code in DISK_ERRNOS else None


def why_not_written(exc: OSError) -> str:
    """The cause in words, with the fix that fits it: a full disk needs space, not a file moved aside."""
    if exc.errno == errno.ENOSPC:
        return "the disk is full: free some space on it"
    if exc.errno == errno.EDQUOT:
        return "your disk quota is used up: free some space, or ask for a larger quota"
    if exc.errno == errno.EROFS:
        return "read-only file system: make it writable, or set OPTOUT_HOME to a directory that is"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied: make it yours and writable, or set OPTOUT_HOME to a directory that is"
    return exc.strerror or str(exc)


class Unsaved:
    """What a run could not write (history, evidence, sessions), said once after its results: a full or read-only
    disk costs only what it could not hold, never the results or their exit status."""

    def __init__(self) -> None:
        self.items: dict[str, tuple[Path, str]] = {}  # what -> (where, why): the first trouble of each kind

    def note(self, what: str, where: Path, why: BaseException | str) -> None:
        if isinstance(why, BaseException):
            error = disk_error(why)
            why = why_not_written(error) if error is not None else (str(why).splitlines() or [type(why).__name__])[0]
        self.items.setdefault(what, (where, why))

    def line(self) -> str:
        """One line for stderr, or '' when everything was saved; things lost for the same reason share it."""
        by_cause: dict[str, list[str]] = {}
        for what, (where, why) in self.items.items():
            by_cause.setdefault(why, []).append(f"{what} in {where}")
        if not by_cause:
            return ""
        return "optout-run: not saved: " + "; ".join(f"{' and '.join(lost)} ({why})" for why, lost in by_cause.items())

    def clear(self) -> None:
        self.items.clear()


UNSAVED = Unsaved()  # one per process, like runner.stop.STOP: evidence is written deep inside the engine's jobs
