"""Capture: a read-only run keeps each settings page it reads, scrubbed, as a draft scenario that replays.

The sentinel test plants one value of every kind the scrubber must remove into X's settings page (in text,
attributes, URLs, inline JSON, a script, a <meta>, CSS and a shadow root), captures it with the real command, and
finds none of them in any file it wrote; the flow's locators find the same elements on the scrubbed page as on
the original. The replay test captures every platform's `exposed` scenario and replays the drafts.
"""

from __future__ import annotations

import html
import tomllib
from collections import Counter
from pathlib import Path
from urllib.parse import quote, unquote

import pytest

from runner.capture import Capture, write
from runner.locate import build, load as locators_of
from runner.replay import Harness, Scenario, find_scenarios
from tests.conftest import FIXTURES, in_process, replay_run

EXPOSED = [s for s in find_scenarios(FIXTURES) if s.name == "exposed"]
USERNAME = "jane_doe_demo"  # fixtures/x: the account, its handle on the page
SENTINELS = {
    "password": "Pw-Sentinel-7f3aQ9",
    "totp": "JBSWY3DPSENTINELQ",
    "cookie": "ck-Sentinel-5b9e2R7t",
    "csrf": "csrfSentinel8Kq2Lm9Xz4Wv",
    "bearer": "AAAAbearerSentinel0x9Zt3Q",
    "email": "jane.sentinel@example.org",
    "phone": "+1 415 555 0137",
    "username": USERNAME,
    "display name": "Quentin Sentinelli",
    "numeric id": "8675309123456",
    "avatar": "https://pbs.twimg.com/profile_images/AvatarSentinel/photo.jpg",
    "post": "Sentinel post about my secret weekend plans",
    "other person": "Wilhelmina Sentinelova",
    "other handle": "wilhelmina_sentinel",
}
S = SENTINELS
PLANTED_HEAD = f"""<meta name="csrf-token" content="{S['csrf']}">
<meta property="og:image" content="{S['avatar']}">
<meta name="description" content="{S['display name']} on X: {S['post']}">
<style>.avatar {{ background: url("{S['avatar']}") }} .me::after {{ content: "{USERNAME}" }}</style>
<script type="application/json" id="viewer-state">{{"viewer": {{"name": "{S['display name']}", "id_str": "{S['numeric id']}",
  "email": "{S['email']}", "phone": "{S['phone']}"}}, "csrf_token": "{S['csrf']}"}}</script>
<script>window.__CONFIG__ = {{"headers": {{"authorization": "Bearer {S['bearer']}", "x-csrf-token": "{S['csrf']}"}},
  "cookie": "replay_session={S['cookie']}", "password": "{S['password']}", "totp": "{S['totp']}"}};</script>
</head>"""
PLANTED_BODY = f"""<aside class="sidebar" data-user-id="{S['numeric id']}" data-email="{S['email']}" title="{S['display name']}">
  <div class="greeting">Hello, {S['display name']} ({S['email']}, {S['phone']})</div>
  <img class="avatar" alt="" src="{S['avatar']}" srcset="{S['avatar']} 2x">
  <a href="https://x.com/i/user/{S['numeric id']}?csrf={S['csrf']}&amp;session={S['cookie']}">Your profile</a>
  <a href="mailto:{S['email']}">Mail</a>
  <form><input type="hidden" name="authenticity_token" value="{S['csrf']}"><input type="hidden" name="otp" value="{S['totp']}"></form>
  <p class="note">Remembered sign-in: {S['password']}</p>
  <article data-testid="tweet"><div data-testid="tweetText">{S['post']}</div></article>
  <div data-testid="UserCell"><a href="/{S['other handle']}" aria-label="{S['other person']}"><span>{S['other person']}</span></a></div>
  <profile-card></profile-card>
</aside>
<script>
  customElements.define("profile-card", class extends HTMLElement {{
    connectedCallback() {{
      const root = this.attachShadow({{ mode: "open" }});
      root.innerHTML = '<div data-testid="UserCell"><span>{S['other person']}</span></div><p>{S['email']} {S['phone']}</p>';
    }}
  }});
</script>
</body>"""


