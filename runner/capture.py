"""Capture: a read-only run that keeps each settings page it reads, scrubbed, as a draft replay scenario.

A capture is a --check run (nothing is clicked) with one more page watcher (runner/engine.py): at each settled
settings page it walks the DOM in one evaluate, open shadow roots included, with the live state of every control
written into the markup, and keeps that tree in memory. When the run ends each account's pages are scrubbed
together (runner/pagescrub.py: a display name learned on one page is replaced on all) and only then written, as a
scenario in the fixture format: the pages, a manifest with their URLs, the state read from the known controls,
the results as its [expect], and scrubbed.toml with what was replaced (counts per kind, never values).

An app that shows many panes on one URL (WhatsApp Web) opens each setting's pane by a click: the capture is also a
view watcher (runner/engine.py ViewWatcher), so it keeps the page as the flow opened it and each view a setting's
reveal click led to, and writes how they connect as data: a page's `views`, each the structural CSS path of what
the flow clicked, the view it was clicked in and the view it showed (runner/replay.py serves them).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from importlib import metadata
from pathlib import Path

import structlog
import tomlkit
from playwright.async_api import Error as PlaywrightError, Page

from runner import steps
from runner.browser import BrowserNotFound
from runner.commands import UserError
from runner.config import ConfigError
from runner.credentials import KeyringUnavailable, get_secret
from runner.env import Environment
from runner.errors import FlowError
from runner.evidence import Evidence
from runner.exitcodes import exit_status
from runner.locate import SelectorNotFound, build, load as locators_of
from runner.lock import run_lock
from runner.pagescrub import Scrubber
from runner.pagestate import page_url
from runner.paths import private_dir, unwritable, why_not_written, write_atomic
from runner.plan import RunRequest
from runner.replay import MANIFEST, ScenarioError
from runner.results import Reason, Result, Status
from runner.settle import Unsettled, page_settled

log = structlog.get_logger("optout.capture")

SCRUBBED = "scrubbed.toml"
COOKIE_MIN = 6  # shorter cookie values ("1", "en") are not secrets and would replace half the page

# The settled document as a tree: text as strings, elements as {t, a, c} and `s` for an open shadow root; the live
# checked/selected/value of controls written into the attributes, stylesheets the page built in code as <style>.
SERIALISE = """() => {
  const sheetText = (sheet) => { try { return Array.from(sheet.cssRules, r => r.cssText).join('\\n'); } catch (e) { return null; } };
  const adopted = (root) => Array.from(root.adoptedStyleSheets || [], s => ({t: 'style', a: [], c: [sheetText(s) || '']}));
  const setFlag = (attrs, name, on) => {
    const i = attrs.findIndex(a => a[0] === name);
    if (on && i < 0) attrs.push([name, '']);
    if (!on && i >= 0) attrs.splice(i, 1);
  };
  const setValue = (attrs, name, value) => {
    const i = attrs.findIndex(a => a[0] === name);
    if (i < 0) attrs.push([name, value]); else attrs[i][1] = value;
  };
  const children = (list) => {
    const out = [];
    for (const child of list) { const n = node(child); if (n !== null) out.push(n); }
    return out;
  };
  function node(n) {
    if (n.nodeType === Node.TEXT_NODE || n.nodeType === Node.CDATA_SECTION_NODE) return n.data;
    if (n.nodeType !== Node.ELEMENT_NODE) return null;
    const tag = n.localName;
    if (tag === 'link' && n.sheet && /stylesheet/i.test(n.rel || '')) {
      const css = sheetText(n.sheet);
      return css === null ? null : {t: 'style', a: [], c: [css]};
    }
    const attrs = Array.from(n.attributes, a => [a.name, a.value]);
    let kids;
    if (tag === 'style' && n.sheet) {
      const css = sheetText(n.sheet);
      kids = [css === null ? n.textContent : css];
    } else if (tag === 'input') {
      if (n.type === 'checkbox' || n.type === 'radio') setFlag(attrs, 'checked', n.checked);
      else if (n.type !== 'file') setValue(attrs, 'value', n.value);
    } else if (tag === 'option') {
      setFlag(attrs, 'selected', n.selected);
    } else if (tag === 'textarea') {
      kids = [n.value];
    }
    if (kids === undefined) kids = children(tag === 'template' ? n.content.childNodes : n.childNodes);
    if (tag === 'head') kids.push(...adopted(document));
    const out = {t: tag, a: attrs, c: kids};
    if (n.shadowRoot) out.s = [...adopted(n.shadowRoot), ...children(n.shadowRoot.childNodes)];
    return out;
  }
  return node(document.documentElement);
}"""

# Where an element is, as a CSS path of tags (and positions among their kind) from the document, which a static page
# keeps; from inside a shadow root, its outermost host's (where a click on it reaches the document).
CSS_PATH = """el => {
  while (el.getRootNode() instanceof ShadowRoot) el = el.getRootNode().host;
  const parts = [];
  for (let n = el; n && n.nodeType === Node.ELEMENT_NODE; n = n.parentElement) {
    const same = Array.from(n.parentElement ? n.parentElement.children : [n]).filter(s => s.localName === n.localName);
    const tag = CSS.escape(n.localName);
    parts.push(same.length > 1 ? `${tag}:nth-of-type(${same.indexOf(n) + 1})` : tag);
  }
  return parts.reverse().join(' > ');
}"""


def version() -> str:
    try:
        return metadata.version("optout-run")
    except metadata.PackageNotFoundError:
        return "unknown"


def wording(flow) -> set[str]:
    """The platform's own phrases: what its locators and settings are called. Text holding one is never replaced."""
    phrases = set()
    for table in (locators_of(flow.name), locators_of("_shared")):
        for candidates in table.values():
            for candidate in candidates:
                phrases.update(str(candidate[k]) for k in ("name", "label", "text", "placeholder") if k in candidate)
                phrases.update(re.findall(r"has-text\(['\"](.+?)['\"]\)", str(candidate.get("css", ""))))
    for setting in flow.settings:
        phrases.update((setting.label.replace("{subject}", ""), *setting.mentions))
    return {p for p in phrases if p.strip()}


