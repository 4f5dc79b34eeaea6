"""The step interpreter, the control kinds, the save signals, subjects, sign-in packs and the data contract, each on a
small page in real Chromium, driven through a flow made from a throwaway selectors file."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace

import pytest

from runner import locate, sitedata
from runner.controls import Control
from runner.errors import Failed, NeedsPerson
from runner.flow import Credentials, Flow
from runner.locate import Locators
from runner.results import Reason
from runner.saving import Save
from runner import steps

ORIGIN = "https://demo.example"
LOCATORS = """schema = 1
username = [{ css = "#user" }]
password = [{ css = "#pass" }]
submit = [{ css = "#go" }]
signed_in = [{ css = "#home" }]
login_error = [{ css = "#err" }]
challenge = [{ css = "#captcha" }]
gear = [{ role = "button", name = "Settings", exact = true }]
tab = [{ role = "tab", name = "Privacy", exact = true }]
pane = [{ role = "region", name = "Privacy", exact = true }]
row = [{ role = "button", name = "Audience", exact = true }]
box = [{ role = "checkbox", name = "Share my data", exact = true }]
toggle = [{ role = "switch", name = "Private account", exact = true }]
audience = [{ role = "radiogroup", name = "Audience" }]
mode = [{ role = "combobox", name = "Model training" }]
chip = [{ role = "button", name = "Memory" }]
turn_off = [{ role = "menuitem", name = "Turn off", exact = true }]
audience_button = [{ role = "button", name = "Who can see your posts?" }]
audience_dialog = [{ role = "dialog", name = "Select audience" }]
limit = [{ role = "button", name = "Limit past posts", exact = true }]
limited = [{ role = "status", name = "Past posts limited" }]
saved_toast = [{ role = "status", name = "Settings saved" }]
blog_links = [{ css = "nav a.blog" }]
"""
FLOW = """
[flow]
title = "Demo"
home_url = "https://demo.example/"
sign_in_url = "https://demo.example/login"
sign_in_origins = ["https://demo.example"]

[sign_in]
extends = "form"

[states]
two_factor = { marker = "" }

