"""New AI switches: a control about AI or training that no flow knows is reported once, remembered, listed by
`status`, dismissed by `ack`, told to notification targets, and never clicked. Every scenario under fixtures/
declares the notices it expects (none unless it says so: tests/test_scenarios.py), so each familiar page is a
no-notice case."""

from __future__ import annotations

import json

from runner import locate
from runner.notices import VOCABULARY, NewSwitches
from runner.replay import find_scenarios
from tests.conftest import FIXTURES, replay_run
from tests.test_notify import add_target, receiver, user  # noqa: F401 (fixtures)

NEW = "Allow your Grok Imagine images and videos to be used to improve xAI's generation models"


def scenario(platform: str, name: str):
    return next(s for s in find_scenarios(FIXTURES) if (s.platform, s.name) == (platform, name))


def test_a_new_switch_is_reported_once_listed_by_status_and_dismissed_by_ack(user, receiver):  # noqa: F811
    add_target(user, receiver)

    first = user.replay("new-ai-switch", "--json")
    assert first.returncode == 0, first.stderr
    document = json.loads(first.stdout)
    [notice] = document["notices"]
    assert notice["label"] == NEW and notice["state"] == "on" and notice["kind"] == "checkbox"
    assert notice["page"] == "https://x.com/settings/grok_settings" and notice["platform"] == "x"
    [message] = receiver.messages
    assert message["title"] == "optout-run: 1 new AI-related setting (replay)"
    assert NEW in message["message"] and "nothing was clicked" in message["message"]

    again = user.replay("new-ai-switch")  # a replay starts exposed again: exit 5, re-enabled by the platform
    assert again.returncode == 5, again.stderr
    assert NEW not in again.stdout and "new AI-related" not in again.stdout, "said once, not every run"
    assert not [m for m in receiver.messages[1:] if NEW in m["message"]], "and told once"

    listed = user("status")
    assert listed.returncode == 0 and NEW in listed.stdout and notice["id"] in listed.stdout, listed.stdout
    assert [n["id"] for n in json.loads(user("status", "--json").stdout)["notices"]] == [notice["id"]]

    report = user.home / "report.html"
    assert user("report", "--html", str(report)).returncode == 0
    assert '<tr class="notice"><td>jane_doe_demo</td><td>' + NEW.replace("'", "&#x27;") in report.read_text()

    wrong = user("ack", "nosuchid")
    assert wrong.returncode == 2 and wrong.stderr.strip().endswith("no open notice nosuchid; `optout-run status` lists them")
    done = user("ack", notice["id"])
    assert done.returncode == 0 and NEW in done.stdout, done.stderr
    assert json.loads(user("status", "--json").stdout)["notices"] == []
    assert NEW not in user("status").stdout
    assert NEW not in user.replay("new-ai-switch").stdout, "an acknowledged notice never comes back"


def test_a_quiet_cron_run_says_a_new_switch(user):  # noqa: F811
    assert user.replay("compliant", "--quiet").stdout == "", "nothing new, nothing to say"
    quiet = user("-p", "x", "--replay", "fixtures/x/new-ai-switch", "--quiet")
    assert NEW in quiet.stdout and "1 new AI-related setting" in quiet.stdout, quiet.stdout


async def test_the_scan_is_read_only_and_loads_no_page_of_its_own(browser):
    """Same requests, saves and site state with and without the watcher: it looks, it never clicks or navigates."""
    new = scenario("x", "new-ai-switch")
    plain, [site] = await replay_run(browser, new)
    switches = NewSwitches()
    watched, [watched_site] = await replay_run(browser, new, watchers=(switches,))
    assert [r.status for r in watched] == [r.status for r in plain]
    assert watched_site.summary()["requests"] == site.summary()["requests"]
    assert watched_site.state["grok_imagine_training"] is True, "a notice is never clicked"
    [[found]] = switches.found.values()
    assert found.label == NEW


def test_every_language_a_selectors_file_lists_has_an_ai_vocabulary():
    import flows

    languages = {lang for name in flows.REGISTRY for lang in locate.word_list(name, "languages")}
    assert languages <= set(VOCABULARY), sorted(languages - set(VOCABULARY))


async def test_a_watcher_that_fails_costs_no_result(browser):
    async def broken(page, flow, job):
        raise RuntimeError("a bug in a watcher")

    plain, _ = await replay_run(browser, scenario("x", "exposed"))
    watched, _ = await replay_run(browser, scenario("x", "exposed"), watchers=(broken,))
    assert [(r.setting, r.status, r.reason) for r in watched] == [(r.setting, r.status, r.reason) for r in plain]
    assert {r.status.value for r in watched} == {"changed"}
