"""How a flow's work ends early: with a status, a reason code and a next step for the user, or with proof of absence.

Kept apart from runner/flow.py so the step interpreter, the control kinds and the save signals can raise them
without importing the flow that uses them.
"""

from __future__ import annotations

from typing import ClassVar

from runner.results import Reason, Status


class FlowError(Exception):
    """Ends one account's (or one setting's) work with a status, a reason code and a next step for the user."""

    status: ClassVar[Status] = Status.FAILED

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


class Failed(FlowError):
    status = Status.FAILED


class NeedsPerson(FlowError):
    status = Status.NEEDS_MANUAL


class NotOffered(Exception):
    """The platform does not offer this setting to this account (region, plan), and its page says so: the evidence."""

    def __init__(self, evidence: str) -> None:
        super().__init__(evidence)
        self.evidence = evidence
