"""Threads: "Private profile" in Settings > Privacy, signed in with the Instagram account."""

from __future__ import annotations

from runner.flow import Flow


class ThreadsFlow(Flow):
    """Meta's sign-in pack and an aria-checked switch, like Instagram's, with no code of its own."""

    name = "threads"
