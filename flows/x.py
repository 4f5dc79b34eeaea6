"""X (Twitter): Grok training and sharing with business partners, both checkboxes that save instantly."""

from __future__ import annotations

from playwright.async_api import Page

from runner.flow import Credentials, Failed, Flow, Reason, Setting

SAVE = "https://api.x.com/1.1/account/settings.json"


class XFlow(Flow):
    """Grok's training checkbox and partner sharing; sign-in may ask for the handle again (unusual activity)."""

    name = "x"
    title = "X"
    home_url = "https://x.com/"
    sign_in_url = "https://x.com/i/flow/login"
    sign_in_origins = ("https://x.com",)
    signed_out_urls = (r"^https://(x|twitter)\.com/(i/flow/)?login",)
    challenge_urls = (r"^https://(x|twitter)\.com/account/access", r"/i/flow/two-factor")
    notes = "Posts of protected accounts are not used for training either; this flow leaves your audience alone."
    settings = (
        Setting(
            id="grok_training",
            label="Allow your public data ... with Grok and xAI to be used for training and fine-tuning",
            url="https://x.com/settings/grok_settings",
            opted_out=False,
            cost="Grok and xAI stop training on your posts and Grok chats; Grok keeps working for you.",
            target="grok_training",
            save_request=SAVE,
        ),
        Setting(
            id="partner_sharing",
            label="Allow additional information sharing with business partners",
            url="https://x.com/settings/data_sharing_with_business_partners",
            opted_out=False,
            cost="X shares only what it needs to run the service with partners; ads may feel less targeted.",
            target="partner_sharing",
            save_request=SAVE,
        ),
    )

    async def sign_in(self, page: Page, creds: Credentials) -> None:
        """Username, Next, maybe the unusual-activity step (it wants the handle or email again), then password."""
        await self.go_to_sign_in(page)
        await self.fill(page, "username", creds.username)
        await (await self.loc.find(page, "next")).click()
        step = await self.wait_for_any(page, ["password", "two_factor", "unusual_activity", "challenge"])
        if step == "unusual_activity":
            await self.fill(page, "unusual_activity_input", creds.username)
            await (await self.loc.find(page, "unusual_activity_next")).click()
            step = await self.wait_for_any(page, ["password", "two_factor", "challenge"])
        if step != "password":
            if step is None:
                raise Failed(Reason.TIMEOUT, "X did not show the password step; run `optout-run -p x --headed` to look")
            return await self.after_submit(page, creds)
        await self.fill_secret(page, "password", creds.password)
        await (await self.loc.find(page, "submit")).click()
        await self.after_submit(page, creds)
