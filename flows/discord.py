"""Discord: the two data-use consents in User Settings > Data & Privacy, switches that save instantly."""

from __future__ import annotations

from runner.flow import Flow


class DiscordFlow(Flow):
    """Settings are a layer of the web app, not a URL: its [open] steps click the gear and the Data & Privacy tab."""

    name = "discord"