@dataclass
class Draft:
    """One account's capture: the raw pages stay in memory only, until the run ends and they are scrubbed."""

    flow: type
    username: str
    label: str
    options: dict
    secrets: list[str]
    pages: list[tuple[str, dict]] = field(default_factory=list)  # (url, tree), in the order they were read
    panes: dict[str, "Panes"] = field(default_factory=dict)  # URL without query -> its views, on a one-URL app
    state: dict[str, bool | str] = field(default_factory=dict)  # setting id -> the value read
    listed: bool = False


@dataclass
class Panes:
    """The views of one URL whose panes open by clicks: trees[0] is the page as the flow opened it (the page's own
    tree), the others the views the clicks showed; clicks are (view clicked in, CSS path, view shown), by index."""

    trees: list[dict]
    clicks: list[tuple[int, str, int]] = field(default_factory=list)
    opener: str = ""  # the path the current setting's reveal clicks in trees[0], until its view is kept

    def shown_by(self, origin: int, path: str) -> int | None:
        return next((to for at, clicked, to in self.clicks if (at, clicked) == (origin, path)), None)


class Capture:
    """The page watcher of a capture run (runner/engine.py PageWatcher, and ViewWatcher for one-URL apps); `also`:
    more text that names the person (a display name, another e-mail) to replace wherever it appears."""

    def __init__(self, keep_scripts: bool = False, also: tuple[str, ...] = ()) -> None:
        self.keep_scripts = keep_scripts
        self.also = also
        self.drafts: dict[tuple[str, str], Draft] = {}
        self.failed: dict[tuple[str, str], list[tuple[str, dict]]] = {}  # pages as a setting failed on them
        self.cookies: dict[tuple[str, str], set[str]] = {}  # the values of the account's cookies: secrets
        self.browser_version = ""

    async def look(self, page: Page, key: tuple[str, str]) -> dict:
        """The page's tree, and its context's cookie values and browser noted: both hooks start here."""
        self.browser_version = page.context.browser.version if page.context.browser else ""
        values = {c["value"] for c in await page.context.cookies() if len(c["value"]) >= COOKIE_MIN}
        self.cookies.setdefault(key, set()).update(values)
        return await page.evaluate(SERIALISE)

    def evidence(self, run_dir: Path, keep_traces: bool) -> Evidence:
        """The run's evidence keeper, which also keeps the page a setting failed on: the page a bug report is about."""
        return FailedPages(run_dir, keep_traces, self)

    def draft(self, job) -> Draft:
        """The job's draft; a job no page was read for (app-only settings) still gets one, with its results."""
        key = (job.platform, job.account.username)
        if key not in self.drafts:
            self.drafts[key] = Draft(
                job.flow_cls, job.account.username, job.account.label, dict(job.options), known_secrets(job)
            )
        return self.drafts[key]

    async def __call__(self, page: Page, flow, job) -> None:
        draft = self.draft(job)
        await self.read_state(page, flow, job)
        if page_url(page.url) not in draft.panes:  # else the page as opened is kept already, and view() keeps this view
            draft.pages.append((page.url, await self.look(page, (job.platform, job.account.username))))
        if not draft.listed and any(s.repeats for s in job.settings):
            draft.listed = True
            await self.keep_listing(page, flow, job, draft)

    async def read_state(self, page: Page, flow, job) -> None:
        draft = self.draft(job)
        for setting in settings_here(job, page.url):
            value = await read_if_shown(page, flow, setting)
            if value is not None:
                draft.state[setting.id] = value

    async def view(self, page: Page, flow, job, setting, revealed: bool) -> None:
        """Before a setting's reveal: where its click lands on the page as opened (kept the first time). After its
        read: the view that click showed, and where the flow's route clicks from there back to the page as opened."""
        draft, key = self.draft(job), (job.platform, job.account.username)
        where = page_url(page.url)
        panes = draft.panes.get(where)
        if not revealed:
            opener = await css_path(page, flow, setting, setting.opener, within_step(setting))
            if not opener:
                return
            if panes is None:
                tree = next((t for u, t in draft.pages if page_url(u) == where), None) or await self.look(page, key)
                if not any(page_url(u) == where for u, _ in draft.pages):
                    draft.pages.append((page.url, tree))
                panes = draft.panes[where] = Panes([tree])
            panes.opener = opener
            return
        if panes is None or not panes.opener:
            return
        opener, panes.opener = panes.opener, ""
        await self.read_state(page, flow, job)
        if panes.shown_by(0, opener) is not None:  # another setting in the same pane: kept already
            return
        panes.trees.append(await self.look(page, key))
        shown = len(panes.trees) - 1
        panes.clicks.append((0, opener, shown))
        for marker, click in route_back(flow, setting):
            if await one_of(page, flow, marker, visible=True) is not None:
                back = await css_path(page, flow, setting, click)
                if back:
                    panes.clicks.append((shown, back, 0))

    async def keep_listing(self, page: Page, flow, job, draft: Draft) -> None:
        """The page that lists the account's blogs (a setting per blog reads its names there), loaded in a tab of
        its own so the flow's page is left as it is."""
        subject = flow.site.subjects[next(s for s in job.settings if s.repeats).repeats]
        tab = await page.context.new_page()
        try:
            await tab.goto(subject.page)
            try:
                await page_settled(tab, flow.loc)
            except Unsettled:
                pass
            draft.pages.insert(0, (tab.url, await self.look(tab, (job.platform, job.account.username))))
        except PlaywrightError as exc:
            log.warning("the subjects' page could not be captured", error=type(exc).__name__)
        finally:
            await tab.close()


