"""Sign-in that survives cron: saved sessions, TOTP, one password submission, origin checks, keyring trouble."""

from __future__ import annotations

import asyncio
import stat

import keyring
import pytest
from cryptography.fernet import Fernet

from runner.config import Account
from runner.credentials import MemoryKeyring, throwaway_keyring
from runner.flow import Credentials, Failed
from runner.interactive import interactive_login
from runner.locate import Locators
from runner.replay import Harness, Scenario
from runner.sessions import RejectedPasswords, SessionStore
from tests.conftest import FIXTURES, optout, replay_run

import flows


@pytest.fixture
def sessions(tmp_path) -> SessionStore:
    return SessionStore(tmp_path / "state" / "sessions", Fernet.generate_key())


def x(name: str) -> Scenario:
    return Scenario.load(FIXTURES / "x" / name)


def key(name: str, username: str = "jane_doe_demo") -> str:
    """Replays keep sessions and rejections per scenario (Job.memory_key)."""
    return f"{(FIXTURES / 'x' / name).resolve()}|{username}"


async def test_second_run_reuses_the_saved_session_and_signs_in_nowhere(browser, sessions):
    _, first = await replay_run(browser, x("exposed"), sessions=sessions)
    assert first[0].password_submissions == 1
    results, second = await replay_run(browser, x("exposed"), sessions=sessions)
    assert {r.status.value for r in results} == {"changed"}
    assert second[0].password_submissions == 0
    assert not any("/i/flow/login" in line for line in second[0].summary()["requests"])


async def test_expired_session_falls_back_to_signing_in(browser, sessions):
    await replay_run(browser, x("exposed"), sessions=sessions)
    expired = x("exposed")
    expired.manifest["session"]["expired"] = True
    results, harnesses = await replay_run(browser, expired, sessions=sessions)
    assert {r.status.value for r in results} == {"changed"}
    assert harnesses[0].password_submissions == 1


async def test_corrupted_session_is_discarded_and_replaced(browser, sessions):
    path = sessions.path("x", key("exposed"))
    path.parent.mkdir(parents=True)
    path.write_bytes(b"half a file \x00 from a crash")
    results, harnesses = await replay_run(browser, x("exposed"), sessions=sessions)
    assert {r.status.value for r in results} == {"changed"}
    assert harnesses[0].password_submissions == 1
    assert sessions.load("x", key("exposed"))["cookies"]


