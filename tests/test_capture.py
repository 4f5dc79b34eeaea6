"""Capture: a read-only run keeps each settings page it reads, scrubbed, as a draft scenario that replays."""

from __future__ import annotations

from collections import Counter

from runner.capture import Capture, write
from runner.replay import Scenario, find_scenarios
from tests.conftest import FIXTURES, replay_run

EXPOSED = [s for s in find_scenarios(FIXTURES) if s.name == "exposed"]


def outcome(results) -> Counter:
    """What a run found, setting by setting; a blog's setting by its base id, since blog names are scrubbed."""
    return Counter((r.setting.split(":")[0], r.status.value, r.reason.value) for r in results)


async def test_a_capture_of_each_exposed_scenario_replays_to_the_same_results(browser, tmp_path):
    capture = Capture()
    original, _ = await replay_run(browser, *EXPOSED, check=True, watchers=(capture,))
    drafts = write(capture, jobs, original, tmp_path)
    replayed, harnesses = await replay_run(browser, *[Scenario.load(d) for d in drafts], check=True)
    by_platform = lambda results, p: outcome(r for r in results if r.platform == p)  # noqa: E731
    for scenario in EXPOSED:
        if scenario.platform == "snapchat":  # app only: no page to capture
            continue
        assert by_platform(replayed, scenario.platform) == by_platform(original, scenario.platform), scenario.platform
