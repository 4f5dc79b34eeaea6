"""The replay harness: serves a recorded scenario to the real browser by routing the platform's real URLs.

A scenario is data only (fixtures/README.md): HTML pages plus manifest.toml, which may extend another manifest
(the platform's `exposed` scenario) and say only what differs. The harness is stateful: the sign-in endpoint
checks the password and sets a session cookie, save requests change the state that later page loads render, and
every request is logged. Anything the scenario does not list is aborted and reported, so a replay can never
reach the live network.
"""

from __future__ import annotations

import asyncio
import copy
import fnmatch
import html
import itertools
import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qsl

from playwright.async_api import BrowserContext, Error as PlaywrightError, Request, Route

import flows

MANIFEST = "manifest.toml"
LATENCY_ENV = "OPTOUT_REPLAY_LATENCY"  # e.g. "documents=150,api=60,saves=120": every scenario's default [latency]
LATENCY_KINDS = ("documents", "api", "saves")
_counter = itertools.count(1)


class ScenarioError(Exception):
    """A scenario directory or manifest that cannot be replayed (one line per problem for the user)."""


@dataclass
class Scenario:
    path: Path
    manifest: dict
    # Where each [[page]], [[save]] and [[account]] of a composed manifest was written: (file, index in that file),
    # so a problem names the line an author can find. Empty for a manifest built in code: it is its own origin.
    origins: dict[str, list[tuple[Path, int]]] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def load(cls, path: Path) -> "Scenario":
        file = path / MANIFEST
        if not file.is_file():
            raise ScenarioError(f"{path} is not a replay scenario (no {MANIFEST})")
        manifest, origins = compose(file)
        scenario = cls(path, manifest, origins)
        # Every problem at once, one line each, before a browser starts: a malformed manifest would otherwise
        # surface as a traceback or as a timeout inside the harness, where nobody looks for a typo.
        found = [scenario.where(problem) for problem in problems(manifest, path)]
        found += scenario.patch_problems()
        if found:
            raise ScenarioError("\n".join(found))
        return scenario

    @property
    def platform(self) -> str:
        return self.manifest["platform"]

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def accounts(self) -> list[dict]:
        return self.manifest["account"]

    @property
    def expect(self) -> dict:
        return self.manifest.get("expect", {})

    def where(self, problem: str) -> str:
        """'<file>: <problem>', the file and the entry index being those the author wrote (see `origins`)."""
        match = re.match(r"(page|save|account)\[(\d+)\](.*)", problem, re.S)
        written = self.origins.get(match.group(1), []) if match else []
        if match and int(match.group(2)) <= len(written):
            file, index = written[int(match.group(2)) - 1]
            return f"{file}: {match.group(1)}[{index}]{match.group(3)}"
        return f"{self.path / MANIFEST}: {problem}"

    def template(self, page: dict, reload: bool = False) -> str:
        """The page's template as served: its file with its patches, or on a later load what the entry says then."""
        name, patches = _served(page, reload)
        text, found = patched((self.path / name).read_text(encoding="utf-8"), patches, name)
        if found:  # Scenario.load checked them; a page entry changed in code since
            raise ScenarioError(f"{self.path / MANIFEST}: {found[0]}")
        return text

    def patch_problems(self) -> list[str]:
        """Each patch must match its page exactly once: a base page that changed under a variant is a load error."""
        found = []
        for i, page in enumerate(self.manifest.get("page", []), 1):
            for key, reload in (("replace", False), ("reload_replace", True)):
                if key not in page:
                    continue
                name, patches = _served(page, reload)
                try:
                    text = (self.path / name).read_text(encoding="utf-8")
                except OSError as exc:
                    found.append(self.where(f"page[{i}].{key}: {name} cannot be read ({exc.strerror})"))
                    continue
                first = len(patches) - len(page[key])  # a reload without its own file: `replace` first (checked above)
                text, _ = patched(text, patches[:first], name)
                found += [self.where(f"page[{i}].{key}{p}") for p in patched(text, page[key], name)[1]]
        return found


def _served(page: dict, reload: bool) -> tuple[str, list[dict]]:
    """Which file a load of this page entry serves, and the patches it gets: the first load `file` + `replace`; later
    loads `reload_file` + `reload_replace`, or without a reload_file the first page patched further."""
    if reload and "reload_file" in page:
        return page["reload_file"], page.get("reload_replace", [])
    if reload:
        return page["file"], page.get("replace", []) + page.get("reload_replace", [])
    return page["file"], page.get("replace", [])