[[setting]]
id = "share"
label = "Share my data"
url = "https://demo.example/settings"
opted_out = false
cost = "Nothing changes for you on the demo site."
control = { kind = "checkbox", target = "box" }
provenance = { status = "assumed", source = "a page in this test", on = "2026-12-03" }
"""


@pytest.fixture
def data(tmp_path, monkeypatch):
    """A selectors folder of our own (with the real shared overlays and sign-in packs); write(name, text) adds a file."""
    real = locate.selectors_dir()
    for path in [real / "_shared.toml", *real.glob("_signin_*.toml")]:
        shutil.copy(path, tmp_path)
    monkeypatch.setattr(locate, "selectors_dir", lambda: tmp_path)
    monkeypatch.setattr(sitedata, "selectors_dir", lambda: tmp_path)
    caches = (locate.load, locate.word_list, sitedata.load)
    for cache in caches:
        cache.cache_clear()

    def write(name: str, text: str):
        (tmp_path / f"{name}.toml").write_text(text)
        return tmp_path / f"{name}.toml"

    yield write
    for cache in caches:
        cache.cache_clear()


def make_flow(data, text: str = LOCATORS + FLOW, name: str = "demo", timeout_ms: float = 2000) -> Flow:
    data(name, text)
    cls = type(f"{name.title()}Flow", (Flow,), {"name": name, "__doc__": "A flow made for a test.", "__module__": __name__})
    return cls(Locators(name, timeout_ms))


async def serve(page, pages: dict[str, str]) -> list[str]:
    """Answer the demo origin from `pages` (path -> HTML); return the list of POSTs the pages send."""
    posts: list[str] = []

    async def handle(route):
        request = route.request
        path = request.url.removeprefix(ORIGIN)
        if request.method != "GET":
            posts.append(path)
            return await route.fulfill(status=200, body="{}", content_type="application/json")
        await route.fulfill(status=200 if path in pages else 404, body=pages.get(path, "gone"), content_type="text/html")

    await page.route(f"{ORIGIN}/**", handle)
    return posts


def context(flow: Flow, page, phase: str = "open", **values) -> steps.Context:
    return steps.Context(flow, page, phase, {**flow.values(), **values}, Credentials("jane", "s3cret-pw"))


# -- the contract, checked at load -----------------------------------------------------------------------------------


def line_of_error(exc: Exception) -> int:
    match = re.search(r"demo\.toml:(\d+): ", str(exc))
    assert match and "\n" not in str(exc), str(exc)
    return int(match.group(1))


@pytest.mark.parametrize(
    "edit, where, message",
    [
        (lambda t: t.replace('kind = "checkbox"', 'kind = "chekbox"'), 'control = { kind = "chekbox"', "unknown kind 'chekbox'"),
        (lambda t: t.replace('opted_out = false', 'opted_out = false\nopted_in = true'), "opted_in = true", "unknown key"),
        (lambda t: t.replace('target = "box"', 'target = "bx"'), 'control = { kind = "checkbox", target = "bx"', "no locator named 'bx'"),
        (
            lambda t: t.replace('[sign_in]\nextends = "form"', '[sign_in]\nsteps = [\n  { goto = "{sign_in_url}" },\n  { tap = "submit" },\n]'),
            '{ tap = "submit" }',
            "exactly one action",
        ),
        (
            lambda t: t.replace('[sign_in]\nextends = "form"', '[sign_in]\nsteps = [{ fill = "password", with = "password" }]'),
            "steps = [{ fill",
            "secrets use fill_secret",
        ),
        (lambda t: t.replace('status = "assumed"', 'status = "guessed"'), 'provenance = { status = "guessed"', '"verified" or "assumed"'),
        (lambda t: t.replace("schema = 1", "schema = 2"), "schema = 2", "must be 1"),
        (lambda t: t.replace("[[setting]]", "[setings]\nid = 1\n\n[[setting]]"), "[setings]", "unknown table"),
        (lambda t: t.replace('box = [{ role', 'box = [{ rol'), 'box = [{ rol', "exactly one of role"),
    ],
)
def test_a_broken_file_is_one_line_naming_the_file_and_the_line(data, edit, where, message):
    text = edit(LOCATORS + FLOW)
    with pytest.raises(ValueError) as caught:
        make_flow(data, text)
    expected = next(i for i, line in enumerate(text.splitlines(), 1) if where in line)
    assert line_of_error(caught.value) == expected
    assert message in str(caught.value)


# -- steps -----------------------------------------------------------------------------------------------------------

SETTINGS_APP = """<!doctype html><html><body>
<button id="gear">Settings</button>
<div id="layer" hidden><div role="tablist"><button role="tab" aria-selected="false" id="t">Privacy</button></div>
<label><input type="checkbox"> Share my data</label></div>
<script>
document.getElementById('gear').onclick = () => { document.getElementById('layer').hidden = false; window.gears = (window.gears || 0) + 1; };
document.getElementById('t').onclick = () => { document.getElementById('t').setAttribute('aria-selected', 'true'); window.tabs = (window.tabs || 0) + 1; };
</script></body></html>"""


async def test_open_steps_branch_on_what_appeared_and_skip_what_is_already_so(page, data):
    flow = make_flow(data)
    await serve(page, {"/settings": SETTINGS_APP})
    setting = flow.settings[0]
    route = (
        {"goto": "{url}"},
        {"wait_for": ["tab", "gear"]},
        {"if": "gear", "then": [{"click": "gear"}, {"wait_for": ["tab"]}]},
        {"click": "tab", "unless": "selected"},
        {"wait_for": ["{target}"]},
    )
    found = await steps.run(route, steps.Context(flow, page, "open", flow.values(setting)))
    assert found == "box" and await page.evaluate("[window.gears, window.tabs]") == [1, 1]
    again = await steps.run(route, steps.Context(flow, page, "open", flow.values(setting)))  # already there: no goto
    assert again == "box" and await page.evaluate("[window.gears, window.tabs]") == [1, 1]


async def test_a_wait_that_meets_a_page_state_ends_the_list_with_it(page, data):
    flow = make_flow(data)
    await serve(page, {"/settings": '<form><input id="user"></form><button id="gear">Settings</button>'})
    ctx = context(flow, page, url=f"{ORIGIN}/settings")
    found = await steps.run(({"goto": "{url}"}, {"wait_for": ["tab"]}, {"click": "gear"}), ctx)
    assert found == "username"  # signed out: the click after the wait never ran
    assert ctx.listed == ("tab",)


async def test_a_route_clicks_through_an_app_to_its_pane(page, data):
    flow = make_flow(data)
    app = """<button id="home">Chats</button><button id="g">Settings</button><script>
      document.getElementById('g').onclick = () => document.body.innerHTML =
        '<section role="region" aria-label="Privacy"><button>Audience</button></section>';</script>"""
    await serve(page, {"/app": app})
    await page.goto(f"{ORIGIN}/app")
    step = {"route": "pane", "via": {"signed_in": "gear"}}
    assert await steps.run([step], context(flow, page)) == "pane"


async def test_a_click_can_be_one_dom_event(page, data):
    """A menu that opens on pointerdown and closes on the click that follows: only the event keeps it open."""
    flow = make_flow(data)
    await page.set_content(
        """<button id="c">Memory: On</button><div role="menu" hidden><div role="menuitem">Turn off</div></div><script>
        const c = document.getElementById('c'), m = document.querySelector('[role=menu]');
        c.addEventListener('pointerdown', () => { m.hidden = false; });
        c.addEventListener('click', () => { m.hidden = true; });</script>"""
    )
    await steps.run([{"click": "chip"}], context(flow, page))
    assert await page.locator("[role=menu]").is_hidden()
    await steps.run([{"click": "chip", "event": "pointerdown"}], context(flow, page))
    assert await page.locator("[role=menu]").is_visible()


async def test_secrets_are_typed_only_on_the_sign_in_origin(page, data):
    flow = make_flow(data)
    await page.route("https://demo-login.example.net/**", lambda r: r.fulfill(body='<input id="user"><input id="pass">', content_type="text/html"))
    await page.goto("https://demo-login.example.net/login")
    with pytest.raises(Failed) as caught:
        await steps.run([{"fill": "username", "with": "username"}, {"fill_secret": "password", "with": "password"}], context(flow, page, "sign_in"))
    assert caught.value.reason is Reason.FOREIGN_ORIGIN and "s3cret" not in caught.value.detail
    assert await page.locator("#user").input_value() == "" and await page.locator("#pass").input_value() == ""


async def test_a_secret_after_sign_in_discards_the_trace_first(page, data):
    flow = make_flow(data)
    await serve(page, {"/settings": '<input id="pass" type="password">'})
    await page.goto(f"{ORIGIN}/settings")
    typed_when = []

    async def discard():
        typed_when.append(await page.locator("#pass").input_value())

    flow.before_secret = discard
    await steps.run([{"fill_secret": "password", "with": "password"}], context(flow, page, "change"))
    assert typed_when == [""] and await page.locator("#pass").input_value() == "s3cret-pw"


# -- control kinds ---------------------------------------------------------------------------------------------------


def kind(flow: Flow, control: dict, opted_out, signal: str = "reload", **more):
    return replace(flow.settings[0], control=Control.of(control), opted_out=opted_out, save=Save(signal, **more))


async def test_switch_reads_aria_checked_and_checkbox_the_checked_state(page, data):
    flow = make_flow(data)
    await page.set_content('<input type="checkbox" role="switch" aria-label="Private account" aria-checked="true">')
    assert await flow.read(page, kind(flow, {"kind": "switch", "target": "toggle"}, True)) is True
    assert await flow.read(page, kind(flow, {"kind": "checkbox", "target": "toggle"}, True)) is False


async def test_radio_group_picks_the_exact_title_and_reads_the_checked_label(page, data):
    flow = make_flow(data)
    await page.set_content(
        """<div role="radiogroup" aria-label="Audience">
        <label><input type="radio" name="a" checked> Public</label>
        <label><input type="radio" name="a"> Friends except…</label>
        <label><input type="radio" name="a"> Friends</label></div>"""
    )
    setting = kind(flow, {"kind": "radio_group", "target": "audience"}, "Friends", "control")
    assert await flow.read(page, setting) == "Public"
    await flow.change(page, setting)
    assert await flow.read(page, setting) == "Friends"
    assert await page.get_by_role("radio", name="Friends except…").is_checked() is False


async def test_select_and_menu_and_action_kinds(page, data):
    flow = make_flow(data)
    await page.set_content(
        """<label>Model training <select><option>Enabled</option><option>Disabled</option></select></label>
        <button id="c" aria-haspopup="menu">Memory</button><span id="v">On</span>
        <div role="menu" hidden><div role="menuitem" onclick="document.getElementById('c').textContent='Memory Off';this.parentNode.hidden=true">Turn off</div></div>
        <button onclick="this.outerHTML='<p role=status aria-label=&quot;Past posts limited&quot;>Limited</p>'">Limit past posts</button>
        <script>document.getElementById('c').addEventListener('pointerdown', () => document.querySelector('[role=menu]').hidden = false);</script>"""
    )
    select = kind(flow, {"kind": "select", "target": "mode"}, "Disabled", "control")
    assert await flow.read(page, select) == "Enabled"
    await flow.change(page, select)
    assert await flow.read(page, select) == "Disabled"
    menu = kind(flow, {"kind": "menu", "target": "chip", "item": "turn_off", "event": "pointerdown"}, "Memory Off", "control")
    assert await flow.read(page, menu) == "Memory"
    await flow.change(page, menu)
    assert await flow.read(page, menu) == "Memory Off"
    action = kind(flow, {"kind": "action", "target": "limit", "done": "limited"}, True, "control")
    assert await flow.read(page, action) is False
    await flow.change(page, action)
    assert await flow.read(page, action) is True and await flow.control(page, action) is None


async def test_button_text_opens_its_dialog_and_the_toast_says_saved(page, data):
    flow = make_flow(data)
    await page.set_content(
        """<button id="b" aria-label="Who can see your posts?">Public</button>
        <div role="dialog" aria-label="Select audience" hidden>
          <label><input type="radio" name="a"> Friends except...</label><label><input type="radio" name="a"> Friends</label></div>
        <p id="t"></p><script>
        const d = document.querySelector('[role=dialog]');
        document.getElementById('b').onclick = () => { d.hidden = false; };
        d.querySelectorAll('input').forEach(i => i.onchange = () => { d.hidden = true;
          document.getElementById('b').textContent = i.parentNode.textContent.trim();
          const t = document.getElementById('t'); t.setAttribute('role', 'status'); t.setAttribute('aria-label', 'Settings saved'); t.textContent = 'Saved'; });
        </script>"""
    )
    setting = kind(flow, {"kind": "button_text", "target": "audience_button", "dialog": "audience_dialog"},
                   "Friends", "toast", marker="saved_toast")
    assert await flow.read(page, setting) == "Public"
    await flow.change(page, setting)
    assert await flow.read(page, setting) == "Friends"


# -- subjects --------------------------------------------------------------------------------------------------------

BLOGS = LOCATORS + FLOW.split("[[setting]]")[0] + """[subjects.blog]
page = "https://demo.example/dashboard"
marker = "signed_in"
name = '[a-z-]{1,32}'
sources = [
  { state = "#state", path = "user.blogs[].name" },
  { api = "https://demo.example/api/user", bearer = { state = "#state", path = "token" }, path = "user.blogs[].name" },
  { links = "blog_links", pattern = '/blog/([^/]+)$' },
]

