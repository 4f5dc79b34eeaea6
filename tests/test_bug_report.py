"""`optout-run bug-report`: one 0600 archive with versions, the platform's last results, locator health and a fresh
scrubbed capture of its pages, the one a setting failed on included, and no secret or personal value in any file."""

from __future__ import annotations

import re
import stat
import tarfile
import tomllib
from pathlib import Path

from tests.conftest import in_process
from tests.test_capture import PLANTED_BODY, PLANTED_HEAD, leaks, sentinel_scenario

BROKEN_LABEL = "Allow additional information sharing with business partners"


def broken_sentinel_scenario(scenario_copy) -> Path:
    """The sentinel scenario whose partner-sharing page lost its checkbox's wording: that setting fails."""
    exposed = sentinel_scenario(scenario_copy)
    page = exposed.parent / "pages" / "data_sharing.html"
    text = page.read_text(encoding="utf-8")
    assert BROKEN_LABEL in text
    text = text.replace(BROKEN_LABEL, "Partner sharing preferences").replace('name="allow_sharing', 'name="sharing_pref')
    text = text.replace("</head>", PLANTED_HEAD, 1).replace("</body>", PLANTED_BODY, 1)  # the failing page too
    page.write_text(text.replace('aria-describedby="CHECKBOX_1_LABEL" name=', 'aria-describedby="PREF_1" name='), encoding="utf-8")
    return exposed


def members(archive: Path) -> dict[str, str]:
    with tarfile.open(archive, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read().decode("utf-8") for m in tar.getmembers() if m.isfile()}


def test_a_bug_report_holds_what_a_maintainer_needs_and_no_secret(scenario_copy, tmp_path):
    scenario = broken_sentinel_scenario(scenario_copy)
    code, _, err = in_process("-p", "x", "--replay", str(scenario), "--check")  # the history the report reads
    assert code == 1, err
    code, out, err = in_process("bug-report", "x", "--replay", str(scenario), "--out", str(tmp_path / "reports"))
    assert code == 0, err

    archive = Path(re.search(r"bug report: (\S+)", out).group(1))
    assert archive.parent == tmp_path / "reports" and stat.S_IMODE(archive.stat().st_mode) == 0o600
    files = members(archive)
    assert all(f"  {name}" in out for name in files), "the person sees every file before sending it"
    assert {name: leaks(text) for name, text in files.items() if leaks(text)} == {}

    report = tomllib.loads(files["report.toml"])
    assert report["versions"]["optout_run"] and report["versions"]["playwright"] and report["versions"]["browser"]
    latest = {row["setting"]: row for row in report["latest"]}
    assert latest["partner_sharing"]["status"] == "failed" and latest["partner_sharing"]["reason"] == "selector_not_found"
    assert latest["grok_training"]["status"] == "non_compliant" and "locator" in latest["grok_training"]
    assert all(row["account"] != "jane_doe_demo" for row in report["latest"])
    pages = [name for name in files if name.endswith(".html")]
    assert any("data_sharing" in name for name in pages), f"the failing page is in the capture: {pages}"
    assert any(name.endswith("manifest.toml") for name in files)


def test_a_bug_report_without_any_history_still_captures(scenario_copy, tmp_path):
    code, out, err = in_process("bug-report", "x", "--replay", str(sentinel_scenario(scenario_copy)), "--out", str(tmp_path))
    assert code == 0, err
    files = members(Path(re.search(r"bug report: (\S+)", out).group(1)))
    assert tomllib.loads(files["report.toml"])["latest"] == []
    assert any(name.endswith("grok_settings.html") for name in files)
