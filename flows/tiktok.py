"""TikTok: "Private account", a TUX switch on the one-page web settings that saves the moment it is clicked."""

from __future__ import annotations

from runner.flow import Flow


class TikTokFlow(Flow):
    """Email/username sign-in (the slider captcha needs a person), then the "Private account" switch on /setting."""

    name = "tiktok"
