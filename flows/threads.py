"""Threads: "Private profile" in Settings > Privacy, signed in with the Instagram account."""

from __future__ import annotations

from playwright.async_api import Page

from flows.instagram import read_switch
from runner.flow import Flow, Setting


class ThreadsFlow(Flow):
    """The generic single-form sign-in and switch click fit; only the read is Meta's aria-checked switch."""

    name = "threads"
    title = "Threads"
    home_url = "https://www.threads.com/"
    sign_in_url = "https://www.threads.com/login"
    sign_in_origins = ("https://www.threads.com",)
    signed_out_urls = (r"^https://www\.threads\.(com|net)/login",)
    challenge_urls = (r"^https://www\.(threads\.(com|net)|instagram\.com)/challenge/",)
    notes = "Threads and Instagram privacy are separate: run the instagram flow too. The switch markup is assumed (Instagram-style)."
    settings = (
        Setting(
            id="private_profile",
            label="Private profile",
            url="https://www.threads.com/settings/privacy",
            opted_out=True,
            cost=(
                "Only followers you approve see your threads and replies; new followers must ask, and your posts leave "
                "search and the fediverse (fediverse sharing works only for public profiles)."
            ),
            target="private_profile",
            confirm="confirm_private",  # not seen on the web so far; taken if Threads asks, as Instagram does
            save_request="https://www.threads.com/api/graphql",
        ),
    )

    async def read(self, page: Page, setting: Setting) -> bool:
        """Assumed to be Instagram's input[role=switch] with aria-checked (the reference found no Threads markup)."""
        return await read_switch(self, page, setting)