class FailedPages(Evidence):
    """Evidence as usual, and the page's DOM (in memory, scrubbed when the draft is written) for the capture."""

    def __init__(self, run_dir: Path, keep_traces: bool, capture: Capture) -> None:
        super().__init__(run_dir, keep_traces)
        self.keeper = capture

    async def capture(self, page: Page, platform: str, username: str, what: str, secrets: list[str]) -> Path | None:
        try:
            tree = await self.keeper.look(page, (platform, username))
            self.keeper.failed.setdefault((platform, username), []).append((page.url, tree))
        except PlaywrightError:  # the page or the browser may be what failed
            pass
        return await super().capture(page, platform, username, what, secrets)


def known_secrets(job) -> list[str]:
    """The account's stored password and TOTP secret: replaced wherever a page would show them."""
    found = []
    for kind in ("password", "totp"):
        try:
            secret = get_secret(job.platform, job.account.username, kind)
        except KeyringUnavailable:
            secret = None
        if secret:
            found.append(secret)
    return found


def settings_here(job, url: str) -> list:
    """The job's settings that live on this page; a setting per blog as this blog's."""
    here, found = page_url(url), []
    for setting in job.settings:
        if not setting.needs_browser:
            continue
        if setting.repeats and not setting.subject:
            pattern = re.escape(page_url(setting.url)).replace(re.escape("{subject}"), "([^/]+)")
            match = re.fullmatch(pattern, here)
            if match:
                found.append(setting.for_subject(match.group(1)))
        elif page_url(setting.url) == here:
            found.append(setting)
    return found


