"""What a loaded page is, judged one way from the platform's [states]: signed out, a challenge, a 2FA prompt, an
interstitial to answer, rejected, signed in. Each state is a named locator (its marker) plus URL patterns.

The engine asks after every page load (`signed_out`: a challenge raises, a signed-out page is for the caller to
handle), and after the sign-in steps (`sign_in_outcome`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from runner.errors import Failed, NeedsPerson
from runner.results import Reason

if TYPE_CHECKING:
    from playwright.async_api import Page

    from runner.flow import Credentials, Flow


def origin(url: str) -> str:
    return "{0.scheme}://{0.netloc}".format(urlsplit(url))


def page_url(url: str) -> str:
    """Which page this is: its URL without query or fragment (tokens and ids live there). Watchers look once per
    such page; notices, proofs and captures name pages by it."""
    return url.split("#")[0].split("?")[0]


def told(flow: "Flow", detail: str) -> str:
    """A state's own words for the person, with {title} and {login} (the `optout-run login` hint) filled in."""
    return detail.replace("{title}", flow.title).replace("{login}", flow.login_hint())


def signed_out(page: Page, flow: "Flow", found: str | None) -> bool:
    """After a page load: raise when a person must act (a challenge); True when the session is gone."""
    challenge = flow.state("challenge")
    if challenge.at(page.url) or (found is not None and found == challenge.marker):
        raise NeedsPerson(Reason.CHALLENGE, told(flow, challenge.detail) or f"{flow.title} shows a security check; {flow.login_hint()}")
    gone = flow.state("signed_out")
    return (found is not None and found == gone.marker) or gone.at(page.url)


async def sign_in_outcome(page: Page, flow: "Flow", creds: "Credentials") -> None:
    """Wait for the first sign of how the sign-in went, and turn it into success or a FlowError.

    An interstitial ("Save your login info?") is answered first; a 2FA prompt gets the stored TOTP code where the
    platform declares where it goes.
    """
    marker = lambda key: flow.state(key).marker  # noqa: E731
    outcomes = [marker("signed_in"), marker("rejected"), marker("two_factor"), marker("challenge")]
    between = flow.state("interstitial")
    if between.marker and await flow.wait_for_any(page, [between.marker, *outcomes]) == between.marker:
        await (await flow.loc.find(page, between.answer or between.marker)).click()
    outcome = await flow.wait_for_any(page, outcomes)
    two_factor = flow.state("two_factor")
    if outcome == two_factor.marker and creds.totp_secret and two_factor.code:
        import pyotp

        await flow.fill_secret(page, two_factor.code, pyotp.TOTP(creds.totp_secret).now())
        await (await flow.loc.find(page, two_factor.submit)).click()
        outcome = await flow.wait_for_any(page, [marker("signed_in"), marker("rejected"), marker("challenge")])
    if outcome == two_factor.marker:  # the page's own marker wins over a URL (LinkedIn's 2FA lives under /checkpoint/challenge/)
        hint = f"store its secret with `optout-run credentials set {flow.name} {creds.username} --totp`, or {flow.login_hint()}"
        raise NeedsPerson(Reason.TWO_FACTOR, f"{flow.title} asks for a 2FA code; {hint}")
    challenge = flow.state("challenge")
    if challenge.at(page.url) or outcome == challenge.marker:
        raise NeedsPerson(Reason.CHALLENGE, told(flow, challenge.detail) or f"{flow.title} asks for a security check; {flow.login_hint()}")
    if outcome == marker("rejected"):
        raise Failed(
            Reason.LOGIN_REJECTED,
            f"{flow.title} rejected the password; update it with `optout-run credentials set {flow.name} {creds.username}`",
        )
    if outcome is None:
        raise Failed(Reason.TIMEOUT, f"{flow.title} sign-in did not finish; run it headed to see why")
