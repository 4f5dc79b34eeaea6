"""`login --from-browser`: sessions taken from real cookie stores written by real programs, then a replay that signs in
with no password at all.

The Chromium profile is written by Chromium itself (Playwright's launch_persistent_context) while the replay
harness serves X and sets a persistent session cookie; on Linux without a keyring Chromium encrypts it with the
'peanuts' v10 key. The Firefox store is a cookies.sqlite at schema 16 (expiry in milliseconds), written with sqlite3
in Firefox's own moz_cookies layout. Both also hold cookies of evilx.com and x.com.evil.org, which must not be
taken. A desktop Chrome whose key lives in the Secret Service cannot be made here: no desktop keyring runs.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
import time
from pathlib import Path

import pytest

import flows
from runner.browsercookies import BrowserCookieError, CookieStore, Source, owned, platform_hosts
from runner.commands import session as session_command
from runner.config import Account
from runner.credentials import set_secret
from runner.engine import Job, Options, run_jobs
from runner.flow import Credentials
from runner.locate import Locators
from runner.plan import REPLAY_TIMEOUT_MS, chosen_settings
from runner.replay import Harness, Scenario
from runner.sessions import SessionStore, keyring_key
from tests.conftest import FIXTURES, in_process

MAX_AGE = 30 * 24 * 3600
EVIL = (".evilx.com", ".x.com.evil.org")

# Firefox's moz_cookies at schema 16 (netwerk/cookie/CookiePersistentStorage.cpp: rawSameSite dropped at 15, expiry
# multiplied by 1000 at 16, updateTime only from 17).
FIREFOX_16 = """CREATE TABLE moz_cookies (
    id INTEGER PRIMARY KEY, originAttributes TEXT NOT NULL DEFAULT '', name TEXT, value TEXT, host TEXT, path TEXT,
    expiry INTEGER, lastAccessed INTEGER, creationTime INTEGER, isSecure INTEGER, isHttpOnly INTEGER,
    inBrowserElement INTEGER DEFAULT 0, sameSite INTEGER DEFAULT 0, schemeMap INTEGER DEFAULT 0,
    isPartitionedAttributeSet INTEGER DEFAULT 0,
    CONSTRAINT moz_uniqueid UNIQUE (name, host, path, originAttributes))"""


def x_exposed() -> Scenario:
    return Scenario.load(FIXTURES / "x" / "exposed")


def firefox_store(folder: Path, rows: list[tuple]) -> Path:
    """A Firefox profile folder with cookies.sqlite at schema 16; rows: (originAttributes, name, value, host,
    expiry in seconds, isSecure, isHttpOnly, sameSite)."""
    folder.mkdir(parents=True)
    db = sqlite3.connect(folder / "cookies.sqlite")
    db.execute("PRAGMA journal_mode = WAL")  # as Firefox keeps it
    db.execute(FIREFOX_16)
    now_us = int(time.time() * 1_000_000)
    db.executemany(
        "INSERT INTO moz_cookies (originAttributes, name, value, host, path, expiry, lastAccessed, creationTime, "
        "isSecure, isHttpOnly, sameSite, schemeMap) VALUES (?, ?, ?, ?, '/', ?, ?, ?, ?, ?, ?, 2)",
        [(o, n, v, h, int(e * 1000), now_us, now_us, s, ho, ss) for o, n, v, h, e, s, ho, ss in rows],
    )
    db.execute("PRAGMA user_version = 16")
    db.commit()
    db.close()
    return folder


@pytest.fixture
def firefox(tmp_path) -> Path:
    later = time.time() + MAX_AGE
    return firefox_store(
        tmp_path / "firefox" / "abcd1234.default-release",
        [
            ("", "replay_session", "replay-firefox-1", ".x.com", later, 1, 1, 1),
            ("", "ct0", "csrf-firefox", ".x.com", later, 1, 0, 2),
            ("", "guest_id", "v1%3Afirefox", "api.x.com", later, 1, 0, 0),  # SameSite=None, Secure
            ("", "lang", "en", "x.com", later, 0, 0, 256),  # no SameSite attribute (Firefox's SAMESITE_UNSET)
            ("", "tracking", "t", ".x.com", later, 0, 0, 0),  # SameSite=None without Secure: Chromium would refuse it
            ("", "old_session", "replay-expired", ".x.com", time.time() - 60, 1, 1, 1),
            ("^userContextId=2", "replay_session", "replay-container", ".x.com", later, 1, 1, 1),
            ("^partitionKey=%28https%2Cexample.com%29", "embedded", "p", ".x.com", later, 1, 0, 0),
            ("", "replay_session", "replay-evil-1", ".evilx.com", later, 1, 1, 1),
            ("", "replay_session", "replay-evil-2", ".x.com.evil.org", later, 1, 1, 1),
        ],
    )


@pytest.fixture(scope="module")
async def chromium_profile(tmp_path_factory, playwright, browser_type_launch_args) -> Path:
    """A user data dir Chromium wrote: X signed in through the harness (a persistent cookie), plus a cookie of X's
    own and cookies of two look-alike sites. The context is closed, so Chromium has flushed its store."""
    profile = tmp_path_factory.mktemp("chromium") / "profile"
    scenario = x_exposed()
    scenario.manifest["session"]["max_age"] = MAX_AGE
    context = await playwright.chromium.launch_persistent_context(str(profile), **browser_type_launch_args)
    try:
        await Harness(scenario).attach(context)

        def answer(cookie: str):
            async def serve(route):  # registered after the harness, so these answer first
                headers = {"set-cookie": f"{cookie}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age={MAX_AGE}"}
                await route.fulfill(body="<p>hello</p>", content_type="text/html", headers=headers)

            return serve

        for host in ("evilx.com", "x.com.evil.org"):
            await context.route(f"https://{host}/**", answer(f"replay_session=replay-stolen-{host}; Domain={host}"))
        await context.route("https://x.com/i/jot/**", answer("twid=u%3D42"))  # X's own, on the bare host
        page = await context.new_page()
        await flows.load("x")(Locators("x", 3000)).sign_in(page, Credentials("jane_doe_demo", "demo-password-x-1"))
        for url in ("https://evilx.com/", "https://x.com.evil.org/", "https://x.com/i/jot/"):
            await page.goto(url)
    finally:
        await context.close()
    return profile




def configure(home: Path, *accounts: tuple[str, str]) -> None:
    (home / "config").mkdir(parents=True, exist_ok=True)
    entries = [f'[[account]]\nplatform = "{p}"\nusername = "{u}"\n' for p, u in accounts]
    (home / "config" / "config.toml").write_text("\n".join(entries))


@pytest.fixture
def routed(monkeypatch):
    """The command's own check of a found session, with X served by the harness instead of the network."""
    harnesses = []

    async def attach(job, context):
        harnesses.append(Harness(x_exposed()))
        await harnesses[-1].attach(context)

    monkeypatch.setenv("OPTOUT_TIMEOUT_MS", str(REPLAY_TIMEOUT_MS))
    monkeypatch.setattr(session_command, "adopt_found", functools.partial(session_command.adopt_found, prepare=attach))
    return harnesses


