"""`optout-run report`: one self-contained page per history, for a person or a regulator to read without optout-run.

Per platform and account, each setting's state, when a run last read it, its proof image (the control and its label
as read opted out: runner/proof.py) with when and where it was taken, its history (switched, re-enabled by the
platform, failed), and what opting out on that platform does not cover ([flow] not_covered). The HTML holds
everything inline (images as data: URIs, CSS in a <style>) and a Content-Security-Policy that loads nothing else;
text is escaped with html.escape. The PDF is the same page printed by the Chromium runs use (page.pdf).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from pathlib import Path

import flows
from runner.proof import FOLDER, sidecar
from runner.results import fallback_words

OPTED_OUT = {"compliant", "changed"}
STATE = {  # the latest status in a reader's words, and its colour class
    "compliant": ("opted out", "good"),
    "changed": ("opted out (switched by optout-run)", "good"),
    "non_compliant": ("EXPOSED", "warn"),
    "needs_manual": ("needs you", "warn"),
    "failed": ("FAILED", "bad"),
}
READ = {"compliant": "opted out", "changed": "opted out", "non_compliant": "exposed"}  # what a run's read said


@dataclass
class Entry:
    """One setting of one account: its latest row, its label, its proof (if kept) and its history."""

    latest: dict
    label: str
    image: bytes = b""  # the proof image (PNG), when one is kept
    taken: dict = field(default_factory=dict)  # its sidecar: taken_at, url, changed
    events: list[dict] = field(default_factory=list)


@dataclass
class Platform:
    name: str
    title: str
    not_covered: tuple[str, ...]
    accounts: dict[str, list[Entry]] = field(default_factory=dict)


def label_of(platform: str, setting: str) -> str:
    """The setting's label as the site words it (a blog's name filled in); its id for a platform no longer known."""
    if platform not in flows.names():
        return setting
    base, _, subject = setting.partition(":")
    found = next((s for s in flows.load(platform).settings if s.id == base), None)
    return found.label.replace("{subject}", subject) if found else setting


def proof_file(data_dir: Path, stored: str | None) -> Path | None:
    """The proof image a history row names, when it is still there and inside the data dir's proofs folder."""
    if not stored:
        return None
    root = (data_dir / FOLDER).resolve()
    path = (data_dir / stored).resolve()
    return path if path.is_relative_to(root) and path.is_file() else None


def gather(data_dir: Path, latest: list, changes: list, platform: str | None = None) -> list[Platform]:
    """The report's content from the history's rows (History.latest() and History.changes()), in registry order."""
    events: dict[tuple, list[dict]] = {}
    for row in changes:
        events.setdefault((row["platform"], row["account"], row["setting"]), []).append(dict(row))
    found: dict[str, Platform] = {}
    for row in latest:
        name = row["platform"]
        if platform and name != platform:
            continue
        if name not in found:
            known = name in flows.names()
            flow = flows.load(name) if known else None
            found[name] = Platform(name, flow.title if flow else name, flow.site.not_covered if flow else ())
        entry = Entry(dict(row), label_of(name, row["setting"]), events=events.get((name, row["account"], row["setting"]), []))
        image = proof_file(data_dir, row["proof"])
        if image is not None:
            try:
                entry.image = image.read_bytes()
                entry.taken = json.loads(sidecar(image).read_text(encoding="utf-8"))
            except (OSError, ValueError):  # pruned meanwhile, or a sidecar cut short: the image says enough
                pass
        found[name].accounts.setdefault(row["account"], []).append(entry)
    for entry in found.values():
        ids = [s.id for s in flows.load(entry.name).settings] if entry.name in flows.names() else []
        for entries in entry.accounts.values():  # as the platform lists them; blogs and unknown ids after, by name
            entries.sort(key=lambda e: (position(ids, e.latest["setting"]), e.latest["setting"]))
    order = {n: i for i, n in enumerate(flows.names())}
    return sorted(found.values(), key=lambda p: (order.get(p.name, len(order)), p.name))


