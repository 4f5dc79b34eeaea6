"""Offline meta-tests over the registry (gallery-dl style): every flow has its data, selectors, fixtures and scenarios,
and the data holds its contract for every command (run, login, logout)."""

from __future__ import annotations

import ast
import re
import tomllib
import pytest

import flows
from runner import sitedata
from runner.flow import Flow, Setting
from runner.locate import KINDS, load, provenance, selectors_dir
from runner.replay import Scenario
from runner.steps import names_in
from tests.conftest import FIXTURES, ROOT

NAMES = flows.names()
LOGIN_NAMES = ("username", "password")  # what `optout-run login` types before the person takes over
REQUIRED_SCENARIOS = ("exposed", "compliant", "wrong-password", "ui-changed")
# Flows that still need Python of their own, each with a comment in its module saying why data could not say it.
WITH_CODE: dict[str, str] = {}


def web_settings(flow: type[Flow]) -> list[Setting]:
    return [s for s in flow.settings if s.needs_browser]


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
        assert s.app_steps or (s.url.startswith("https://") and (s.target or s.change)), s.id
        assert s.default or not s.app_steps, "app-only settings are always reported"


@pytest.mark.parametrize("name", NAMES)
def test_every_name_the_data_uses_exists_for_run_login_and_logout(name):
    """The loader checks this at import; walked here again so a loader that stopped checking fails too."""
    flow = flows.load(name)
    table = load(name)
    site = flow.site
    used = set(names_in(site.sign_in)) | set(names_in(site.open))  # run: sign-in and the way to each page
    for s in web_settings(flow):
        used |= set(names_in(s.open)) | set(names_in(s.reveal)) | set(names_in(s.change))
        used |= {s.target, s.confirm, s.not_offered, s.section, s.save.marker, s.save.button}
        used |= {s.control.dialog, s.control.apply, s.control.item, s.control.done}
        used |= {s.control.also.target} if s.control.also else set()
    for state in site.states.values():  # run and login: what a page is
        used |= {state.marker, state.code, state.submit, state.answer, state.skeleton}
    if web_settings(flow):
        assert site.states["signed_out"].marker and site.states["challenge"].marker
    if flow.sign_in_url:  # login: the form it fills and the marker it waits for
        used |= set(LOGIN_NAMES) | {site.states["signed_in"].marker}
        assert site.sign_in, "a password sign-in needs its steps"
    used.discard("")
    assert used <= set(table), f"missing in selectors/{name}.toml: {sorted(used - set(table))}"