def sentinel_scenario(scenario_copy) -> Path:
    """fixtures/x with every sentinel planted in its Grok settings page and its password, TOTP and session token
    set to sentinels; returns its `exposed` directory."""
    root = scenario_copy("x")
    page = root / "pages" / "grok_settings.html"
    text = page.read_text(encoding="utf-8").replace("</head>", PLANTED_HEAD, 1).replace("</body>", PLANTED_BODY, 1)
    page.write_text(text, encoding="utf-8")
    manifest = root / "exposed" / "manifest.toml"
    text = manifest.read_text(encoding="utf-8").replace('password = "demo-password-x-1"', f'password = "{S["password"]}"\ntotp = "{S["totp"]}"')
    text = text.replace('domain = ".x.com"', f'domain = ".x.com"\ntoken = "{S["cookie"]}"')
    manifest.write_text(text, encoding="utf-8")
    return root / "exposed"


def leaks(text: str) -> list[str]:
    """The kinds of sentinel found in text, in any of the forms a page, a URL or a script would write it."""
    forms = {text, html.unescape(text), unquote(text), unquote(html.unescape(text))}
    found = []
    for kind, value in SENTINELS.items():
        spellings = {value, quote(value, safe=""), quote(value), value.replace(" ", "")}
        if any(s.casefold() in f.casefold() for s in spellings for f in forms):
            found.append(kind)
    return found


