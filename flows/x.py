"""X (Twitter): Grok training and sharing with business partners, both checkboxes that save instantly."""

from __future__ import annotations

from runner.flow import Flow


class XFlow(Flow):
    """Grok's training checkbox and partner sharing; sign-in may ask for the handle again (unusual activity)."""

    name = "x"
