"""The replay harness itself: templates, state, and that nothing unlisted ever leaves the browser."""

from __future__ import annotations

import json
import time
from contextlib import asynccontextmanager

from runner.replay import Harness, Scenario, render


def test_render_sections_and_values():
    page = "{{#on}}A{{/on}}{{^on}}B{{/on}} <input {{checked:on}} aria-checked='{{aria:on}}'> {{name}} {{json:n}}"
    assert render(page, {"on": True, "name": "<b>", "n": [1]}) == "A <input checked aria-checked='true'> &lt;b&gt; [1]"
    assert render(page, {"on": False, "name": "x", "n": None}).startswith("B <input  aria-checked='false'>")


def scenario(tmp_path, **extra) -> Scenario:
    (tmp_path / "p.html").write_text("<title>t</title><p id=v>{{v}}</p><img src='https://cdn.example/x.png'>")
    manifest = {
        "platform": "x",
        "account": [{"username": "u", "password": "p"}],
        "state": {"v": "before"},
        "page": [{"url": "https://site.example/p", "file": "p.html"}],
        "save": [{"url": "https://site.example/api/*", "fields": {"value": "v"}}],
        **extra,
    }
    return Scenario(tmp_path, manifest)


async def test_unlisted_requests_are_aborted_and_reported(context, tmp_path):
    harness = Harness(scenario(tmp_path))
    await harness.attach(context)
    page = await context.new_page()
    await page.goto("https://site.example/p")
    assert harness.unexpected == ["GET https://cdn.example/x.png"]


async def test_saves_change_what_later_loads_show(context, tmp_path):
    harness = Harness(scenario(tmp_path))
    await harness.attach(context)
    page = await context.new_page()
    await page.goto("https://site.example/p")
    status = await page.evaluate(
        "fetch('/api/save', {method: 'POST', body: JSON.stringify({value: 'after'})}).then(r => r.status)"
    )
    assert status == 200
    await page.reload()
    assert await page.text_content("#v") == "after"
    assert harness.saves == 1


async def test_a_rejected_save_keeps_the_old_state(context, tmp_path):
    s = scenario(tmp_path)
    s.manifest["save"][0]["status"] = 500
    harness = Harness(s)
    await harness.attach(context)
    page = await context.new_page()
    await page.goto("https://site.example/p")
    status = await page.evaluate("fetch('/api/save', {method: 'POST', body: '{\"value\": \"after\"}'}).then(r => r.status)")
    assert status == 500 and harness.state["v"] == "before"


async def test_auth_pages_send_a_signed_out_browser_to_sign_in(context, tmp_path):
    s = scenario(tmp_path, sign_in={"url": "https://site.example/login", "redirect": "https://site.example/p"})
    s.manifest["page"].append({"url": "https://site.example/private", "file": "p.html", "auth": True})
    harness = Harness(s)
    await harness.attach(context)
    page = await context.new_page()
    await page.goto("https://site.example/private")
    await page.wait_for_url("https://site.example/p")
    assert [e["kind"] for e in harness.log[:2]] == ["redirect", "page"]


# -- scenarios written to tmp_path, loaded as the CLI loads them, served to the real browser ----------------------

SITE = """platform = "x"
description = "A small site for one harness feature."
reconstructed_from = "tests/test_harness.py"
reconstructed_on = "2026-12-03"

[[account]]
username = "u"
password = "p"

[state]
v = "before"

[session]
cookie = "sid"

[sign_in]
url = "https://site.example/login"
redirect = "https://site.example/signin"
next = "https://site.example/p"

[[page]]
url = "https://site.example/signin"
file = "p.html"

[[page]]
url = "https://site.example/p"
file = "p.html"
auth = true

[[save]]
url = "https://site.example/api/save"
fields = { value = "v" }
"""

PAGE = "<!-- Reconstructed 2026-12-03 for tests -->\n<html lang=en><title>t</title><body><h1>Settings</h1><p id=v>{{v}}</p></body></html>"


def written(tmp_path, extra: str = "", site: str = SITE) -> Scenario:
    (tmp_path / "p.html").write_text(PAGE)
    (tmp_path / "data.json").write_text('{"v": "{{v}}"}')
    (tmp_path / "manifest.toml").write_text(site + extra)
    return Scenario.load(tmp_path)


@asynccontextmanager
async def served(browser, scenario: Scenario, **context_options):
    context = await browser.new_context(**context_options)
    harness = Harness(scenario)
    await harness.attach(context)
    try:
        yield harness, await context.new_page()
    finally:
        await context.close()


async def sign_in(page, body: str = "username=u&password=p", content_type: str = "application/x-www-form-urlencoded"):
    await page.goto("https://site.example/signin")
    return await page.evaluate(
        "([body, type]) => fetch('/login', {method: 'POST', headers: {'content-type': type}, body}).then(r => r.status)",
        [body, content_type],
    )


SAVE = "(v) => fetch('/api/save', {method: 'POST', body: JSON.stringify({value: v})}).then(r => r.status)"


