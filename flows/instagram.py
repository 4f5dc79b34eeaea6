"""Instagram: "Private account", a switch confirmed in a dialog; sign-in may bring a cookie banner (a declared dismissal) and a "Save your login info?" page."""

from __future__ import annotations

from playwright.async_api import Page

from runner.flow import Credentials, Flow, Setting


async def read_switch(flow: Flow, page: Page, setting: Setting) -> bool:
    """Meta's switches are input[role=switch] whose state lives in aria-checked; the checked property is only a fallback."""
    switch = await flow.control(page, setting)
    state = await switch.get_attribute("aria-checked")
    if state in ("true", "false"):
        return state == "true"
    return await switch.is_checked()


class InstagramFlow(Flow):
    """One switch and one confirmation; the sign-in needs the one-tap login detour the base class lacks."""

    name = "instagram"
    title = "Instagram"
    home_url = "https://www.instagram.com/"
    sign_in_url = "https://www.instagram.com/accounts/login/"
    sign_in_origins = ("https://www.instagram.com",)
    signed_out_urls = (r"^https://www\.instagram\.com/accounts/login/?(\?|$)",)
    challenge_urls = (
        r"^https://www\.instagram\.com/challenge/",
        r"^https://www\.instagram\.com/accounts/(suspended|disabled)/",
        r"^https://www\.instagram\.com/auth_platform/",
    )
    notes = "Meta's AI-training objection for Instagram is a help-centre form, not a setting; this flow makes the account private."
    settings = (
        Setting(
            id="private_account",
            label="Private account",
            url="https://www.instagram.com/accounts/who_can_see_your_content/",
            opted_out=True,
            cost=(
                "Only followers you approve see your posts, reels and follower lists; people who already follow you stay, "
                "new followers must ask, and your posts leave public hashtag and location pages."
            ),
            target="private_account",
            confirm="confirm_private",
            save_request="https://www.instagram.com/api/v1/web/accounts/set_private/",
        ),
    )

    async def after_submit(self, page: Page, creds: Credentials) -> None:
        """Answer "Save your login info?" with Not now (the run keeps its own session), then judge the sign-in as usual."""
        if await self.wait_for_any(page, ["save_login_not_now", "signed_in", "login_error", "two_factor", "challenge"]) == (
            "save_login_not_now"
        ):
            await (await self.loc.find(page, "save_login_not_now")).click()
        await super().after_submit(page, creds)

    async def read(self, page: Page, setting: Setting) -> bool:
        """aria-checked is what the reference saw Instagram keep current."""
        return await read_switch(self, page, setting)
