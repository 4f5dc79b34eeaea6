"""The replay harness: serves a recorded scenario to the real browser by routing the platform's real URLs.

A scenario is data only (fixtures/README.md): HTML pages plus manifest.toml. The harness is stateful:
the sign-in endpoint checks the password and sets a session cookie, save requests change the state
that later page loads render, and every request is logged. Anything the scenario does not list is
aborted and reported, so a replay can never reach the live network.
"""

from __future__ import annotations

import asyncio
import fnmatch
import html
import itertools
import json
import re
import tomllib
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qsl

from playwright.async_api import BrowserContext, Request, Route

import flows

MANIFEST = "manifest.toml"
_counter = itertools.count(1)


class ScenarioError(Exception):
    """A scenario directory or manifest that cannot be replayed (one line for the user)."""


@dataclass
class Scenario:
    path: Path
    manifest: dict

    @classmethod
    def load(cls, path: Path) -> "Scenario":
        file = path / MANIFEST
        if not file.is_file():
            raise ScenarioError(f"{path} is not a replay scenario (no {MANIFEST})")
        try:
            manifest = tomllib.loads(file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ScenarioError(f"{file}: not valid TOML ({exc})") from None
        except OSError as exc:
            raise ScenarioError(f"{file}: cannot be read ({exc.strerror})") from None
        # Every problem at once, one line each, before a browser starts: a malformed manifest would otherwise
        # surface as a traceback or as a timeout inside the harness, where nobody looks for a typo.
        found = problems(manifest, path)
        if found:
            raise ScenarioError("\n".join(f"{file}: {problem}" for problem in found))
        return cls(path, manifest)

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


# -- what a manifest may hold (fixtures/README.md) ----------------------------------------------------------------


@dataclass(frozen=True)
class Value:
    """One value: what it must be, in the words the error repeats."""

    expected: str
    valid: Callable[[Any], bool]
    required: bool = False
    secret: bool = False  # the error names its type, never the value


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

MANIFEST_SCHEMA = Table(
    {
        "platform": Value("the name of a platform", _text, required=True),
        "description": TEXT,
        "reconstructed_from": TEXT,
        "reconstructed_on": TEXT,
        "account": Table(
            {
                "username": Value("the account's user name (a non-empty string)", _text, required=True),
                "name": TEXT,
                "password": Value(TEXT.expected, _text, secret=True),
                "site_password": Value(TEXT.expected, _text, secret=True),
                "totp": Value(
                    "a base32 TOTP secret (letters A-Z and digits 2-7)",
                    lambda v: isinstance(v, str) and re.fullmatch(r"[A-Za-z2-7]+=*", v) is not None,
                    secret=True,
                ),
                "totp_stored": FLAG,
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
                "token": Value(
                    "a cookie value (printable, without spaces, quotes, commas, semicolons or backslashes)",
                    lambda v: isinstance(v, str) and re.fullmatch(r"[!#-+\--:<-\[\]-~]+", v) is not None,
                    secret=True,
                ),
            }
        ),
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
                "url": Value("a URL or URL glob", URL.valid, required=True),
                "file": Value("an HTML file, relative to the scenario", _text, required=True),
                "reload_file": TEXT,
                "delay_ms": MS,
                "auth": FLAG,
                "content_type": TEXT,
                "status": STATUS,
            },
            many=True,
        ),
        "save": Table(
            {
                "url": Value("a URL or URL glob", URL.valid, required=True),
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


def _shape(value: Any, spec: "Value | Table | Each", where: str) -> list[str]:
    """Problems with one value, each '<key>: <what is wrong>; expected <what it must be>'."""
    if isinstance(spec, Value):
        return [] if spec.valid(value) else [f"{where}: expected {spec.expected}, got {_shown(value, spec.secret)}"]
    if isinstance(spec, Each):
        if not isinstance(value, dict):
            return [f"{where}: expected a table of {spec.expected}, got {_shown(value)}"]
        return [p for key, item in value.items() for p in _shape(item, spec.value, f"{where}.{key}")]
    if spec.many:
        if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
            tables = f"[[{where}]] tables" if "." not in where else "tables in a list"
            return [f"{where}: expected one or more {tables}, got {_shown(value)}"]
        return [p for i, item in enumerate(value, 1) for p in _table(item, spec, f"{where}[{i}]")]
    if not isinstance(value, dict):
        return [f"{where}: expected a [{where}] table, got {_shown(value)}"]
    return _table(value, spec, where)


def _table(value: dict, spec: Table, where: str) -> list[str]:
    found = []
    for key, item in value.items():
        place = f"{where}.{key}" if where else key
        if key not in spec.keys:
            near = get_close_matches(key, spec.keys, n=1)
            hint = f"did you mean {near[0]!r}?" if near else f"expected one of {', '.join(spec.keys)}"
            found.append(f"{place}: unknown key; {hint}")
        else:
            found += _shape(item, spec.keys[key], place)
    for key, sub in spec.keys.items():
        if getattr(sub, "required", False) and key not in value:
            place = f"{where}.{key}" if where else key
            what = f"one or more [[{key}]] tables" if isinstance(sub, Table) else sub.expected
            found.append(f"{place}: missing; expected {what}")
    return found


def problems(manifest: dict, path: Path) -> list[str]:
    """Every problem with a parsed manifest, one line each; [] if the harness can serve it."""
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
    for i, page in enumerate(pages, 1):
        for key in ("file", "reload_file"):
            if key in page and not (path / page[key]).is_file():
                found.append(f"page[{i}].{key}: expected a file relative to the scenario, but {page[key]} does not exist")
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
    for part in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


@dataclass
class Harness:
    """One scenario served to one browser context; its state lives as long as the run."""

    scenario: Scenario
    state: dict = field(default_factory=dict)
    log: list[dict] = field(default_factory=list)
    issued: set[str] = field(default_factory=set)
    loads: dict[int, int] = field(default_factory=dict)  # page entry -> how often it was served

    def __post_init__(self) -> None:
        self.state = dict(self.scenario.manifest.get("state", {}))

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
        for index, page in enumerate(self.m.get("page", [])):
            if method == "GET" and (url == page["url"] or fnmatch.fnmatchcase(url, page["url"])):
                return await self._page(route, request, page, index)
        self.log.append({"kind": "aborted", "method": method, "url": url})
        await route.abort("blockedbyclient")

    async def _page(self, route: Route, request: Request, page: dict, index: int) -> None:
        if page.get("auth") and not await self._signed_in(request):
            self.log.append({"kind": "redirect", "method": "GET", "url": request.url})
            target = json.dumps(self.m["sign_in"]["redirect"])
            body = f"<!doctype html><title>Redirecting</title><script>location.replace({target})</script>"
            return await route.fulfill(status=200, content_type="text/html", body=body)
        self.log.append({"kind": "page", "method": "GET", "url": request.url})
        self.loads[index] = self.loads.get(index, 0) + 1
        file = page.get("reload_file", page["file"]) if self.loads[index] > 1 else page["file"]
        template = (self.scenario.path / file).read_text(encoding="utf-8")
        body = render(template, self.state)  # the state as it is when the request arrives, as a server would
        await self._delay(page)
        content_type = page.get("content_type", "text/html")
        await route.fulfill(status=page.get("status", 200), content_type=content_type, body=body)

    @staticmethod
    async def _delay(entry: dict) -> None:
        """A slow server: the harness, not the engine, waits (`delay_ms` on a page or save entry)."""
        if entry.get("delay_ms"):
            await asyncio.sleep(entry["delay_ms"] / 1000)

    async def _signed_in(self, request: Request) -> bool:
        session = self.m.get("session", {})
        cookies = dict(
            pair.strip().split("=", 1) for pair in (await request.header_value("cookie") or "").split(";") if "=" in pair
        )
        token = cookies.get(session.get("cookie", "replay_session"), "")
        if session.get("expired"):  # sessions saved by earlier runs are no longer honoured
            return token in self.issued
        return token == session.get("token") or token.startswith("replay-")

    async def _sign_in(self, route: Route, request: Request, sign_in: dict) -> None:
        self.log.append({"kind": "sign_in", "method": "POST", "url": request.url})
        body = parse_body(request)
        username = str(body.get(sign_in.get("username_field", "username"), ""))
        password = str(body.get(sign_in.get("password_field", "password"), ""))
        account = next((a for a in self.scenario.accounts if a["username"] == username), None)
        accepted = account is not None and password == account.get("site_password", account["password"])
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
        code = str(parse_body(request).get(two_factor.get("code_field", "code"), ""))
        if not any(a.get("totp") and pyotp.TOTP(a["totp"]).verify(code, valid_window=1) for a in self.scenario.accounts):
            error = two_factor.get("error", "Incorrect code.")
            return await route.fulfill(status=401, headers=await cors(request), json={"ok": False, "error": error})
        await self._start_session(route, request, self.m["sign_in"].get("next", "/"))

    async def _start_session(self, route: Route, request: Request, next_url: str) -> None:
        session = self.m.get("session", {})
        token = session.get("token") or f"replay-{next(_counter)}"  # a manifest's token: the sentinel test plants one
        self.issued.add(token)
        cookie = f"{session.get('cookie', 'replay_session')}={token}; Path=/; Secure; SameSite=Lax"
        if session.get("domain"):
            cookie += f"; Domain={session['domain']}"
        await route.fulfill(
            status=200,
            headers={"set-cookie": cookie, **await cors(request)},
            json={"ok": True, "next": next_url},
        )

    async def _save(self, route: Route, request: Request, save: dict) -> None:
        self.log.append({"kind": "save", "method": request.method, "url": request.url})
        status = save.get("status", 200)
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
        await self._delay(save)
        await route.fulfill(status=status, headers=await cors(request), json={"ok": status < 400})
