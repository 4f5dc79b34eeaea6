"""Every scenario under fixtures/ replayed in real headless Chromium; its manifest declares the outcome.

Adding a scenario directory adds a test here; no Python needed.
"""

from __future__ import annotations

import pytest

from runner.exitcodes import exit_status
from runner.notices import NewSwitches
from runner.replay import find_scenarios
from tests.conftest import FIXTURES, replay_run

SCENARIOS = find_scenarios(FIXTURES)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[f"{s.platform}/{s.name}" for s in SCENARIOS])
async def test_scenario_outcome(browser, scenario):
    expect = scenario.expect
    switches = NewSwitches()
    results, harnesses = await replay_run(browser, scenario, check=expect.get("check", False), watchers=(switches,))
    notices = [n.label for found in switches.found.values() for n in found]
    assert sorted(notices) == sorted(expect.get("notices", [])), "new AI-related settings the run reported"

    got = {r.setting: f"{r.status.value}/{r.reason.value}" for r in results}
    assert got == expect["results"], [r.detail for r in results]
    assert all(r.detail for r in results), "every result tells the user what happened"
    assert int(exit_status(results)) == expect["exit_status"]
    for harness in harnesses:
        assert harness.unexpected == [], "the flow requested URLs the scenario does not serve"
        assert harness.password_submissions <= expect.get("password_submissions", 1)
        if "saves" in expect:
            assert harness.saves == expect["saves"], harness.summary()["requests"]
        for key, value in expect.get("state", {}).items():
            assert harness.state[key] == value, f"site state {key!r}"
    assert_no_false_done(scenario, results, harnesses)


def assert_no_false_done(scenario, results, harnesses):
    """The promise: changed or compliant means the site state is opted out (or the page said it is not offered)."""
    declared = scenario.manifest.get("settings", {})
    state = {k: v for h in harnesses for k, v in h.state.items()}
    for r in results:
        if r.status.value not in ("changed", "compliant"):
            continue
        entry = declared.get(r.setting)
        assert entry, f"{r.setting} is {r.status.value} but the manifest has no [settings.{r.setting!r}] to prove it"
        if r.reason.value == "not_offered":
            assert entry.get("not_offered") and entry["not_offered"] in r.detail, f"{r.setting}: which notice said so?"
            continue
        for key, allowed in entry["opted_out"].items():
            assert state.get(key) in allowed, f"{r.setting} reported {r.status.value} while site state {key}={state.get(key)!r}"


async def test_every_reddit_result_says_public_posts_cannot_be_withheld(browser):
    """Reddit has no AI-training switch: whatever happens, each result must say so."""
    for name in ("exposed", "wrong-password", "ui-changed", "captcha"):
        results, _ = await replay_run(browser, next(s for s in SCENARIOS if s.platform == "reddit" and s.name == name))
        assert results and all("cannot be withheld from AI training on Reddit" in r.detail for r in results), name
