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
