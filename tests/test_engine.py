"""The run loop's order: the longest accounts start first, and results still come back in the order asked for."""

from __future__ import annotations

from runner.credentials import throwaway_keyring
from runner.engine import Options, run_jobs
from runner.replay import Scenario
from runner.run import REPLAY_TIMEOUT_MS, replay_jobs
from tests.conftest import FIXTURES


async def test_accounts_with_most_settings_start_first_and_results_keep_the_given_order(browser):
    scenarios = [Scenario.load(FIXTURES / p / "exposed") for p in ("snapchat", "tiktok", "x")]  # 0, 1, 2 web settings
    started = []
    with throwaway_keyring():
        jobs, harnesses = replay_jobs(scenarios)

        async def prepare(job, context):
            await harnesses[id(job)].attach(context)

        def on_event(event, job, results):
            if event == "start":
                started.append(job.platform)

        results = await run_jobs(browser, jobs, Options(jobs=1, timeout_ms=REPLAY_TIMEOUT_MS), prepare, on_event)
    assert started == ["x", "tiktok", "snapchat"]
    assert [r.platform for r in results] == ["snapchat", "snapchat", "snapchat", "tiktok", "x", "x"]
    assert all(r.status.value in ("changed", "needs_manual") for r in results)
