"""config.toml is checked as a whole before anything starts: each problem is one line with its key, line and fix."""

from __future__ import annotations

import pytest

from runner.config import Account, Config, ConfigError
from tests.conftest import optout

# The README's example, with each platform option the flows read today.
FULL = """\
[browser]
chromium = "/usr/bin/chromium"

[[account]]
platform = "x"
username = "jane@example.com"

[[account]]
platform = "x"
username = "jane_work"
name = "work"

[platform.linkedin]
optional = ["partner_sharing"]

[platform.facebook]
optional = ["limit_past_posts"]
future_posts = "Only me"

[platform.whatsapp]
audience = "Nobody"

[history]
keep_runs = 7

[run]
account_deadline = 45
"""


def test_a_full_valid_config_loads_every_field(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(FULL)
    config = Config.load(path)
    assert config.accounts == [Account("x", "jane@example.com"), Account("x", "jane_work", "work")]
    assert config.chromium == "/usr/bin/chromium"
    assert config.options == {
        "linkedin": {"optional": ["partner_sharing"]},
        "facebook": {"optional": ["limit_past_posts"], "future_posts": "Only me"},
        "whatsapp": {"audience": "Nobody"},
    }
    assert (config.keep_runs, config.account_deadline) == (7, 45.0)


# (config text, what stderr must name, the line it is on; None: no near miss to suggest)
BAD = {
    "browser is a string": ('browser = "x"\n', "browser must be a [browser] table", 1, None),
    "top-level platform": (
        '# accounts\nplatform = "x"\nusername = "jane"\n',
        'platform must be [platform.NAME] tables, one per platform, not "x"',
        2,
        None,
    ),
    "optional is letters": (
        '[platform.linkedin]\n\noptional = "partner_sharing"\n',
        '[platform.linkedin] optional must be a list of setting ids, like ["partner_sharing"], not "partner_sharing"',
        3,
        None,
    ),
    "pasword in an account": (
        '[[account]]\nplatform = "x"\nusername = "jane"\n\n[[account]]\nplatform = "x"\nusername = "joe"\npasword = "hunter2"\n',
        "[[account]] number 2 pasword: unknown key",
        8,
        "password? passwords are kept in the OS keyring",
    ),
    "browzer table": ('\n[browzer]\nchromium = "c"\n', "[browzer]: unknown table", 2, "[browser]"),
    "typo'd key": ("[history]\nkeep_run = 3\n", "[history] keep_run: unknown key", 2, "keep_runs"),
    "typo'd platform table": ("[platform.lnkedin]\noptional = []\n", "[platform.lnkedin]: unknown platform", 1, "[platform.linkedin]"),
    "typo'd account platform": (
        '[[account]]\nplatform = "X"\nusername = "jane"\n',
        '[[account]] number 1 platform: unknown platform "X"',
        2,
        '"x"',
    ),
    "typo'd optional setting": (
        '[platform.linkedin]\noptional = ["partner_share"]\n',
        '[platform.linkedin] optional: unknown optional setting "partner_share"',
        2,
        '"partner_sharing"',
    ),
    "missing username": ('[[account]]\nplatform = "x"\n', "[[account]] number 1 needs platform and username; missing: username", 1, None),
    "deadline of the wrong type": ('[run]\naccount_deadline = "5m"\n', "[run] account_deadline must be a number", 2, None),
    "a flow's own option value": (
        '[platform.facebook]\nfuture_posts = "Public"\n',
        '[platform.facebook] future_posts must be "Friends" or "Only me"',
        1,
        None,
    ),
}


@pytest.mark.parametrize(
    "command", [("-p", "x"), ("doctor",), ("credentials", "list")], ids=["run", "doctor", "credentials"]
)
@pytest.mark.parametrize("case", list(BAD.values()), ids=list(BAD))
def test_a_bad_config_is_one_line_per_problem_and_exit_2(optout_home, command, case):
    text, message, line, meant = case
    path = optout_home / "config" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    done = optout(*command)
    said = done.stdout if command == ("doctor",) else done.stderr
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert f"{path}:{line}: {message}" in said
    if meant:
        assert f"(did you mean {meant}" in said


def test_every_problem_is_reported_each_on_its_own_line(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('browser = "x"\n[[account]]\nplatform = "x"\nusername = "jane"\npasword = "p"\n\n[history]\nkeep_runs = 0\n')
    with pytest.raises(ConfigError) as caught:
        Config.load(path)
    lines = str(caught.value).splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == [f"{path}:1", f"{path}:5", f"{path}:8"]
