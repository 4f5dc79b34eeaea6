"""Passwords live only in the OS keyring, read through the keyring API in real runs and replays alike."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Iterator

import keyring
import keyring.backend
import keyring.errors
from jaraco.classes import properties

SERVICE = "optout-run"

# Backends that ask for a master password on first use; under cron that is an EOFError.
_PROMPTING_BACKENDS = {"EncryptedKeyring", "CryptFileKeyring"}


class KeyringUnavailable(Exception):
    """No usable keyring: the message names the fixes (one line)."""


def service(platform: str, kind: str = "password") -> str:
    return f"{SERVICE}/{platform}" if kind == "password" else f"{SERVICE}/{platform}/{kind}"


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A real keyring backend that lives and dies with the process: replays and tests, never the user's keyring."""

    @properties.classproperty
    def priority(cls) -> float:
        # Never viable for keyring's own backend detection (it considers every imported backend class):
        # a real run must never keep passwords in memory by accident. Only keyring.set_keyring() uses it.
        raise RuntimeError("MemoryKeyring is installed explicitly, never detected")

    def __init__(self) -> None:
        super().__init__()
        self._items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self._items.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("no such item")


def load_backend():
    """The keyring backend; a mistyped or unusable PYTHON_KEYRING_BACKEND is a one-line KeyringUnavailable."""
    try:
        return keyring.get_keyring()
    except Exception as exc:  # keyring imports the named module: any import or init error can come out
        name = os.environ.get("PYTHON_KEYRING_BACKEND", "")
        if not name:
            raise
        raise KeyringUnavailable(
            f"PYTHON_KEYRING_BACKEND={name} cannot be used ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); "
            "fix the name (module.Class, e.g. keyring.backends.SecretService.Keyring), install the package that "
            "provides it, or unset it"
        ) from None


def check_backend(interactive: bool | None = None) -> str:
    """Fail early and in one line when passwords cannot be read; return the backend's name."""
    backend = load_backend()
    name = type(backend).__name__
    module = type(backend).__module__
    if module.startswith("keyring.backends.fail") or module.startswith("keyring.backends.null"):
        raise KeyringUnavailable(
            "no usable keyring backend: run from a desktop session, set DBUS_SESSION_BUS_ADDRESS "
            "(e.g. unix:path=/run/user/$UID/bus) in the crontab, or choose one with PYTHON_KEYRING_BACKEND"
        )
    interactive = sys.stdin.isatty() if interactive is None else interactive
    if name in _PROMPTING_BACKENDS and not interactive and not getattr(backend, "keyring_key", None):
        raise KeyringUnavailable(
            f"keyring backend {name} would prompt for its master password but no terminal is attached; "
            "choose a non-interactive backend with PYTHON_KEYRING_BACKEND"
        )
    return f"{module}.{name}"


def get_secret(platform: str, username: str, kind: str = "password") -> str | None:
    try:
        return keyring.get_password(service(platform, kind), username)
    except keyring.errors.KeyringError as exc:
        raise KeyringUnavailable(f"keyring error: {type(exc).__name__}") from None


def set_secret(platform: str, username: str, secret: str, kind: str = "password") -> None:
    try:
        keyring.set_password(service(platform, kind), username, secret)
    except keyring.errors.KeyringError as exc:
        raise KeyringUnavailable(f"keyring error: {type(exc).__name__}") from None


def delete_secret(platform: str, username: str, kind: str = "password") -> bool:
    try:
        keyring.delete_password(service(platform, kind), username)
    except keyring.errors.PasswordDeleteError:
        return False
    except keyring.errors.KeyringError as exc:
        raise KeyringUnavailable(f"keyring error: {type(exc).__name__}") from None
    return True


@contextlib.contextmanager
def throwaway_keyring() -> Iterator[MemoryKeyring]:
    """Swap in an in-process keyring for the duration of a replay; the user's keyring is never touched."""
    try:
        previous = keyring.get_keyring()
    except Exception:  # an unusable PYTHON_KEYRING_BACKEND: a replay never needs the user's keyring
        previous = None
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    try:
        yield memory
    finally:
        if previous is not None:
            keyring.set_keyring(previous)
