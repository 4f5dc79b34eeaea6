"""Named locators from selectors/<platform>.toml, each an ordered list of fallbacks, resolved in a live page.

Order of preference in the data: role and accessible name, then label, text, test id, CSS last, and at least
one language-independent fallback (input name, stable id, aria-labelledby, data-testid) where the site has one.
Names match tolerantly (runner/wording.py): case, whitespace, punctuation, an optional "my"/"your" and a
control's trailing help text. A candidate that matches more than one element is skipped: grabbing the wrong
checkbox is worse than reporting that the page changed.

Besides locators a file may hold two lists of words: `languages = ["en", "de"]`, the page languages its
wordings cover, and `dismiss = ["cookie_banner"]`, overlays the engine dismisses (runner/dismiss.py), each
named NAME (the overlay) with NAME_button (what answers it, found inside it). selectors/_shared.toml holds
the dismissals every platform gets. The reserved tables (runner/sitedata.py: [flow], [sign_in], [states], ...)
are the flow's data, not locators; a sign-in pack a file extends lends it the locators it does not name itself.

How a locator is known is data too (docs/steps.md, "Provenance"): a fallback may carry `provenance = { status =
"verified" | "assumed", source = "...", on = "YYYY-MM-DD" }`, and `provenance.NAME = { ... }` (a top-level dotted
key, next to the locator) says it for every fallback of NAME that has none of its own. Both are checked here.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from importlib import resources
from pathlib import Path

from playwright.async_api import Locator, Page
from playwright.async_api import TimeoutError as PlaywrightTimeout

from runner.wording import name_pattern

KINDS = ("role", "label", "text", "placeholder", "testid", "css")


class BadLocators(ValueError):
    """A selectors file whose locators cannot be used; `key` names the entry (runner/sitedata.py finds its line)."""

    def __init__(self, path: Path, key: str, message: str, where: tuple = ()) -> None:
        super().__init__(f"{path}: {key}: {message}")
        self.path, self.key, self.message = path, key, message
        self.where = where or (key,)  # the key path of the problem: ("grok_training", 3, "provenance")


class SelectorNotFound(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def selectors_dir() -> Path:
    """One resolver for a checkout, an editable install and a wheel (where hatch maps selectors/ to runner/_selectors)."""
    packaged = resources.files("runner") / "_selectors"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "selectors"


CONTROL_ROLES = ("checkbox", "switch", "menuitemcheckbox")  # on-off controls: a radio's trailing words tell choices apart
WORD_LISTS = ("languages", "dismiss")  # the keys that are lists of words, not locators
RESERVED = ("schema", "flow", "sign_in", "open", "states", "options", "subjects", "setting", "leave_alone")  # runner/sitedata.py
FALLBACK_KEYS = (*KINDS, "name", "exact", "provenance")  # what one fallback may say
PROVENANCE = "provenance"  # provenance.NAME: how a locator is known, for its fallbacks that do not say it themselves
PROVENANCE_KEYS = ("status", "source", "on")
STATUSES = ("verified", "assumed")


def provenance_problem(value) -> str:
    """Why a provenance table is malformed ('' when it is fine)."""
    if not isinstance(value, dict):
        return 'must be a table: { status = "verified" or "assumed", source = "...", on = "YYYY-MM-DD" }'
    unknown = [k for k in value if k not in PROVENANCE_KEYS]
    if unknown:
        return f"unknown key {unknown[0]!r} (known: {', '.join(PROVENANCE_KEYS)})"
    missing = [k for k in PROVENANCE_KEYS if k not in value]
    if missing:
        return f"needs {', '.join(missing)}"
    if value["status"] not in STATUSES:
        return f"status {value['status']!r} is not one of: {', '.join(STATUSES)}"
    if not isinstance(value["source"], str) or not value["source"].strip():
        return "source must say where it is known from"
    if not isinstance(value["on"], str) or not re.fullmatch(r"20\d\d-\d\d-\d\d", value["on"]):
        return "on must be a date, YYYY-MM-DD"
    return ""


@cache
def load(platform: str) -> dict[str, tuple[dict, ...]]:
    path = selectors_dir() / f"{platform}.toml"
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    if raw.get("schema") != 1:
        raise BadLocators(path, "schema", "must be 1 (the version of the selectors format this optout-run reads)")
    pack = raw.get("sign_in", {}).get("extends") if isinstance(raw.get("sign_in"), dict) else None
    table = dict(load(f"_signin_{pack}")) if pack else {}
    for name, candidates in raw.items():
        if name in RESERVED or name == PROVENANCE:
            continue
        if name in WORD_LISTS:
            if not isinstance(candidates, list) or not all(isinstance(c, str) for c in candidates):
                raise BadLocators(path, name, "must be a list of words")
            continue
        if isinstance(candidates, dict):
            raise BadLocators(path, name, f"unknown table (the reserved ones: {', '.join(RESERVED[1:])})")
        if not isinstance(candidates, list) or not candidates:
            raise BadLocators(path, name, "must be a non-empty list of fallbacks")
        for i, candidate in enumerate(candidates):
            if not isinstance(candidate, dict) or sum(kind in candidate for kind in KINDS) != 1:
                raise BadLocators(path, name, f"each fallback needs exactly one of {', '.join(KINDS)}", (name, i))
            unknown = [key for key in candidate if key not in FALLBACK_KEYS]
            if unknown:
                known = ", ".join(FALLBACK_KEYS)
                raise BadLocators(path, name, f"unknown key {unknown[0]!r} in a fallback (known: {known})", (name, i, unknown[0]))
            if PROVENANCE in candidate and (problem := provenance_problem(candidate[PROVENANCE])):
                raise BadLocators(path, name, f"provenance: {problem}", (name, i, PROVENANCE))
        table[name] = tuple(candidates)
    known = raw.get(PROVENANCE, {})
    if not isinstance(known, dict):
        raise BadLocators(path, PROVENANCE, "must be a table of locator names: provenance.NAME = { status, source, on }")
    for name, value in known.items():
        where = (f"{PROVENANCE}.{name}",)
        if name not in table:
            raise BadLocators(path, where[0], f"no locator named {name!r}", where)
        if problem := provenance_problem(value):
            raise BadLocators(path, where[0], problem, where)
    return table


@cache
def provenance(platform: str) -> dict[str, tuple[dict | None, ...]]:
    """How each fallback of each locator is known: its own provenance, else its name's, else None (not said).

    A sign-in pack's word on its own locators holds unless the platform says otherwise."""
    table = load(platform)  # checked there
    raw = tomllib.loads((selectors_dir() / f"{platform}.toml").read_text(encoding="utf-8"))
    pack = raw.get("sign_in", {}).get("extends") if isinstance(raw.get("sign_in"), dict) else None
    inherited = provenance(f"_signin_{pack}") if pack else {}
    by_name = raw.get(PROVENANCE, {})
    found = {}
    for name, candidates in table.items():
        from_pack = inherited.get(name, (None,) * len(candidates)) if name not in raw else (None,) * len(candidates)
        found[name] = tuple(c.get(PROVENANCE) or by_name.get(name) or p for c, p in zip(candidates, from_pack))
    return found


