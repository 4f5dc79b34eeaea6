"""Locator health: which fallback found each control, in results, --json, the history and `status`, so a page
that starts to drift is seen before the first choice and then every fallback stop matching."""

from __future__ import annotations

import json

from tests.conftest import replay_run
from tests.test_notices import scenario
from tests.test_notify import user  # noqa: F401 (fixture)


async def test_the_first_choice_is_healthy_and_a_later_fallback_is_said(browser):
    [english], _ = await replay_run(browser, scenario("linkedin", "exposed"))
    assert (english.setting, english.status.value, english.locator) == ("ai_training", "changed", "")
    # German page: no English name matches; LinkedIn's aria-labelledby id, the third of three fallbacks, does.
    [german], _ = await replay_run(browser, scenario("linkedin", "drift-german"))
    assert (german.setting, german.status.value, german.locator) == ("ai_training", "changed", "3/3")


def test_status_warns_of_a_setting_found_only_by_a_later_fallback(user):  # noqa: F811
    run = user("-p", "linkedin", "--replay", "fixtures/linkedin/drift-german", "--json")
    assert run.returncode == 0, run.stderr
    assert [r["locator"] for r in json.loads(run.stdout)["results"]] == ["3/3"]
    listed = user("status")
    assert "matched by fallback 3 of 3: the page may be changing" in listed.stdout, listed.stdout
    [row] = json.loads(user("status", "--json").stdout)["settings"]
    assert row["locator"] == "3/3"
    report = user.home / "report.html"
    assert user("report", "--html", str(report)).returncode == 0
    assert "found only by fallback 3 of 3: the page may be changing" in report.read_text()

    healthy = user("-p", "linkedin", "--replay", "fixtures/linkedin/exposed", "--json")
    assert [r["locator"] for r in json.loads(healthy.stdout)["results"]] == [""]
    assert "matched by fallback" not in user("status").stdout, "the warning ends when the first choice matches again"
