"""The run loop's order: the longest accounts start first, and results still come back in the order asked for."""

from __future__ import annotations

from runner.replay import Scenario
from tests.conftest import FIXTURES, replay_run


async def test_accounts_with_most_settings_start_first_and_results_keep_the_given_order(browser):
    scenarios = [Scenario.load(FIXTURES / p / "exposed") for p in ("snapchat", "tiktok", "x")]  # 0, 1, 2 web settings
    started = []

    def on_event(event, job, results):
        if event == "start":
            started.append(job.platform)

    results, _ = await replay_run(browser, *scenarios, on_event=on_event, jobs=1)
    assert started == ["x", "tiktok", "snapchat"]
    assert [r.platform for r in results] == ["snapchat", "snapchat", "snapchat", "tiktok", "x", "x"]
    assert all(r.status.value in ("changed", "needs_manual") for r in results)
