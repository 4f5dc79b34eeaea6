"""Instagram: "Private account", a switch confirmed in a dialog; sign-in may bring a cookie banner (a declared dismissal) and a "Save your login info?" page."""

from __future__ import annotations

from runner.flow import Flow


class InstagramFlow(Flow):
    """One switch and one confirmation; Meta's sign-in pack, with the one-tap page as an interstitial."""

    name = "instagram"
