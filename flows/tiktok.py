"""TikTok: "Private account", a TUX switch on the one-page web settings that saves the moment it is clicked.

TikTok has no AI-training switch on the web; the generic steps do everything here, the class is data only.
"""

from __future__ import annotations

from runner.flow import Flow, Setting


class TikTokFlow(Flow):
    """Email/username sign-in (the slider captcha needs a person), then the "Private account" switch on /setting."""

    name = "tiktok"
    title = "TikTok"
    home_url = "https://www.tiktok.com/"
    sign_in_url = "https://www.tiktok.com/login/phone-or-email/email"
    sign_in_origins = ("https://www.tiktok.com",)
    signed_out_urls = (r"^https://www\.tiktok\.com/login",)
    # A signed-out /setting lands on the method chooser, which has no username field: its heading says "signed out".
    signed_out_marker = "login_page"
    notes = (
        "TikTok has no AI-training switch on the web (EU/UK: use the objection form in TikTok's Privacy Center); "
        "a private account keeps your videos away from people, and scrapers, you have not approved."
    )
    settings = (
        Setting(
            id="private_account",
            label="Private account",
            url="https://www.tiktok.com/setting?lang=en",  # lang=en keeps the English labels the selectors match
            opted_out=True,
            cost=(
                "Only followers you approve can see your videos; people who already follow you stay followers. "
                "Others can no longer Duet, Stitch or download your videos, and your videos stop reaching new audiences."
            ),
            target="private_account",
            save_request="https://www.tiktok.com/api/privacy/setting/update/*",
        ),
    )
