"""Facebook: the default audience of future posts (an audience dialog, not a switch) and, optionally, limiting past posts."""

from __future__ import annotations

from runner.flow import Flow


class FacebookFlow(Flow):
    """Future posts are an audience (button_text); the opted-out audience is the future_posts option."""

    name = "facebook"
