"""The run loop: one browser, one isolated context per account, bounded concurrency, read-change-reload-verify."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Awaitable, Callable

import structlog
from playwright.async_api import Browser, BrowserContext, Error as PlaywrightError, Page
from playwright.async_api import TimeoutError as PlaywrightTimeout

from runner.config import Account
from runner.credentials import get_secret
from runner.flow import Credentials, Failed, Flow, FlowError, NeedsPerson, NotOffered, Setting
from runner.locate import Locators, SelectorNotFound
from runner.results import Reason, Result, Status
from runner.sessions import RejectedPasswords, SessionStore

log = structlog.get_logger("optout.engine")


@dataclass(frozen=True)
class Options:
    check: bool = False  # read only: report exposure, change nothing
    jobs: int = 4
    timeout_ms: float = 20_000
    sessions: SessionStore | None = None  # reuse and keep sign-ins between runs
    rejected: RejectedPasswords | None = None  # never resubmit a password the site refused today


@dataclass
class Job:
    """One account on one platform, with the settings chosen for it."""

    flow_cls: type[Flow]
    account: Account
    settings: list[Setting]
    options: dict = field(default_factory=dict)

    @property
    def platform(self) -> str:
        return self.flow_cls.name


PrepareContext = Callable[[Job, BrowserContext], Awaitable[None]]
OnEvent = Callable[[str, Job, list[Result]], None]


def scrub(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[REDACTED]")
    return text


async def run_jobs(
    browser: Browser,
    jobs: list[Job],
    options: Options,
    prepare: PrepareContext | None = None,
    on_event: OnEvent | None = None,
) -> list[Result]:
    """Run every job under a semaphore; one job's failure never stops another."""
    gate = asyncio.Semaphore(max(1, options.jobs))

    async def guarded(job: Job) -> list[Result]:
        async with gate:
            if on_event:
                on_event("start", job, [])
            results = await run_job(browser, job, options, prepare)
            if on_event:
                on_event("done", job, results)
            return results

    batches = await asyncio.gather(*(guarded(job) for job in jobs))
    return [result for batch in batches for result in batch]


async def run_job(browser: Browser, job: Job, options: Options, prepare: PrepareContext | None) -> list[Result]:
    structlog.contextvars.bind_contextvars(platform=job.platform, account=job.account.label)
    flow = job.flow_cls(Locators(job.platform, options.timeout_ms), job.options)
    results: list[Result] = []
    secrets: list[str] = []
    for setting in job.settings:
        if setting.app_steps:  # no browser can do this one: say exactly what to tap
            detail = f"{setting.label!r} exists only in the {flow.title} app: {setting.app_steps}"
            results.append(Result(job.platform, job.account.label, setting.id, Status.NEEDS_MANUAL, Reason.APP_ONLY, detail))
    if len(results) == len(job.settings):
        return results
    saved = options.sessions.load(job.platform, job.account.username) if options.sessions else None
    context = await browser.new_context(locale="en-US", service_workers="block", storage_state=saved)
    try:
        if prepare:
            await prepare(job, context)
        page = await context.new_page()
        await run_account(page, flow, job, options, results, secrets)
        await keep_session(context, job, options)
    except FlowError as exc:
        results += remaining(job, results, exc.status, exc.reason, scrub(exc.detail, secrets))
    except SelectorNotFound as exc:
        detail = f"{flow.title} sign-in page has no {exc.name!r} any more; the site may have changed"
        results += remaining(job, results, Status.FAILED, Reason.SELECTOR_NOT_FOUND, detail)
    except PlaywrightTimeout:
        results += remaining(job, results, Status.FAILED, Reason.TIMEOUT, f"{flow.title} did not answer in time")
    except PlaywrightError as exc:
        reason = Reason.NETWORK if "net::" in str(exc) else Reason.BROWSER
        first_line = scrub(str(exc).splitlines()[0] if str(exc) else type(exc).__name__, secrets)
        results += remaining(job, results, Status.FAILED, reason, f"{flow.title}: {first_line}")
    except Exception as exc:  # one platform's bug must not stop the others
        log.error("flow crashed", error=type(exc).__name__)
        detail = f"unexpected {type(exc).__name__} in the {job.platform} flow; please report it"
        results += remaining(job, results, Status.FAILED, Reason.INTERNAL, detail)
    finally:
        await context.close()
        structlog.contextvars.unbind_contextvars("platform", "account")
    return results


def remaining(job: Job, done: list[Result], status: Status, reason: Reason, detail: str) -> list[Result]:
    """Results for every setting the job had not reported yet, all ending the same way."""
    reported = {r.setting.split(":")[0] for r in done}
    return [
        Result(job.platform, job.account.label, s.id, status, reason, detail)
        for s in job.settings
        if s.id not in reported
    ]