def position(ids: list[str], setting: str) -> int:
    base = setting.partition(":")[0]
    return ids.index(base) if base in ids else len(ids)


def local(stamp: str | None) -> str:
    if not stamp:
        return "never"
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone().strftime("%Y-%m-%d %H:%M %Z")


def event_words(row: dict) -> str:
    """What happened to the setting in that run, in the report's words."""
    if row["drift"]:
        return "re-enabled by the platform; " + ("switched off again" if row["status"] == "changed" else "still exposed")
    if row["status"] == "changed":
        return "switched to opted out and read back after a reload"
    if row["status"] == "failed":
        return f"failed ({row['reason']})"
    before = row["previous_status"]
    now = STATE.get(row["status"], (row["status"], ""))[0]
    return f"first read: {now}" if before is None else f"{STATE.get(before, (before, ''))[0]} -> {now}"


CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2228; margin: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 28px 0 6px; border-bottom: 2px solid #d8dde3; }
h3 { font-size: 15px; margin: 16px 0 6px; color: #48525c; }
.meta, figcaption, .when { color: #5b6670; font-size: 12px; }
h2, h3 { break-after: avoid; }
.uncovered { break-inside: avoid; background: #fff8e6; border-left: 4px solid #e0a800; padding: 6px 12px; margin: 8px 0; }
.uncovered ul { margin: 4px 0; padding-left: 18px; }
article.setting { border: 1px solid #d8dde3; border-radius: 6px; padding: 10px 12px; margin: 10px 0; break-inside: avoid; }
article.setting h4 { margin: 0 0 6px; font-size: 14px; }
.state { font-weight: 600; } .good { color: #1a7f37; } .warn { color: #9a6700; } .bad { color: #cf222e; }
figure { margin: 8px 0; } figure img { max-width: 100%; border: 1px dashed #9aa4ad; display: block; }
table.history { border-collapse: collapse; font-size: 12px; margin-top: 6px; }
table.history td { padding: 2px 10px 2px 0; vertical-align: top; }
"""


def render(platforms: list[Platform], generated: str, since: str | None, notices: list = ()) -> str:
    """The whole report as one HTML document; every text from the history or the data is escaped.

    notices: the open new-AI-setting notices (History.notices()), listed under their platform."""
    settings = sum(len(e) for p in platforms for e in p.accounts.values())
    proofs = sum(1 for p in platforms for e in p.accounts.values() for x in e if x.image)
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        # Self-contained: nothing but inline styles and data: images may load, so the file shows the same anywhere.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">",
        "<title>optout-run report</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>optout-run report</h1>",
        f'<p class="meta">Generated {escape(local(generated))}. {settings} settings, {proofs} with a proof image'
        + (f"; history since {escape(local(since))}" if since else "")
        + ". A proof image shows the setting's control and its label as optout-run read it opted out on a freshly "
        "loaded page; names, profile pictures and e-mail addresses in it are masked.</p>",
    ]
    if not platforms:
        parts.append("<p>No runs recorded yet: run <code>optout-run --all</code> first.</p>")
    for platform in platforms:
        parts.append(f'<section class="platform" data-platform="{escape(platform.name)}">')
        parts.append(f"<h2>{escape(platform.title)} <span class=\"meta\">({escape(platform.name)})</span></h2>")
        if platform.not_covered:
            items = "".join(f"<li>{escape(s)}</li>" for s in platform.not_covered)
            parts.append(f'<div class="uncovered"><strong>What this does not cover</strong><ul>{items}</ul></div>')
        for account, entries in platform.accounts.items():
            parts.append(f"<h3>Account {escape(account)}</h3>")
            parts += [setting_html(entry) for entry in entries]
        parts += notices_html([n for n in notices if n["platform"] == platform.name])
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)


def notices_html(notices: list) -> list[str]:
    """New AI-related settings no flow knows (runner/notices.py): never clicked, for the reader to look at."""
    if not notices:
        return []
    rows = "".join(
        f'<tr class="notice"><td>{escape(n["account"])}</td><td>{escape(n["label"])}</td><td>{escape(n["state"])}</td>'
        f'<td>{escape(n["page"])}</td><td>{escape(local(n["first_seen"]))}</td></tr>'
        for n in notices
    )
    return [
        "<h3>New AI-related settings optout-run does not know yet</h3>",
        '<p class="when">Seen on pages a run read; optout-run left them as they are. Look at each one.</p>',
        "<table class=\"history\"><thead><tr><th>Account</th><th>Setting</th><th>State</th><th>Page</th>"
        f"<th>First seen</th></tr></thead><tbody>{rows}</tbody></table>",
    ]


def setting_html(entry: Entry) -> str:
    row = entry.latest
    words, colour = STATE.get(row["status"], (row["status"], ""))
    if row["status"] not in OPTED_OUT:
        words += f" ({row['reason']})"
    when = [f"last verified {local(row['known_at'])}: read {READ.get(row['known_status'], row['known_status'])}" if row["known_at"] else "never read"]
    if row["checked_at"] != row["known_at"]:
        when.append(f"last run {local(row['checked_at'])}")
    if row["reenabled_at"]:
        when.append(f"re-enabled by the platform {local(row['reenabled_at'])}")
    if row["locator"]:
        when.append(f"found only by {fallback_words(row['locator'])}: the page may be changing")
    html = [
        f'<article class="setting" data-setting="{escape(row["setting"])}" data-status="{escape(row["status"])}">',
        f"<h4>{escape(entry.label)} <span class=\"meta\">({escape(row['setting'])})</span></h4>",
        f'<div><span class="state {colour}">{escape(words)}</span> <span class="when">{escape("; ".join(when))}</span></div>',
    ]
    if row["status"] not in OPTED_OUT:
        html.append(f'<div class="when">{escape(row["detail"])}</div>')
    if entry.image:
        data = base64.b64encode(entry.image).decode()
        how = "switched, reloaded and read back opted out" if entry.taken.get("changed") else "read opted out"
        caption = f"Proof: {how} at {local(entry.taken.get('taken_at'))} on {entry.taken.get('url', 'an unrecorded page')}"
        if row["status"] not in OPTED_OUT:
            caption += " (the newest proof; the last run could not read the setting)"
        html.append(
            f'<figure><img src="data:image/png;base64,{data}" alt="{escape(entry.label)}: opted out">'
            f"<figcaption>{escape(caption)}</figcaption></figure>"
        )
    else:
        html.append('<p class="when">No proof image kept.</p>')
    if entry.events:
        rows = "".join(
            f"<tr><td>{escape(local(e['at']))}</td><td>{escape(event_words(e))}</td>"
            f"<td>{'check only' if e['check_mode'] else ''}{' replay' if e['replay'] else ''}</td></tr>"
            for e in entry.events
        )
        html.append(f'<table class="history"><tbody>{rows}</tbody></table>')
    html.append("</article>")
    return "\n".join(html)


async def pdf(html: str, chromium: str) -> bytes:
    """The report printed by the Chromium runs use (headless; page.pdf needs it), backgrounds and colours kept."""
    from playwright.async_api import Error as PlaywrightError
    from playwright.async_api import async_playwright

    from runner.browser import BrowserNotFound, launch_options, resolve_executable

    async with async_playwright() as p:
        executable = resolve_executable(chromium, p.chromium.executable_path)
        try:
            browser = await p.chromium.launch(**launch_options(executable, headed=False, slow_mo=0))
        except PlaywrightError as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise BrowserNotFound(f"the browser {executable or 'Playwright’s Chromium'} did not start ({first})") from None
        try:
            page = await browser.new_page()
            await page.set_content(html, wait_until="load")
            return await page.pdf(format="A4", print_background=True, margin={"top": "12mm", "bottom": "12mm", "left": "10mm", "right": "10mm"})
        finally:
            await browser.close()
