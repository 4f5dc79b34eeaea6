"""Malformed replay manifests: exit 2 with one line per problem naming the file and the key, before a browser starts.

Each case is x/exposed with one thing broken, run through the CLI as a user would. Before validation these gave a
traceback (`account = "oops"`) or failed results after a wait for a page that could never come (no [sign_in]).
"""

from __future__ import annotations

import re
import shutil

import pytest

from tests.conftest import FIXTURES, optout

EXPOSED = (FIXTURES / "x" / "exposed" / "manifest.toml").read_text()
ACCOUNT = '[[account]]\nusername = "jane_doe_demo"\npassword = "demo-password-x-1"\n'


def edit(old: str, new: str, count: int = 1):
    def apply(text: str) -> str:
        assert old in text, old  # the fixture still has what the case breaks
        return text.replace(old, new, count)

    return apply


CASES = {  # what is broken -> (edit of x/exposed, the key the error must name)
    "account is a string": (edit(ACCOUNT, 'account = "oops"\n'), "account"),
    "no account": (edit(ACCOUNT, ""), "account"),
    "an account without username": (edit('username = "jane_doe_demo"\n', ""), "account[1].username"),
    "no [sign_in]": (lambda t: re.sub(r"\[sign_in\]\n(?:.+\n)+", "", t), "sign_in"),
    "auth pages without sign_in.redirect": (edit('redirect = "https://x.com/i/flow/login"\n', ""), "sign_in.redirect"),
    "a misspelt key": (edit("redirect = ", "redirct = "), "sign_in.redirct"),
    "a status as text": (edit("status = 200", 'status = "ok"'), "save[1].status"),
    "auth as text": (edit("auth = true", 'auth = "yes"'), "page[2].auth"),
    "a negative delay": (edit('file = "../pages/grok_settings.html"', 'file = "../pages/grok_settings.html"\ndelay_ms = -5'), "page[4].delay_ms"),
    "a page file that does not exist": (edit("../pages/home.html", "../pages/hom.html"), "page[2].file"),
    "a TOTP secret that is not base32": (edit(ACCOUNT, ACCOUNT + 'totp = "not base32!"\n'), "account[1].totp"),
    "a session token no cookie can hold": (edit('domain = ".x.com"', 'domain = ".x.com"\ntoken = "a b;c"'), "session.token"),
    "optional settings as one string": (edit("[state]", '[options]\noptional = "name"\n\n[state]'), "options.optional"),
    "an unknown platform": (edit('platform = "x"', 'platform = "xx"'), "platform"),
    "a view whose file does not exist": (
        edit('file = "../pages/grok_settings.html"', 'file = "../pages/grok_settings.html"\nviews = [{ click = "main button", file = "../pages/nope.html" }]'),
        "page[4].views[1].file",
    ),
    "a view clicked in a file that is no view of the page": (
        edit('file = "../pages/grok_settings.html"', 'file = "../pages/grok_settings.html"\nviews = [{ click = "main button", file = "../pages/home.html", from = "../pages/login.html" }]'),
        "page[4].views[1].from",
    ),
    "opted-out values not a list": (edit("grok_training = [false] }", "grok_training = false }"), "settings.grok_training.opted_out.grok_training"),
}


@pytest.mark.parametrize("case", CASES)
def test_a_malformed_manifest_is_exit_2_naming_the_key(case, tmp_path, optout_home):
    change, key = CASES[case]
    scenario = write(tmp_path, change(EXPOSED))
    done = optout("-p", "x", "--replay", str(scenario), "--json")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{scenario / 'manifest.toml'}: {key}: " in lines[0], lines
    # Stopped before any account ran: no results, nothing kept of a run that waited on a page.
    assert done.stdout == "" and not (optout_home / "state" / "runs").exists()


def test_every_problem_is_its_own_line(tmp_path):
    text = edit("status = 200", 'status = "ok"')(edit("redirect = ", "redirct = ")(edit(ACCOUNT, 'account = "oops"\n')(EXPOSED)))
    scenario = write(tmp_path, text)
    done = optout("-p", "x", "--replay", str(scenario))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    problems = [line.split("manifest.toml: ", 1)[1] for line in done.stderr.strip().splitlines()]
    assert [p.split(":")[0] for p in problems] == ["account", "sign_in.redirct", "save[1].status"]
    assert "did you mean 'redirect'?" in problems[1] and 'got "ok"' in problems[2]


def test_a_fixtures_root_validates_the_scenarios_it_picks(tmp_path):
    scenario = write(tmp_path / "x", edit(ACCOUNT, 'account = "oops"\n')(EXPOSED), name="exposed")
    done = optout("-p", "x", "--replay", str(tmp_path))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"{scenario / 'manifest.toml'}: account: " in done.stderr


def write(parent, text: str, name: str = "broken"):
    """A scenario directory next to a copy of x's shared pages, as fixtures/x/<scenario> sits."""
    shutil.copytree(FIXTURES / "x" / "pages", parent / "pages")
    scenario = parent / name
    scenario.mkdir()
    (scenario / "manifest.toml").write_text(text)
    return scenario


# -- inheritance and patches ----------------------------------------------------------------------------------------

GROK = "https://x.com/settings/grok_settings"
EXPECT_ONLY = (
    'extends = "../exposed"\ndescription = "A variant."\n\n'
    '[expect]\nexit_status = 0\nresults = { grok_training = "changed/switched", partner_sharing = "changed/switched" }\n'
)
PATCHED = EXPECT_ONLY + f"\n[[page]]\nurl = \"{GROK}\"\nreplace = [{{ find = '{{{{checked:grok_training}}}}', with = 'disabled' }}]\n"