async def replay_with_saved_session(browser, home: Path) -> tuple[list, Harness]:
    """A run of the X account as a live run makes it (no replay scope), with the session `login` saved. Its password
    is stored too, so a session that did not work would show as a password submission."""
    set_secret("x", "jane_doe_demo", "demo-password-x-1")
    harness = Harness(x_exposed())
    flow_cls = flows.load("x")
    job = Job(flow_cls, Account("x", "jane_doe_demo"), chosen_settings(flow_cls, {}))

    async def attach(job, context):
        await harness.attach(context)

    sessions = SessionStore(home / "state" / "sessions", keyring_key())
    return await run_jobs(browser, [job], Options(timeout_ms=REPLAY_TIMEOUT_MS, sessions=sessions), attach), harness


def test_the_platform_hosts_come_from_its_data():
    assert platform_hosts(flows.load("x")) == ("x.com",)
    assert platform_hosts(flows.load("linkedin")) == ("www.linkedin.com",)


@pytest.mark.parametrize(
    "domain, taken",
    [
        ("x.com", True),
        (".x.com", True),
        ("api.x.com", True),
        (".api.x.com", True),
        ("X.COM", True),
        ("evilx.com", False),
        (".evilx.com", False),
        ("x.com.evil.org", False),
        (".x.com.evil.org", False),
        ("com", False),
        (".com", False),
        ("x.co", False),
    ],
)
def test_a_cookie_is_taken_only_for_the_platforms_own_domain_or_below_it(domain, taken):
    assert owned(domain, ("x.com",)) is taken


def test_www_is_set_aside_and_a_parent_domain_the_browser_sends_is_the_sites_own():
    assert owned(".linkedin.com", ("www.linkedin.com",)) and owned(".www.linkedin.com", ("www.linkedin.com",))
    assert owned(".google.com", ("gemini.google.com",)) and not owned(".evil-linkedin.com", ("www.linkedin.com",))


