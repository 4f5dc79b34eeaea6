"""Discord: the two data-use consents in User Settings > Data & Privacy, switches that save instantly."""

from __future__ import annotations

from playwright.async_api import Page

from runner.flow import Flow, Setting

APP = "https://discord.com/channels/@me"
CONSENT = "https://discord.com/api/v9/users/@me/consent"  # POST {"grant": [...], "revoke": [...]} per switch


class DiscordFlow(Flow):
    """Settings are a layer of the web app, not a URL: open() clicks the gear and the Data & Privacy tab."""

    name = "discord"
    title = "Discord"
    home_url = "https://discord.com/"
    sign_in_url = "https://discord.com/login"
    sign_in_origins = ("https://discord.com",)
    signed_out_urls = (r"^https://discord\.com/login",)
    notes = "Sponsored Content, Clips and screen-reader switches on the same pane are left as they are."
    settings = (
        Setting(
            id="usage_statistics",
            label="Use data to improve Discord",
            url=APP,
            opted_out=False,
            cost="None in the app: Discord stops using what you do there to analyse and improve its services.",
            target="usage_statistics",
            save_request=CONSENT,
        ),
        Setting(
            id="personalization",
            label="Use data to personalize my Discord experience",
            url=APP,
            opted_out=False,
            cost="Suggestions (friends, servers, games) stop being tailored to who you talk to and what you play.",
            target="personalization",
            save_request=CONSENT,
        ),
    )

    async def open(self, page: Page, setting: Setting) -> str | None:
        """Load the app, then open the settings layer and its tab only when they are not open already."""
        if page.url != setting.url:
            await page.goto(setting.url)
        found = await self.wait_for_any(page, ["privacy_tab", "user_settings", self.signed_out_marker, "challenge"])
        if found == "user_settings":
            await (await self.loc.find(page, "user_settings")).click()
            found = await self.wait_for_any(page, ["privacy_tab", self.signed_out_marker, "challenge"])
        if found != "privacy_tab":
            return found
        tab = await self.loc.find(page, "privacy_tab")
        if await tab.get_attribute("aria-selected") != "true":
            await tab.click()
        return await self.wait_for_any(page, [setting.target, self.signed_out_marker, "challenge"])
