"""Snapchat: My Selfie in ads, generative-AI use of public content and My AI data, all in the mobile app only.

No web page offers any of them (accounts.snapchat.com downloads data and deletes accounts; Snapchat for Web has no
such settings), so every setting carries app_steps: the engine reports it as needs_manual/app_only with the taps,
and never opens a browser or asks for a password.
"""

from __future__ import annotations

from runner.flow import Flow


class SnapchatFlow(Flow):
    """App-only: reports the exact taps for each AI setting instead of pretending a browser can reach it."""

    name = "snapchat"