def test_firefox_schema_16_cookies_become_playwright_cookies(firefox):
    with CookieStore.open(Source.parse(f"firefox:{firefox}")) as store:
        cookies = {(c["domain"], c["name"]): c for c in store.cookies_for(flows.load("x"))}
        assert not store.busy
    assert set(cookies) == {
        (".x.com", "replay_session"),
        (".x.com", "ct0"),
        ("api.x.com", "guest_id"),
        ("x.com", "lang"),
        (".x.com", "tracking"),
    }
    session = cookies[(".x.com", "replay_session")]
    assert session["value"] == "replay-firefox-1" and session["path"] == "/"
    assert session["httpOnly"] is True and session["secure"] is True and session["sameSite"] == "Lax"
    assert abs(session["expires"] - (time.time() + MAX_AGE)) < 120  # seconds, not Firefox's milliseconds
    assert cookies[(".x.com", "ct0")]["sameSite"] == "Strict"
    assert cookies[("api.x.com", "guest_id")]["sameSite"] == "None"
    assert "sameSite" not in cookies[("x.com", "lang")] and cookies[("x.com", "lang")]["secure"] is False
    assert "sameSite" not in cookies[(".x.com", "tracking")]


async def test_a_chromium_profile_written_by_chromium_signs_in_a_replay_with_no_password(
    browser, chromium_profile, optout_home, routed
):
    with CookieStore.open(Source.parse(f"chromium:{chromium_profile}")) as store:
        cookies = {(c["domain"], c["name"]): c for c in store.cookies_for(flows.load("x"))}
    assert set(cookies) == {(".x.com", "replay_session"), ("x.com", "twid")}
    session = cookies[(".x.com", "replay_session")]
    assert session["value"].startswith("replay-") and "stolen" not in session["value"]
    assert session["secure"] is True and session["httpOnly"] is False and session["sameSite"] == "Lax"
    assert abs(session["expires"] - (time.time() + MAX_AGE)) < 600
    own = cookies[("x.com", "twid")]  # X's own HttpOnly Strict cookie on the bare host
    assert own["httpOnly"] is True and own["sameSite"] == "Strict"

    configure(optout_home, ("x", "jane_doe_demo"))
    code, out, err = await asyncio.to_thread(in_process, "login", "x", "--from-browser", f"chromium:{chromium_profile}")
    assert code == 0, err
    assert "took the X session from chromium" in out and "jane_doe_demo" in out
    assert [h.password_submissions for h in routed] == [0]
    raw = b"".join(p.read_bytes() for p in (optout_home / "state" / "sessions").glob("*.session"))
    assert raw and session["value"].encode() not in raw  # kept encrypted, nowhere in the clear
    saved = SessionStore(optout_home / "state" / "sessions", keyring_key()).load("x", "jane_doe_demo")
    assert not any(c["domain"] in EVIL for c in saved["cookies"])

    results, harness = await replay_with_saved_session(browser, optout_home)
    assert {r.setting: r.status.value for r in results} == {"grok_training": "changed", "partner_sharing": "changed"}
    assert harness.password_submissions == 0


async def test_all_from_firefox_reports_which_sessions_it_found_and_a_replay_needs_no_password(
    browser, firefox, optout_home, routed
):
    configure(optout_home, ("x", "jane_doe_demo"), ("linkedin", "bob@example.com"))
    code, out, err = await asyncio.to_thread(in_process, "login", "--all", "--from-browser", f"firefox:{firefox}")
    assert code == 0, err
    assert "x (jane_doe_demo): session taken and saved" in out
    assert f"linkedin (bob@example.com): no session in firefox (profile {firefox})" in out
    assert "took 1 of 2 sessions from firefox" in out
    assert [h.password_submissions for h in routed] == [0]
    saved = SessionStore(optout_home / "state" / "sessions", keyring_key()).load("x", "jane_doe_demo")
    values = {c["value"] for c in saved["cookies"]}
    assert "replay-firefox-1" in values
    assert not values & {"replay-evil-1", "replay-evil-2", "replay-container", "replay-expired"}

    results, harness = await replay_with_saved_session(browser, optout_home)
    assert {r.status.value for r in results} == {"changed"} and harness.password_submissions == 0


async def test_cookies_that_no_longer_sign_in_are_not_kept(tmp_path, optout_home, routed):
    gone = ("", "replay_session", "expired-elsewhere", ".x.com", time.time() + 3600, 1, 1, 1)  # the site forgot it
    store = firefox_store(tmp_path / "ff", [gone])
    configure(optout_home, ("x", "jane_doe_demo"))
    code, _, err = await asyncio.to_thread(in_process, "login", "x", "--from-browser", f"firefox:{store}")
    assert code == 2
    assert "the X cookies in firefox (profile" in err and "do not sign in" in err and "nothing saved" in err
    assert "expired-elsewhere" not in err and "Traceback" not in err
    assert not list((optout_home / "state" / "sessions").glob("*.session"))
    assert [h.password_submissions for h in routed] == [0]


