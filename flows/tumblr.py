"""Tumblr: "Prevent third-party sharing" is a switch per blog, so one account yields one result per blog it owns."""

from __future__ import annotations

from runner.flow import Flow


class TumblrFlow(Flow):
    """Signs in once, lists the account's blogs ([subjects.blog]), then opts out each blog on its own settings page."""

    name = "tumblr"
