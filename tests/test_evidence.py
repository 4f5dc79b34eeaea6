"""A failing scenario leaves a screenshot, HTML and a trace that opens and holds no sign-in step."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

from tests.conftest import optout


def test_failure_leaves_screenshot_html_and_a_trace_without_sign_in(optout_home):
    done = optout("-p", "x", "--replay", "fixtures/x/ui-changed", "--json")
    assert done.returncode == 1
    failed = next(r for r in json.loads(done.stdout)["results"] if r["status"] == "failed")
    folder = re.search(r"evidence: (\S+?)[;)]", failed["detail"]).group(1)
    assert folder.startswith(str(optout_home / "state" / "runs"))
    files = {p.name for p in Path(folder).iterdir()}
    assert {"grok_training.png", "grok_training.html", "grok_training.url.txt", "trace.zip"} <= files
    assert "training and fine-tuning" not in open(f"{folder}/grok_training.html").read()  # the page as it failed
    assert open(f"{folder}/grok_training.url.txt").read() == "https://x.com/settings/grok_settings"

    with zipfile.ZipFile(f"{folder}/trace.zip") as trace:
        events = [json.loads(line) for line in trace.read("trace.trace").splitlines() if line.strip()]
        network = trace.read("trace.network").decode()
    calls = [e for e in events if e.get("type") == "before"]
    assert any(c["method"] == "goto" and "grok_settings" in c["params"].get("url", "") for c in calls)
    assert not any(c["method"] in ("fill", "type", "press") for c in calls), "no typing happens in the traced part"
    assert "/i/flow/login" not in network and "onboarding/task.json" not in network and "demo-password-x-1" not in network


def test_success_keeps_no_trace_unless_asked(optout_home):
    assert optout("-p", "x", "--replay", "fixtures/x/exposed").returncode == 0
    assert not list((optout_home / "state").rglob("trace.zip"))
    assert optout("-p", "x", "--replay", "fixtures/x/compliant", "--trace").returncode == 0
    assert len(list((optout_home / "state").rglob("trace.zip"))) == 1


async def test_an_account_failure_after_sign_in_keeps_evidence_of_the_page_in_use(browser, tmp_path):
    """After a sign-in the opt-outs run on a fresh page; evidence must come from that page, not the closed one."""
    import flows
    from runner.credentials import throwaway_keyring
    from runner.engine import Options, run_jobs
    from runner.evidence import Evidence
    from runner.flow import Failed, Reason
    from runner.replay import Scenario
    from runner.plan import REPLAY_TIMEOUT_MS, replay_jobs
    from tests.conftest import FIXTURES

    class BrokenListing(flows.load("x")):
        """X, but listing its settings fails once signed in (as when Tumblr shows no blogs)."""

        async def settings_for(self, page, wanted):
            raise Failed(Reason.SELECTOR_NOT_FOUND, "no list of settings")

    evidence = Evidence(tmp_path / "runs" / "r1", keep_traces=False)
    with throwaway_keyring():
        jobs, harnesses = replay_jobs([Scenario.load(FIXTURES / "x" / "exposed")])
        jobs[0].flow_cls = BrokenListing

        async def prepare(job, context):
            await harnesses[id(job)].attach(context)

        results = await run_jobs(browser, jobs, Options(timeout_ms=REPLAY_TIMEOUT_MS, evidence=evidence), prepare)
    assert {r.reason.value for r in results} == {"selector_not_found"}
    assert all("evidence:" in r.detail for r in results)
    (folder,) = (tmp_path / "runs" / "r1").iterdir()
    assert (folder / "failure.url.txt").read_text() == "https://x.com/settings/grok_settings"
    assert (folder / "trace.zip").is_file()