def within_step(setting) -> str:
    step = next((s for s in setting.reveal if "click" in s), {})
    return step.get("within", "")


def route_back(flow, setting) -> list[tuple[str, str]]:
    """The route's waypoints and what the flow clicks at each: from a revealed view, the way to the page as opened
    (a replay takes each straight there, the route's goal)."""
    return [pair for step in (setting.open or flow.site.open) if "route" in step for pair in step["via"].items()]


async def one_of(root, flow, name: str, visible: bool = False):
    """The locator's first fallback that matches one element now (one visible, when several match), without
    waiting and without counting toward locator health (Locators.find does both)."""
    for candidate in flow.loc.table.get(name, ()):
        locator = build(root, candidate)
        if visible or await locator.count() > 1:
            locator = locator.filter(visible=True)
        if await locator.count() == 1:
            return locator
    return None


async def css_path(page: Page, flow, setting, name: str, within: str = "") -> str:
    """The structural path of what the locator `name` (inside `within`) finds on the page now, or ''."""
    if not name:
        return ""
    fill = steps.Context(flow, page, "reveal", flow.values(setting)).fill_in
    root = await one_of(page, flow, fill(within)) if within else page
    element = await one_of(root, flow, fill(name)) if root is not None else None
    return await element.evaluate(CSS_PATH) if element is not None else ""


async def read_if_shown(page: Page, flow, setting) -> bool | str | None:
    """The setting's value when its control is on the page now; reading never clicks and never waits for it."""
    try:
        if not await flow.present(page, setting):
            return None
        return await flow.read(page, setting)
    except (SelectorNotFound, FlowError, PlaywrightError):
        return None


# -- writing the draft scenario -----------------------------------------------------------------------------------


