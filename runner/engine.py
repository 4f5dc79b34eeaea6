"""The run loop: one browser, one isolated context per account, bounded concurrency, read-change-reload-verify."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from typing import Awaitable, Callable, Protocol

import structlog
from playwright.async_api import Browser, BrowserContext, Error as PlaywrightError, Page
from playwright.async_api import TimeoutError as PlaywrightTimeout

from runner import expand, pagestate
from runner.config import Account
from runner.credentials import get_secret
from runner.flow import Credentials, Failed, Flow, FlowError, NeedsPerson, NotOffered, Setting
from runner.locate import Locators, SelectorNotFound
from runner.results import Reason, Result, Status
from runner.evidence import Evidence, pointer
from runner.paths import UNSAVED, disk_error
from runner.sessions import RejectedPasswords, SessionStore
from runner.stop import Stop, describe
from runner.settle import PENDING_WORK, Unsettled, control_settled, next_frames, page_settled, still_loading
from runner.wording import language_name, mentions

log = structlog.get_logger("optout.engine")


@dataclass(frozen=True)
class Options:
    check: bool = False  # read only: report exposure, change nothing
    jobs: int = 4
    timeout_ms: float = 20_000  # every wait: a click, a page load, a control to appear or settle
    account_deadline_s: float = 300  # one account's whole run, so a hung site cannot hold a cron run for long
    sessions: SessionStore | None = None  # reuse and keep sign-ins between runs
    rejected: RejectedPasswords | None = None  # never resubmit a password the site refused today
    evidence: Evidence | None = None  # screenshots, HTML and traces of failures
    pause: bool = False  # open the Playwright inspector at the first settings page (headed)
    stop: Stop | None = None  # a signal cancels the jobs; what they had not finished is reported interrupted
    watchers: tuple["PageWatcher", ...] = ()  # look at each settings page once, read-only (new AI switches, capture)
    proofs: "ProofTaker | None" = None  # keeps an image of each control read opted out


class PageWatcher(Protocol):
    """Called once per account and page (its URL without query), on the settled page, after the first setting on
    it was read and before anything is changed. It must not click, navigate or wait long: it looks."""

    async def __call__(self, page: Page, flow: Flow, job: "Job") -> None: ...


class ViewWatcher(PageWatcher, Protocol):
    """A page watcher that also looks at each view a setting's reveal clicks open, for apps that show many panes on
    one URL (a watcher keyed by URL sees only the first): `view` is called on the settled page as opened, just
    before the reveal (revealed=False), and on the revealed view once the setting was read (revealed=True)."""

    async def view(self, page: Page, flow: Flow, job: "Job", setting: Setting, revealed: bool) -> None: ...


class ProofTaker(Protocol):
    """Called the moment a setting reads opted out on a settled page (already, or after the change and reload);
    returns where its proof image was kept, relative to the data dir, or "" when none could be kept."""

    async def __call__(self, page: Page, flow: Flow, job: "Job", setting: Setting, changed: bool) -> str: ...


@dataclass
class Job:
    """One account on one platform, with the settings chosen for it."""

    flow_cls: type[Flow]
    account: Account
    settings: list[Setting]
    options: dict = field(default_factory=dict)
    scope: str = ""  # replays: the scenario, so one scenario's session or rejected password never leaks into another
    watched: set[str] = field(default_factory=set)  # pages the watchers have seen in this run (URL without query)

    @property
    def platform(self) -> str:
        return self.flow_cls.name

    @property
    def web_settings(self) -> int:
        """How many settings need the browser: a rough measure of how long the job takes."""
        return sum(1 for s in self.settings if s.needs_browser)

    @property
    def memory_key(self) -> str:
        """Whose saved session and rejected-password record this is."""
        return f"{self.scope}|{self.account.username}" if self.scope else self.account.username


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
    """Run every job under a semaphore; one job's failure never stops another. Results keep the jobs' order.

    Accounts with the most settings start first, so the longest one does not run alone at the end of the run.
    """
    gate = asyncio.Semaphore(max(1, options.jobs))

    async def guarded(job: Job) -> list[Result]:
        run = AccountRun(browser, job, options, prepare)
        try:
            async with gate:
                if on_event:
                    on_event("start", job, [])
                results = await run_job(run)
        except asyncio.CancelledError:  # stopped while it waited for its turn, or cancelled twice
            asyncio.current_task().uncancel()
            results = run.unfinished()
        except Exception as exc:  # a bug in one account never ends another
            log.error("account run crashed", error=type(exc).__name__)
            results = run.unfinished(exc)
        if on_event:
            on_event("done", job, results)
        return results

    order = sorted(range(len(jobs)), key=lambda i: -jobs[i].web_settings)  # stable: ties keep the given order
    tasks = [asyncio.ensure_future(guarded(jobs[i])) for i in order]
    if options.stop:
        options.stop.watch(tasks)
    batches = dict(zip(order, await asyncio.gather(*tasks)))
    return [result for i in range(len(jobs)) for result in batches[i]]


async def run_job(run: "AccountRun") -> list[Result]:
    structlog.contextvars.bind_contextvars(platform=run.job.platform, account=run.job.account.label)
    try:
        return await run.run()
    finally:
        structlog.contextvars.unbind_contextvars("platform", "account")


class AccountRun:
    """One account on one platform: an untraced sign-in if needed, then the opt-outs in a (traced) context."""

    def __init__(self, browser: Browser, job: Job, options: Options, prepare: PrepareContext | None) -> None:
        self.browser, self.job, self.options, self.prepare = browser, job, options, prepare
        self.flow = job.flow_cls(Locators(job.platform, options.timeout_ms), job.options)
        self.flow.before_secret = self.discard_trace  # a secret typed after sign-in must never reach a trace
        self.results: list[Result] = []
        self.secrets: list[str] = []
        self.context: BrowserContext | None = None
        self.page: Page | None = None  # the page in use: after a sign-in, the fresh context's
        self.tracing = False
        self.pending: list[Setting] = list(job.settings)  # what still owes a result; per-blog once expanded

    @property
    def stopping(self) -> bool:
        return self.options.stop is not None and self.options.stop.requested

    def result(self, setting_id: str, status: Status, reason: Reason, detail: str) -> Result:
        """Once a stop was asked for, what fails is the stop's doing (a closed context, a driver gone): interrupted."""
        if status is Status.FAILED and self.stopping:
            reason, detail = Reason.INTERRUPTED, self.interrupted_detail()
        return Result(self.job.platform, self.job.account.label, setting_id, status, reason, detail)

    def interrupted_detail(self) -> str:
        signum = self.options.stop.signum if self.options.stop else None
        by = f" by {describe(signum)}" if signum else ""
        return f"the run was stopped{by} before this was finished; nothing about it is known, run again"

    def unfinished(self, exc: Exception | None = None) -> list[Result]:
        """What this account has reported so far, and every setting it owes a result for, as interrupted
        (or, after a bug in optout-run itself, as internal)."""
        if exc is None or self.stopping:
            status, reason, detail = Status.FAILED, Reason.INTERRUPTED, self.interrupted_detail()
        else:
            status, reason, detail = Status.FAILED, Reason.INTERNAL, (
                f"unexpected {type(exc).__name__} in the {self.job.platform} run; please report it"
            )
        reported = {r.setting for r in self.results}
        return self.results + [self.result(s.id, status, reason, detail) for s in self.pending if s.id not in reported]

    async def run(self) -> list[Result]:
        for setting in self.job.settings:
            if setting.app_steps:  # no browser can do this one: say exactly what to tap
                detail = f"{setting.label!r} exists only in the {self.flow.title} app: {setting.app_steps}"
                self.results.append(self.result(setting.id, Status.NEEDS_MANUAL, Reason.APP_ONLY, detail))
            elif setting.broken:  # known not to work on the site now: nothing is tried, a person does it
                detail = (
                    f"optout-run knows {setting.label!r} does not work on {self.flow.title} now ({setting.broken}); "
                    f"nothing was tried: switch it by hand at {setting.url}"
                )
                self.results.append(self.result(setting.id, Status.NEEDS_MANUAL, Reason.SELECTOR_NOT_FOUND, detail))
        if len(self.results) == len(self.job.settings):
            return self.results
        sessions = self.options.sessions
        try:
            await self.first_page()
            try:
                await asyncio.wait_for(self.settings(), self.options.account_deadline_s)
            except asyncio.TimeoutError:
                raise Failed(
                    Reason.TIMEOUT,
                    f"{self.flow.title} took longer than the account deadline ({self.options.account_deadline_s:g} s); "
                    "try again later, or raise [run] account_deadline in the config",
                ) from None
            if sessions:
                await self.keep_session()
        except asyncio.CancelledError:  # a signal stopped the run: close, and say what was not finished
            asyncio.current_task().uncancel()
            self.results = self.unfinished()
        except Exception as exc:  # one platform's trouble must not stop the others
            status, reason, detail = self.explain(exc)
            if status is Status.FAILED and not self.stopping:
                detail += await self.keep_evidence("failure")
            reported = {r.setting for r in self.results}
            self.results += [self.result(s.id, status, reason, detail) for s in self.pending if s.id not in reported]
        finally:
            await self.close()
        if self.flow.caveat:
            self.results = [replace(r, detail=f"{r.detail} {self.flow.caveat}") for r in self.results]
        return self.results

    async def first_page(self) -> Page:
        """The account's first page, with its saved session if one is kept; a session the browser refuses
        (malformed cookies, a changed format) is discarded like an unreadable one and the account signs in afresh."""
        sessions = self.options.sessions
        saved = sessions.load(self.job.platform, self.job.memory_key) if sessions else None
        if saved is None:
            return await self.new_page(None)
        try:
            return await self.new_page(saved)
        except PlaywrightError:  # its message may quote a cookie: never logged
            log.warning("discarding a saved session the browser refused")
            sessions.forget(self.job.platform, self.job.memory_key)
            await self.close()
            return await self.new_page(None)

    async def new_page(self, storage_state: dict | None) -> Page:
        """A fresh context whose every wait is bounded by the run's timeout, with settling and overlays watched."""
        self.context = await self.browser.new_context(locale="en-US", service_workers="block", storage_state=storage_state)
        self.context.set_default_timeout(self.options.timeout_ms)
        self.context.set_default_navigation_timeout(self.options.timeout_ms)
        await self.context.add_init_script(PENDING_WORK)
        if self.prepare:
            await self.prepare(self.job, self.context)
        self.page = await self.context.new_page()
        await self.flow.dismissals.install(self.page)
        return self.page

    async def keep_session(self) -> dict:
        """Save the context's signed-in state (cookies, storage, IndexedDB) when sessions are kept; return it."""
        state = await self.context.storage_state(indexed_db=True)
        if self.options.sessions:
            self.options.sessions.save(self.job.platform, self.job.memory_key, state)
        return state

    async def settings(self) -> None:
        flow, job, page = self.flow, self.job, self.page
        web = [s for s in job.settings if s.needs_browser]
        found = await flow.open(page, web[0])
        if pagestate.signed_out(page, flow, found):
            creds = credentials(flow, job.account)
            self.secrets += [creds.password, creds.totp_secret]
            await sign_in(page, flow, job, creds, self.options)
            signed_in = await self.keep_session()
            # Traces record typed passwords: the opt-outs run in a fresh context that never saw the sign-in form.
            await self.close()
            page = await self.new_page(signed_in)
            await self.start_tracing(page)
            found = await flow.open(page, web[0])  # flows expand settings (blogs, sites) from a loaded page
        else:
            await self.start_tracing(page)  # the saved session worked: nothing secret was typed in this context
        if self.options.pause:  # the page shows the first setting now
            await page.pause()
        opened = (web[0].id, page.url, found)  # the first setting's page is loaded already: its wait is not repeated
        self.pending = await flow.settings_for(page, web)
        for setting in self.pending:
            known = opened[2] if (setting.id, page.url) == opened[:2] else NOT_OPENED
            try:
                result = await run_setting(page, flow, job, setting, self.options, known)
            except Failed as exc:  # this setting failed; the next one may still work
                result = self.result(setting.id, exc.status, exc.reason, scrub(exc.detail, self.secrets))
            except SelectorNotFound:  # a control the change needed (a dialog, a Save button) is gone
                exc = await missing(page, flow, setting)
                result = self.result(setting.id, exc.status, exc.reason, exc.detail)
            except PlaywrightTimeout:  # this setting's page did not load in time; the next one may
                detail = f"{flow.title} did not load the page of {setting.label!r} in time; try again later"
                result = self.result(setting.id, Status.FAILED, Reason.TIMEOUT, detail)
            if result.status is Status.FAILED and not self.stopping:
                evidence = await self.keep_evidence(setting.id.replace(":", "-"))
                result = self.result(result.setting, result.status, result.reason, result.detail + evidence)
            self.results.append(result)

    async def discard_trace(self) -> None:
        """Stop the trace and keep nothing of it: what comes next types a secret, and traces record typing."""
        if self.tracing and self.context is not None:
            await self.context.tracing.stop()
            self.tracing = False

    async def start_tracing(self, page: Page) -> None:
        """DOM snapshots and network, no screencast: it costs about 8% of a run and the failure screenshot says enough."""
        if self.options.evidence:
            await page.context.tracing.start(screenshots=False, snapshots=True, sources=False)
            self.tracing = True

    def explain(self, exc: Exception) -> tuple[Status, Reason, str]:
        title = self.flow.title
        if isinstance(exc, FlowError):
            return exc.status, exc.reason, scrub(exc.detail, self.secrets)
        if isinstance(exc, SelectorNotFound):
            return Status.FAILED, Reason.SELECTOR_NOT_FOUND, f"{title} sign-in page has no {exc.name!r} any more; the site may have changed"
        if isinstance(exc, PlaywrightTimeout):
            return Status.FAILED, Reason.TIMEOUT, f"{title} did not answer in time"
        if isinstance(exc, PlaywrightError):
            first_line = scrub(str(exc).splitlines()[0] if str(exc) else type(exc).__name__, self.secrets)
            return Status.FAILED, Reason.NETWORK if "net::" in str(exc) else Reason.BROWSER, f"{title}: {first_line}"
        log.error("flow crashed", error=type(exc).__name__)
        return Status.FAILED, Reason.INTERNAL, f"unexpected {type(exc).__name__} in the {self.job.platform} flow; please report it"

    async def keep_evidence(self, what: str) -> str:
        evidence, page = self.options.evidence, self.page
        if not evidence or page is None or page.is_closed():
            return ""
        try:
            folder = await evidence.capture(page, self.job.platform, self.job.account.username, what, self.secrets)
        except OSError as exc:  # a full or read-only disk costs the evidence, never the result; said after the results
            UNSAVED.note("evidence", evidence.run_dir, exc)
            return ""
        return pointer(folder, self.tracing) if folder else ""

    async def close(self) -> None:
        if self.context is None:
            return
        evidence = self.options.evidence
        if self.tracing and evidence:
            failed = any(r.status is Status.FAILED for r in self.results)
            if failed or evidence.keep_traces:
                try:
                    await evidence.keep_trace(self.context.tracing, self.job.platform, self.job.account.username)
                except Exception as exc:  # the disk, whether Python or Playwright's driver wrote: as above
                    if disk_error(exc) is None:
                        raise
                    UNSAVED.note("evidence", evidence.run_dir, exc)
            else:
                await self.context.tracing.stop()
            self.tracing = False
        await self.context.close()
        self.context = self.page = None