[[setting]]
id = "share"
subject = "blog"
label = "Share {subject}"
url = "https://demo.example/settings/{subject}"
opted_out = false
cost = "Nothing changes for you on the demo site."
control = { kind = "checkbox", target = "box", belongs = "label_ends" }
provenance = { status = "assumed", source = "a page in this test", on = "2026-12-03" }
"""


async def test_every_subject_any_source_lists_gets_a_setting(page, data):
    flow = make_flow(data, BLOGS)
    state = '{"token": "t0k", "deep": {"user": {"blogs": [{"name": "quiet"}, {"name": "Bad Name!"}]}}}'
    dashboard = f'<div id="home"></div><script type="application/json" id="state">{state}</script><nav><a class="blog" href="/blog/sketches">s</a></nav>'
    await serve(page, {"/dashboard": dashboard})
    seen = []

    async def api(route):
        seen.append(route.request.headers.get("authorization"))
        await route.fulfill(body='{"user": {"blogs": [{"name": "quiet"}, {"name": "moths"}]}}', content_type="application/json")

    await page.route(f"{ORIGIN}/api/user", api)
    await page.goto(f"{ORIGIN}/dashboard")
    concrete = await flow.settings_for(page, list(flow.settings))
    assert [s.id for s in concrete] == ["share:quiet", "share:moths", "share:sketches"]
    assert concrete[1].url == f"{ORIGIN}/settings/moths" and concrete[1].label == "Share moths"
    assert seen == ["Bearer t0k"]


# -- sign-in packs ---------------------------------------------------------------------------------------------------

GOOGLE = """schema = 1
signed_in = [{ css = "#home" }]

