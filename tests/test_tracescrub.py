"""A real Playwright trace carries cookies, tokens and typed text in many places; the kept copy carries none of them."""

from __future__ import annotations

import json
import stat
import zipfile

from runner.evidence import Evidence
from runner.tracescrub import redact_header, scrub_trace, secret_name

COOKIE = "PlantedCookie-3b8f1c"  # set in the jar: request Cookie headers, HAR cookies, storageState's result
BEARER = "PlantedBearer-9e2d47"  # the page copies its cookie into an Authorization header, as X does with ct0
SET_COOKIE = "PlantedSetCookie-51ac0e"  # a route fulfils with it: Set-Cookie in the call params and the response
ISSUED = "PlantedIssued-84f0aa"  # the JSON body the route answers with: {"access_token": ...}
TYPED = "PlantedTyped-0d64b2"  # filled into an input the page then posts as "password"
PLANTED = (COOKIE, BEARER, SET_COOKIE, ISSUED, TYPED)

PAGE = """<!doctype html><title>Settings</title>
<input id=pw name=pw><button id=go>Save</button><p id=out></p>
<script>
const jar = Object.fromEntries(document.cookie.split("; ").map(p => p.split("=")));
go.onclick = async () => {
  const answer = await fetch("/api/session", {method: "POST",
    headers: {"Authorization": "Bearer " + jar.api_auth, "Content-Type": "application/json"},
    body: JSON.stringify({note: "kept-visible", session_token: jar.sess, password: pw.value})});
  out.textContent = (await answer.json()).ok ? "saved" : "failed";
};
</script>"""


async def test_a_scrubbed_trace_keeps_its_members_and_none_of_the_planted_secrets(browser, tmp_path):
    context = await browser.new_context()
    await context.add_cookies(
        [{"name": name, "value": value, "url": "https://site.example/"} for name, value in (("sess", COOKIE), ("api_auth", BEARER))]
    )

    async def serve(route):
        if route.request.url.endswith("/api/session"):
            await route.fulfill(
                headers={"set-cookie": f"reddit_session={SET_COOKIE}; Path=/; Secure"}, json={"ok": True, "access_token": ISSUED}
            )
        else:
            await route.fulfill(content_type="text/html", body=PAGE)

    await context.route("**/*", serve)
    await context.tracing.start(screenshots=False, snapshots=True, sources=False)
    page = await context.new_page()
    await page.goto("https://site.example/settings")
    await page.fill("#pw", TYPED)
    await page.click("#go")
    await page.wait_for_selector("#out:has-text('saved')")
    await context.storage_state()
    raw = tmp_path / "raw.zip"
    await context.tracing.stop(path=raw)
    await context.close()

    clean = tmp_path / "clean.zip"
    scrub_trace(raw, clean)

    raw_text = everything(raw)
    assert [v for v in PLANTED if v not in raw_text] == [], "each value was planted where Playwright records it"
    assert [v for v in PLANTED if v in everything(clean)] == []
    assert stat.S_IMODE(clean.stat().st_mode) == 0o600
    with zipfile.ZipFile(raw) as before, zipfile.ZipFile(clean) as after:
        assert after.testzip() is None and after.namelist() == before.namelist()
        network = [json.loads(line) for line in after.read("trace.network").splitlines() if line.strip()]
        events = [json.loads(line) for line in after.read("trace.trace").splitlines() if line.strip()]
    # What debugging needs is still there: the requests, the cookie names, the call, the neighbouring body field.
    requests = [e["snapshot"]["request"] for e in network]
    assert any(r["method"] == "POST" and r["url"].endswith("/api/session") for r in requests)
    headers = {h["name"]: h["value"] for r in requests for h in r["headers"]}
    assert headers["Authorization"] == "Bearer [REDACTED]" and headers["Cookie"].startswith("sess=[REDACTED]")
    fill = next(e for e in events if e.get("method") == "fill")
    assert fill["params"] == {**fill["params"], "selector": "#pw", "value": "[REDACTED]"}
    assert "kept-visible" in everything(clean)


async def test_a_kept_trace_is_scrubbed_and_0600(browser, tmp_path):
    """The path evidence takes: stop into a temporary file, scrub, rename; nothing else is left in the folder."""
    context = await browser.new_context()
    await context.add_cookies([{"name": "li_at", "value": COOKIE, "url": "https://www.linkedin.com/"}])
    await context.route("**/*", lambda route: route.fulfill(content_type="text/html", body="<p>settings</p>"))
    await context.tracing.start(snapshots=True)
    page = await context.new_page()
    await page.goto("https://www.linkedin.com/settings")
    evidence = Evidence(tmp_path / "runs" / "r1", keep_traces=True)
    await evidence.keep_trace(context.tracing, "linkedin", "jane")
    await context.close()

    path = evidence.trace_path("linkedin", "jane")
    assert [p.name for p in path.parent.iterdir()] == ["trace.zip"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = everything(path)
    assert "li_at=[REDACTED]" in text and COOKIE not in text


def test_names_and_header_values():
    assert all(map(secret_name, ["Cookie", "set-cookie", "Authorization", "x-csrf-token", "reddit_session", "fb_dtsg", "sid"]))
    assert not any(map(secret_name, ["Accept", "content-type", "side", "allow_grok_training", "author", "passive"]))
    assert redact_header("Cookie", "a=1; b=2") == "a=[REDACTED]; b=[REDACTED]"
    assert redact_header("Set-Cookie", "c_user=7; Path=/\nxs=9; Secure") == "c_user=[REDACTED]; Path=/\nxs=[REDACTED]; Secure"
    assert redact_header("Authorization", "Bearer abc") == "Bearer [REDACTED]"


def everything(path) -> str:
    """The zip as stored and every member unpacked, as one text to search."""
    with zipfile.ZipFile(path) as archive:
        members = [archive.read(name) for name in archive.namelist()]
    return "\n".join(data.decode("utf-8", errors="replace") for data in [path.read_bytes(), *members])