async def sign_in(page: Page, flow: Flow, job: Job, creds: Credentials, options: Options) -> None:
    """At most one password submission per account per run, and none for a day after a rejection."""
    rejected = options.rejected
    since = rejected.blocked_since(job.platform, job.memory_key) if rejected else None
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
            rejected.record(job.platform, job.memory_key)
        raise
    log.info("signed in")


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


NOT_OPENED = object()  # load_and_read opens the page itself


async def run_setting(
    page: Page, flow: Flow, job: Job, setting: Setting, options: Options, opened: object = NOT_OPENED
) -> Result:
    """opened: what flow.open() already found on the page in use (the first setting), so it is not waited for twice."""

    def result(status: Status, reason: Reason, detail: str, proof: str = "") -> Result:
        log.info("setting", setting=setting.id, status=status.value, reason=reason.value)
        health = flow.loc.health(setting.target) if setting.target else ""
        return Result(job.platform, job.account.label, setting.id, status, reason, detail, proof, health)

    async def proof(changed: bool) -> str:
        return await options.proofs(page, flow, job, setting, changed) if options.proofs else ""

    async def view(revealed: bool) -> None:
        await look(options, "view", page, flow, job, setting, revealed)

    flow.loc.matched.pop(setting.target, None)  # locator health: this setting's own find, not an earlier one's
    try:
        value = await load_and_read(page, flow, setting, opened=opened, before_reveal=view if setting.reveal else None)
    except NotOffered as exc:
        return result(
            Status.COMPLIANT,
            Reason.NOT_OFFERED,
            f"{flow.title} does not offer {setting.label!r} to this account; its page says: \"{exc.evidence}\"",
        )
    except SelectorNotFound:
        exc = await missing(page, flow, setting)
        return result(exc.status, exc.reason, exc.detail)
    await watch(page, flow, job, options)
    if setting.reveal:
        await view(True)
    if setting.is_opted_out(value):
        return result(
            Status.COMPLIANT, Reason.ALREADY_OPTED_OUT, f"{setting.label!r} is already opted out", await proof(False)
        )
    if options.check:
        return result(
            Status.NON_COMPLIANT, Reason.EXPOSED, f"{setting.label!r} is exposed; run without --check to switch it"
        )
    response = await flow.change(page, setting)
    await page.reload()
    try:
        value = await load_and_read(page, flow, setting, verify=True)
    except (SelectorNotFound, NotOffered):
        value = None
    if value is not None and setting.is_opted_out(value):
        return result(
            Status.CHANGED, Reason.SWITCHED, f"{setting.label!r} switched and read back opted out", await proof(True)
        )
    refused = f" (the site answered HTTP {response.status})" if response is not None and not response.ok else ""
    return result(
        Status.FAILED,
        Reason.VERIFY_MISMATCH,
        f"{setting.label!r} still reads exposed after the change{refused}; try again later or switch it by hand at {setting.url}",
    )