def patched(text: str, patches: list[dict], name: str) -> tuple[str, list[str]]:
    """Apply `find`/`with` patches in order; each `find` must occur exactly once in the text as it is by then."""
    found = []
    for k, patch in enumerate(patches, 1):
        count = text.count(patch["find"])
        if count != 1:
            shown = json.dumps(patch["find"] if len(patch["find"]) <= 60 else patch["find"][:57] + "...")
            how = "does not occur" if count == 0 else f"occurs {count} times"
            found.append(f"[{k}].find: {shown} {how} in {name}; a patch must match exactly once (did the page change?)")
            continue
        text = text.replace(patch["find"], patch["with"], 1)
    return text, found


# -- inheritance: `extends` and the merge rule (fixtures/README.md, "Scenarios inherit") ---------------------------

# Entries of these arrays of tables are matched by what the harness serves them by; a scenario entry with the same
# key changes the inherited one in place, a new key adds an entry, `remove = true` drops the inherited one.
KEYED = {"page": ("url", "language"), "save": ("url",), "account": ("username",)}
OWN = ("description", "expect")  # what a scenario shows and its outcome are never inherited: each says its own
FILE_KEYS = ("file", "reload_file")


def compose(file: Path, chain: tuple[Path, ...] = ()) -> tuple[dict, dict[str, list[tuple[Path, int]]]]:
    """The manifest in `file` with everything it extends merged in, and where each keyed entry was written."""
    if file.resolve() in chain:
        cycle = " -> ".join(str(f) for f in (*chain, file.resolve()))
        raise ScenarioError(f"{file}: extends: expected a manifest that does not extend itself, got the cycle {cycle}")
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{file}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise ScenarioError(f"{file}: cannot be read ({exc.strerror})") from None
    partial = "extends" in raw
    found = _table(raw, MANIFEST_SCHEMA, "", partial=partial)
    if not found:
        found = _file_problems(raw, file.parent)
    target = None
    if not found and partial:
        target = Path(os.path.normpath(file.parent / raw["extends"]))
        target = target / MANIFEST if target.is_dir() else target
        if not target.is_file():
            found.append(
                f"extends: expected a scenario directory or a .toml manifest to extend, but {raw['extends']} "
                f"does not exist (relative to {file.parent})"
            )
    if found:
        raise ScenarioError("\n".join(f"{file}: {problem}" for problem in found))
    if target is None:
        return raw, {key: [(file, i) for i in range(1, len(raw.get(key, [])) + 1)] for key in KEYED}
    base, origins = compose(target, (*chain, file.resolve()))
    _anchor(base, target.parent)
    return merge(base, raw, origins, file)


def _file_problems(raw: dict, directory: Path) -> list[str]:
    found = [
        f"page[{i}].{key}: expected a file relative to the manifest, but {page[key]} does not exist"
        for i, page in enumerate(raw.get("page", []), 1)
        for key in FILE_KEYS
        if key in page and not (directory / page[key]).is_file()
    ]
    for i, page in enumerate(raw.get("page", []), 1):
        views = page.get("views", [])
        shown = {os.path.normpath(directory / f) for f in (page.get("file", ""), *(v["file"] for v in views))}
        for j, view in enumerate(views, 1):
            at = f"page[{i}].views[{j}]"
            if not (directory / view["file"]).is_file():
                found.append(f"{at}.file: expected a file relative to the manifest, but {view['file']} does not exist")
            if "from" in view and os.path.normpath(directory / view["from"]) not in shown:
                found.append(f"{at}.from: expected the page's file or one of its views' files, got {_shown(view['from'])}")
    return found


def _anchor(manifest: dict, directory: Path) -> None:
    """Inherited page files keep pointing where their own manifest meant, whichever directory extends them."""
    for page in manifest.get("page", []):
        for key in FILE_KEYS:
            if key in page:
                page[key] = os.path.normpath(directory.absolute() / page[key])
        for view in page.get("views", []):
            for key in ("file", "from"):
                if key in view:
                    view[key] = os.path.normpath(directory.absolute() / view[key])


def merge(base: dict, own: dict, origins: dict, file: Path) -> tuple[dict, dict]:
    """`own` over `base`: tables deep-merge, keyed arrays of tables merge by key, any other value is replaced."""
    merged = {key: value for key, value in base.items() if key not in OWN}
    origins = {key: list(written) for key, written in origins.items()}
    problems = []
    for key, value in own.items():
        if key == "extends":
            continue
        if key in KEYED:
            merged[key], origins[key], wrong = _merge_entries(key, merged.get(key, []), value, origins.get(key, []), file)
            problems += wrong
            if not merged[key]:  # all removed: as if the manifest had none
                del merged[key], origins[key]
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    if problems:
        raise ScenarioError("\n".join(f"{file}: {problem}" for problem in problems))
    return merged, origins