async def test_latency_by_kind_of_response(browser, tmp_path, monkeypatch):
    """Documents, API calls and saves each take their own time; the environment sets what a manifest does not."""
    monkeypatch.setenv("OPTOUT_REPLAY_LATENCY", "documents=50,saves=400")
    extra = '\n[latency]\ndocuments = 300\napi = 200\n\n[[page]]\nurl = "https://site.example/data"\nfile = "data.json"\ncontent_type = "application/json"\n'
    async with served(browser, written(tmp_path, extra)) as (harness, page):
        assert harness.latency == {"documents": 300, "api": 200, "saves": 400}
        started = time.monotonic()
        await page.goto("https://site.example/signin")
        document = time.monotonic() - started
        api = await page.evaluate("(() => { const t = performance.now(); return fetch('/data').then(() => performance.now() - t); })()")
        save = await page.evaluate("(() => { const t = performance.now(); return fetch('/api/save', {method: 'POST', body: '{}'}).then(() => performance.now() - t); })()")
    assert 0.3 <= document < 2 and 200 <= api < 1500 and 400 <= save < 2000


async def test_a_session_is_revoked_after_n_requests(browser, tmp_path):
    """Two signed-in loads, then the site has revoked the session: the page sends the browser to sign in again and
    a save is refused without changing anything."""
    site = SITE.replace('cookie = "sid"', 'cookie = "sid"\nrevoke_after = 2')
    async with served(browser, written(tmp_path, site=site)) as (harness, page):
        assert await sign_in(page) == 200
        for _ in range(2):
            await page.goto("https://site.example/p")
            assert page.url == "https://site.example/p" and await page.text_content("#v") == "before"
        await page.goto("https://site.example/p")
        await page.wait_for_url("https://site.example/signin")
        assert await page.evaluate(SAVE, "after") == 401
        assert harness.state["v"] == "before" and [e["kind"] for e in harness.log].count("redirect") == 1
        assert await sign_in(page) == 200  # a new sign-in: a new session
        await page.goto("https://site.example/p")
        assert page.url == "https://site.example/p"


async def test_pages_are_served_by_accept_language(browser, tmp_path):
    """One URL, two entries: German browsers get the German variant (a patch of the same page), others the default."""
    extra = (
        '\n[[page]]\nurl = "https://site.example/signin"\nlanguage = "de"\nfile = "p.html"\n'
        "replace = [{ find = '<html lang=en>', with = '<html lang=de>' }, { find = 'Settings', with = 'Einstellungen' }]\n"
    )
    scenario = written(tmp_path, extra)
    for locale, heading, language in (("de-DE", "Einstellungen", "de"), ("en-US", "Settings", None), ("fr-FR", "Settings", None)):
        async with served(browser, scenario, locale=locale) as (_, page):
            response = await page.goto("https://site.example/signin")
            assert await page.text_content("h1") == heading, locale
            assert response.headers.get("content-language") == language
            assert "accept-language" in response.headers.get("vary", "").lower()


async def test_a_save_shows_the_sites_toast(browser, tmp_path):
    """"Settings saved" as the site's status text after an accepted save; an error alert after a rejected one."""
    extra = '\n[[save]]\nurl = "https://site.example/api/bad"\nstatus = 500\ntoast_error = "Something went wrong"\n'
    site = SITE.replace('fields = { value = "v" }', 'fields = { value = "v" }\ntoast = "Settings saved"\ntoast_ms = 0')
    async with served(browser, written(tmp_path, extra, site=site)) as (harness, page):
        await sign_in(page)
        await page.goto("https://site.example/p")
        assert await page.get_by_role("status").count() == 0
        assert await page.evaluate(SAVE, "after") == 200
        await page.get_by_role("status").filter(has_text="Settings saved").wait_for(timeout=2000)
        assert await page.evaluate("fetch('/api/bad', {method: 'POST', body: '{}'}).then(r => r.status)") == 500
        await page.get_by_role("alert").filter(has_text="Something went wrong").wait_for(timeout=2000)
        assert harness.state["v"] == "after"


async def test_sign_in_fields_are_dotted_paths_into_form_encoded_json(browser, tmp_path):
    site = SITE.replace('next = "https://site.example/p"', 'next = "https://site.example/p"\nusername_field = "variables.user.name"\npassword_field = "variables.secret"')
    async with served(browser, written(tmp_path, site=site)) as (harness, page):
        variables = json.dumps({"user": {"name": "u"}, "secret": "p"})
        assert await sign_in(page, "variables=" + variables.replace("&", "%26")) == 200
        assert await sign_in(page, json.dumps({"variables": {"user": {"name": "u"}, "secret": "wrong"}}), "application/json") == 401
        assert harness.password_submissions == 2


async def test_a_variant_page_is_its_base_patched_and_a_reload_can_differ(browser, tmp_path):
    extra = ""
    site = SITE.replace(
        'file = "p.html"\nauth = true',
        "file = \"p.html\"\nauth = true\nreplace = [{ find = 'Settings', with = 'Redesigned' }]\n"
        "reload_replace = [{ find = '<p id=v>', with = '<p id=v data-cached>' }]",
    )
    async with served(browser, written(tmp_path, extra, site=site)) as (_, page):
        await sign_in(page)
        await page.goto("https://site.example/p")
        assert await page.text_content("h1") == "Redesigned" and await page.locator("[data-cached]").count() == 0
        await page.reload()
        assert await page.text_content("h1") == "Redesigned" and await page.locator("[data-cached]").count() == 1