async def watch(page: Page, flow: Flow, job: Job, options: Options) -> None:
    """Show a settled settings page to the watchers, once per account and page. Looking never costs a result:
    a watcher that fails is logged and the setting goes on."""
    where = pagestate.page_url(page.url)
    if not options.watchers or where in job.watched:
        return
    job.watched.add(where)
    await look(options, "__call__", page, flow, job)


async def look(options: Options, hook: str, *args) -> None:
    """Call each watcher's hook that it has (__call__, or a ViewWatcher's view); one that fails is logged, never
    the setting's result."""
    for watcher in options.watchers:
        if not hasattr(watcher, hook):
            continue
        try:
            await getattr(watcher, hook)(*args)
        except Exception as exc:  # a page that navigated away, or a bug in a watcher: never the setting's result
            log.warning("a page watcher failed", watcher=type(watcher).__name__, error=type(exc).__name__)


STABLE_ROUNDS = 5  # readings a frame apart before a value that keeps changing counts as unreadable


async def settled(page: Page, flow: Flow) -> bool:
    """The page's own work done and overlays answered; False when it did not settle within the timeout."""
    try:
        await page_settled(page, flow.loc)
    except Unsettled:
        return False
    finally:
        await flow.dismissals.sweep(page)
    return True


async def load_and_read(
    page: Page,
    flow: Flow,
    setting: Setting,
    verify: bool = False,
    opened: object = NOT_OPENED,
    before_reveal: Callable[[bool], Awaitable[None]] | None = None,
) -> bool | str:
    """Load the setting's page and read its value from a settled page: the same value on two frames.

    verify: the read-back after the change; a value that changes while we watch is a mismatch, never a success.
    before_reveal: shown the settled page as opened, before the reveal clicks (the view watchers' first look).
    """
    found = await flow.open(page, setting) if opened is NOT_OPENED else opened
    if pagestate.signed_out(page, flow, found):
        raise Failed(Reason.LOGIN_REJECTED, f"{flow.title} signed this account out during the run; run it again")
    if not await settled(page, flow) and found is None:
        raise SelectorNotFound(setting.opener or setting.target)  # missing() tells a slow page from a changed one
    if before_reveal:
        await before_reveal(False)
    await flow.reveal(page, setting)
    if setting.opener:
        await settled(page, flow)
    if not await flow.present(page, setting) and await expand.open_sections_about(page, flow, setting):
        await settled(page, flow)
    if not await flow.present(page, setting):
        evidence = await not_offered_evidence(page, flow, setting)
        if evidence:
            raise NotOffered(evidence)
        raise SelectorNotFound(setting.target)
    control = await flow.control(page, setting)
    if control is not None:
        await expand.open_ancestors(control)
        try:
            await control_settled(control, flow.loc.timeout_ms)
        except Unsettled:
            raise Failed(
                Reason.TIMEOUT,
                f"{setting.label!r} stayed disabled on {flow.title}'s page for {flow.loc.timeout_ms / 1000:g} s: the page "
                f"may still be loading, or {flow.title} does not let this account change it; try again later or look "
                f"with `optout-run -p {flow.name} --headed`",
            ) from None
    value = await flow.read(page, setting)
    for _ in range(STABLE_ROUNDS):
        await next_frames(page)
        again = await flow.read(page, setting)
        if again == value:
            return value
        await settled(page, flow)  # something is still changing the page: let it finish before the next look
        if verify:
            raise Failed(
                Reason.VERIFY_MISMATCH,
                f"{setting.label!r} changed from {value!r} to {again!r} while it was read back after the reload, so the "
                f"change is not proven; try again later or check it by hand at {setting.url}",
            )
        value = again
    raise Failed(Reason.TIMEOUT, f"{setting.label!r} kept changing on {flow.title}'s page; try again later")


