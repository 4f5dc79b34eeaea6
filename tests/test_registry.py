"""Offline meta-tests over the registry (gallery-dl style): every flow has its selectors, fixtures and scenarios."""

from __future__ import annotations

import re
import tomllib
import pytest

import flows
from runner.flow import Flow, Setting
from runner.locate import KINDS, load, selectors_dir
from runner.replay import Scenario
from tests.conftest import FIXTURES, ROOT

NAMES = flows.names()
SIGN_IN_NAMES = ("username", "password", "submit", "signed_in", "login_error", "challenge")
REQUIRED_SCENARIOS = ("exposed", "compliant", "wrong-password", "ui-changed")
SELECTOR_FIELDS = ("target", "opener", "confirm", "save", "not_offered")


def web_settings(flow: type[Flow]) -> list[Setting]:
    return [s for s in flow.settings if not s.app_steps]


def scenarios(name: str) -> list[Scenario]:
    return [Scenario.load(m.parent) for m in sorted((FIXTURES / name).glob("*/manifest.toml"))]


def test_selectors_is_a_data_folder_not_a_package():
    assert not (ROOT / "selectors" / "__init__.py").exists()
    assert selectors_dir() == ROOT / "selectors"


@pytest.mark.parametrize("name", NAMES)
def test_flow_is_registered_under_its_own_name(name):
    flow = flows.load(name)
    assert issubclass(flow, Flow) and flow.name == name
    assert flow.__doc__ and flow.__module__ == f"flows.{name}"
    assert flow.title and flow.home_url.startswith("https://")


@pytest.mark.parametrize("name", NAMES)
def test_every_setting_is_complete_and_unique(name):
    flow = flows.load(name)
    ids = [s.id for s in flow.settings]
    assert len(ids) == len(set(ids)) and all(re.fullmatch(r"[a-z0-9_]+", i) for i in ids)
    for s in flow.settings:
        assert s.label and s.cost and len(s.cost) > 20, f"{s.id}: say what opting out costs"
        assert s.app_steps or (s.url.startswith("https://") and s.target), s.id
        assert s.default or not s.app_steps, "app-only settings are always reported"


@pytest.mark.parametrize("name", NAMES)
def test_selectors_exist_for_every_name_the_flow_uses(name):
    flow = flows.load(name)
    table = load(name)
    used = {getattr(s, f) for s in web_settings(flow) for f in SELECTOR_FIELDS} - {""}
    if flow.sign_in_url:
        used |= set(SIGN_IN_NAMES)
    if web_settings(flow):
        used.add(flow.signed_out_marker)
    assert used <= set(table), f"missing in selectors/{name}.toml: {sorted(used - set(table))}"
    source = (ROOT / "flows" / f"{name}.py").read_text()
    for quoted in re.findall(r'(?:find|fill|fill_secret|any_of|present)\(\s*\w+,\s*"(\w+)"', source):
        assert quoted in table, f"flows/{name}.py uses {quoted!r}, missing from selectors/{name}.toml"


@pytest.mark.parametrize("name", NAMES)
def test_css_fallbacks_come_last(name):
    for key, candidates in load(name).items():
        kinds = [next(k for k in KINDS if k in c) for c in candidates]
        if "css" in kinds:
            tail = kinds[kinds.index("css"):]
            assert tail == ["css"] * len(tail), f"{name}.{key}: CSS fallbacks come last"


@pytest.mark.parametrize("name", NAMES)
def test_every_flow_has_its_scenarios(name):
    flow = flows.load(name)
    found = {s.name: s for s in scenarios(name)}
    assert "exposed" in found, "the demo replays each platform's exposed scenario"
    if flow.sign_in_url and web_settings(flow):
        assert set(REQUIRED_SCENARIOS) <= set(found), sorted(set(REQUIRED_SCENARIOS) - set(found))
        reasons = {v.split("/")[1] for s in found.values() for v in s.expect["results"].values()}
        assert reasons & {"challenge", "two_factor"}, "a scenario with a sign-in challenge"
    for s in found.values():
        assert s.manifest.get("reconstructed_from") and s.manifest.get("reconstructed_on"), s.path
        assert s.manifest.get("description"), s.path
        assert s.expect.get("results") and "exit_status" in s.expect, s.path


@pytest.mark.parametrize("name", NAMES)
def test_fixture_pages_say_what_they_were_reconstructed_from(name):
    pages = sorted((FIXTURES / name).rglob("*.html"))
    for page in pages:
        head = page.read_text(encoding="utf-8")[:1500]
        assert re.search(r"<!--.*[Rr]econstructed.*20\d\d-\d\d-\d\d", head, re.S), page


def test_pyproject_ships_selectors_into_the_wheel():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]["selectors"] == "runner/_selectors"


@pytest.mark.parametrize("name", [n for n in NAMES if web_settings(flows.load(n))])
async def test_login_runs_for_every_flow(browser, name, tmp_path):
    """`optout-run login`'s browser part on each flow's exposed scenario: the sign-in page (or QR code) opens, what the
    keyring knows is typed, and an unfinished sign-in ends cleanly: no flow may crash it (a missing marker, say)."""
    from cryptography.fernet import Fernet

    from runner.config import Account
    from runner.interactive import interactive_login
    from runner.replay import Harness
    from runner.sessions import SessionStore

    flow = flows.load(name)
    scenario = Scenario.load(FIXTURES / name / "exposed")
    harness = Harness(scenario)
    account = Account(name, scenario.accounts[0]["username"])
    sessions = SessionStore(tmp_path / "sessions", Fernet.generate_key())
    done = await interactive_login(browser, flow, account, sessions, 1_000, harness.attach)
    assert done is (not flow.sign_in_url)  # a linked WhatsApp session is signed in at once; the others wait for a person
    assert (sessions.load(name, account.username) is not None) is done
    assert harness.unexpected == [] and harness.password_submissions == 0


@pytest.mark.parametrize("name", NAMES)
def test_logout_runs_for_every_flow(name):
    from tests.conftest import optout

    done = optout("logout", name)
    assert done.returncode == 0 and f"forgot 0 saved {name} sessions" in done.stdout, done.stderr


def test_login_to_an_app_only_platform_says_there_is_nothing_to_sign_in_to():
    from tests.conftest import optout

    done = optout("login", "snapchat", env={"DISPLAY": ":99"})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "only in its app" in done.stderr