async def test_session_files_are_private_and_hold_no_plaintext_cookie(browser, sessions):
    await replay_run(browser, x("exposed"), sessions=sessions)
    path = sessions.path("x", key("exposed"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    token = sessions.load("x", key("exposed"))["cookies"][0]["value"]
    assert token.startswith("replay-")
    raw = path.read_bytes()
    assert token.encode() not in raw and b"replay_session" not in raw and b"jane_doe_demo" not in raw
    assert "jane" not in path.name


async def test_rejected_password_is_submitted_once_and_not_again_next_run(browser, tmp_path):
    rejected = RejectedPasswords(tmp_path / "rejected.json")
    results, first = await replay_run(browser, x("wrong-password"), rejected=rejected)
    assert first[0].password_submissions == 1
    assert {r.reason.value for r in results} == {"login_rejected"}
    results, second = await replay_run(browser, x("wrong-password"), rejected=rejected)
    assert second[0].password_submissions == 0
    assert all("24 hours" in r.detail and "credentials set x jane_doe_demo" in r.detail for r in results)
    rejected.clear("x", key("wrong-password"))  # what `credentials set` does
    _, third = await replay_run(browser, x("wrong-password"), rejected=rejected)
    assert third[0].password_submissions == 1


async def test_totp_step_passes_with_a_stored_secret_and_needs_a_person_without(browser):
    with_secret, _ = await replay_run(browser, x("two-factor-totp"))
    assert {r.status.value for r in with_secret} == {"changed"}
    without, _ = await replay_run(browser, x("two-factor"))
    assert {f"{r.status.value}/{r.reason.value}" for r in without} == {"needs_manual/two_factor"}
    assert all("optout-run login x" in r.detail for r in without)


async def test_nothing_is_typed_into_a_sign_in_form_on_a_foreign_origin(context):
    harness = Harness(x("foreign-origin"))
    await harness.attach(context)
    page = await context.new_page()
    flow = flows.load("x")(Locators("x", 3000))
    with pytest.raises(Failed) as caught:
        await flow.sign_in(page, Credentials("jane_doe_demo", "sentinel-password"))
    assert caught.value.reason.value == "foreign_origin"
    assert page.url.startswith("https://x-com-login.example.net/")
    values = await page.eval_on_selector_all("input", "els => els.map(e => e.value)")
    assert set(values) == {""}
    assert harness.password_submissions == 0


async def test_interactive_login_waits_for_the_person_and_keeps_the_session(browser, sessions):
    scenario = x("two-factor")  # a person is needed: the code comes from their phone
    harness = Harness(scenario)
    account = Account("x", "jane_doe_demo")
    with throwaway_keyring() as memory:
        memory.set_password("optout-run/x", "jane_doe_demo", "demo-password-x-1")
        login = asyncio.ensure_future(
            interactive_login(browser, flows.load("x"), account, sessions, 20_000, harness.attach)
        )
        while not browser.contexts or not browser.contexts[-1].pages:
            await asyncio.sleep(0.05)  # the test plays the person: wait for the window to open
        page = browser.contexts[-1].pages[0]
        await page.get_by_role("button", name="Next", exact=True).click()  # the username was prefilled
        await page.get_by_label("Password", exact=True).fill("demo-password-x-1")
        await page.get_by_test_id("LoginForm_Login_Button").click()
        import pyotp

        await page.get_by_label("Enter code").fill(pyotp.TOTP(scenario.accounts[0]["totp"]).now())
        await page.locator("#code-next").click()
        assert await login is True
    assert sessions.load("x", "jane_doe_demo")["cookies"]


def test_memory_keyring_is_never_picked_by_keyring_detection():
    keyring.core._keyring_backend = None
    try:
        detected = keyring.core.init_backend()
        assert not isinstance(detected, MemoryKeyring)
    finally:
        keyring.core._keyring_backend = None


def test_doctor_reports_keyring_browser_and_paths():
    done = optout("doctor", env={"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"})
    assert done.returncode == 2
    assert "keyring:  NOT USABLE" in done.stdout and "PYTHON_KEYRING_BACKEND" in done.stdout
    assert "browser:" in done.stdout and "state:" in done.stdout and "sessions:" in done.stdout


def test_login_without_a_display_says_how_to_get_one():
    done = optout("login", "x", env={"DISPLAY": "", "WAYLAND_DISPLAY": ""})
    assert done.returncode == 2
    assert "xvfb-run" in done.stderr and "ssh -X" in done.stderr and "Traceback" not in done.stderr


async def test_several_accounts_run_in_their_own_contexts_and_report_separately(browser, sessions):
    scenario = x("exposed")
    scenario.manifest["account"] = [
        dict(username="jane_doe_demo", password="demo-password-x-1"),
        dict(username="jane_work", name="work", password="demo-password-x-2"),
    ]
    results, harnesses = await replay_run(browser, scenario, sessions=sessions)
    assert sorted((r.account, r.setting, r.status.value) for r in results) == [
        ("jane_doe_demo", "grok_training", "changed"),
        ("jane_doe_demo", "partner_sharing", "changed"),
        ("work", "grok_training", "changed"),
        ("work", "partner_sharing", "changed"),
    ]
    assert [h.password_submissions for h in harnesses] == [1, 1]
    assert sessions.path("x", key("exposed")) != sessions.path("x", key("exposed", "jane_work"))
    assert sessions.load("x", key("exposed", "jane_work")) and sessions.load("x", key("exposed"))


async def test_one_replay_scenario_never_inherits_another_ones_session_or_rejection(browser, sessions, tmp_path):
    rejected = RejectedPasswords(tmp_path / "rejected.json")
    await replay_run(browser, x("exposed"), sessions=sessions, rejected=rejected)
    results, harnesses = await replay_run(browser, x("wrong-password"), sessions=sessions, rejected=rejected)
    assert {r.reason.value for r in results} == {"login_rejected"} and harnesses[0].password_submissions == 1
    results, harnesses = await replay_run(browser, x("compliant"), sessions=sessions, rejected=rejected)
    assert {r.status.value for r in results} == {"compliant"} and harnesses[0].password_submissions == 1
