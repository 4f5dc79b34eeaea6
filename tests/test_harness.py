"""The replay harness itself: templates, state, and that nothing unlisted ever leaves the browser."""

from __future__ import annotations

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