async def run_account(
    page: Page, flow: Flow, job: Job, options: Options, results: list[Result], secrets: list[str]
) -> None:
    web = [s for s in job.settings if not s.app_steps]
    found = await flow.open(page, web[0])
    if flow.on_challenge_url(page) or found == "challenge":
        raise NeedsPerson(Reason.CHALLENGE, f"{flow.title} shows a security check; {flow.login_hint()}")
    if found == flow.signed_out_marker or flow.on_signed_out_url(page):
        creds = credentials(flow, job.account)
        secrets += [creds.password, creds.totp_secret]
        await sign_in(page, flow, job, creds, options)
        await keep_session(page.context, job, options)
    for setting in await flow.settings_for(page, web):
        try:
            results.append(await run_setting(page, flow, job, setting, options))
        except Failed as exc:  # this setting failed; the next one may still work
            detail = scrub(exc.detail, secrets)
            results.append(Result(job.platform, job.account.label, setting.id, exc.status, exc.reason, detail))


async def sign_in(page: Page, flow: Flow, job: Job, creds: Credentials, options: Options) -> None:
    """At most one password submission per account per run, and none for a day after a rejection."""
    rejected = options.rejected
    since = rejected.blocked_since(job.platform, creds.username) if rejected else None
    if since:
        raise Failed(
            Reason.LOGIN_REJECTED,
            f"{flow.title} rejected this password at {since:%Y-%m-%d %H:%M} UTC; not trying it again for 24 hours "
            f"(protects the account from a lockout). Update it with `optout-run credentials set {flow.name} {creds.username}`",
        )
    log.info("signing in")
    try:
        await flow.sign_in(page, creds)
    except FlowError as exc:
        if exc.reason is Reason.LOGIN_REJECTED and rejected:
            rejected.record(job.platform, creds.username)
        raise
    log.info("signed in")


async def keep_session(context: BrowserContext, job: Job, options: Options) -> None:
    if options.sessions:
        options.sessions.save(job.platform, job.account.username, await context.storage_state())


def credentials(flow: Flow, account: Account) -> Credentials:
    if not flow.sign_in_url:
        raise NeedsPerson(Reason.LOGIN_PAUSED, f"{flow.title} has no password sign-in; {flow.login_hint()}")
    password = get_secret(flow.name, account.username)
    if not password:
        raise NeedsPerson(
            Reason.NO_CREDENTIALS,
            f"no password stored for {account.username}; run `optout-run credentials set {flow.name} {account.username}`",
        )
    return Credentials(account.username, password, get_secret(flow.name, account.username, "totp") or "")


async def run_setting(page: Page, flow: Flow, job: Job, setting: Setting, options: Options) -> Result:
    def result(status: Status, reason: Reason, detail: str) -> Result:
        log.info("setting", setting=setting.id, status=status.value, reason=reason.value)
        return Result(job.platform, job.account.label, setting.id, status, reason, detail)

    try:
        value = await load_and_read(page, flow, setting)
    except NotOffered:
        return result(Status.COMPLIANT, Reason.NOT_OFFERED, f"{flow.title} does not offer {setting.label!r} to this account")
    except SelectorNotFound:
        return result(Status.FAILED, Reason.SELECTOR_NOT_FOUND, not_found_detail(flow, setting))
    if setting.is_opted_out(value):
        return result(Status.COMPLIANT, Reason.ALREADY_OPTED_OUT, f"{setting.label!r} is already opted out")
    if options.check:
        return result(
            Status.NON_COMPLIANT, Reason.EXPOSED, f"{setting.label!r} is exposed; run without --check to switch it"
        )
    response = await flow.change(page, setting)
    await page.reload()
    try:
        value = await load_and_read(page, flow, setting)
    except (SelectorNotFound, NotOffered):
        value = None
    if value is not None and setting.is_opted_out(value):
        return result(Status.CHANGED, Reason.SWITCHED, f"{setting.label!r} switched and read back opted out")
    refused = f" (the site answered HTTP {response.status})" if response is not None and not response.ok else ""
    return result(
        Status.FAILED,
        Reason.VERIFY_MISMATCH,
        f"{setting.label!r} still reads exposed after the change{refused}; try again later or switch it by hand at {setting.url}",
    )


async def load_and_read(page: Page, flow: Flow, setting: Setting) -> bool | str:
    found = await flow.open(page, setting)
    if flow.on_challenge_url(page) or found == "challenge":
        raise NeedsPerson(Reason.CHALLENGE, f"{flow.title} shows a security check; {flow.login_hint()}")
    if found == flow.signed_out_marker or flow.on_signed_out_url(page):
        raise Failed(Reason.LOGIN_REJECTED, f"{flow.title} signed this account out during the run; run it again")
    await flow.reveal(page, setting)
    return await flow.read(page, setting)


def not_found_detail(flow: Flow, setting: Setting) -> str:
    return (
        f"could not find {setting.label!r} on {setting.url}; {flow.title} may have changed its page. "
        f"Look with `optout-run -p {flow.name} --headed` and report it"
    )
