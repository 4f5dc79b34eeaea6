"""`optout-run login` and `logout`: sign in once as a person, or take the session your own browser already has, and
keep it; forget it again."""

from __future__ import annotations

import asyncio
import shlex
from collections import Counter

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
@click.argument("platform", type=PLATFORM, metavar="[PLATFORM]", required=False)
@click.option("--account", "wanted", default="", help="User name or label, when the platform has several accounts.")
@click.option("--wait", type=click.IntRange(30, 3600), default=600, show_default=True, help="Seconds to wait for you.")
@click.option(
    "--from-browser",
    "from_browser",
    default="",
    metavar="BROWSER[:PROFILE]",
    help="Take the session your own browser has instead (firefox, chrome, chromium, brave or edge; a profile's name "
    "or folder after a colon). No window opens.",
)
@click.option(
    "--all", "every", is_flag=True, help="With --from-browser: every configured account whose platform has a session there."
)
def login(platform: str | None, wanted: str, wait: int, from_browser: str, every: bool) -> None:
    """Open a browser window on PLATFORM's sign-in page; you finish (2FA, captcha, QR code); the session is kept.

    With --from-browser the session comes from your own browser's cookies instead (README: Signing in).
    """
    if from_browser:
        return take_from_browser(platform, wanted, from_browser, every)
    if every:
        raise click.UsageError("--all takes the sessions your browser has: add --from-browser BROWSER")
    if not platform:
        raise click.UsageError("name a PLATFORM, or take every session your browser has with --all --from-browser BROWSER")
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


def take_from_browser(platform: str | None, wanted: str, spec: str, every: bool) -> None:
    """The browser's cookies for each platform's own domains, checked to sign in, kept only in the session store.

    --all reports every configured account: taken, no session in that browser, or why not; it fails (exit 2) only
    when it took none.
    """
    from runner import browsercookies
    from runner.browser import BrowserNotFound
    from runner.config import Config, ConfigError
    from runner.credentials import KeyringUnavailable, check_backend
    from runner.engine import Job
    from runner.sessions import stores

    if every and (platform or wanted):
        raise click.UsageError("--all takes every configured account: leave out PLATFORM and --account")
    if not every and not platform:
        raise click.UsageError("name a PLATFORM, or take every configured account with --all")
    env = environment()
    try:
        source = browsercookies.Source.parse(spec)
        config = Config.load(env.paths.config_file)
        accounts = list(config.accounts) if every else [pick_account(config, platform, wanted)]
        if not accounts:
            raise UserError("no accounts configured; add one with `optout-run credentials set PLATFORM USERNAME`")
        check_backend(env.stdin_isatty)
        lines: list[str] = []  # --all: accounts it cannot take a session for, said before the others
        jobs = []
        several = Counter(a.platform for a in accounts)
        for account in accounts:
            flow_cls = flows.load(account.platform)
            if not any(s.needs_browser for s in flow_cls.settings):
                why = f"{flow_cls.title} has no setting a browser can reach: there is no session to take"
            elif every and several[account.platform] > 1:
                name, count = account.platform, several[account.platform]
                why = (
                    f"{count} {name} accounts, and a browser is signed in as one: take its session with "
                    f"`optout-run login {name} --account NAME --from-browser {shlex.quote(spec)}`"
                )
            else:
                jobs.append(Job(flow_cls, account, list(flow_cls.settings), config.options.get(account.platform, {})))
                continue
            if not every:
                raise UserError(why)
            lines.append(f"{account.platform} ({account.label}): {why}")
        with browsercookies.CookieStore.open(source) as store:
            found = {id(job): store.cookies_for(job.flow_cls) for job in jobs}
            note = store.note
        sessions, _ = stores(env.paths.state_dir, replay=False)
        outcome = asyncio.run(adopt_found(config, jobs, found, sessions, source.label)) if any(found.values()) else {}
    except (ConfigError, KeyringUnavailable, BrowserNotFound, browsercookies.BrowserCookieError) as exc:
        raise UserError(str(exc)) from None
    missing = f"no session in {source.label}" + (f" ({note}: close {source.browser} and try again)" if note else "")
    if not every:
        job = jobs[0]
        if not found[id(job)]:
            title = job.flow_cls.title
            raise UserError(f"{title}: {missing}; sign in to {title} there first, or use `optout-run login {job.platform}`")
        if outcome[id(job)]:
            raise UserError(outcome[id(job)])
        title, label = job.flow_cls.title, job.account.label
        env.out(f"took the {title} session from {source.label} for {label} and saved it; runs use it now")
        return
    for job in jobs:
        said = outcome.get(id(job))
        done = "session taken and saved" if said == "" else said or missing
        lines.append(f"{job.platform} ({job.account.label}): {done}")
    for line in lines:
        env.out(line)
    taken = sum(1 for said in outcome.values() if said == "")
    if not taken:
        raise UserError(f"took no session from {source.label}")
    env.out(f"took {taken} of {len(accounts)} sessions from {source.label}" + (f"; {note}" if note else ""))


async def adopt_found(config, jobs: list, found: dict[int, list[dict]], sessions, where: str, prepare=None) -> dict:
    """Check each found session in one headless browser; '' for a session kept, else why it was not. `prepare`
    readies each context before its first page, as in run_jobs."""
    from playwright.async_api import Error as PlaywrightError
    from playwright.async_api import async_playwright

    from runner.browser import BrowserNotFound, launch_options, resolve_executable
    from runner.browsercookies import BrowserCookieError, adopt
    from runner.plan import LIVE_TIMEOUT_MS, run_timeout_ms

    timeout_ms = run_timeout_ms(LIVE_TIMEOUT_MS)
    outcome: dict[int, str] = {}
    async with async_playwright() as p:
        executable = resolve_executable(config.chromium, p.chromium.executable_path)
        try:
            browser = await p.chromium.launch(**launch_options(executable, headed=False, slow_mo=0))
        except PlaywrightError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise BrowserNotFound(f"the browser {executable or 'Playwright’s Chromium'} did not start ({first})") from None
        try:
            for job in jobs:
                if found[id(job)]:
                    try:
                        await adopt(browser, job, found[id(job)], sessions, timeout_ms, where, prepare)
                        outcome[id(job)] = ""
                    except BrowserCookieError as exc:
                        outcome[id(job)] = str(exc)
        finally:
            await browser.close()
    return outcome


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