[flow]
title = "Gemini"
home_url = "https://gemini.example/"
sign_in_url = "https://accounts.google.com/v3/signin/identifier"
sign_in_origins = ["https://accounts.google.com"]

[sign_in]
extends = "google"

[states]
signed_in = { marker = "signed_in" }

[[setting]]
id = "activity"
label = "Keep activity"
url = "https://gemini.example/settings"
opted_out = false
cost = "Nothing changes for you in this test."
control = { kind = "checkbox", target = "signed_in" }
provenance = { status = "assumed", source = "a page in this test", on = "2026-12-03" }
"""


async def test_the_google_pack_hands_googles_refusal_to_the_person(page, data):
    flow = make_flow(data, GOOGLE, name="gemini")
    identifier = """<input type="email" id="identifierId" aria-label="Email or phone"><div id="identifierNext"><button>Next</button></div>
      <script>document.querySelector('button').onclick = () => document.body.innerHTML =
        '<h1>Couldn\\'t sign you in</h1><p>This browser or app may not be secure.</p>';</script>"""
    await page.route("https://accounts.google.com/**", lambda r: r.fulfill(body=identifier, content_type="text/html"))
    with pytest.raises(NeedsPerson) as caught:
        await flow.sign_in(page, Credentials("jane@gmail.example", "s3cret-pw"))
    assert caught.value.reason is Reason.CHALLENGE and "Google refuses" in caught.value.detail
    assert "optout-run login gemini" in caught.value.detail


