"""A platform's site knowledge as data: selectors/<name>.toml read, checked and tied together once, at import.

Besides its named locators (runner/locate.py) a file holds, in reserved tables: [flow] (title, URLs, notes),
[sign_in] (its steps, or `extends` a shared sign-in pack, selectors/_signin_<pack>.toml), [open] (how every
setting's page is reached), [states] (what a loaded page is: signed out, a challenge, ...), [options] (choices the
user's config may make), [subjects] (what a setting repeats for: blogs, sites) and [[setting]]. docs/steps.md
describes it all. Every locator name the data uses must exist, every key must be known: a problem is one line that
names the file and the line (tomllib gives no positions, so the line comes from a scan of the text).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from runner.locate import BadLocators, selectors_dir, table_of
from runner.steps import DEFAULT_OPEN, check_steps
from runner.controls import check_control
from runner.saving import check_save

SCHEMA = 1

FLOW_KEYS = {"title", "home_url", "sign_in_url", "sign_in_origins", "notes", "caveat", "summary", "not_covered"}
STATE_KEYS = {
    "signed_out": {"marker", "urls"},  # the session is gone: sign in (first page) or report it (later)
    "signed_in": {"marker"},  # what `optout-run login` waits for
    "challenge": {"marker", "urls", "detail"},  # a person must act; detail: what to tell them
    "two_factor": {"marker", "code", "submit"},  # a 2FA prompt; code/submit: where a stored TOTP code goes
    "rejected": {"marker"},  # the sign-in form's own "wrong password"
    "interstitial": {"marker", "answer"},  # a page between sign-in and the app ("Save your login info?"): answered
    "ready": {"marker", "skeleton"},  # settled: the ready marker shows and no skeleton is left (runner/settle.py)
}
SETTING_KEYS = {
    "id", "label", "summary", "url", "opted_out", "also_opted_out", "cost", "default", "mentions", "subject", "app_steps",
    "control", "confirm", "save", "not_offered", "provenance", "broken", "open", "reveal", "change", "trains_ai",
}
PROVENANCE = {"verified", "assumed"}
SUBJECT_KEYS = {"page", "marker", "name", "sources"}
SOURCE_KEYS = {"state": {"state", "path"}, "api": {"api", "path", "bearer"}, "links": {"links", "pattern"}}
OPTION_KEYS = {"choices", "when"}
SETTING_OVERRIDES = {"opted_out", "also_opted_out"}


class DataError(ValueError):
    """A selectors file the code cannot trust; the message is one line: file, line, what is wrong."""


@dataclass(frozen=True)
class State:
    marker: str = ""
    urls: tuple[str, ...] = ()
    detail: str = ""
    code: str = ""
    submit: str = ""
    answer: str = ""
    skeleton: str = ""

    def at(self, url: str) -> bool:
        return any(re.search(p, url) for p in self.urls)


@dataclass(frozen=True)
class Subject:
    """How to list what a setting repeats for, from the signed-in page that shows them all."""

    name: str
    page: str
    marker: str
    valid: str  # a regex every listed name must match in full: nothing else goes into a URL
    sources: tuple[dict, ...]


@dataclass(frozen=True)
class Site:
    """Everything one selectors file says besides its locators, checked."""

    flow: dict
    sign_in: tuple[dict, ...]
    open: tuple[dict, ...]
    states: dict[str, State]
    options: dict[str, dict]
    subjects: dict[str, Subject]
    settings: tuple[dict, ...]  # raw [[setting]] tables, checked; runner.flow turns them into Settings
    leave_alone: tuple[dict, ...] = ()  # AI-related controls known and left alone on purpose: never a new-setting notice

    @property
    def not_covered(self) -> tuple[str, ...]:
        """What no setting of this platform does ("posts already used for training are not unlearned"): one source
        for `optout-run platforms`, the run's results and `optout-run report`."""
        return tuple(self.flow.get("not_covered", ()))


