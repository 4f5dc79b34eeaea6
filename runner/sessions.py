"""Saved browser sessions, so cron runs reuse a person's sign-in instead of typing a password every time.

Sessions are as sensitive as passwords: Fernet-encrypted (AES + HMAC) with a key kept in the OS keyring,
in a 0700 directory, files 0600, written atomically. One that cannot be decrypted or parsed is discarded
with a warning and the account signs in afresh.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import structlog

from runner.credentials import get_secret, set_secret
from runner.paths import private_dir, write_atomic

log = structlog.get_logger("optout.sessions")

KEY_PLATFORM = "session-key"  # keyring service optout-run/session-key, user "default"


def _slug(platform: str, username: str) -> str:
    digest = hashlib.sha256(username.encode()).hexdigest()[:16]  # no user names in file names
    return f"{platform}-{digest}"


def is_storage_state(state) -> bool:
    """The shape Playwright's storage_state has: a session that decrypts to anything else is discarded here,
    before a browser context is made from it."""
    if not isinstance(state, dict) or not isinstance(state.get("cookies"), list):
        return False
    cookie_keys = ("name", "value", "domain", "path")
    cookies_ok = all(isinstance(c, dict) and all(isinstance(c.get(k), str) for k in cookie_keys) for c in state["cookies"])
    origins = state.get("origins", [])
    origins_ok = isinstance(origins, list) and all(isinstance(o, dict) and isinstance(o.get("origin"), str) for o in origins)
    return cookies_ok and origins_ok


def keyring_key() -> bytes:
    """The encryption key, created on first use and kept in the OS keyring."""
    from cryptography.fernet import Fernet

    key = get_secret(KEY_PLATFORM, "default")
    if not key:
        key = Fernet.generate_key().decode()
        set_secret(KEY_PLATFORM, "default", key)
    return key.encode()


def file_key(path: Path) -> bytes:
    """Replays only: their keyring is thrown away after each run, so their (fake) sessions use a key file."""
    from cryptography.fernet import Fernet

    if not path.is_file():
        write_atomic(path, Fernet.generate_key())
    return path.read_bytes().strip()


class SessionStore:
    def __init__(self, directory: Path, key: bytes) -> None:
        self.directory = directory
        self.key = key

    def path(self, platform: str, username: str) -> Path:
        return self.directory / f"{_slug(platform, username)}.session"

    def load(self, platform: str, username: str) -> dict | None:
        from cryptography.fernet import Fernet, InvalidToken

        path = self.path(platform, username)
        if not path.is_file():
            return None
        try:
            state = json.loads(Fernet(self.key).decrypt(path.read_bytes()))
            if not is_storage_state(state):
                raise ValueError("not a storage state")
            return state
        except (InvalidToken, ValueError, OSError):
            log.warning("discarding an unreadable saved session", platform=platform, file=path.name)
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
            return None

    def save(self, platform: str, username: str, state: dict) -> None:
        from cryptography.fernet import Fernet

        private_dir(self.directory)
        write_atomic(self.path(platform, username), Fernet(self.key).encrypt(json.dumps(state).encode()))

    def forget(self, platform: str, username: str | None = None) -> int:
        paths = [self.path(platform, username)] if username else list(self.directory.glob(f"{platform}-*.session"))
        removed = 0
        for path in paths:
            if path.is_file():
                path.unlink()
                removed += 1
        return removed


class RejectedPasswords:
    """Remembers a rejected password for a day, so cron never hammers an account into a lockout."""

    HOLD = timedelta(hours=24)

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict:
        try:
            return json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}

    def blocked_since(self, platform: str, username: str) -> datetime | None:
        stamp = self._read().get(_slug(platform, username))
        if not stamp:
            return None
        since = datetime.fromisoformat(stamp)
        return since if datetime.now(timezone.utc) - since < self.HOLD else None

    def record(self, platform: str, username: str) -> None:
        data = self._read()
        data[_slug(platform, username)] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        private_dir(self.path.parent)
        write_atomic(self.path, json.dumps(data).encode())

    def clear(self, platform: str, username: str) -> None:
        data = self._read()
        if data.pop(_slug(platform, username), None) is not None:
            write_atomic(self.path, json.dumps(data).encode())


def stores(state_dir: Path, replay: bool) -> tuple[SessionStore, RejectedPasswords]:
    key = file_key(private_dir(state_dir) / "replay-session.key") if replay else keyring_key()
    return SessionStore(state_dir / "sessions", key), RejectedPasswords(state_dir / "rejected-passwords.json")


__all__ = ["RejectedPasswords", "SessionStore", "stores"]
