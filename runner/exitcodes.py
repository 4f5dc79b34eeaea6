"""Exit statuses: one table, from which `optout-run --help`, the summary line and the README's table come."""

from __future__ import annotations

from enum import IntEnum, unique
from typing import Collection

from runner.results import Result, Status


@unique
class ExitStatus(IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2
    NEEDS_PERSON = 3
    EXPOSED = 4
    DRIFTED = 5
    LOCKED = 75  # EX_TEMPFAIL
    HANGUP = 129  # 128 + SIGHUP: the terminal or ssh session went away
    INTERRUPTED = 130  # 128 + SIGINT: Ctrl-C
    TERMINATED = 143  # 128 + SIGTERM: systemd, `timeout`, shutdown

    @property
    def meaning(self) -> str:
        return MEANINGS[self]


MEANINGS = {
    ExitStatus.OK: "every setting is opted out (compliant or changed)",
    ExitStatus.FAILED: "some platform failed",
    ExitStatus.USAGE: "usage, config or environment error (bad option, no keyring, no browser)",
    ExitStatus.NEEDS_PERSON: "a person must act (challenge, 2FA, app-only setting, missing password)",
    ExitStatus.EXPOSED: "--check found a setting still exposed",
    ExitStatus.DRIFTED: (
        "a setting an earlier run had opted out was re-enabled by the platform "
        "(switched off again, or, with --check, still exposed)"
    ),
    ExitStatus.LOCKED: "another optout-run is already running",
    ExitStatus.HANGUP: "stopped by SIGHUP (terminal closed); what finished was reported, the rest is interrupted",
    ExitStatus.INTERRUPTED: "stopped by Ctrl-C (SIGINT); what finished was reported, the rest is interrupted",
    ExitStatus.TERMINATED: "stopped by SIGTERM; what finished was reported, the rest is interrupted",
}

# Which outcome wins when a run has several: a stop by signal, then failure, a person, drift, exposure.
ORDER = "129/130/143 over 1 over 3 over 5 over 4 over 0"

HELP = "\n".join(
    ["\b", "Exit status:"]  # "\b": click keeps these lines as they are, never rewrapped into one paragraph
    + [f"  {int(code):<3} {MEANINGS[code]}" for code in ExitStatus]
    + [f"  The worst wins: {ORDER}."]
)


def readme_table() -> str:
    """The README's exit-status table, generated from MEANINGS (a test keeps the README in step)."""
    rows = ["| code | meaning |", "| --- | --- |"] + [f"| {int(c)} | {MEANINGS[c]} |" for c in ExitStatus]
    return "\n".join(rows) + f"\n\nThe worst outcome wins: {ORDER}."


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
