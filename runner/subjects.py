"""Settings that repeat per subject (a blog, a site, a publication): the subjects listed from data, one setting each.

A [subjects.NAME] entry says which signed-in page lists them and where: JSON in the page's own state (an element's
text), an API the page itself calls (fetched from the page, with its session and, if the state holds one, its
bearer token), or links. The sources are united, so a subject one of them misses is still covered, and every
subject seen gets a result. A name must match the entry's `name` pattern in full before it goes into a URL.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from playwright.async_api import Page

from runner.errors import Failed
from runner.results import Reason
from runner.settle import Unsettled, page_settled

if TYPE_CHECKING:
    from runner.flow import Flow, Setting
    from runner.sitedata import Subject

STATE_TEXT = "selector => document.querySelector(selector)?.textContent ?? ''"
HREFS = "els => els.map(el => el.href || '')"
# The web app's own call, made from the page so it carries the session cookie and the page's bearer token.
FETCH_JSON = """async ([url, token]) => {
  try {
    const response = await fetch(url, { credentials: "include", headers: token ? { authorization: `Bearer ${token}` } : {} });
    return response.ok ? await response.json() : null;
  } catch (error) {
    return null;
  }
}"""


async def expand(page: Page, flow: "Flow", setting: "Setting") -> list["Setting"]:
    subject = flow.site.subjects[setting.repeats]
    names = await listed(page, flow, subject)
    if not names:
        where = " and ".join(describe(s) for s in subject.sources)
        raise Failed(
            Reason.SELECTOR_NOT_FOUND,
            f"{flow.title} did not list this account's {subject.name}s ({where}); "
            f"look with `optout-run -p {flow.name} --headed` and report it",
        )
    return [setting.for_subject(name) for name in names]


def describe(source: dict) -> str:
    if "state" in source:
        return "page state"
    if "api" in source:
        return "/" + urlsplit(source["api"]).path.lstrip("/")
    return "links"


async def listed(page: Page, flow: "Flow", subject: "Subject") -> list[str]:
    """Every name any source lists, in order, each once; read from the listing page once it has settled."""
    if not page.url.startswith(subject.page):
        await page.goto(subject.page)
    try:
        await page_settled(page, flow.loc)
    except Unsettled:
        pass  # read what is there; an API source still answers
    valid = re.compile(subject.valid)
    found: list[str] = []
    for source in subject.sources:
        if "links" in source:
            hrefs = await flow.loc.any_of(page, source["links"]).evaluate_all(HREFS)
            matches = [re.search(source["pattern"], href) for href in hrefs]
            names = [m.group(1) for m in matches if m and m.groups()]
            found += [n for n in names if valid.fullmatch(n)]
            continue
        if "state" in source:
            data = await state_of(page, source["state"])
        else:
            token = ""
            if source.get("bearer"):
                token = str(at(await state_of(page, source["bearer"]["state"]), source["bearer"]["path"]) or "")
            data = await page.evaluate(FETCH_JSON, [source["api"], token])
        found += names_in(data, source["path"], valid)
    return list(dict.fromkeys(found))


async def state_of(page: Page, selector: str):
    raw = await page.evaluate(STATE_TEXT, selector)
    try:
        return json.loads(raw) if raw.strip() else {}
    except ValueError:
        return {}


def at(data, path: str):
    """The value at a dotted path from the top (None when it is not there)."""
    for key in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def pick(node, parts: list[str]) -> list:
    """Values at a path where `key[]` walks every item of a list."""
    if not parts:
        return [node]
    head, rest = parts[0], parts[1:]
    key = head.removesuffix("[]")
    if not isinstance(node, dict) or key not in node:
        return []
    child = node[key]
    if head.endswith("[]"):
        return [v for item in child for v in pick(item, rest)] if isinstance(child, list) else []
    return pick(child, rest)


def names_in(data, path: str, valid: re.Pattern) -> list[str]:
    """The names at `path` wherever the data nests it (a state's layout moves between releases): the first place
    that holds valid ones."""
    here = [n for n in pick(data, path.split(".")) if isinstance(n, str) and valid.fullmatch(n)]
    if here:
        return list(dict.fromkeys(here))
    children = data.values() if isinstance(data, dict) else data if isinstance(data, list) else []
    for child in children:
        found = names_in(child, path, valid)
        if found:
            return found
    return []