def write(capture: Capture, jobs: list, results: list[Result], out: Path) -> list[Path]:
    """Each job's draft scenario under out/<platform>/capture-<time>[-n]; returns their directories."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    written = []
    for n, job in enumerate(jobs, 1):
        draft = capture.draft(job)
        seen = {page_url(url) for url, _ in draft.pages}
        for url, tree in capture.failed.get((job.platform, draft.username), []):
            if page_url(url) not in seen:
                seen.add(page_url(url))
                draft.pages.append((url, tree))
        mine = [r for r in results if r.platform == draft.flow.name and r.account == draft.label]
        suffix = f"-{n}" if len(jobs) > 1 else ""
        folder = private_dir(out / draft.flow.name) / f"capture-{stamp}{suffix}"
        written.append(write_draft(draft, mine, folder, capture))
    return written


def write_draft(draft: Draft, results: list[Result], folder: Path, capture: Capture) -> Path:
    flow = draft.flow
    secrets = [*draft.secrets, *capture.cookies.get((flow.name, draft.username), ())]
    scrubber = Scrubber((draft.username, *capture.also), wording(flow), capture.keep_scripts, secrets=secrets)
    for tree in (*(t for _, t in draft.pages), *(t for p in draft.panes.values() for t in p.trees[1:])):
        scrubber.harvest(tree)  # every page's and view's names first: one learned late is still replaced everywhere
    private_dir(folder / "pages")
    pages, per_page = [], {}
    taken: set[str] = set()

    def keep(tree: dict, url: str) -> str:
        before = Counter(scrubber.counts)
        markup = scrubber.page(tree)
        name = page_file(url, taken)
        taken.add(name)
        write_atomic(folder / name, markup.encode("utf-8"))
        per_page[name] = dict(scrubber.counts - before)
        return name

    for url, tree in draft.pages:
        served = scrubber.url(url)
        entry = {"url": served if "?" not in served else page_url(served) + "[?]*", "file": keep(tree, served)}
        panes = draft.panes.get(page_url(url))
        if panes and panes.clicks:
            files = [entry["file"], *(keep(t, page_url(served) + "/view") for t in panes.trees[1:])]
            entry["views"] = [
                {"from": files[at], "click": path, "file": files[to]}  # tags and positions, as the pages write them
                for at, path, to in panes.clicks
            ]
        pages.append(entry)
    manifest = draft_manifest(draft, results, pages, scrubber)
    write_atomic(folder / MANIFEST, tomlkit.dumps(manifest).encode("utf-8"))
    report = tomlkit.document()
    report.add(tomlkit.comment("What the scrubber replaced before anything was written: counts per kind, never the values."))
    report["replaced"] = dict(sorted(scrubber.counts.items()))
    report["pages"] = {name: dict(sorted(counts.items())) for name, counts in per_page.items()}
    write_atomic(folder / SCRUBBED, tomlkit.dumps(report).encode("utf-8"))
    return folder


def page_file(url: str, taken: set[str]) -> str:
    stem = "-".join(re.findall(r"[A-Za-z0-9_]+", page_url(url).split("://", 1)[-1].split("/", 1)[-1]))[:60] or "index"
    name, n = f"pages/{stem}.html", 1
    while name in taken:
        n += 1
        name = f"pages/{stem}-{n}.html"
    return name


def draft_manifest(draft: Draft, results: list[Result], pages: list[dict], scrubber: Scrubber) -> tomlkit.TOMLDocument:
    flow, today = draft.flow, date.today().isoformat()
    doc = tomlkit.document()
    doc.add(tomlkit.comment(f"Captured by optout-run {version()} on {today}, read only, and scrubbed before it was written"))
    doc.add(tomlkit.comment(f"({SCRUBBED} counts what was replaced). A draft: CONTRIBUTING.md, \"Turn a capture into a fixture\"."))
    counts = Counter(r.status.value for r in results)
    doc["platform"] = flow.name
    doc["description"] = f"Captured from {flow.title} by optout-run {version()}: " + (", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "no result")
    doc["reconstructed_from"] = "capture"
    doc["reconstructed_on"] = today
    account = tomlkit.aot()
    account.append(tomlkit.table().add("username", scrubber.identity(draft.username) or "person1"))
    doc["account"] = account
    if draft.options:
        doc["options"] = draft.options
    state = {scrubber.identity(k): v for k, v in draft.state.items()}
    if state:
        doc["state"] = state
    if flow.sign_in_url:  # pages are served signed in; the schema wants the sign-in a maintainer fills in
        sign_in = tomlkit.table()
        sign_in.add(tomlkit.comment("the request the sign-in form sends: a maintainer fills it in"))
        sign_in.update({"url": flow.sign_in_url, "redirect": flow.sign_in_url, "next": flow.home_url})
        doc["sign_in"] = sign_in
    entries = tomlkit.aot()
    for page in pages:
        entry = tomlkit.table().add("url", page["url"]).add("file", page["file"])
        if page.get("views"):
            entry.add(tomlkit.comment("panes of this URL, opened by clicks: a click on `click` in `from` shows `file`"))
            views = tomlkit.array()
            views.multiline(True)
            for v in page["views"]:
                views.append(tomlkit.inline_table().add("from", v["from"]).add("click", v["click"]).add("file", v["file"]))
            entry.add("views", views)
        entries.append(entry)
    if pages:
        doc["page"] = entries
    settings = tomlkit.table()
    for r in results:
        setting_id = scrubber.identity(r.setting)
        entry = proof_of(r, setting_id, state, scrubber)
        if entry:
            settings[setting_id] = entry
    if settings:
        doc["settings"] = settings
    expect = tomlkit.table()
    expect.update(
        {
            "check": True,
            "exit_status": int(exit_status(results)),
            "password_submissions": 0,
            "saves": 0,
            "results": {scrubber.identity(r.setting): f"{r.status.value}/{r.reason.value}" for r in results},
        }
    )
    doc["expect"] = expect
    return doc


def proof_of(result: Result, setting_id: str, state: dict, scrubber: Scrubber) -> dict | None:
    """What proves a compliant result in the draft: the opted-out value read into its state, or the page's notice."""
    if result.status is not Status.COMPLIANT:
        return None
    if result.reason is Reason.NOT_OFFERED:
        quoted = re.search(r'its page says: "(.*)"', result.detail, re.S)
        return {"not_offered": scrubber.text(quoted.group(1))} if quoted else None
    return {"opted_out": {setting_id: [state[setting_id]]}} if setting_id in state else None


