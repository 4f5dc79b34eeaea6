"""New AI switches: controls about AI or training that no flow knows, seen on settings pages a run loads anyway.

Platforms add AI settings, on by default, every few months. On each settled settings page (once per account and
page, runner/engine.py `watch`) one page.evaluate lists the page's switches, checkboxes, radio groups and
dropdowns whose label or own row speaks of AI, training, models, generative features, machine learning or
improving the products, in every language of VOCABULARY. A control the flow knows (its locators resolve to it, or
its label is a known setting's, or the flow's data lists it under [[leave_alone]]) is left out, and so is a cookie
banner's. Nothing here clicks: it only looks.

The history remembers each notice (platform, account, page, label), so a run reports it once; `optout-run ack`
dismisses one for good.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import structlog

from runner.pagestate import page_url
from runner.wording import name_pattern, normalize

if TYPE_CHECKING:
    from playwright.async_api import Page

log = structlog.get_logger("optout.notices")

# What an AI-related control says, per language: (case-sensitive acronyms, case-insensitive words), as JavaScript
# regex sources without the u flag. Every language a selectors file lists must be here (tests/test_registry.py).
VOCABULARY: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "en": (
        (r"\bA\.?I\b", r"\bLLMs?\b", r"\bGenAI\b"),
        (
            r"artificial intelligence", r"machine[ -]learning", r"\bgenerative\b", r"\btrain(s|ed|ing)?\b",
            r"\b(AI|language|foundation|our) models?\b", r"improve (our|the) (products?|services?|models?|AI)",
            r"product improvements?", r"\b(Grok|Gemini|Copilot|ChatGPT|Claude|Llama|Meta AI)\b",
        ),
    ),
    "de": (
        (r"\bKI\b",),
        (
            r"künstliche[nr]? Intelligenz", r"maschinelle[ns]? Lernen", r"\bgenerativ", r"\btrainier", r"\bTraining\b",
            r"\bSchulen\b", r"\bKI-Modell", r"Produkte (zu )?verbessern", r"Verbesserung unserer (Produkte|Dienste)",
        ),
    ),
    "fr": (
        (r"\bIA\b",),
        (
            r"intelligence artificielle", r"apprentissage automatique", r"g[ée]n[ée]rati(f|ve)", r"entra[iî]n",
            r"mod[èe]les? d.IA", r"am[ée]liorer nos (produits|services)",
        ),
    ),
    "es": (
        (r"\bIA\b",),
        (
            r"inteligencia artificial", r"aprendizaje autom[áa]tico", r"\bgenerativ[ao]s?\b", r"\bentren(ar|amiento)",
            r"modelos? de IA", r"mejorar nuestros (productos|servicios)",
        ),
    ),
}

# A row that speaks of cookies is a consent banner's, not a setting of the account.
NOT_SETTINGS = r"\bcookies?\b|\bTracker\b|\btraceurs\b"

# One evaluate: every visible control (open shadow roots included), its row (the largest ancestor holding no other
# control), its label, kind and state; known elements are the flow's own controls, passed in as handles.
SCAN = """([known, sensitive, insensitive, notSettings]) => {
  const acronyms = new RegExp(sensitive), words = new RegExp(insensitive, 'i'), cookies = new RegExp(notSettings, 'i');
  const CONTROL = 'input[type=checkbox], input[type=radio], [role=switch], [role=checkbox], [role=radio], select';
  const all = [];
  const collect = root => {
    for (const el of root.querySelectorAll('*')) {
      if (el.matches(CONTROL)) all.push(el);
      if (el.shadowRoot) collect(el.shadowRoot);
    }
  };
  collect(document);
  all.splice(400);  // a page of hundreds of controls is a list of people or posts, not of settings: look at the first
  const inside = (outer, inner) => { for (let n = inner; n; n = n.parentNode || n.host) if (n === outer) return true; return false; };
  const text = el => (el ? (el.innerText || el.textContent || '') : '').replace(/\\s+/g, ' ').trim();
  const byIds = (el, attr) => (el.getAttribute(attr) || '').split(/\\s+/).filter(Boolean)
    .map(id => text(el.getRootNode().getElementById ? el.getRootNode().getElementById(id) : null)).join(' ').trim();
  const visible = el => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const row = el => {
    let best = el;
    for (let n = el.parentElement || (el.parentNode && el.parentNode.host); n && n !== document.body;
         n = n.parentElement || (n.parentNode && n.parentNode.host)) {
      if (all.some(other => other !== el && !sameGroup(other, el) && inside(n, other))) break;
      best = n;
    }
    return best;
  };
  const group = el => (el.type === 'radio' || el.getAttribute('role') === 'radio')
    ? (el.closest('[role=radiogroup], fieldset') || (el.name ? el.name : null)) : null;
  const sameGroup = (a, b) => group(a) !== null && group(a) === group(b);
  const label = el => {
    const own = byIds(el, 'aria-labelledby') || (el.getAttribute('aria-label') || '').trim();
    if (own) return own;
    if (el.id && el.getRootNode().querySelector) {
      const target = el.getRootNode().querySelector(`label[for="${CSS.escape(el.id)}"]`);
      if (target && text(target)) return text(target);
    }
    return text(el.closest('label'));
  };
  const state = el => {
    if (el.tagName === 'SELECT') return el.selectedOptions.length ? text(el.selectedOptions[0]) : '';
    const on = el.matches('input') ? el.checked : el.getAttribute('aria-checked') === 'true';
    return on ? 'on' : 'off';
  };
  const kind = el => el.tagName === 'SELECT' ? 'select'
    : el.getAttribute('role') === 'switch' ? 'switch'
    : (el.type === 'radio' || el.getAttribute('role') === 'radio') ? 'radio' : 'checkbox';
  const found = [], seenGroups = new Set();
  for (const el of all) {
    const area = row(el);
    if (!visible(el) && !visible(area)) continue;
    if (known.some(k => inside(area, k) || inside(k, el))) continue;
    let name = label(el), value = state(el), what = kind(el), where = area;
    if (what === 'radio') {
      const g = group(el);
      if (seenGroups.has(g)) continue;
      seenGroups.add(g);
      const members = all.filter(other => sameGroup(other, el));
      if (members.some(m => known.some(k => inside(k, m) || inside(m, k)))) continue;
      const chosen = members.find(m => m.matches('input') ? m.checked : m.getAttribute('aria-checked') === 'true');
      value = chosen ? label(chosen) : '';
      const box = typeof g === 'string' ? area : g;
      where = box;
      name = byIds(box, 'aria-labelledby') || (box.getAttribute && box.getAttribute('aria-label')) ||
        text(box.querySelector && box.querySelector('legend')) || name;
    }
    const about = `${name} ${byIds(el, 'aria-describedby')} ${text(where)}`.slice(0, 600);
    if (!(acronyms.test(about) || words.test(about)) || cookies.test(about)) continue;
    found.push({label: (name || text(where)).slice(0, 160), kind: what, state: value.slice(0, 80), about});
  }
  return found;
}"""


@dataclass(frozen=True)
class Notice:
    """One AI-related control no flow knows, as a run saw it."""

    platform: str
    account: str
    page: str  # URL without query or fragment
    label: str
    kind: str  # switch, checkbox, radio, select
    state: str  # on, off, or the chosen option

    @property
    def id(self) -> str:
        """Short and stable: what `optout-run ack` takes; the same for every account of the platform."""
        return notice_id(self.platform, self.page, self.label)

    def line(self) -> str:
        return (
            f"{self.platform} {self.account}: new AI-related setting {self.label!r} ({self.kind}, {self.state}) on "
            f"{self.page}; optout-run does not know it yet and left it alone: look at it, then `optout-run ack {self.id}`"
        )

    def as_json(self) -> dict:
        return {"id": self.id, "platform": self.platform, "account": self.account, "page": self.page,
                "label": self.label, "kind": self.kind, "state": self.state}


def notice_id(platform: str, page: str, label: str) -> str:
    return hashlib.sha256(f"{platform}\n{page}\n{normalize(label)}".encode()).hexdigest()[:8]


def vocabulary() -> tuple[str, str]:
    """The case-sensitive and the case-insensitive pattern, over every language."""
    sensitive = [p for acronyms, _ in VOCABULARY.values() for p in acronyms]
    insensitive = [p for _, words in VOCABULARY.values() for p in words]
    return "|".join(dict.fromkeys(sensitive)), "|".join(dict.fromkeys(insensitive))


class NewSwitches:
    """The page watcher: collects each job's notices; the history decides which are new."""

    def __init__(self) -> None:
        self.found: dict[int, list[Notice]] = {}

    async def __call__(self, page: "Page", flow, job) -> None:
        where = page_url(page.url)
        known = []
        for setting in flow.settings:  # every setting the flow knows, chosen for this run or not
            if setting.target:
                known += await flow.loc.any_of(page, setting.target).element_handles()
        try:
            seen = await page.evaluate(SCAN, [known, *vocabulary(), NOT_SETTINGS])
        finally:
            for handle in known:
                await handle.dispose()
        names = [s.label for s in flow.settings if "{" not in s.label]
        names += [n for spec in flow.site.leave_alone for n in (spec["label"], *spec.get("also", ()))]
        labels = [name_pattern(n, exact=False) for n in names]
        mine = self.found.setdefault(id(job), [])
        for control in seen:
            if any(p.search(control["label"]) for p in labels):
                continue  # a known setting the locators did not resolve here: its own run says what happened
            notice = Notice(flow.name, job.account.label, where, control["label"], control["kind"], control["state"])
            if notice not in mine:
                mine.append(notice)
                log.info("new AI-related setting", label=notice.label, page=where)

    def take(self, job) -> list[Notice]:
        return self.found.pop(id(job), [])
