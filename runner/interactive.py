"""Sign in once as a person (2FA, captcha, passkey, QR code) in a headed browser, and keep that session."""

from __future__ import annotations

import os
import sys

from playwright.async_api import Browser, BrowserContext
from playwright.async_api import TimeoutError as PlaywrightTimeout

from runner.config import Account
from runner.credentials import get_secret
from runner.flow import Flow, FlowError
from runner.locate import Locators, SelectorNotFound
from runner.sessions import SessionStore

PREFILL_MS = 5_000


def has_display() -> bool:
    return sys.platform in ("darwin", "win32") or bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


async def interactive_login(
    browser: Browser,
    flow_cls: type[Flow],
    account: Account,
    sessions: SessionStore,
    wait_ms: float,
    prepare=None,
) -> bool:
    """Open the sign-in page, fill what the keyring knows, wait for the person to finish, save the session."""
    flow = flow_cls(Locators(flow_cls.name, PREFILL_MS))
    context: BrowserContext = await browser.new_context(locale="en-US", service_workers="block")
    try:
        if prepare:
            await prepare(context)
        page = await context.new_page()
        await page.goto(flow.sign_in_url or flow.home_url)
        await prefill(page, flow, account)
        try:
            await flow.loc.any_of(page, flow.signed_in_marker).filter(visible=True).first.wait_for(timeout=wait_ms)
        except PlaywrightTimeout:
            return False
        sessions.save(flow.name, account.username, await context.storage_state(indexed_db=True))
        return True
    finally:
        await context.close()


async def prefill(page, flow: Flow, account: Account) -> None:
    """Type the user name and, where the form shows it, the stored password; never on a foreign origin."""
    if not flow.sign_in_url:
        return
    try:
        await flow.fill(page, "username", account.username)
        password = get_secret(flow.name, account.username)
        if password and await flow.loc.any_of(page, "password").filter(visible=True).count():
            await flow.fill_secret(page, "password", password)
    except (SelectorNotFound, FlowError):
        pass  # the person can still type it themselves
