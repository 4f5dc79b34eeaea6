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
from keyring.backends.chainer import ChainerBackend

SERVICE = "optout-run"

# The user's explicit "yes, keep my passwords where anyone who can read my files can read them".
ALLOW_PLAINTEXT = "OPTOUT_ALLOW_PLAINTEXT_KEYRING"
SAFE_CHOICES = (
    "use Secret Service (e.g. gnome-keyring) in a D-Bus session started for your user, an encrypted file backend "
    "with its passphrase typed at a prompt, or the system keyring on macOS and Windows (PYTHON_KEYRING_BACKEND "
    "chooses one)"
)


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


def _qualified(backend) -> str:
    return f"{type(backend).__module__}.{type(backend).__name__}"


def _has_passphrase(backend) -> bool:
    """An encrypted file backend (keyrings.alt.file.EncryptedKeyring, keyrings.cryptfile): it asks for a
    passphrase, its `keyring_key`. Looked up on the class: on the instance it would prompt."""
    return hasattr(type(backend), "keyring_key")


def _passphrase_preset(backend) -> bool:
    """Whether the passphrase was given before any prompt could ask: KEYRING_PROPERTY_KEYRING_KEY sets it on
    the backend, keyrings.cryptfile reads KEYRING_CRYPTFILE_PASSWORD."""
    if vars(backend).get("keyring_key") or vars(backend).get("_keyring_key"):
        return True
    return type(backend).__module__.startswith("keyrings.cryptfile") and "KEYRING_CRYPTFILE_PASSWORD" in os.environ


def _plaintext_risk(backend) -> str | None:
    """Why this backend leaves passwords readable to anything that can read the user's files, or None.

    The rule: a backend whose class is a Plaintext one (keyrings.alt.file.PlaintextKeyring: base64 in a file);
    an encrypted file backend whose passphrase was not typed at its prompt (one kept in the environment or a
    file next to the store is plaintext by another name); a chainer that may write to either.
    """
    if isinstance(backend, ChainerBackend):
        for chained in ChainerBackend.backends:
            risk = _plaintext_risk(chained)
            if risk:
                return f"it may store passwords in {_qualified(chained)}, and {risk}"
        return None
    if "Plaintext" in type(backend).__name__:
        return "it keeps passwords on disk in plaintext (base64 at most)"
    if _has_passphrase(backend) and _passphrase_preset(backend):
        return (
            "its passphrase comes from the environment, not a prompt: a stored passphrase is plaintext by another name"
        )
    return None


def check_backend(interactive: bool | None = None) -> str:
    """Fail early and in one line when passwords cannot be read or would be kept in the clear; return the
    backend's name (marked when the user allowed a plaintext one)."""
    backend = load_backend()
    name = _qualified(backend)
    if name.startswith(("keyring.backends.fail.", "keyring.backends.null.")):
        raise KeyringUnavailable(
            "no usable keyring backend: run from a desktop session, set DBUS_SESSION_BUS_ADDRESS "
            "(e.g. unix:path=/run/user/$UID/bus) in the crontab, or choose one with PYTHON_KEYRING_BACKEND"
        )
    risk = _plaintext_risk(backend)
    if risk and os.environ.get(ALLOW_PLAINTEXT) != "1":
        raise KeyringUnavailable(
            f"refusing keyring backend {name}: {risk}; {SAFE_CHOICES}; or accept the risk with {ALLOW_PLAINTEXT}=1"
        )
    interactive = sys.stdin.isatty() if interactive is None else interactive
    if _has_passphrase(backend) and not interactive and not _passphrase_preset(backend):
        raise KeyringUnavailable(
            f"keyring backend {name} would prompt for its passphrase but no terminal is attached; under cron use "
            "Secret Service (e.g. gnome-keyring) in a D-Bus session started for your user, or the system keyring on "
            "macOS and Windows"
        )
    return f"{name} (passwords readable on disk: allowed by {ALLOW_PLAINTEXT}=1)" if risk else name


def _unavailable(exc: Exception) -> KeyringUnavailable:
    """The error's kind and the system's reason, never its text: a backend's message may quote what it stored."""
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
    return KeyringUnavailable(f"keyring error: {reason}")


def get_secret(platform: str, username: str, kind: str = "password") -> str | None:
    try:
        return keyring.get_password(service(platform, kind), username)
    except (keyring.errors.KeyringError, OSError) as exc:  # file backends fail with OSError (a read-only disk)
        raise _unavailable(exc) from None


def set_secret(platform: str, username: str, secret: str, kind: str = "password") -> None:
    try:
        keyring.set_password(service(platform, kind), username, secret)
    except (keyring.errors.KeyringError, OSError) as exc:
        raise _unavailable(exc) from None


def delete_secret(platform: str, username: str, kind: str = "password") -> bool:
    try:
        keyring.delete_password(service(platform, kind), username)
    except keyring.errors.PasswordDeleteError:
        return False
    except (keyring.errors.KeyringError, OSError) as exc:
        raise _unavailable(exc) from None
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