# A notice's words are those of its own block (a status line, a paragraph), not of the whole section.
NOTICE_BLOCK = "el => (el.closest('[role=status], [role=note], [role=alert], p, li, div') || el).innerText"


async def not_offered_evidence(page: Page, flow: Flow, setting: Setting) -> str:
    """The page's own notice that this setting is not offered: inside the setting's section and naming it, or ''.

    Absence is never proof, and neither is a heading or a footnote about something else.
    """
    if not (setting.not_offered and setting.section):
        return ""
    sections = flow.loc.any_of(page, setting.section).filter(visible=True)
    for i in range(min(await sections.count(), 5)):
        notices = flow.loc.any_of(sections.nth(i), setting.not_offered).filter(visible=True)
        for j in range(min(await notices.count(), 5)):
            text = " ".join((await notices.nth(j).evaluate(NOTICE_BLOCK)).split())
            if mentions(text, setting.names):
                return text[:300]
    return ""


async def missing(page: Page, flow: Flow, setting: Setting) -> Failed:
    """Why a control is not there: a page still loading, a page in a language the selectors lack, or a changed page."""
    if await still_loading(page, flow.loc):
        return Failed(
            Reason.TIMEOUT,
            f"{flow.title}'s page for {setting.label!r} was still loading after {flow.loc.timeout_ms / 1000:g} s; try again later",
        )
    try:
        lang = str(await page.evaluate("() => document.documentElement.lang || ''")).strip()
    except PlaywrightError:
        lang = ""
    if lang and lang.split("-")[0].casefold() not in flow.loc.languages:
        return Failed(
            Reason.SELECTOR_NOT_FOUND,
            f"could not find {setting.label!r}: {flow.title} shows its pages in {language_name(lang)}; set the display "
            f"language to English or add the labels to selectors/{flow.name}.toml",
        )
    return Failed(Reason.SELECTOR_NOT_FOUND, not_found_detail(flow, setting))


def not_found_detail(flow: Flow, setting: Setting) -> str:
    return (
        f"could not find {setting.label!r} on {setting.url}; {flow.title} may have changed its page. "
        f"Look with `optout-run -p {flow.name} --headed` and report it"
    )
