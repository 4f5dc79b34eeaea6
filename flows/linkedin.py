"""LinkedIn: generative-AI training, plus optional partner sharing and research; artdeco switches that save instantly."""

from __future__ import annotations

from runner.flow import Flow


class LinkedInFlow(Flow):
    """Artdeco switches on mypreferences pages; a region without the AI setting is not_offered, not a failure."""

    name = "linkedin"
