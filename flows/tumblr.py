"""Tumblr: "Prevent third-party sharing" is a switch per blog, so one account yields one result per blog it owns."""

from __future__ import annotations

import json
import re

from playwright.async_api import Locator, Page

from runner.flow import Failed, Flow, Reason, SelectorNotFound, Setting
from runner.settle import Unsettled, page_settled

DASHBOARD = "https://www.tumblr.com/dashboard"
API = "https://www.tumblr.com/api/v2"
SHARING = "prevent_third_party_sharing"
BLOG_NAME = re.compile(r"^[A-Za-z0-9-]{1,32}$")  # Tumblr's own rule; anything else never goes into a URL

# The web app's own call, made from the page so it carries the session cookie and the page's bearer token.
FETCH_USER_INFO = """async ([url, token]) => {
  try {
    const response = await fetch(url, { credentials: "include", headers: token ? { authorization: `Bearer ${token}` } : {} });
    return response.ok ? await response.json() : null;
  } catch (error) {
    return null;
  }
}"""


def blog_settings_url(blog: str) -> str:
    return f"https://www.tumblr.com/settings/blog/{blog}"


def blogs_in(data) -> list[str]:
    """user.blogs[].name wherever the state nests it: the react-query layout of ___INITIAL_STATE___ moves between releases."""
    if isinstance(data, dict):
        user = data.get("user")
        if isinstance(user, dict) and isinstance(user.get("blogs"), list):
            names = [b.get("name") for b in user["blogs"] if isinstance(b, dict)]
            names = [n for n in names if isinstance(n, str) and BLOG_NAME.match(n)]
            if names:
                return list(dict.fromkeys(names))
        children = list(data.values())
    elif isinstance(data, list):
        children = data
    else:
        return []
    for child in children:
        found = blogs_in(child)
        if found:
            return found
    return []


class TumblrFlow(Flow):
    """Signs in once, lists the account's blogs from the dashboard, then opts out each blog on its own settings page."""

    name = "tumblr"
    title = "Tumblr"
    home_url = "https://www.tumblr.com/"
    sign_in_url = "https://www.tumblr.com/login"
    sign_in_origins = ("https://www.tumblr.com",)
    signed_out_urls = (r"^https://www\.tumblr\.com/(login|register)",)
    notes = "Every blog has its own switch: the run opts out each blog you own and reports each one."
    settings = (
        Setting(
            id=SHARING,
            label="Prevent third-party sharing for BLOGNAME",
            url=blog_settings_url("BLOGNAME"),
            opted_out=True,
            cost=(
                "Nothing visible changes: the blog stays public and searchable; Tumblr stops sharing its posts "
                "with its licensed content and research partners, including those that train AI models."
            ),
            target="prevent_third_party_sharing",
            save_request=f"{API}/blog/*/settings",
        ),
    )

    async def open(self, page: Page, setting: Setting) -> str | None:
        """Before the blogs are known the run only needs a signed-in page that lists them: the dashboard."""
        if setting.subject:
            return await super().open(page, setting)
        if not page.url.startswith(DASHBOARD):
            await page.goto(DASHBOARD)
        return await self.wait_for_any(page, ["signed_in", self.signed_out_marker, "challenge"])

    async def settings_for(self, page: Page, wanted: list[Setting]) -> list[Setting]:
        """One "Prevent third-party sharing" per blog the account owns, each on its own settings page."""
        expanded: list[Setting] = []
        for setting in wanted:
            if setting.id != SHARING:
                expanded.append(setting)
                continue
            blogs = await self.blog_names(page)
            if not blogs:
                raise Failed(
                    Reason.SELECTOR_NOT_FOUND,
                    "Tumblr did not list this account's blogs (page state and /api/v2/user/info); "
                    f"look with `optout-run -p {self.name} --headed` and report it",
                )
            expanded += [
                setting.for_subject(
                    blog,
                    url=blog_settings_url(blog),
                    label=f"Prevent third-party sharing for {blog}",
                    save_request=f"{API}/blog/{blog}/settings",
                )
                for blog in blogs
            ]
        return expanded

    async def blog_names(self, page: Page) -> list[str]:
        """Every blog the settled dashboard's ___INITIAL_STATE___ or /v2/user/info (as the web app asks it) lists:
        a blog one source misses is still covered."""
        if not page.url.startswith("https://www.tumblr.com/"):  # e.g. the fresh page the engine opens after sign-in
            await page.goto(DASHBOARD)
        try:
            await page_settled(page, self.loc)
        except Unsettled:
            pass  # read what is there; the API below still answers
        raw = await page.evaluate("() => document.getElementById('___INITIAL_STATE___')?.textContent ?? ''")
        try:
            state = json.loads(raw) if raw.strip() else {}
        except ValueError:
            state = {}
        token = ""
        if isinstance(state, dict) and isinstance(state.get("apiFetchStore"), dict):
            token = str(state["apiFetchStore"].get("API_TOKEN") or "")
        from_api = blogs_in(await page.evaluate(FETCH_USER_INFO, [f"{API}/user/info", token]))
        return list(dict.fromkeys(blogs_in(state) + from_api))

    async def control(self, page: Page, setting: Setting) -> Locator:
        """The switch the selectors found, but only if its own label names this blog: a page that fell back to another blog is never touched."""
        found = await self.loc.find(page, setting.target)
        own = found.and_(page.get_by_label(re.compile(rf"(^|\s){re.escape(setting.subject)}\s*$")))
        if await own.count() != 1:
            raise SelectorNotFound(setting.target)
        return own

