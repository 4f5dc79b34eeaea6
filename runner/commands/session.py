"""`optout-run login` and `logout`: sign in once as a person and keep the session; forget it again."""

from __future__ import annotations

import asyncio

import click

import flows
from runner.commands import PLATFORM, PLATFORMS_LISTED, UserError, environment


def pick_account(config, platform: str, wanted: str):
    from runner.config import Account

    accounts = [a for a in config.accounts if a.platform == platform]
    if wanted:
        matches = [a for a in accounts if wanted in (a.username, a.name)]
        return matches[0] if matches else Account(platform, wanted)
    if len(accounts) == 1:
        return accounts[0]
    if not accounts:
        raise UserError(f"no {platform} account configured; add one with `optout-run credentials set {platform} USERNAME`")
    raise UserError(f"several {platform} accounts: choose one with --account ({', '.join(a.label for a in accounts)})")


@click.command(epilog=PLATFORMS_LISTED)
@click.argument("platform", type=PLATFORM, metavar="PLATFORM")
@click.option("--account", "wanted", default="", help="User name or label, when the platform has several accounts.")
@click.option("--wait", type=click.IntRange(30, 3600), default=600, show_default=True, help="Seconds to wait for you.")
def login(platform: str, wanted: str, wait: int) -> None:
    """Open a browser window on PLATFORM's sign-in page; you finish (2FA, captcha, QR code); the session is kept."""
    from playwright.async_api import async_playwright

    from runner.browser import BrowserNotFound, launch_options, resolve_executable
    from runner.config import Config, ConfigError
    from runner.credentials import KeyringUnavailable, check_backend
    from runner.interactive import has_display, interactive_login
    from runner.sessions import stores

    env = environment()
    flow_cls = flows.load(platform)
    if not any(not s.app_steps for s in flow_cls.settings):
        raise UserError(f"{flow_cls.title} has its settings only in its app: there is nothing to sign in to here")
    if not has_display():
        raise UserError(
            "no display for the browser window: run this on your desktop, over `ssh -X`, "
            "or under `xvfb-run optout-run login ...` with a VNC viewer"
        )
    try:
        config = Config.load(env.paths.config_file)
        account = pick_account(config, platform, wanted)
        check_backend(env.stdin_isatty)

        async def main() -> bool:
            async with async_playwright() as p:
                executable = resolve_executable(config.chromium, p.chromium.executable_path, headed=True)
                browser = await p.chromium.launch(**launch_options(executable, headed=True, slow_mo=0))
                try:
                    sessions, _ = stores(env.paths.state_dir, replay=False)
                    return await interactive_login(browser, flow_cls, account, sessions, wait * 1000)
                finally:
                    await browser.close()

        done = asyncio.run(main())
    except (ConfigError, KeyringUnavailable, BrowserNotFound) as exc:
        raise UserError(str(exc)) from None
    if not done:
        raise click.ClickException(f"not signed in after {wait} s; nothing saved")
    env.out(f"signed in to {flow_cls.title} as {account.label}; the session is saved for later runs")


@click.command(epilog=PLATFORMS_LISTED)
@click.argument("platform", type=PLATFORM, metavar="PLATFORM")
@click.option("--account", "wanted", default="", help="Only this account (user name or label).")
def logout(platform: str, wanted: str) -> None:
    """Forget PLATFORM's saved sessions (all its accounts, or one)."""
    from runner.config import Config, ConfigError
    from runner.sessions import SessionStore

    env = environment()
    try:
        config = Config.load(env.paths.config_file)
    except ConfigError as exc:
        raise UserError(str(exc)) from None
    username = pick_account(config, platform, wanted).username if wanted else None
    removed = SessionStore(env.paths.state_dir / "sessions", b"").forget(platform, username)
    env.out(f"forgot {removed} saved {platform} session{'s' if removed != 1 else ''}")
