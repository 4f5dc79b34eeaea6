"""The command line as a user meets it: exit codes, one-line errors, JSON output, credentials."""

from __future__ import annotations

import json
import re

import pytest

from runner.credentials import get_secret
from runner.exitcodes import MEANINGS, ORDER, ExitStatus
from tests.conftest import in_process, optout


def test_help_documents_exit_statuses():
    done = optout("--help")
    assert done.returncode == 0
    listed = {int(m.group(1)): m.group(2) for m in re.finditer(r"^ +(\d+) +(\S.*)$", done.stdout, re.M)}
    assert listed == {int(code): MEANINGS[code] for code in ExitStatus}
    assert ORDER in done.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        ((), "choose platforms with -p NAME"),
        (("-p", "myspace"), "'myspace' is not one of"),
        (("--jobs", "0"), "--jobs"),
        (("-p", "x", "--replay", "/nonexistent"), "does not exist"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_2(args, message):
    done = optout(*args)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_replay_of_a_non_scenario_is_a_usage_error(tmp_path):
    done = optout("-p", "x", "--replay", str(tmp_path))
    assert done.returncode == 2
    assert "no <platform>/exposed scenario" in done.stderr and "Traceback" not in done.stderr


def test_replay_exposed_switches_both_x_settings_and_says_so_in_json():
    done = optout("-p", "x", "--replay", "fixtures/x/exposed", "--json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    results = {r["setting"]: r for r in document["results"]}
    assert {k: r["status"] for k, r in results.items()} == {"grok_training": "changed", "partner_sharing": "changed"}
    for r in results.values():
        assert set(r) == {"platform", "account", "setting", "status", "reason", "detail", "proof", "locator"}
    assert document["replay"][0]["unexpected_requests"] == []
    assert document["replay"][0]["state"]["grok_training"] is False  # the site's final state, for scenario authors
    assert document["replay"][0]["state"]["grok_memory"] is True


def test_a_timeout_that_is_not_a_number_is_one_line_and_exit_2():
    done = optout("-p", "x", "--replay", "fixtures/x/exposed", env={"OPTOUT_TIMEOUT_MS": "soon"})
    assert done.returncode == 2 and "OPTOUT_TIMEOUT_MS" in done.stderr and "Traceback" not in done.stderr


def test_check_mode_changes_nothing_and_exits_4():
    done = optout("-p", "x", "--replay", "fixtures/x/exposed", "--check", "--json")
    assert done.returncode == 4, done.stderr
    document = json.loads(done.stdout)
    assert {r["status"] for r in document["results"]} == {"non_compliant"}
    assert document["replay"][0]["saves"] == 0


def test_plain_lines_when_not_a_terminal():
    done = optout("-p", "x", "--replay", "fixtures/x/wrong-password")
    assert done.returncode == 1
    assert "x jane_doe_demo grok_training: failed (login_rejected)" in done.stdout
    assert "optout-run credentials set x jane_doe_demo" in done.stdout


def test_platforms_lists_each_setting_with_opted_out_state_and_cost():
    done = optout("platforms")
    assert done.returncode == 0
    assert "grok_training" in done.stdout and "-> off" in done.stdout and "cost:" in done.stdout


def test_live_run_without_accounts_says_how_to_add_one():
    done = optout("-p", "x")
    assert done.returncode == 2
    assert "optout-run credentials set" in done.stderr and "Traceback" not in done.stderr


def test_no_keyring_backend_fails_early_with_the_fixes():
    done = optout("credentials", "list", env={"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"})
    assert done.returncode == 2
    assert "DBUS_SESSION_BUS_ADDRESS" in done.stderr and "PYTHON_KEYRING_BACKEND" in done.stderr
    assert "Traceback" not in done.stderr


def test_replay_needs_no_keyring_backend_and_no_config():
    done = optout(
        "-p", "x", "--replay", "fixtures/x/compliant", env={"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    )
    assert done.returncode == 0, done.stderr




def test_credentials_set_list_delete_keep_the_password_in_the_keyring_only(optout_home):
    code, out, _ = in_process("credentials", "set", "x", "jane@example.com", stdin="s3cret-sentinel")
    assert code == 0
    assert get_secret("x", "jane@example.com") == "s3cret-sentinel"
    config = (optout_home / "config" / "config.toml").read_text()
    assert "jane@example.com" in config and "s3cret-sentinel" not in config
    code, out, _ = in_process("credentials", "list")
    assert code == 0 and "x  jane@example.com  password stored" in out and "s3cret" not in out
    code, out, _ = in_process("credentials", "delete", "x", "jane@example.com")
    assert code == 0 and get_secret("x", "jane@example.com") is None
    code, _, err = in_process("credentials", "delete", "x", "jane@example.com")
    assert code == 2 and "no account" in err


def test_password_is_never_accepted_from_argv():
    code, _, err = in_process("credentials", "set", "x", "jane", "hunter2-in-argv")
    assert code == 2 and "Got unexpected extra argument" in err


@pytest.mark.parametrize(
    "platform, options, message",
    [
        ("facebook", 'future_posts = "Public"', "future_posts must be"),
        ("whatsapp", 'audience = "Everyone"', "is not a choice"),
        ("x", 'optional = ["grok_memory"]', "no optional setting grok_memory"),
    ],
)
def test_bad_platform_options_stop_before_any_browser_with_exit_2(scenario_copy, platform, options, message):
    root = scenario_copy(platform)
    manifest = root / "exposed" / "manifest.toml"
    text = manifest.read_text()
    manifest.write_text(text.replace("\n[[account]]", f"\n[options]\n{options}\n\n[[account]]", 1))
    done = optout("-p", platform, "--replay", str(root / "exposed"))
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "config, message",
    [
        ('[[account]]\nplatform = "myspace"\nusername = "tom"\n', 'unknown platform "myspace"'),
        ("[[account]]\nplatform = 'x'\n", "needs platform and username"),
        ("[history]\nkeep_runs = 0\n", "keep_runs must be a whole number"),
        ("not toml at all = = =\n", "not valid TOML"),
    ],
)
def test_a_broken_config_is_one_line_and_exit_2(optout_home, config, message):
    (optout_home / "config").mkdir(parents=True)
    (optout_home / "config" / "config.toml").write_text(config)
    done = optout("--all")
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr
