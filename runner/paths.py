"""Where optout-run keeps what it writes; OPTOUT_HOME relocates all of it at once (tests, the demo)."""

from __future__ import annotations

import os
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
            root = Path(home).expanduser()
            return cls(root / "config", root / "data", root / "state")
        return cls(
            Path(platformdirs.user_config_dir(APP)),
            Path(platformdirs.user_data_dir(APP)),
            Path(platformdirs.user_state_dir(APP)),
        )


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