def _deep(base: dict, own: dict) -> dict:
    merged = dict(base)
    for key, value in own.items():
        merged[key] = _deep(base[key], value) if isinstance(value, dict) and isinstance(base.get(key), dict) else copy.deepcopy(value)
    return merged


def _merge_entries(kind: str, base: list, own: list, written: list, file: Path) -> tuple[list, list, list[str]]:
    def key(entry: dict) -> tuple:
        return tuple(entry.get(k) for k in KEYED[kind])

    entries, origin = [dict(e) for e in base], list(written)
    index = {key(e): i for i, e in enumerate(entries)}
    added, added_origin, removed, problems = [], [], set(), []
    for j, entry in enumerate(own, 1):
        i = index.get(key(entry))
        if entry.get("remove"):
            if i is None:
                what = ", ".join(f"{k} = {json.dumps(entry.get(k))}" for k in KEYED[kind] if k in entry)
                problems.append(f"{kind}[{j}].remove: expected an inherited {kind} to remove, but none has {what}")
            removed.add(i)
        elif i is None:
            if kind == "page" and "file" not in entry:  # most likely meant to change an inherited page
                problems.append(
                    f"page[{j}].url: expected the url of an inherited page (or a file for a new page), but none has "
                    f"url = {json.dumps(entry['url'])}" + (f", language = {json.dumps(entry['language'])}" if "language" in entry else "")
                )
            added.append(copy.deepcopy(entry))
            added_origin.append((file, j))
        else:
            entries[i] = _deep(entries[i], entry)
            origin[i] = (file, j)
    # A scenario's new entries come first: they are usually one URL of a glob the site serves (a blog's page under
    # settings/blog/*), and pages match in order, first match first.
    keep = [i for i in range(len(entries)) if i not in removed]
    return added + [entries[i] for i in keep], added_origin + [origin[i] for i in keep], problems


# -- what a manifest may hold (fixtures/README.md) ----------------------------------------------------------------


@dataclass(frozen=True)
class Value:
    """One value: what it must be, in the words the error repeats."""

    expected: str
    valid: Callable[[Any], bool]
    required: bool = False
    secret: bool = False  # the error names its type, never the value
    key: bool = False  # identifies its entry: required even in a manifest that extends another


@dataclass(frozen=True)
class Table:
    """A [table], or with many=True an [[array of tables]]; keys it does not list are errors (typos)."""

    keys: dict[str, "Value | Table | Each"]
    many: bool = False
    required: bool = False


@dataclass(frozen=True)
class Each:
    """A table whose keys are the author's own (state keys, setting ids); every value must be `value`."""

    value: "Value | Table"
    expected: str


