"""Overlays that cover a settings page (cookie banners, "What's new", surveys): detected and answered from data.

The overlays are declared in selectors/_shared.toml (every platform) and a platform's own file (its `dismiss`
list): NAME locates the overlay, NAME_button what answers it inside it. Cookie banners are answered by declining
optional cookies. Playwright's locator handlers answer an overlay before an action; `sweep` answers one before
a read too, since reads are no actions. A button whose wording is destructive is never pressed.
"""

from __future__ import annotations

import structlog
from playwright.async_api import Locator, Page
from playwright.async_api import TimeoutError as PlaywrightTimeout

from runner.locate import Locators, build, word_list
from runner.wording import destructive

log = structlog.get_logger("optout.dismiss")
SHARED = "_shared"


class Dismissals:
    """The overlays one platform's pages may show, and how to answer each."""

    def __init__(self, platform: Locators) -> None:
        shared = Locators(SHARED, platform.timeout_ms)
        self.sources = [(platform, n) for n in word_list(platform.platform, "dismiss")]
        self.sources += [(shared, n) for n in word_list(SHARED, "dismiss")]
        self.dismissed: list[str] = []

    async def install(self, page: Page) -> None:
        """Answer any declared overlay that shows up before one of our actions."""
        for loc, name in self.sources:
            overlay = loc.any_of(page, name)

            async def handler(overlay=overlay, loc=loc, name=name) -> None:
                await self.answer(loc, name, overlay)

            await page.add_locator_handler(overlay.first, handler, no_wait_after=True)

    async def sweep(self, page: Page) -> None:
        """Answer every declared overlay visible right now (before a read); one round trip when there is none."""
        if not self.sources:
            return
        overlays = [(loc, name, loc.any_of(page, name)) for loc, name in self.sources]
        union = overlays[0][2]
        for _, _, overlay in overlays[1:]:
            union = union.or_(overlay)
        if not await union.filter(visible=True).count():
            return
        for loc, name, overlay in overlays:
            if await overlay.filter(visible=True).count():
                await self.answer(loc, name, overlay)

    async def answer(self, loc: Locators, name: str, overlay: Locator) -> None:
        """Press the first declared answer inside the overlay whose wording is not destructive."""
        root = overlay.filter(visible=True).first
        for candidate in loc.table[f"{name}_button"]:
            buttons = build(root, candidate).filter(visible=True)
            if await buttons.count() != 1:
                continue
            text = (await buttons.inner_text()) or (await buttons.get_attribute("aria-label")) or ""
            if destructive(text):
                continue
            try:  # force: no actionability wait, which would run the locator handlers on this very overlay
                await buttons.click(timeout=loc.timeout_ms, force=True)
            except PlaywrightTimeout:
                continue
            self.dismissed.append(name)
            log.info("dismissed an overlay", overlay=name)
            return