def test_no_session_for_the_platform_in_that_browser_is_one_line(tmp_path, optout_home):
    store = firefox_store(tmp_path / "ff", [("", "replay_session", "replay-evil", ".evilx.com", time.time() + 3600, 1, 1, 1)])
    configure(optout_home, ("x", "jane_doe_demo"))
    code, _, err = in_process("login", "x", "--from-browser", f"firefox:{store}")
    assert code == 2
    assert err.strip() == (
        f"Error: X: no session in firefox (profile {store}); sign in to X there first, or use `optout-run login x`"
    )


def test_all_with_no_session_anywhere_says_so_and_exits_2(tmp_path, optout_home):
    store = firefox_store(tmp_path / "ff", [("", "sid", "s", ".x.com.evil.org", time.time() + 3600, 1, 1, 1)])
    configure(optout_home, ("x", "jane_doe_demo"), ("snapchat", "jane"))
    code, out, err = in_process("login", "--all", "--from-browser", f"firefox:{store}")
    assert code == 2 and "took no session from firefox" in err
    assert "x (jane_doe_demo): no session in firefox" in out
    assert "snapchat (jane): Snapchat has no setting a browser can reach" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (("login", "x", "--from-browser", "opera"), "choose firefox, chrome, chromium, brave or edge"),
        (("login", "x", "--from-browser", "firefox:/nonexistent/ff"), "no firefox cookie store in /nonexistent/ff"),
        (("login", "x", "--from-browser", "chrome:/nonexistent/chrome"), "no chrome cookie store in /nonexistent/chrome"),
        (("login", "--all"), "add --from-browser BROWSER"),
        (("login", "--all", "x", "--from-browser", "firefox"), "leave out PLATFORM"),
        (("login", "--from-browser", "firefox"), "name a PLATFORM, or take every configured account with --all"),
    ],
)
def test_bad_sources_and_missing_browsers_are_one_line_and_exit_2(optout_home, args, message):
    configure(optout_home, ("x", "jane_doe_demo"))
    code, _, err = in_process(*args)
    errors = [line for line in err.splitlines() if line.startswith("Error:")]  # click may add its usage lines
    assert code == 2 and len(errors) == 1 and message in errors[0] and "Traceback" not in err


def test_a_store_locked_by_its_browser_is_read_without_waiting_and_says_so(firefox):
    holder = sqlite3.connect(firefox / "cookies.sqlite")
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")  # what a running Firefox holds while it writes
    holder.execute("UPDATE moz_cookies SET lastAccessed = lastAccessed + 1")
    try:
        with CookieStore.open(Source.parse(f"firefox:{firefox}")) as store:
            assert store.busy and store.note == "firefox is running, so its cookies were read as last written to disk"
            assert any(c["value"] == "replay-firefox-1" for c in store.cookies_for(flows.load("x")))
    finally:
        holder.rollback()
        holder.close()


def test_a_key_in_an_unreachable_keyring_is_named(chromium_profile, tmp_path, optout_home, monkeypatch):
    """The real profile with its X cookies marked v11 (a key from the desktop keyring), and a GNOME desktop whose
    D-Bus is not there: the one line names the keyring and the item Chromium keeps its key in."""
    import shutil

    copy = tmp_path / "profile"
    shutil.copytree(chromium_profile, copy)
    store = next(copy.rglob("Cookies"))
    db = sqlite3.connect(store)
    v11 = "CAST(X'763131' || substr(encrypted_value, 4) AS BLOB)"  # 'v11' in place of 'v10'
    db.execute(f"UPDATE cookies SET encrypted_value = {v11} WHERE host_key = '.x.com'")
    db.commit()
    db.close()
    monkeypatch.setenv("XDG_CURRENT_DESKTOP", "GNOME")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path}/no-bus")
    configure(optout_home, ("x", "jane_doe_demo"))
    code, _, err = in_process("login", "x", "--from-browser", f"chromium:{copy}")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "encrypted with a key kept in the Secret Service (GNOME Keyring, item 'Chromium Safe Storage')" in err
    assert "desktop session" in err
    with pytest.raises(BrowserCookieError):
        with CookieStore.open(Source.parse(f"chromium:{copy}")) as opened:
            opened.cookies_for(flows.load("x"))
