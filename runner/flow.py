"""The contract a platform flow fulfils, and the generic steps most flows need no code for.

A flow says how to sign in, where each setting lives, how to read it and how to change it.
The engine (runner/engine.py) decides when: it never clicks a setting that already reads opted out,
and it only reports `changed` after reading the setting back from a freshly loaded page.
"""

from __future__ import annotations

import asyncio
import fnmatch
import re
from dataclasses import dataclass, field, replace
from typing import ClassVar
from urllib.parse import urlsplit

from playwright.async_api import Locator, Page, Response
from playwright.async_api import TimeoutError as PlaywrightTimeout

from runner import confirm
from runner.dismiss import Dismissals
from runner.locate import Locators, SelectorNotFound
from runner.results import Reason, Status
from runner.settle import Unsettled, page_settled


class FlowError(Exception):
    """Ends one account's (or one setting's) work with a status, a reason code and a next step for the user."""

    status: ClassVar[Status] = Status.FAILED

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


class Failed(FlowError):
    status = Status.FAILED


class NeedsPerson(FlowError):
    status = Status.NEEDS_MANUAL


class NotOffered(Exception):
    """The platform does not offer this setting to this account (region, plan), and its page says so: the evidence."""

    def __init__(self, evidence: str) -> None:
        super().__init__(evidence)
        self.evidence = evidence


@dataclass(frozen=True)
class Setting:
    """One opt-out: where it lives, which control it is, which state is opted out, and what it costs the user."""

    id: str
    label: str  # as the site words it
    url: str  # the page it lives on
    opted_out: bool | str  # True: on means opted out ("Private account"); False: off ("use my data"); str: a choice
    cost: str  # what switching it costs the user, shown by `optout-run platforms`
    target: str = ""  # selector name of the control
    opener: str = ""  # selector name of a row/button that reveals the control (a modal, a sub-page)
    confirm: str = ""  # selector name of a confirmation button that may appear after the change
    save: str = ""  # selector name of a Save/Done button the page needs after the change
    save_request: str = ""  # URL glob of the request the page sends to save; waited for before reloading
    default: bool = True  # run by default; optional settings are switched on in the config
    also_opted_out: tuple[str, ...] = ()  # other choices that are at least as private
    subject: str = ""  # what one instance is about (a blog, a site) when a setting repeats per item
    app_steps: str = ""  # set when no web page offers the setting: the in-app steps a person follows instead
    not_offered: str = ""  # selector name of the page's notice where the setting is not offered (region, plan)
    section: str = ""  # selector name of the setting's own row or section: a not-offered notice must sit inside it
    mentions: tuple[str, ...] = ()  # phrases that name this setting in a notice or a dialog ("generative AI")

    @property
    def names(self) -> tuple[str, ...]:
        """The phrases that say a notice, a dialog or a section opener is about this setting."""
        return (self.label, *self.mentions)

    def is_opted_out(self, value: bool | str) -> bool:
        return value == self.opted_out or value in self.also_opted_out

    def for_subject(self, subject: str, **changes) -> "Setting":
        """The same setting for one blog/site/publication: the id gains ':subject'."""
        return replace(self, id=f"{self.id}:{subject}", subject=subject, **changes)


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str = field(repr=False)
    totp_secret: str = field(default="", repr=False)