# -- the command's run ----------------------------------------------------------------------------------------------


class NoHistory:
    """A capture records nothing: it is a look at pages, and must not stand in the history for a real check."""

    history = None
    switches = None  # nor new-AI-switch notices: those are a real run's to record

    def start(self) -> None:
        return None

    def __call__(self, event: str, job, results: list[Result]) -> None:
        pass


def narrow(jobs: list, account: str | None, setting: str | None) -> list:
    """Only the account (its name or user name) and the setting asked for; a wrong one is one line."""
    if account:
        chosen = [j for j in jobs if account in (j.account.label, j.account.username)]
        if not chosen:
            names = ", ".join(sorted({j.account.label for j in jobs}))
            raise UserError(f"no {jobs[0].platform} account named {account!r} (configured: {names})")
        jobs = chosen
    if setting:
        known = sorted({s.id for j in jobs for s in j.flow_cls.settings})
        if setting not in known:
            raise UserError(f"{jobs[0].platform} has no setting {setting!r} (one of: {', '.join(known)})")
        for job in jobs:
            job.settings = [s for s in job.flow_cls.settings if s.id == setting]
    return jobs


def writable(folder: Path) -> None:
    """One line, exit 2, when nothing can be written in folder (made 0700 if it is missing)."""
    try:
        private_dir(folder)
        problem = unwritable(folder)
    except OSError as exc:
        problem = exc
    if problem is not None:
        raise UserError(f"cannot write in {folder} ({why_not_written(problem)})")


def run(env: Environment, request: RunRequest, out: Path, account: str | None = None, setting: str | None = None):
    """A check run of one platform with the capture watching; returns its results and the draft directories."""
    from runner import plan
    from runner.drive import drive

    capture = request.capture
    with plan.home(env, request) as home, run_lock(home.paths):
        try:
            with plan.prepare(home, request) as planned:
                planned.jobs[:] = narrow(planned.jobs, account, setting)
                writable(out)  # before the browser starts: a wrong --out must not cost a run
                results = drive(home, planned, NoHistory())
                try:
                    return results, write(capture, planned.jobs, results, out)
                except OSError as exc:
                    raise UserError(f"cannot write the capture in {out} ({why_not_written(exc)})") from None
        except (ConfigError, KeyringUnavailable, BrowserNotFound, ScenarioError) as exc:
            raise UserError(str(exc)) from None
