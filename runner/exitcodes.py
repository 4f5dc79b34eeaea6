"""Exit statuses: documented here, in `optout-run --help` and in the README."""

from __future__ import annotations

from enum import IntEnum, unique
from typing import Collection

from runner.results import Result, Status


@unique
class ExitStatus(IntEnum):
    OK = 0  # every setting is opted out (compliant or changed)
    FAILED = 1  # at least one platform failed (selector gone, save not kept, timeout ...)
    USAGE = 2  # bad command line, config or environment (no keyring, no browser)
    NEEDS_PERSON = 3  # a person must act: challenge, 2FA, app-only setting, missing password
    EXPOSED = 4  # --check found a setting still exposed
    DRIFTED = 5  # a setting an earlier run opted out was re-enabled by the platform
    LOCKED = 75  # another optout-run is already running (EX_TEMPFAIL)
    INTERRUPTED = 130  # Ctrl-C


HELP = "\n".join(
    [
        "\b",  # click: keep these lines as they are, never rewrap them into one paragraph
        "Exit status:",
        "  0  every setting is opted out",
        "  1  some platform failed",
        "  2  usage, config or environment error",
        "  3  a person must act (challenge, 2FA, app-only setting, no password)",
        "  4  --check found a setting still exposed",
        "  5  a setting was re-enabled by the platform since an earlier run",
        "  75 another optout-run is already running",
    ]
)


def exit_status(results: list[Result], drift: Collection = ()) -> ExitStatus:
    """The worst outcome wins: failure over a needed person over drift (from the history) over exposure."""
    statuses = {r.status for r in results}
    if Status.FAILED in statuses:
        return ExitStatus.FAILED
    if Status.NEEDS_MANUAL in statuses:
        return ExitStatus.NEEDS_PERSON
    if drift:
        return ExitStatus.DRIFTED
    if Status.NON_COMPLIANT in statuses:
        return ExitStatus.EXPOSED
    return ExitStatus.OK