class Flow:
    """Base class: class attributes are the platform's data; methods are overridden only where a site needs code."""

    name: ClassVar[str]  # registry key and selectors file name
    title: ClassVar[str]
    home_url: ClassVar[str]  # the site's front door, for docs and `platforms`
    sign_in_url: ClassVar[str] = ""  # empty: the platform has no password sign-in (QR, app)
    sign_in_origins: ClassVar[tuple[str, ...]] = ()  # credentials are typed only on these origins
    signed_out_urls: ClassVar[tuple[str, ...]] = ()  # regexes: landing here means the session is gone
    challenge_urls: ClassVar[tuple[str, ...]] = ()  # regexes: a person must act here
    signed_out_marker: ClassVar[str] = "username"  # selector name whose presence means "not signed in" (a QR code, ...)
    signed_in_marker: ClassVar[str] = "signed_in"  # selector name whose presence means "signed in" (`login` waits for it)
    settings: ClassVar[tuple[Setting, ...]]
    notes: ClassVar[str] = ""  # one line shown by `optout-run platforms`
    caveat: ClassVar[str] = ""  # a sentence every result of this platform ends with (e.g. what no setting can do)

    @classmethod
    def option_error(cls, options: dict) -> str:
        """Why the [platform.NAME] options cannot work ('' if they can): checked before a browser starts.

        Flows with options of their own extend this and call super().
        """
        optional = {s.id for s in cls.settings if not s.default}
        unknown = sorted(set(options.get("optional", [])) - optional)
        if unknown:
            return f"{cls.name}: no optional setting {', '.join(unknown)} (choose from: {', '.join(sorted(optional)) or 'none'})"
        return ""

    def __init__(self, locators: Locators, options: dict | None = None) -> None:
        self.loc = locators
        self.options = options or {}
        self.dismissals = Dismissals(locators)

    # -- sign-in ---------------------------------------------------------------------------------

    async def sign_in(self, page: Page, creds: Credentials) -> None:
        """The common single form: username, password, submit; flows with more steps override this."""
        await self.go_to_sign_in(page)
        await self.fill(page, "username", creds.username)
        await self.fill_secret(page, "password", creds.password)
        await (await self.loc.find(page, "submit")).click()
        await self.after_submit(page, creds)

    async def go_to_sign_in(self, page: Page) -> None:
        """Load the sign-in form (unless the settings page already sent us there) and make sure it is really the platform's."""
        if not page.url.startswith(self.sign_in_url):
            await page.goto(self.sign_in_url)
        await self.loc.find(page, "username")
        self.check_origin(page)

    def check_origin(self, page: Page) -> None:
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(page.url))
        if origin not in self.sign_in_origins:
            raise Failed(Reason.FOREIGN_ORIGIN, f"the sign-in form is on {origin}, not {self.title}'s own site; nothing was typed")

    async def after_submit(self, page: Page, creds: Credentials) -> None:
        """Wait for the first sign of how the sign-in went, and turn it into success or a FlowError."""
        outcome = await self.wait_for_any(page, ["signed_in", "login_error", "two_factor", "challenge"])
        if outcome == "two_factor" and creds.totp_secret and "two_factor_input" in self.loc.table:
            await self.enter_code(page, creds)
            outcome = await self.wait_for_any(page, ["signed_in", "login_error", "challenge"])
        if outcome == "two_factor":  # the page's own marker wins over a URL (LinkedIn's 2FA lives under /checkpoint/challenge/)
            hint = f"store its secret with `optout-run credentials set {self.name} {creds.username} --totp`, or {self.login_hint()}"
            raise NeedsPerson(Reason.TWO_FACTOR, f"{self.title} asks for a 2FA code; {hint}")
        if self.on_challenge_url(page) or outcome == "challenge":
            raise NeedsPerson(Reason.CHALLENGE, f"{self.title} asks for a security check; {self.login_hint()}")
        if outcome == "login_error":
            raise Failed(
                Reason.LOGIN_REJECTED,
                f"{self.title} rejected the password; update it with "
                f"`optout-run credentials set {self.name} {creds.username}`",
            )
        if outcome is None:
            raise Failed(Reason.TIMEOUT, f"{self.title} sign-in did not finish; run it headed to see why")

    async def enter_code(self, page: Page, creds: Credentials) -> None:
        """Type the current TOTP code from the secret stored with `credentials set --totp`."""
        import pyotp

        await self.fill_secret(page, "two_factor_input", pyotp.TOTP(creds.totp_secret).now())
        await (await self.loc.find(page, "two_factor_submit")).click()

    def login_hint(self) -> str:
        return f"sign in once yourself with `optout-run login {self.name}`, then run again"

    def on_challenge_url(self, page: Page) -> bool:
        return any(re.search(p, page.url) for p in self.challenge_urls)

    def on_signed_out_url(self, page: Page) -> bool:
        return any(re.search(p, page.url) for p in self.signed_out_urls)

    async def fill(self, page: Page, name: str, value: str) -> None:
        await (await self.loc.find(page, name)).fill(value)

    async def fill_secret(self, page: Page, name: str, secret: str) -> None:
        """Type a secret only on the platform's own sign-in origin, and keep it out of any error text."""
        self.check_origin(page)
        field_ = await self.loc.find(page, name)
        try:
            await field_.fill(secret)
        except PlaywrightTimeout:
            raise Failed(Reason.TIMEOUT, f"the {name} field on {self.title} did not take input") from None

    # -- waiting ---------------------------------------------------------------------------------

    async def wait_for_any(
        self, page: Page, names: list[str], timeout_ms: float | None = None, attached: str = ""
    ) -> str | None:
        """Wait until one of the named markers is visible (`attached`: merely in the DOM, e.g. a control inside a
        collapsed section); return the first listed that is, or None on timeout."""
        names = [n for n in names if n and n in self.loc.table]

        def shown(name: str):
            found = self.loc.any_of(page, name)
            return found if name == attached else found.filter(visible=True)

        union = shown(names[0])
        if await union.count():  # usually there already: no wait
            return names[0]
        for name in names[1:]:
            union = union.or_(shown(name))
        try:
            await union.first.wait_for(state="attached", timeout=timeout_ms or self.loc.timeout_ms)
        except PlaywrightTimeout:
            return None
        for name in names:
            if await shown(name).count():
                return name
        return None

    # -- settings --------------------------------------------------------------------------------

    async def settings_for(self, page: Page, wanted: list[Setting]) -> list[Setting]:
        """The concrete settings for this account; per-blog/per-site platforms expand here."""
        return wanted

    async def open(self, page: Page, setting: Setting) -> str | None:
        """Load the setting's page and wait for its control, a sign-in form or a challenge; return which appeared."""
        if page.url != setting.url:
            await page.goto(setting.url)
        control = setting.opener or setting.target
        return await self.wait_for_any(
            page, [control, setting.not_offered, self.signed_out_marker, "challenge"], attached=control
        )

    async def reveal(self, page: Page, setting: Setting) -> None:
        """Open the modal or sub-page that holds the control, when the setting has one."""
        if setting.opener:
            await (await self.loc.find(page, setting.opener)).click()

    async def present(self, page: Page, setting: Setting) -> bool:
        """Is the setting's control (or whatever shows its state) on the page now? Flows with stateful rows extend this."""
        return await self.loc.present(page, setting.target)

    async def control(self, page: Page, setting: Setting) -> Locator | None:
        """The control the engine waits to be enabled before reading (None: the state shows without one)."""
        return await self.loc.find(page, setting.target)

    async def read(self, page: Page, setting: Setting) -> bool | str:
        """Checkbox, switch (aria-checked) and role=checkbox all read through Playwright's checked state."""
        return await (await self.control(page, setting)).is_checked()

    async def change(self, page: Page, setting: Setting) -> Response | None:
        """Press the control (through its label when the input itself is hidden), confirm and save where asked."""
        target = await self.control(page, setting)
        return await self.saving(page, setting, lambda: press(target))

    async def saving(self, page: Page, setting: Setting, action, own_dialog: str = "") -> Response | None:
        """Run `action`, answer a confirmation, press Save where the page has one, and return the save response.

        Without a declared save request the page's own work settling stands for it. own_dialog: the selector name
        of a dialog the action opens itself (an audience picker), which is no confirmation.
        """
        waiter = None
        if setting.save_request:
            waiter = asyncio.ensure_future(
                page.wait_for_event(
                    "response",
                    lambda r: r.request.method != "GET" and fnmatch.fnmatchcase(r.url, setting.save_request),
                    timeout=self.loc.timeout_ms,
                )
            )
        try:
            await self.dismissals.sweep(page)  # locator handlers cover locator actions; a press may use an element
            await confirm.remember_dialogs(page)
            await action()
            if own_dialog:
                await confirm.remember_own(self.loc.any_of(page, own_dialog))
            await confirm.answer(page, self, setting, waiter)
            if setting.save:
                await (await self.loc.find(page, setting.save)).click()
            if waiter is None:
                await page_settled(page, self.loc)
                return None
            return await waiter
        except (PlaywrightTimeout, Unsettled):
            raise Failed(Reason.TIMEOUT, f"{self.title} did not save {setting.label!r} in time; try again later") from None
        finally:
            if waiter is not None and not waiter.done():
                waiter.cancel()
                waiter.add_done_callback(lambda f: f.cancelled() or f.exception())


async def press(control: Locator) -> None:
    """Click a control; a visually hidden input (a styled label over a 1-pixel box) is pressed through its <label>."""
    handle = await control.evaluate_handle(PRESSABLE)
    await handle.as_element().click()


# The element a person would click for this control: itself, or its <label> when the input is hidden or covered by it.
PRESSABLE = """el => {
  const label = (el.labels && el.labels[0]) || el.closest('label');
  if (!label) return el;
  const box = el.getBoundingClientRect(), style = getComputedStyle(el);
  const hidden = box.width < 4 || box.height < 4 || style.opacity === '0' || style.visibility === 'hidden'
    || (style.clipPath && style.clipPath !== 'none') || (style.clip && style.clip !== 'auto');
  if (hidden) return label;
  const top = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
  return !top || top === el || el.contains(top) || !label.contains(top) ? el : label;
}"""


__all__ = [
    "Credentials",
    "Failed",
    "Flow",
    "FlowError",
    "NeedsPerson",
    "NotOffered",
    "Reason",
    "SelectorNotFound",
    "Setting",
]