def extending(tmp_path, text: str, name: str = "variant"):
    """A scenario that extends a copy of x/exposed, next to it as fixtures/x/<scenario> sits."""
    root = tmp_path / "x"
    shutil.copytree(FIXTURES / "x" / "pages", root / "pages")
    shutil.copytree(FIXTURES / "x" / "exposed", root / "exposed")
    scenario = root / name
    scenario.mkdir()
    (scenario / "manifest.toml").write_text(text)
    return scenario


def only_line(done, scenario) -> str:
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert done.stdout == ""
    return lines[0]


def test_a_scenario_is_its_base_with_what_it_says_laid_over(tmp_path):
    from runner.replay import Scenario

    scenario = extending(
        tmp_path,
        'extends = "../exposed"\ndescription = "One page slow, one added, one state key changed."\n\n'
        "[state]\ngrok_training = false\n\n"
        f'[[page]]\nurl = "{GROK}"\ndelay_ms = 500\n\n'
        '[[page]]\nurl = "https://x.com/settings/*"\nfile = "../pages/home.html"\n\n'
        '[[save]]\nurl = "https://api.x.com/1.1/account/settings.json"\nremove = true\n\n'
        '[expect]\nexit_status = 0\nresults = { grok_training = "compliant/already_opted_out" }\n',
    )
    base = Scenario.load(scenario.parent / "exposed").manifest
    m = Scenario.load(scenario).manifest
    assert m["description"].startswith("One page") and m["expect"]["exit_status"] == 0 and "saves" not in m["expect"]
    assert m["state"] == {**base["state"], "grok_training": False}  # tables merge key by key
    assert m["session"] == base["session"] and m["sign_in"] == base["sign_in"] and m["account"] == base["account"]
    assert [p["url"] for p in m["page"]] == ["https://x.com/settings/*"] + [p["url"] for p in base["page"]]  # new first
    grok = next(p for p in m["page"] if p["url"] == GROK)
    assert grok["delay_ms"] == 500 and grok["auth"] is True and grok["file"].endswith("pages/grok_settings.html")
    assert "save" not in m or m["save"] == []


def test_an_extends_target_that_does_not_exist_is_exit_2_naming_it(tmp_path):
    scenario = extending(tmp_path, EXPECT_ONLY.replace("../exposed", "../exposd"))
    line = only_line(optout("-p", "x", "--replay", str(scenario)), scenario)
    assert f"{scenario / 'manifest.toml'}: extends: " in line and "../exposd does not exist" in line


def test_an_extends_cycle_is_exit_2(tmp_path):
    scenario = extending(tmp_path, EXPECT_ONLY.replace("../exposed", "../other"))
    (scenario.parent / "other").mkdir()
    (scenario.parent / "other" / "manifest.toml").write_text(EXPECT_ONLY.replace("../exposed", "../variant"))
    line = only_line(optout("-p", "x", "--replay", str(scenario)), scenario)
    assert "extends: " in line and "cycle" in line


def test_a_typo_in_an_extending_manifest_names_that_file(tmp_path):
    scenario = extending(tmp_path, EXPECT_ONLY + f'\n[[page]]\nurl = "{GROK}"\nreplce = []\n')
    line = only_line(optout("-p", "x", "--replay", str(scenario)), scenario)
    assert line.endswith(f"{scenario / 'manifest.toml'}: page[1].replce: unknown key; did you mean 'replace'?")




def test_a_patch_that_no_longer_matches_its_page_is_exit_2_naming_both_files(tmp_path):
    from runner.replay import Scenario

    scenario = extending(tmp_path, PATCHED)
    loaded = Scenario.load(scenario)
    grok = next(p for p in loaded.manifest["page"] if p["url"] == GROK)
    assert 'name="allow_grok_training" type="checkbox" disabled>' in loaded.template(grok)
    page = scenario.parent / "pages" / "grok_settings.html"
    page.write_text(page.read_text().replace("{{checked:grok_training}}", "{{checked:allow_grok_training}}"))
    line = only_line(optout("-p", "x", "--replay", str(scenario)), scenario)
    assert f"{scenario / 'manifest.toml'}: page[1].replace[1].find: " in line
    assert "does not occur in" in line and line.rstrip().endswith("(did the page change?)") and str(page) in line


def test_a_patch_that_matches_twice_is_exit_2(tmp_path):
    scenario = extending(tmp_path, PATCHED.replace("{{checked:grok_training}}", 'type="checkbox"'))
    line = only_line(optout("-p", "x", "--replay", str(scenario)), scenario)
    assert re.search(r"page\[1\]\.replace\[1\]\.find: .* occurs [2-9] times in ", line), line


def test_removing_what_is_not_inherited_is_exit_2(tmp_path):
    scenario = extending(tmp_path, EXPECT_ONLY + '\n[[save]]\nurl = "https://api.x.com/other"\nremove = true\n')
    line = only_line(optout("-p", "x", "--replay", str(scenario)), scenario)
    assert f"{scenario / 'manifest.toml'}: save[1].remove: expected an inherited save to remove" in line


def test_a_page_change_for_a_url_the_base_does_not_serve_is_exit_2(tmp_path):
    """A typo in the url of a patching entry would otherwise add a page nobody requests and patch nothing."""
    scenario = extending(tmp_path, PATCHED.replace(GROK, GROK + "s"))
    line = only_line(optout("-p", "x", "--replay", str(scenario)), scenario)
    assert f"{scenario / 'manifest.toml'}: page[1].url: expected the url of an inherited page" in line
