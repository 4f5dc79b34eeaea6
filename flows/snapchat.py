"""Snapchat: My Selfie in ads, generative-AI use of public content and My AI data, all in the mobile app only.

No web page offers any of them (accounts.snapchat.com downloads data and deletes accounts; Snapchat for Web has no
such settings), so every setting carries app_steps: the engine reports it as needs_manual/app_only with the taps,
and never opens a browser or asks for a password.
"""

from __future__ import annotations

from runner.flow import Flow, Setting

APP = "the Snapchat app (iOS, Android); no web page"


class SnapchatFlow(Flow):
    """App-only: reports the exact taps for each AI setting instead of pretending a browser can reach it."""

    name = "snapchat"
    title = "Snapchat"
    home_url = "https://www.snapchat.com/"
    sign_in_url = ""  # nothing here is on the web, so optout-run never signs in to Snapchat and stores no password
    notes = (
        "App-only: Snapchat has these settings only in its mobile app. optout-run opens no browser for Snapchat; "
        "it lists the taps for iOS and Android each run, and cannot check them for you."
    )
    settings = (
        Setting(
            id="my_selfie_in_ads",
            label="See My Selfie in Ads",
            url=APP,
            opted_out=False,
            cost="Ads no longer show you AI images made from your My Selfie; My Selfie and AI Lenses keep working.",
            app_steps=(
                "iOS and Android: tap your profile icon (top left) → Settings (gear, top right) → My Selfie → switch off "
                '"See My Selfie in Ads" (on by default once you accept the My Selfie terms). While there, set '
                '"Generate with My Selfie" to "Only Me".'
            ),
        ),
        Setting(
            id="public_content_ai",
            label="Allow use of public content (Generative AI settings)",
            url=APP,
            opted_out=False,
            cost="Snap stops using your public Stories and Spotlight posts for its generative AI; who sees them is unchanged.",
            app_steps=(
                "iOS and Android: profile icon → Settings (gear) → under Privacy Controls (\"My Privacy & Data\" in some "
                'versions) → Generative AI Settings → switch off "Allow use of public content". This path comes from '
                "third-party guides, not Snap's help; the wording may differ in your app version."
            ),
        ),
        Setting(
            id="clear_my_ai_data",
            label="Clear My AI Data",
            url=APP,
            opted_out="cleared",
            cost="Deletes what you shared with My AI (chats, memories) so it is no longer kept or used; My AI starts over.",
            app_steps=(
                'iOS: profile icon → Settings (gear) → Privacy Controls → Clear Data → "Clear My AI Data", then confirm. '
                'Android: profile icon → Settings (gear) → Account Actions → "Clear My AI Data", then confirm. '
                "Deletion takes up to 30 days (help.snapchat.com/hc/articles/15682296562836). It clears what is stored "
                "now; repeat it after using My AI again."
            ),
        ),
    )