async def test_the_microsoft_pack_answers_stay_signed_in_with_no(page, data):
    text = GOOGLE.replace('extends = "google"', 'extends = "microsoft"').replace(
        "https://accounts.google.com/v3/signin/identifier", "https://login.live.com/login.srf"
    ).replace('["https://accounts.google.com"]', '["https://login.live.com"]')
    flow = make_flow(data, text, name="copilot")
    steps_html = """<div id="s"><input name="loginfmt" aria-label="Enter your email, phone, or Skype."><button>Next</button></div><script>
      const s = document.getElementById('s');
      s.querySelector('button').onclick = () => { s.innerHTML = '<label>Password <input name="passwd" type="password"></label><button>Sign in</button>';
        s.querySelector('button').onclick = () => { s.innerHTML = '<h1>Stay signed in?</h1><button id="idSIButton9">Yes</button><button id="idBtn_Back">No</button>';
          s.querySelector('#idBtn_Back').onclick = () => { window.answer = 'no'; s.innerHTML = '<div id="home">Home</div>'; };
          s.querySelector('#idSIButton9').onclick = () => { window.answer = 'yes'; s.innerHTML = '<div id="home">Home</div>'; }; }; };</script>"""
    await page.route("https://login.live.com/**", lambda r: r.fulfill(body=steps_html, content_type="text/html"))
    await flow.sign_in(page, Credentials("jane@outlook.example", "s3cret-pw"))
    assert await page.evaluate("window.answer") == "no"


# -- broken settings -------------------------------------------------------------------------------------------------


async def test_a_setting_known_broken_is_left_to_a_person_without_a_browser(browser):
    from runner.replay import Scenario
    from tests.conftest import FIXTURES, replay_run
    import flows

    scenario = Scenario.load(FIXTURES / "x" / "exposed")
    x = flows.load("x")
    broken = tuple(replace(s, broken="X moved it behind a new consent page") for s in x.settings)
    original = x.settings
    x.settings = broken
    try:
        results, harnesses = await replay_run(browser, scenario)
    finally:
        x.settings = original
    assert {f"{r.status.value}/{r.reason.value}" for r in results} == {"needs_manual/selector_not_found"}
    assert all("switch it by hand" in r.detail and "new consent page" in r.detail for r in results)
    assert harnesses[0].summary()["requests"] == []