def files_under(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*")) if p.is_file()}


def test_no_sentinel_of_any_kind_reaches_the_capture(scenario_copy, tmp_path):
    scenario = sentinel_scenario(scenario_copy)
    code, out, err = in_process("capture", "x", "--replay", str(scenario), "--out", str(tmp_path / "out"))
    assert code == 0, err
    written = files_under(tmp_path / "out")
    assert any(name.endswith("grok_settings.html") for name in written), list(written)
    assert {name: leaks(text) for name, text in written.items() if leaks(text)} == {}
    page = next(text for name, text in written.items() if name.endswith("grok_settings.html"))
    assert "Allow your public data as well as your interactions" in page, "the platform's wording stays"
    assert 'data-testid="tweet"' in page and '<template shadowrootmode="open">' in page, "the structure stays"
    report = tomllib.loads(next(text for name, text in written.items() if name.endswith("scrubbed.toml")))
    assert {"identity", "e-mail", "numeric id", "secret", "media url", "free text", "script"} <= set(report["replaced"])


# The element a locator found, as a path of tags and positions from the document, through shadow roots.
PATH = """el => {
  const parts = [];
  for (let n = el; n; ) {
    if (n.nodeType === 11) { parts.push('#shadow'); n = n.host; continue; }
    if (n.nodeType !== 1) break;
    let i = 1;
    for (let s = n.previousElementSibling; s; s = s.previousElementSibling) if (s.localName === n.localName) i++;
    parts.push(n.localName + '[' + i + ']');
    n = n.parentNode;
  }
  return parts.reverse().join('/');
}"""


async def located(page, platform: str) -> dict[str, tuple[int, str]]:
    """Every fallback of every locator of the platform: how many elements it matches, and the one's path."""
    found = {}
    for name, candidates in locators_of(platform).items():
        for i, candidate in enumerate(candidates):
            locator = build(page, candidate)
            n = await locator.count()
            found[f"{name}[{i}]"] = (n, await locator.evaluate(PATH) if n == 1 else "")
    return found


async def test_the_flow_finds_the_same_elements_on_the_scrubbed_page(browser, scenario_copy, tmp_path):
    scenario = Scenario.load(sentinel_scenario(scenario_copy))
    capture = Capture()
    jobs = []
    results, _ = await replay_run(browser, scenario, check=True, watchers=(capture,), on_event=lambda e, job, r: jobs.append(job) if e == "start" else None)
    (draft,) = write(capture, jobs, results, tmp_path)
    url = "https://x.com/settings/grok_settings"
    original, scrubbed = await browser.new_context(), await browser.new_context()
    try:
        await Harness(scenario).attach(original)
        await original.add_cookies([{"name": "replay_session", "value": S["cookie"], "domain": ".x.com", "path": "/"}])
        await Harness(Scenario.load(draft)).attach(scrubbed)
        before, after = await original.new_page(), await scrubbed.new_page()
        await before.goto(url)
        await after.goto(url)
        want, got = await located(before, "x"), await located(after, "x")
    finally:
        await original.close()
        await scrubbed.close()
    assert any(n == 1 for n, _ in want.values()), "the page has the flow's controls"
    assert got == want


def outcome(results, platform: str) -> Counter:
    """What a run found, setting by setting; a blog's setting by its base id, since blog names are scrubbed."""
    return Counter((r.setting.split(":")[0], r.status.value, r.reason.value) for r in results if r.platform == platform)


async def test_a_capture_of_each_exposed_scenario_replays_to_the_same_results(browser, tmp_path):
    """WhatsApp Web included, whose four panes share one URL: its draft's views follow the clicks between them. A
    watcher that is not a view watcher (new AI switches) still looks at each page URL once per account."""
    capture, jobs, looked = Capture(), [], Counter()

    async def per_page(page, flow, job):
        looked[(job.platform, page.url.split("?")[0].split("#")[0])] += 1

    original, _ = await replay_run(
        browser, *EXPOSED, check=True, watchers=(per_page, capture), on_event=lambda e, job, r: jobs.append(job) if e == "start" else None
    )
    drafts = write(capture, jobs, original, tmp_path)
    replayed, _ = await replay_run(browser, *[Scenario.load(d) for d in drafts], check=True)
    same = {s.platform: outcome(replayed, s.platform) == outcome(original, s.platform) for s in EXPOSED}
    assert {p for p, ok in same.items() if not ok} == set()
    assert all(outcome(original, p) for p in same), "every platform had results to compare"
    assert looked[("whatsapp", "https://web.whatsapp.com/")] == 1 and set(looked.values()) == {1}
    whatsapp = tomllib.loads(next(d for d in drafts if d.parent.name == "whatsapp").joinpath("manifest.toml").read_text())
    (page,) = whatsapp["page"]
    assert len({v["file"] for v in page["views"]} - {page["file"]}) == 4, "a view per pane the settings opened"


def test_every_view_of_a_one_url_app_is_scrubbed_before_it_is_written(scenario_copy, tmp_path):
    """A pane only a click shows (WhatsApp's About) holds an e-mail and a phone number: neither reaches any file."""
    root = scenario_copy("whatsapp")
    web = root / "pages" / "web.html"
    pane = 'about: { title: "About", groups: [["about", "Who can see my About", AUDIENCE]] }'
    planted = pane[:-2] + ', hint: "Ask %s or call %s" }' % (S["email"], S["phone"])
    text = web.read_text(encoding="utf-8")
    assert pane in text
    web.write_text(text.replace(pane, planted), encoding="utf-8")
    code, _, err = in_process("capture", "whatsapp", "--replay", str(root / "exposed"), "--out", str(tmp_path / "out"))
    assert code == 0, err
    written = files_under(tmp_path / "out")
    about = [name for name, text in written.items() if "Who can see my About" in text]
    assert len(about) == 1 and "/pages/view" in about[0], "the About pane is a view of its own"
    assert {name: leaks(text) for name, text in written.items() if leaks(text)} == {}
    report = tomllib.loads(next(text for name, text in written.items() if name.endswith("scrubbed.toml")))
    assert {"e-mail", "phone"} <= set(report["pages"]["pages/" + about[0].rsplit("/pages/", 1)[1]])


def test_kept_scripts_lose_their_secrets_and_the_person_but_not_other_peoples_words(scenario_copy, tmp_path):
    """--keep-scripts: secret-named values and known identities go; someone's words inside a script's string
    cannot be told from code, which is why scripts are removed unless asked for (and bug reports never keep them)."""
    scenario = sentinel_scenario(scenario_copy)
    code, _, err = in_process("capture", "x", "--keep-scripts", "--replay", str(scenario), "--out", str(tmp_path / "out"))
    assert code == 0, err
    written = files_under(tmp_path / "out")
    page = next(text for name, text in written.items() if name.endswith("grok_settings.html"))
    assert "window.__CONFIG__" in page, "the script is kept"
    assert {kind for text in written.values() for kind in leaks(text)} <= {"other person", "post"}


def test_an_app_only_platform_captures_no_page_and_its_draft_still_replays(tmp_path):
    code, out, err = in_process("capture", "snapchat", "--replay", str(FIXTURES / "snapchat" / "exposed"), "--out", str(tmp_path / "out"))
    assert code == 0, err
    (draft,) = (tmp_path / "out" / "snapchat").iterdir()
    assert not (draft / "pages").exists() or not any((draft / "pages").iterdir())
    code, out, _ = in_process("-p", "snapchat", "--replay", str(draft), "--check")
    assert code == 3 and "app_only" in out


@pytest.mark.parametrize(
    "args, line",
    [
        (["--account", "nobody"], "no x account named 'nobody' (configured: jane_doe_demo)"),
        (["--setting", "nothing"], "x has no setting 'nothing' (one of: grok_training, partner_sharing)"),
    ],
)
def test_a_wrong_account_or_setting_is_one_line_and_exit_2(args, line, tmp_path):
    code, out, err = in_process("capture", "x", *args, "--replay", str(FIXTURES / "x" / "exposed"), "--out", str(tmp_path / "out"))
    assert code == 2 and line in err and "Traceback" not in err
    assert not (tmp_path / "out").exists(), "nothing written"


def test_one_setting_captures_its_page_only(tmp_path):
    out = tmp_path / "out"
    code, _, err = in_process("capture", "x", "--setting", "partner_sharing", "--replay", str(FIXTURES / "x" / "exposed"), "--out", str(out))
    assert code == 0, err
    (draft,) = (out / "x").iterdir()
    manifest = tomllib.loads((draft / "manifest.toml").read_text(encoding="utf-8"))
    assert [p["url"] for p in manifest["page"]] == ["https://x.com/settings/data_sharing_with_business_partners"]
    assert manifest["expect"]["results"] == {"partner_sharing": "non_compliant/exposed"}
    assert manifest["state"] == {"partner_sharing": True} and manifest["reconstructed_from"] == "capture"


@pytest.mark.parametrize("command", ["capture", "bug-report"])
def test_an_out_that_cannot_be_written_is_one_line_before_any_browser(command, tmp_path):
    (tmp_path / "a-file").write_text("")
    out = tmp_path / "a-file" / "below"
    code, _, err = in_process(command, "x", "--replay", str(FIXTURES / "x" / "exposed"), "--out", str(out))
    assert code == 2 and f"cannot write in {out}" in err and "Traceback" not in err


async def test_page_text_cannot_close_a_script_early_nor_become_a_replay_template(browser):
    """A page's own text holding `</script>` or `{{key}}` stays text: the written page neither breaks out of its
    data block nor has the harness fill it in (runner/replay.py renders {{...}})."""
    from runner.pagescrub import Scrubber
    from runner.replay import render

    tree = {"t": "html", "a": [], "c": [
        {"t": "head", "a": [], "c": [{"t": "script", "a": [["type", "application/json"], ["id", "data"]], "c": ['{"a": "</script><img src=x>"}']}]},
        {"t": "body", "a": [], "c": [{"t": "p", "a": [["title", "{{json:k}}"]], "c": ["Type {{checked:k}} here"]}]},
    ]}
    written = Scrubber().page(tree)
    assert render(written, {"k": True}) == written
    page = await browser.new_page()
    try:
        await page.set_content(written)
        assert await page.locator("img").count() == 0
        assert await page.evaluate("JSON.parse(document.getElementById('data').textContent).a") == "</script><img src=x>"
        assert await page.locator("p").inner_text() == "Type {{checked:k}} here"
        assert await page.locator("p").get_attribute("title") == "{{json:k}}"
    finally:
        await page.close()


async def test_a_views_click_shows_its_view_only_in_the_view_it_was_made_in(browser, tmp_path):
    """The harness's view script: the draft's `views` are data, the script that follows them is the harness's."""
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "app.html").write_text("<html><head></head><body><main><button>Open</button></main></body></html>")
    (tmp_path / "pages" / "pane.html").write_text("<html><head><title>Pane</title></head><body><aside><button>Back</button></aside></body></html>")
    (tmp_path / "manifest.toml").write_text(
        'platform = "whatsapp"\n[[account]]\nusername = "person1"\n[[page]]\nurl = "https://web.whatsapp.com/"\nfile = "pages/app.html"\n'
        'views = [{ from = "pages/app.html", click = "html > body > main > button", file = "pages/pane.html" },\n'
        '         { from = "pages/pane.html", click = "html > body > aside > button", file = "pages/app.html" }]\n'
    )
    context = await browser.new_context()
    try:
        await Harness(Scenario.load(tmp_path)).attach(context)
        page = await context.new_page()
        await page.goto("https://web.whatsapp.com/")
        await page.get_by_role("button", name="Open").click()
        assert await page.title() == "Pane" and await page.locator("main").count() == 0
        await page.get_by_role("button", name="Back").click()
        assert await page.title() == "" and await page.get_by_role("button", name="Open").count() == 1
        await page.evaluate("document.body.insertAdjacentHTML('beforeend', '<aside><button>Back</button></aside>')")
        await page.get_by_role("button", name="Back").click()  # the path of the pane's button, but not in the pane
        assert await page.get_by_role("button", name="Open").count() == 1
    finally:
        await context.close()
