"""Reddit: no AI-training opt-out exists, so the flow hardens what does: search visibility and ad personalization."""

from __future__ import annotations

from runner.flow import Flow


class RedditFlow(Flow):
    """Shadow-DOM sign-in, then search visibility and ad personalization off on /settings/privacy; no AI-training switch exists."""

    name = "reddit"
