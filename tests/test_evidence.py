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