def table_of(platform: str) -> dict[str, tuple[dict, ...]]:
    return load(platform)


@cache
def word_list(platform: str, key: str) -> tuple[str, ...]:
    """One of the WORD_LISTS of a selectors file; languages default to English."""
    raw = tomllib.loads((selectors_dir() / f"{platform}.toml").read_text(encoding="utf-8"))
    return tuple(raw.get(key, ["en"] if key == "languages" else []))


def build(root: Page | Locator, candidate: dict, trailing: bool = True) -> Locator:
    """trailing=False: without a control's trailing help text (the tie-break when that tolerance makes two match)."""
    exact = bool(candidate.get("exact"))
    if "role" in candidate:
        role, name = candidate["role"], candidate.get("name")
        if name is None:
            return root.get_by_role(role)
        return root.get_by_role(role, name=name_pattern(name, exact=exact, trailing=trailing and role in CONTROL_ROLES))
    if "label" in candidate:
        return root.get_by_label(name_pattern(candidate["label"], exact=exact, trailing=trailing))
    if "text" in candidate:
        return root.get_by_text(name_pattern(candidate["text"], exact=exact))
    if "placeholder" in candidate:
        return root.get_by_placeholder(name_pattern(candidate["placeholder"], exact=exact))
    if "testid" in candidate:
        return root.get_by_test_id(candidate["testid"])
    return root.locator(candidate["css"])


class Locators:
    """One platform's named locators, bound to the run's timeout."""

    def __init__(self, platform: str, timeout_ms: float) -> None:
        self.platform = platform
        self.table = load(platform)
        self.timeout_ms = timeout_ms
        self.ready, self.skeleton = "ready", "skeleton"  # runner/settle.py; a platform's [states] ready may rename them
        self.matched: dict[str, tuple[int, int]] = {}  # locator health: name -> (fallback used, 1-based; fallbacks)

    @property
    def languages(self) -> tuple[str, ...]:
        return word_list(self.platform, "languages")

    def any_of(self, root: Page | Locator, name: str) -> Locator:
        """Every fallback of a name as one locator: for waiting, never for acting."""
        locators = [build(root, c) for c in self.table[name]]
        union = locators[0]
        for other in locators[1:]:
            union = union.or_(other)
        return union

    async def find(self, root: Page | Locator, name: str, timeout_ms: float | None = None) -> Locator:
        """Wait until some fallback appears, then take the first one in order that matches exactly one (visible) element.

        The first fallback is counted before any waiting: it is usually there already, and one round trip to the
        browser instead of two is a large part of a run's CPU.
        """
        first = build(root, self.table[name][0])
        if await first.count() == 1:
            self.matched[name] = (1, len(self.table[name]))
            return first
        try:
            await self.any_of(root, name).first.wait_for(state="attached", timeout=timeout_ms or self.timeout_ms)
        except PlaywrightTimeout:
            raise SelectorNotFound(name) from None
        for i, candidate in enumerate(self.table[name], start=1):
            locator = build(root, candidate)
            count = await locator.count()
            if count > 1:  # multi-step forms keep hidden steps in the DOM: one visible match is still unique
                locator = locator.filter(visible=True)
                count = await locator.count()
                if count != 1 and candidate.get("exact"):  # "X" and "X's AI features": the one whole name wins
                    locator = build(root, candidate, trailing=False)
                    count = await locator.count()
            if count == 1:
                self.matched[name] = (i, len(self.table[name]))
                return locator
        raise SelectorNotFound(name)

    def health(self, name: str) -> str:
        """'3/4' when the last find of name took its 3rd of 4 fallbacks; '' for the first choice or no find."""
        used, of = self.matched.get(name, (1, 1))
        return f"{used}/{of}" if used > 1 else ""

    async def present(self, root: Page | Locator, name: str) -> bool:
        """Is any fallback of this name on the page right now (no waiting)?"""
        return await self.any_of(root, name).count() > 0
