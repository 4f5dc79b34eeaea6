"""What a run found for each (platform, account, setting), in one vocabulary for every output."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum


class Status(str, Enum):
    COMPLIANT = "compliant"  # already opted out; nothing was clicked
    CHANGED = "changed"  # switched, then read back opted out after a reload
    NON_COMPLIANT = "non_compliant"  # check mode: found exposed and left alone
    NEEDS_MANUAL = "needs_manual"  # a person must act (challenge, 2FA, app-only setting)
    FAILED = "failed"


class Reason(str, Enum):
    """The documented reason codes; README.md lists them with what to do next."""

    ALREADY_OPTED_OUT = "already_opted_out"
    SWITCHED = "switched"
    EXPOSED = "exposed"
    NOT_OFFERED = "not_offered"
    APP_ONLY = "app_only"
    NO_CREDENTIALS = "no_credentials"
    LOGIN_REJECTED = "login_rejected"
    LOGIN_PAUSED = "login_paused"
    CHALLENGE = "challenge"
    TWO_FACTOR = "two_factor"
    FOREIGN_ORIGIN = "foreign_origin"
    SELECTOR_NOT_FOUND = "selector_not_found"
    VERIFY_MISMATCH = "verify_mismatch"
    TIMEOUT = "timeout"
    NETWORK = "network"
    BROWSER = "browser"
    INTERNAL = "internal"
    INTERRUPTED = "interrupted"  # the run was stopped by a signal before this setting was finished


@dataclass(frozen=True)
class Result:
    platform: str
    account: str
    setting: str
    status: Status
    reason: Reason
    detail: str
    proof: str = ""  # the proof image of an opted-out read, relative to the data dir; "" when none was kept
    locator: str = ""  # locator health: "3/4" when the control was found only by its 3rd of 4 fallbacks

    def as_json(self) -> dict:
        data = asdict(self)
        data["status"] = self.status.value
        data["reason"] = self.reason.value
        return data


def fallback_words(locator: str) -> str:
    """Locator health in words: "fallback 3 of 4" for "3/4" (Result.locator)."""
    used, of = locator.split("/")
    return f"fallback {used} of {of}"