class Checker:
    """Raises one-line DataErrors that point at the file and, as near as a scan of the text can tell, the line."""

    def __init__(self, path: Path, text: str) -> None:
        self.path, self.lines = path, text.splitlines()

    def fail(self, where: tuple, message: str) -> None:
        dotted = "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else p) for i, p in enumerate(where))
        raise DataError(f"{self.name()}:{self.line_of(where)}: {dotted}: {message}")

    def name(self) -> str:
        try:
            return str(self.path.relative_to(Path.cwd()))
        except ValueError:
            return str(self.path)

    def line_of(self, where: tuple) -> int:
        """The line of a key path: each part searched for after the line of the part before it."""
        at, array = 0, ""
        for part in where:
            if isinstance(part, int):  # the n-th [[array]] header after here, or the n-th item of an inline array
                header = re.compile(rf"^\s*\[\[\s*(?:[\w.]+\.)?{re.escape(array)}\s*\]\]")
                hits = [i for i in range(at, len(self.lines)) if header.match(self.lines[i])]
                at = hits[part] if len(hits) > part else self.item(at, part)
                continue
            array = part
            key = re.compile(rf"(^\s*\[\[?\s*(?:[\w.]+\.)?{re.escape(part)}\s*\]\]?)|((^|[{{,\s])\"?{re.escape(part)}\"?\s*=)")
            at = next((i for i in range(at, len(self.lines)) if key.search(self.lines[i])), at)
        return at + 1

    def item(self, at: int, n: int) -> int:
        """The line of the n-th item of the inline array whose `key = [` is on line `at` (strings skipped)."""
        depth, count, quote = 0, -1, ""
        for i in range(at, len(self.lines)):
            line = self.lines[i]
            start = line.index("=") + 1 if i == at and "=" in line else 0
            for char in line[start:]:
                if quote:
                    quote = "" if char == quote else quote
                elif char in "\"'":
                    quote = char
                elif char == "#":
                    break
                elif char in "[{":
                    depth += 1
                    if depth == 2:
                        count += 1
                        if count == n:
                            return i
                elif char in "]}":
                    depth -= 1
                    if depth == 0:
                        return at
        return at

    def keys(self, where: tuple, table, allowed, required=()) -> None:
        if not isinstance(table, dict):
            self.fail(where, "must be a table")
        for key in table:
            if key not in allowed:
                self.fail((*where, key), f"unknown key (known: {', '.join(sorted(allowed))})")
        for key in required:
            if key not in table:
                self.fail(where, f"needs {key}")

    def text(self, where: tuple, value, empty: bool = False) -> str:
        if not isinstance(value, str) or not (value or empty):
            self.fail(where, "must be a non-empty string")
        return value

    def words(self, where: tuple, value) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(where, "must be a list of strings")
        return tuple(value)

    def name_of(self, where: tuple, value, names: frozenset[str]) -> str:
        """A locator name that must exist in the file (or the pack it extends)."""
        self.text(where, value)
        if value not in names:
            self.fail(where, f"no locator named {value!r}")
        return value


class Anything(frozenset):
    """The names a sign-in pack may use: any, since each platform that extends it is checked on its own."""

    def __contains__(self, name) -> bool:
        return True


def path_of(name: str) -> Path:
    return selectors_dir() / f"{name}.toml"


def read(name: str) -> tuple[Path, str, dict]:
    path = path_of(name)
    text = path.read_text(encoding="utf-8")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"{path}: not valid TOML ({exc})") from None
    check = Checker(path, text)
    if raw.get("schema") != SCHEMA:
        check.fail(("schema",), f"must be {SCHEMA} (this optout-run reads schema {SCHEMA})")
    return path, text, raw


def pack_of(raw: dict) -> str:
    sign_in = raw.get("sign_in")
    return f"_signin_{sign_in['extends']}" if isinstance(sign_in, dict) and sign_in.get("extends") else ""