def _text(v: Any) -> bool:
    return isinstance(v, str) and bool(v.strip())


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _whole(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


TEXT = Value("a non-empty string", _text)
URL = Value("a URL (https://...)", lambda v: _text(v) and "://" in v)
FLAG = Value("true or false", lambda v: isinstance(v, bool))
COUNT = Value("a whole number, 0 or more", lambda v: _whole(v) and v >= 0)
MS = Value("a number of milliseconds, 0 or more", lambda v: _number(v) and v >= 0)
STATUS = Value("an HTTP status (a whole number from 100 to 599)", lambda v: _whole(v) and 100 <= v <= 599)
ANY = Value("a value", lambda v: True)
PATCHES = Table(
    {
        "find": Value("the exact text to replace (a non-empty string)", lambda v: isinstance(v, str) and v != "", required=True),
        "with": Value("the text that replaces it (a string)", lambda v: isinstance(v, str), required=True),
    },
    many=True,
)
# Panes of a one-URL app, opened by clicks (runner/capture.py writes them): the harness serves the page with a
# script that shows the view's markup when an element matching `click` is clicked while `from` shows.
VIEWS = Table(
    {
        "click": Value("a CSS selector of what is clicked", _text, required=True),
        "file": Value("an HTML file, relative to the scenario: the view the click shows", _text, required=True),
        "from": Value("the file of the view the click is made in (the page's file or a view's); default: any", _text),
    },
    many=True,
)

MANIFEST_SCHEMA = Table(
    {
        "platform": Value("the name of a platform", _text, required=True),
        "extends": Value("the manifest this one extends: a scenario directory or a .toml file, relative to it", _text),
        "description": TEXT,
        "reconstructed_from": TEXT,
        "reconstructed_on": TEXT,
        "account": Table(
            {
                "username": Value("the account's user name (a non-empty string)", _text, required=True, key=True),
                "name": TEXT,
                "password": Value(TEXT.expected, _text, secret=True),
                "site_password": Value(TEXT.expected, _text, secret=True),
                "totp": Value(
                    "a base32 TOTP secret (letters A-Z and digits 2-7)",
                    lambda v: isinstance(v, str) and re.fullmatch(r"[A-Za-z2-7]+=*", v) is not None,
                    secret=True,
                ),
                "totp_stored": FLAG,
                "remove": FLAG,
            },
            many=True,
            required=True,
        ),
        "options": Each(ANY, "options, as in [platform.<name>] of the config"),  # the flow checks them
        "state": Each(ANY, "site state"),
        "session": Table(
            {
                "cookie": Value("a cookie name", lambda v: _text(v) and re.fullmatch(r"[!#-'*+.0-9A-Z^-z|~-]+", v) is not None),
                "domain": TEXT,
                "expired": FLAG,
                "max_age": Value("seconds the cookie lasts (a whole number, 1 or more)", lambda v: _whole(v) and v >= 1),
                "token": Value(
                    "a cookie value (printable, without spaces, quotes, commas, semicolons or backslashes)",
                    lambda v: isinstance(v, str) and re.fullmatch(r"[!#-+\--:<-\[\]-~]+", v) is not None,
                    secret=True,
                ),
                "revoke_after": Value("a whole number of requests, 1 or more", lambda v: _whole(v) and v >= 1),
            }
        ),
        "latency": Table({kind: MS for kind in LATENCY_KINDS}),
        "sign_in": Table(
            {
                "url": Value("the URL the sign-in form posts to", URL.valid, required=True),
                "username_field": TEXT,
                "password_field": TEXT,
                "redirect": URL,
                "next": TEXT,
                "error": TEXT,
            }
        ),
        "two_factor": Table(
            {
                "url": Value("the URL the code form posts to", URL.valid, required=True),
                "code_field": TEXT,
                "error": TEXT,
            }
        ),
        "page": Table(
            {
                "url": Value("a URL or URL glob", URL.valid, required=True, key=True),
                "language": Value(
                    "a language tag (de, fr-FR)", lambda v: isinstance(v, str) and re.fullmatch(r"[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*", v) is not None, key=True
                ),
                "file": Value("an HTML file, relative to the scenario", _text, required=True),
                "replace": PATCHES,
                "reload_file": TEXT,
                "reload_replace": PATCHES,
                "views": VIEWS,
                "delay_ms": MS,
                "auth": FLAG,
                "content_type": TEXT,
                "status": STATUS,
                "remove": FLAG,
            },
            many=True,
        ),
        "save": Table(
            {
                "url": Value("a URL or URL glob", URL.valid, required=True, key=True),
                "fields": Each(Value("a state key", _text), "body field -> state key"),
                "rules": Table(
                    {
                        "path": Value("a dotted path into the body", _text, required=True),
                        "state": Value("a state key", _text, required=True),
                        "value": Value("the value the state key gets", ANY.valid, required=True),
                        "contains": ANY,
                        "equals": ANY,
                    },
                    many=True,
                ),
                "status": STATUS,
                "apply": FLAG,
                "delay_ms": MS,
                "toast": TEXT,
                "toast_error": TEXT,
                "toast_ms": MS,
                "remove": FLAG,
            },
            many=True,
        ),
        "settings": Each(
            Table(
                {
                    "opted_out": Each(Value("a list of opted-out values", lambda v: isinstance(v, list)), "state key"),
                    "not_offered": TEXT,
                }
            ),
            "setting id",
        ),
        "expect": Table(
            {
                "exit_status": COUNT,
                "password_submissions": COUNT,
                "saves": COUNT,
                "check": FLAG,
                "results": Each(Value('"status/reason"', lambda v: _text(v) and "/" in v), "setting id"),
                # the labels of new AI-related settings the run reports (runner/notices.py); none when not given
                "notices": Value("a list of labels", lambda v: isinstance(v, list) and all(_text(x) for x in v)),
                "state": Each(ANY, "site state"),
            }
        ),
    }
)


def _shown(value: Any, secret: bool = False) -> str:
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list" if not value or not all(isinstance(v, dict) for v in value) else "tables"
    if secret:
        return "a string" if isinstance(value, str) else "true or false" if isinstance(value, bool) else "a number"
    return json.dumps(value, default=str)[:60]


def _shape(value: Any, spec: "Value | Table | Each", where: str, partial: bool = False) -> list[str]:
    """Problems with one value, each '<key>: <what is wrong>; expected <what it must be>'."""
    if isinstance(spec, Value):
        return [] if spec.valid(value) else [f"{where}: expected {spec.expected}, got {_shown(value, spec.secret)}"]
    if isinstance(spec, Each):
        if not isinstance(value, dict):
            return [f"{where}: expected a table of {spec.expected}, got {_shown(value)}"]
        return [p for key, item in value.items() for p in _shape(item, spec.value, f"{where}.{key}", partial)]
    if spec.many:
        if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
            tables = f"[[{where}]] tables" if "." not in where else "tables in a list"
            return [f"{where}: expected one or more {tables}, got {_shown(value)}"]
        return [p for i, item in enumerate(value, 1) for p in _table(item, spec, f"{where}[{i}]", partial)]
    if not isinstance(value, dict):
        return [f"{where}: expected a [{where}] table, got {_shown(value)}"]
    return _table(value, spec, where, partial)


def _table(value: dict, spec: Table, where: str, partial: bool = False) -> list[str]:
    """`partial`: a manifest that extends another; what it leaves out is inherited, except the keys of its entries."""
    found = []
    for key, item in value.items():
        place = f"{where}.{key}" if where else key
        if key not in spec.keys:
            near = get_close_matches(key, spec.keys, n=1)
            hint = f"did you mean {near[0]!r}?" if near else f"expected one of {', '.join(spec.keys)}"
            found.append(f"{place}: unknown key; {hint}")
        else:
            found += _shape(item, spec.keys[key], place, partial)
    for key, sub in spec.keys.items():
        needed = getattr(sub, "required", False) and (not partial or getattr(sub, "key", False))
        if needed and key not in value:
            place = f"{where}.{key}" if where else key
            what = f"one or more [[{key}]] tables" if isinstance(sub, Table) else sub.expected
            found.append(f"{place}: missing; expected {what}")
    return found


def problems(manifest: dict, path: Path) -> list[str]:
    """Every problem with a whole (composed) manifest, one line each; [] if the harness can serve it."""
    found = _table(manifest, MANIFEST_SCHEMA, "")
    if found:  # the checks below read the values the shape checks vouch for
        return found
    platform = manifest["platform"]
    if platform not in flows.names():
        return [f"platform: expected one of {', '.join(flows.names())}, got {_shown(platform)}"]
    flow = flows.load(platform)
    pages = manifest.get("page", [])
    auth = [i for i, page in enumerate(pages, 1) if page.get("auth")]
    sign_in = manifest.get("sign_in")
    if sign_in is None and (flow.sign_in_url or auth or "two_factor" in manifest):
        why = f"{platform} signs in with a password" if flow.sign_in_url else "auth pages and [two_factor] need it"
        found.append(f"sign_in: missing; expected a [sign_in] table with url, redirect and next ({why})")
    elif auth and "redirect" not in sign_in:
        found.append(f"sign_in.redirect: missing; expected the URL auth pages (page[{auth[0]}]) send a signed-out browser to")
    found += _file_problems(manifest, path)  # a manifest built in code; composed ones were checked file by file
    options = manifest.get("options", {})
    if not isinstance(options.get("optional", []), list) or not all(map(_text, options.get("optional", []))):
        found.append(f"options.optional: expected a list of setting ids, got {_shown(options['optional'])}")
    elif flow.option_error(options):
        found.append(f"options: {flow.option_error(options)}")
    return found


def find_scenarios(root: Path) -> list[Scenario]:
    return [Scenario.load(m.parent) for m in sorted(root.glob(f"*/*/{MANIFEST}"))]


def render(template: str, state: dict) -> str:
    """Mustache-like: {{#k}}..{{/k}} if truthy, {{^k}}..{{/k}} if falsy, {{checked:k}}, {{aria:k}}, {{k}}."""

    def section(match: re.Match) -> str:
        kind, key, body = match.group(1), match.group(2), match.group(3)
        return body if bool(state.get(key)) == (kind == "#") else ""

    previous = None
    while previous != template:  # sections may nest
        previous = template
        template = re.sub(r"\{\{([#^])([\w.-]+)\}\}(.*?)\{\{/\2\}\}", section, template, flags=re.S)

    def value(match: re.Match) -> str:
        fn, key = match.group(1), match.group(2)
        v = state.get(key)
        if fn == "checked":
            return "checked" if v else ""
        if fn == "aria":
            return "true" if v else "false"
        if fn == "json":
            return html.escape(json.dumps(v), quote=True)
        return html.escape("" if v is None else str(v).lower() if isinstance(v, bool) else str(v), quote=True)

    return re.sub(r"\{\{(?:(checked|aria|json):)?([\w.-]+)\}\}", value, template)


def parse_body(request: Request) -> dict:
    raw = request.post_data or ""
    try:
        data = json.loads(raw)
        return data if isinstance(data, dict) else {"_": data}
    except ValueError:
        return dict(parse_qsl(raw))


async def cors(request: Request) -> dict:
    """Answer the page's cross-origin API calls (x.com -> api.x.com) the way the real API does, cookies included."""
    origin = await request.header_value("origin")
    return {"access-control-allow-origin": origin, "access-control-allow-credentials": "true"} if origin else {}


def dig(data, path: str):
    """A dotted path into a request body; a string on the way that holds JSON (a form field carrying a JSON
    document, as GraphQL forms send `variables`) is read as that document."""
    for part in path.split("."):
        if isinstance(data, str) and data.lstrip()[:1] in ("{", "["):
            try:
                data = json.loads(data)
            except ValueError:
                return None
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def latency_defaults() -> dict[str, float]:
    """OPTOUT_REPLAY_LATENCY ("documents=150,api=60,saves=120"): the [latency] of every scenario that sets none."""
    raw = os.environ.get(LATENCY_ENV, "").strip()
    latency = {}
    for part in filter(None, (p.strip() for p in raw.split(","))):
        kind, _, ms = part.partition("=")
        try:
            value = float(ms)
        except ValueError:
            value = -1
        if kind.strip() not in LATENCY_KINDS or value < 0:
            kinds = ", ".join(LATENCY_KINDS)
            raise ScenarioError(f"{LATENCY_ENV}={raw!r}: expected KIND=MILLISECONDS pairs separated by commas ({kinds})")
        latency[kind.strip()] = value
    return latency


def languages(header: str) -> list[str]:
    """An Accept-Language header's tags, most preferred first."""
    weighted = []
    for n, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        q = re.search(r"q=([\d.]+)", params)
        if tag and tag != "*":
            weighted.append((-float(q.group(1)) if q else -1.0, n, tag.strip().lower()))
    return [tag for weight, _, tag in sorted(weighted) if weight < 0]  # q=0 means "not this one"


TOAST = """([text, ms, role]) => {
  const toast = document.createElement('div');
  toast.setAttribute('role', role);
  toast.setAttribute('aria-live', role === 'alert' ? 'assertive' : 'polite');
  toast.textContent = text;
  toast.style.cssText = 'position:fixed;left:24px;bottom:24px;z-index:2147483647;padding:12px 16px;'
    + 'background:#222;color:#fff;border-radius:6px;font:14px sans-serif';
  document.body.appendChild(toast);
  if (ms > 0) setTimeout(() => toast.remove(), ms);
}"""


# Shows a page's views (manifest `views`): a click on an element matching a view's `click`, made while the view it is
# `from` shows (-1: any), puts that view's head and body in place of the document's. Declarative shadow roots are
# parsed as the page's were (Document.parseHTMLUnsafe).
VIEWS_SCRIPT = """({views, markup}) => {
  let showing = 0;
  const parse = (html) => Document.parseHTMLUnsafe ? Document.parseHTMLUnsafe(html) : new DOMParser().parseFromString(html, 'text/html');
  document.addEventListener('click', (event) => {
    const target = event.target instanceof Element ? event.target : null;
    const view = target && views.find((v) => (v.from === -1 || v.from === showing) && target.closest(v.click));
    if (!view) return;
    event.preventDefault();
    const next = parse(markup[view.to]);
    document.head.replaceWith(document.adoptNode(next.head));
    document.body.replaceWith(document.adoptNode(next.body));
    showing = view.to;
  });
}"""


@dataclass
class Harness:
    """One scenario served to one browser context; its state lives as long as the run."""

    scenario: Scenario
    state: dict = field(default_factory=dict)
    log: list[dict] = field(default_factory=list)
    issued: set[str] = field(default_factory=set)
    loads: dict[int, int] = field(default_factory=dict)  # page entry -> how often it was served
    uses: dict[str, int] = field(default_factory=dict)  # session token -> requests it signed in (revoke_after)
    latency: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.state = dict(self.scenario.manifest.get("state", {}))
        self.latency = {**latency_defaults(), **self.scenario.manifest.get("latency", {})}

    @property
    def m(self) -> dict:
        return self.scenario.manifest

    # -- what the tests and the CLI read back ------------------------------------------------------

    @property
    def password_submissions(self) -> int:
        return sum(1 for e in self.log if e["kind"] == "sign_in")

    @property
    def saves(self) -> int:
        return sum(1 for e in self.log if e["kind"] == "save")

    @property
    def unexpected(self) -> list[str]:
        return [f"{e['method']} {e['url']}" for e in self.log if e["kind"] == "aborted"]

    def summary(self) -> dict:
        return {
            "scenario": f"{self.scenario.platform}/{self.scenario.name}",
            "password_submissions": self.password_submissions,
            "saves": self.saves,
            "unexpected_requests": self.unexpected,
            "requests": [f"{e['method']} {e['url']} -> {e['kind']}" for e in self.log],
            "state": dict(self.state),
        }

    # -- serving -----------------------------------------------------------------------------------

    async def attach(self, context: BrowserContext) -> None:
        await context.route("**/*", self.handle)

    async def handle(self, route: Route) -> None:
        request = route.request
        url, method = request.url, request.method
        sign_in = self.m.get("sign_in", {})
        if sign_in and method == "POST" and url == sign_in.get("url"):
            return await self._sign_in(route, request, sign_in)
        two_factor = self.m.get("two_factor", {})
        if two_factor and method == "POST" and url == two_factor.get("url"):
            return await self._two_factor(route, request, two_factor)
        for save in self.m.get("save", []):
            if method != "GET" and fnmatch.fnmatchcase(url, save["url"]):
                return await self._save(route, request, save)
        if method == "GET":
            matches = [(i, p) for i, p in enumerate(self.m.get("page", [])) if url == p["url"] or fnmatch.fnmatchcase(url, p["url"])]
            if matches:
                index, page = await self._variant(request, matches)
                return await self._page(route, request, page, index, variants=len(matches) > 1)
        self.log.append({"kind": "aborted", "method": method, "url": url})
        await route.abort("blockedbyclient")

    @staticmethod
    async def _variant(request: Request, matches: list[tuple[int, dict]]) -> tuple[int, dict]:
        """The first entry for the URL, or when entries carry a `language`, the one the browser prefers most
        (Accept-Language; "de" serves de-DE too); a browser that prefers none of them gets the entry without one."""
        if not any("language" in page for _, page in matches):
            return matches[0]
        for tag in languages(await request.header_value("accept-language") or ""):
            for index, page in matches:
                offered = page.get("language", "").lower()
                if offered and (offered == tag or offered == tag.split("-")[0]):
                    return index, page
        return next(((i, p) for i, p in matches if "language" not in p), matches[0])

    async def _page(self, route: Route, request: Request, page: dict, index: int, variants: bool = False) -> None:
        content_type = page.get("content_type", "text/html")
        kind = "documents" if content_type.startswith("text/html") else "api"
        if page.get("auth") and not await self._signed_in(request):
            self.log.append({"kind": "redirect", "method": "GET", "url": request.url})
            target = json.dumps(self.m["sign_in"]["redirect"])
            body = f"<!doctype html><title>Redirecting</title><script>location.replace({target})</script>"
            await self._delay(kind)
            return await route.fulfill(status=200, content_type="text/html", body=body)
        self.log.append({"kind": "page", "method": "GET", "url": request.url})
        self.loads[index] = self.loads.get(index, 0) + 1
        template = self.scenario.template(page, reload=self.loads[index] > 1)
        body = render(template, self.state)  # the state as it is when the request arrives, as a server would
        if page.get("views"):
            body = self._with_views(body, page)
        await self._delay(kind, page)
        headers = {"vary": "Accept-Language"} if variants else {}
        if page.get("language"):
            headers["content-language"] = page["language"]
        await route.fulfill(status=page.get("status", 200), content_type=content_type, body=body, headers=headers or None)

    def _with_views(self, body: str, page: dict) -> str:
        """The page with the harness's script that shows its views: the manifest stays data, the script is ours.
        Each view is rendered from the state now, as the page is; the page's own file is served as the page is."""

        def where(name: str) -> str:
            return os.path.normpath(self.scenario.path / name)

        files = list(dict.fromkeys([where(page["file"]), *(where(v["file"]) for v in page["views"])]))
        markup = [body, *(render(Path(f).read_text(encoding="utf-8"), self.state) for f in files[1:])]
        views = [
            {"from": files.index(where(v["from"])) if "from" in v else -1, "click": v["click"], "to": files.index(where(v["file"]))}
            for v in page["views"]
        ]  # by index: the page sees no file names
        data = json.dumps({"views": views, "markup": markup}).replace("<", "\\u003c")
        script = f"<script>({VIEWS_SCRIPT})({data})</script>"
        end = body.lower().rfind("</body>")
        return body[:end] + script + body[end:] if end >= 0 else body + script

    async def _delay(self, kind: str, entry: dict | None = None) -> None:
        """A slow network and a slow server: the harness, not the engine, waits. The scenario's (or
        OPTOUT_REPLAY_LATENCY's) latency for this kind of response, plus the entry's own `delay_ms`."""
        ms = self.latency.get(kind, 0) + (entry or {}).get("delay_ms", 0)
        if ms:
            await asyncio.sleep(ms / 1000)

    async def _signed_in(self, request: Request) -> bool:
        """Whether the request carries a live session; with `revoke_after`, each token serves that many requests
        that need it (auth pages and saves), then the site has revoked it."""
        session = self.m.get("session", {})
        cookies = dict(
            pair.strip().split("=", 1) for pair in (await request.header_value("cookie") or "").split(";") if "=" in pair
        )
        token = cookies.get(session.get("cookie", "replay_session"), "")
        if session.get("expired"):  # sessions saved by earlier runs are no longer honoured
            valid = token in self.issued
        else:
            valid = token == session.get("token") or token.startswith("replay-")
        if valid and session.get("revoke_after"):
            self.uses[token] = self.uses.get(token, 0) + 1
            valid = self.uses[token] <= session["revoke_after"]
        return valid

    async def _sign_in(self, route: Route, request: Request, sign_in: dict) -> None:
        self.log.append({"kind": "sign_in", "method": "POST", "url": request.url})
        body = parse_body(request)
        username = str(dig(body, sign_in.get("username_field", "username")) or "")
        password = str(dig(body, sign_in.get("password_field", "password")) or "")
        account = next((a for a in self.scenario.accounts if a["username"] == username), None)
        accepted = account is not None and password == account.get("site_password", account["password"])
        await self._delay("api")
        if not accepted:
            error = sign_in.get("error", "The password you entered is incorrect.")
            return await route.fulfill(status=401, headers=await cors(request), json={"ok": False, "error": error})
        if self.m.get("two_factor"):  # the password was right; the session waits for the code
            return await route.fulfill(status=200, headers=await cors(request), json={"ok": True, "two_factor": True})
        await self._start_session(route, request, sign_in.get("next", "/"))

    async def _two_factor(self, route: Route, request: Request, two_factor: dict) -> None:
        """Checks a TOTP code against the scenario accounts' `totp` secrets (current 30-second window)."""
        import pyotp

        self.log.append({"kind": "two_factor", "method": "POST", "url": request.url})
        code = str(dig(parse_body(request), two_factor.get("code_field", "code")) or "")
        await self._delay("api")
        if not any(a.get("totp") and pyotp.TOTP(a["totp"]).verify(code, valid_window=1) for a in self.scenario.accounts):
            error = two_factor.get("error", "Incorrect code.")
            return await route.fulfill(status=401, headers=await cors(request), json={"ok": False, "error": error})
        await self._start_session(route, request, self.m["sign_in"].get("next", "/"))

    async def _start_session(self, route: Route, request: Request, next_url: str) -> None:
        session = self.m.get("session", {})
        token = session.get("token") or f"replay-{next(_counter)}"  # a manifest's token: the sentinel test plants one
        self.issued.add(token)
        self.uses.pop(token, None)  # a new sign-in: a fixed token serves its revoke_after requests again
        cookie = f"{session.get('cookie', 'replay_session')}={token}; Path=/; Secure; SameSite=Lax"
        if session.get("domain"):
            cookie += f"; Domain={session['domain']}"
        if session.get("max_age"):  # a persistent cookie, as real sites set them: browsers keep only those on disk
            cookie += f"; Max-Age={session['max_age']}"
        await route.fulfill(
            status=200,
            headers={"set-cookie": cookie, **await cors(request)},
            json={"ok": True, "next": next_url},
        )

    async def _save(self, route: Route, request: Request, save: dict) -> None:
        self.log.append({"kind": "save", "method": request.method, "url": request.url})
        status = save.get("status", 200)
        if self.m.get("session", {}).get("revoke_after") and not await self._signed_in(request):
            status = 401  # the session was revoked: the site refuses the change
        if status < 400 and save.get("apply", True):
            body = parse_body(request)
            for key, state_key in save.get("fields", {}).items():
                if dig(body, key) is not None:
                    self.state[state_key] = dig(body, key)
            for rule in save.get("rules", []):
                got = dig(body, rule["path"])
                if ("contains" in rule and isinstance(got, list) and rule["contains"] in got) or (
                    "equals" in rule and got == rule["equals"]
                ):
                    self.state[rule["state"]] = rule["value"]
        await self._delay("saves", save)
        await route.fulfill(status=status, headers=await cors(request), json={"ok": status < 400})
        toast = save.get("toast") if status < 400 else save.get("toast_error")
        if toast:
            await self._toast(request, toast, save.get("toast_ms", 4000), "status" if status < 400 else "alert")

    @staticmethod
    async def _toast(request: Request, text: str, ms: float, role: str) -> None:
        """The site's "Settings saved" toast: a role=status (or, for an error, role=alert) line in the page that
        sent the save, shown once the answer is out, gone after `toast_ms` (0: it stays)."""
        try:
            await request.frame.evaluate(TOAST, [text, ms, role])
        except PlaywrightError:  # the page navigated away meanwhile (or the request had no page): no toast to show
            pass