@pytest.mark.parametrize("name", NAMES)
def test_flow_modules_hold_no_platform_code_and_import_no_other_flow(name):
    source = (ROOT / "flows" / f"{name}.py").read_text()
    tree = ast.parse(source)
    imported = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not any(m == "flows" or m.startswith("flows.") for m in imported), "no flow imports another"
    code = [n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    if name in WITH_CODE:
        assert code and WITH_CODE[name] in source, "say why data could not say it"
    else:
        assert code == [], f"flows/{name}.py has code {code}: say it in selectors/{name}.toml instead"


def test_no_branch_on_a_platform_name_in_the_runner():
    names = "|".join(re.escape(n) for n in NAMES)
    branch = re.compile(rf"""(==|!=|\bin)\s*[(\[{{]?\s*["']({names})["']""")
    for path in (ROOT / "runner").rglob("*.py"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            assert not branch.search(line.split("#")[0]), f"{path.name}:{number}: {line.strip()}"


@pytest.mark.parametrize("name", sorted(p.stem for p in (ROOT / "selectors").glob("*.toml")))
def test_every_data_file_has_the_schema_version(name):
    assert tomllib.loads((ROOT / "selectors" / f"{name}.toml").read_text())["schema"] == sitedata.SCHEMA
    if name.startswith("_signin_"):
        sitedata.load(name)  # a pack parses and its steps are well formed on their own


@pytest.mark.parametrize("name", NAMES)
def test_every_setting_says_how_it_is_known(name):
    for s in flows.load(name).settings:
        assert s.provenance.status in ("verified", "assumed") and len(s.provenance.source) > 10, s.id
        assert re.fullmatch(r"20\d\d-\d\d-\d\d", s.provenance.on), s.id


@pytest.mark.parametrize("name", NAMES)
def test_the_config_takes_the_options_each_flow_declares_and_no_other(name):
    from runner.schema import platform_table

    assert set(platform_table(name).keys) == {"optional", *flows.load(name).site.options}


@pytest.mark.parametrize("name", NAMES)
def test_every_setting_has_a_summary_for_the_readme_table(name):
    for spec in flows.load(name).site.settings:
        summary = spec.get("summary", "")
        assert summary and len(summary) <= 60 and "|" not in summary, f"{spec['id']}: a few words for README.md"


@pytest.mark.parametrize("name", NAMES)
def test_every_fallback_of_a_setting_s_control_says_how_it_is_known(name):
    """Per fallback or per locator name (docs/steps.md, "Provenance"): what is verified and what is assumed is data."""
    known = provenance(name)
    for s in web_settings(flows.load(name)):
        for target in {s.target, s.control.also.target if s.control.also else ""} - {""}:
            missing = [i for i, p in enumerate(known[target]) if p is None]
            assert not missing, f"{target}: fallbacks {missing} say nothing of how they are known"


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


# -- provenance of locators: data, checked at load ---------------------------------------------------------------

from tests.test_steps import FLOW, LOCATORS, data, line_of_error, make_flow  # noqa: E402,F401 (data: a fixture)

KNOWN = '{ status = "verified", source = "a page in this test", on = "2026-12-03" }'


@pytest.mark.parametrize(
    "edit, where, message",
    [
        (lambda t: t.replace('exact = true }]\ntoggle', 'exact = true, provenance = { status = "guessed", source = "x", on = "2026-12-03" } }]\ntoggle'),
         "box = [", "status 'guessed' is not one of: verified, assumed"),
        (lambda t: t.replace('exact = true }]\ntoggle', 'exact = true, provenance = { status = "assumed", source = "a test", on = "03.12.2026" } }]\ntoggle'),
         "box = [", "on must be a date"),
        (lambda t: t.replace('exact = true }]\ntoggle', 'exact = true, provenance = { status = "assumed", source = "a test", on = "2026-12-03", by = "me" } }]\ntoggle'),
         "box = [", "unknown key 'by'"),
        (lambda t: t.replace('exact = true }]\ntoggle', 'exact = true, provenanse = "assumed" }]\ntoggle'),
         "box = [", "unknown key 'provenanse' in a fallback"),
        (lambda t: t.replace("\ntoggle = [", f"\nprovenance.bx = {KNOWN}\ntoggle = ["), "provenance.bx =", "no locator named 'bx'"),
        (lambda t: t.replace("\ntoggle = [", '\nprovenance.box = { status = "verified", on = "2026-12-03" }\ntoggle = ['),
         "provenance.box =", "needs source"),
    ],
)
def test_a_malformed_provenance_is_one_line_naming_the_file_and_the_line(data, edit, where, message):
    text = edit(LOCATORS + FLOW)
    with pytest.raises(ValueError) as caught:
        make_flow(data, text)
    assert line_of_error(caught.value) == next(i for i, line in enumerate(text.splitlines(), 1) if where in line)
    assert message in str(caught.value)


def test_a_fallback_s_own_provenance_wins_over_its_name_s(data):
    own = '{ status = "assumed", source = "the input name is a guess", on = "2026-12-03" }'
    text = LOCATORS.replace(
        'box = [{ role = "checkbox", name = "Share my data", exact = true }]',
        f'box = [\n  {{ role = "checkbox", name = "Share my data", exact = true }},\n  {{ css = "input[name=share]", provenance = {own} }},\n]\nprovenance.box = {KNOWN}',
    )
    make_flow(data, text + FLOW)
    provenance.cache_clear()
    try:
        known = provenance("demo")
        assert [p["status"] for p in known["box"]] == ["verified", "assumed"]
        assert known["toggle"] == (None,) and known["password"] == (None,)  # a pack's locator says nothing here
    finally:
        provenance.cache_clear()