@cache
def load(name: str) -> Site:
    """The checked data of one platform (or pack); raises DataError."""
    path, text, raw = read(name)
    check = Checker(path, text)
    pack = pack_of(raw)
    if pack and not path_of(pack).is_file():
        check.fail(("sign_in", "extends"), f"no sign-in pack selectors/{pack}.toml")
    try:
        names = Anything() if name.startswith("_signin_") else frozenset(table_of(name))  # a pack: checked where used
    except BadLocators as exc:
        check = Checker(exc.path, exc.path.read_text(encoding="utf-8"))
        check.fail(exc.where, exc.message)
    base = load(pack) if pack else None

    flow = raw.get("flow", {})
    check.keys(("flow",), flow, FLOW_KEYS, () if name.startswith("_") else ("title", "home_url"))
    check.words(("flow", "sign_in_origins"), flow.get("sign_in_origins", []))
    if "not_covered" in flow:  # every registered platform has it (tests/test_proof_report.py); packs and tests need not
        sentences = check.words(("flow", "not_covered"), flow["not_covered"])
        if not sentences or not all(s.strip() for s in sentences):
            check.fail(("flow", "not_covered"), "must be a non-empty list of sentences")

    sign_in_table = raw.get("sign_in", {})
    check.keys(("sign_in",), sign_in_table, {"extends", "steps"})
    sign_in = tuple(sign_in_table.get("steps", base.sign_in if base else ()))
    check_steps(check, ("sign_in", "steps"), sign_in, names)
    if flow.get("sign_in_url") and not sign_in:
        check.fail(("sign_in",), "a platform with a sign_in_url needs sign-in steps or extends a pack")

    open_table = raw.get("open", {})
    check.keys(("open",), open_table, {"steps"})
    opening = tuple(open_table.get("steps", DEFAULT_OPEN))
    check_steps(check, ("open", "steps"), opening, names)

    states = dict(base.states) if base else {}
    raw_states = raw.get("states", {})
    check.keys(("states",), raw_states, STATE_KEYS)
    for key, spec in raw_states.items():
        check.keys(("states", key), spec, STATE_KEYS[key])
        merged = {**(states[key].__dict__ if key in states else {}), **spec}  # marker = "": withdrawn
        for pattern in check.words(("states", key, "urls"), spec.get("urls", [])):
            try:
                re.compile(pattern)
            except re.error as exc:
                check.fail(("states", key, "urls"), f"{pattern!r} is no regex ({exc})")
        merged["urls"] = tuple(merged.get("urls", ()))
        states[key] = State(**merged)

    options = raw.get("options", {})
    for key, spec in options.items():
        check.keys(("options", key), spec, OPTION_KEYS, ("choices",))
        choices = check.words(("options", key, "choices"), spec["choices"])
        when = spec.get("when", {})
        check.keys(("options", key, "when"), when, set(choices))

    subjects = {}
    for key, spec in raw.get("subjects", {}).items():
        check.keys(("subjects", key), spec, SUBJECT_KEYS, SUBJECT_KEYS)
        check.name_of(("subjects", key, "marker"), spec["marker"], names)
        if not isinstance(spec["sources"], list) or not spec["sources"]:
            check.fail(("subjects", key, "sources"), "must be a non-empty list of sources")
        for i, source in enumerate(spec["sources"]):
            kind = next((k for k in SOURCE_KEYS if k in source), "")
            if not kind:
                check.fail(("subjects", key, "sources", i), f"a source is one of: {', '.join(SOURCE_KEYS)}")
            check.keys(("subjects", key, "sources", i), source, SOURCE_KEYS[kind])
            if kind == "links":
                check.name_of(("subjects", key, "sources", i, "links"), source["links"], names)
        subjects[key] = Subject(key, spec["page"], spec["marker"], spec["name"], tuple(spec["sources"]))

    settings = tuple(raw.get("setting", []))
    ids = [s.get("id") for s in settings]
    for i, spec in enumerate(settings):
        where = ("setting", i)
        check.keys(where, spec, SETTING_KEYS, ("id", "label", "url", "opted_out", "cost", "provenance"))
        if ids.count(spec["id"]) > 1 or not re.fullmatch(r"[a-z0-9_]+", str(spec["id"])):
            check.fail((*where, "id"), f"{spec['id']!r} must be unique and of a-z, 0-9 and _")
        for key in ("label", "url", "cost"):
            check.text((*where, key), spec[key])
        if "summary" in spec:  # its words in the README's platform table (runner/catalog.py)
            check.text((*where, "summary"), spec["summary"])
        if not isinstance(spec.get("trains_ai", False), bool):  # the platform's AI-training switch (`doctor` uses it)
            check.fail((*where, "trains_ai"), "must be true or false")
        if not isinstance(spec["opted_out"], (bool, str)):
            check.fail((*where, "opted_out"), "must be true, false or the opted-out choice as the site words it")
        prov = spec["provenance"]
        check.keys((*where, "provenance"), prov, {"status", "source", "on"}, ("status", "source", "on"))
        if prov["status"] not in PROVENANCE or not re.fullmatch(r"\d{4}-\d\d-\d\d", str(prov["on"])):
            check.fail((*where, "provenance"), 'status is "verified" or "assumed", on is YYYY-MM-DD')
        if spec.get("subject") and spec["subject"] not in subjects:
            check.fail((*where, "subject"), f"no [subjects.{spec['subject']}]")
        if "broken" in spec:
            check.text((*where, "broken"), spec["broken"])
        if spec.get("app_steps"):
            continue
        if "control" not in spec and "change" not in spec:
            check.fail(where, "a web setting needs a control (or app_steps)")
        check_control(check, (*where, "control"), spec.get("control", {}), names)
        check_save(check, (*where, "save"), spec.get("save", {}), names)
        if "confirm" in spec:
            check.name_of((*where, "confirm"), spec["confirm"], names)
        if "not_offered" in spec:
            offered = spec["not_offered"]
            check.keys((*where, "not_offered"), offered, {"notice", "section"}, ("notice", "section"))
            for key in ("notice", "section"):
                check.name_of((*where, "not_offered", key), offered[key], names)
        for steps in ("open", "reveal", "change"):
            check_steps(check, (*where, steps), spec.get(steps, ()), names)
    for key, spec in options.items():
        for choice, changes in spec.get("when", {}).items():
            for setting_id, override in changes.items():
                if setting_id != "*" and setting_id not in ids:
                    check.fail(("options", key, "when", choice, setting_id), "no such setting")
                check.keys(("options", key, "when", choice, setting_id), override, SETTING_OVERRIDES)

    leave_alone = tuple(raw.get("leave_alone", []))
    for i, spec in enumerate(leave_alone):  # runner/notices.py: a neighbour the flow knows and does not switch
        check.keys(("leave_alone", i), spec, {"label", "also", "why"}, ("label", "why"))
        check.text(("leave_alone", i, "label"), spec["label"])
        check.text(("leave_alone", i, "why"), spec["why"])
        check.words(("leave_alone", i, "also"), spec.get("also", []))

    for key, state in states.items():  # a pack's states too, against this file's locators
        for field_ in ("marker", "code", "submit", "answer", "skeleton"):
            if getattr(state, field_):
                check.name_of(("states", key, field_), getattr(state, field_), names)
    web = [s for s in settings if not s.get("app_steps")]
    if web and not name.startswith("_"):
        for key in ("signed_out", "challenge"):
            if not states.get(key, State()).marker:
                check.fail(("states", key), "every platform with web settings declares this state's marker")
    if flow.get("sign_in_url"):
        for key in ("signed_in", "rejected"):
            if not states.get(key, State()).marker:
                check.fail(("states", key), "every platform with a password sign-in declares this state's marker")
    return Site(flow, sign_in, opening, states, options, subjects, settings, leave_alone)


__all__ = ["DataError", "SCHEMA", "Site", "State", "Subject", "load"]
