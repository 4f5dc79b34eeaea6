"""`optout-run bug-report PLATFORM`: one archive a person can check and attach when a platform breaks.

It holds report.toml (optout-run, Playwright, browser and Python versions; the platform's latest results from the
history with their reasons, details and locator health; the results of the fresh capture) and capture/, a fresh
scrubbed capture of the platform's pages (runner/capture.py), the page a setting failed on included. Every text
from the history goes through the same scrubber as the pages, so a user name in a detail is replaced too. The
archive is built in memory from files that were scrubbed before they were written, and written once, 0600.
"""

from __future__ import annotations

import io
import platform as python_platform
import sqlite3
import tarfile
import tempfile
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import tomlkit

from runner import capture as capturing
from runner.env import Environment
from runner.history import History, HistoryError
from runner.pagescrub import Scrubber
from runner.commands import UserError
from runner.paths import private_dir, why_not_written, write_atomic
from runner.plan import RunRequest
from runner.results import Result

REPORT = "report.toml"


def make(env: Environment, request: RunRequest, out: Path, account: str | None) -> tuple[Path, list[str]]:
    """Write the archive under out; returns its path and the names of the files in it."""
    platform = request.platforms[0]
    capturing.writable(out)
    rows = latest(env, platform)  # before the capture, which records nothing anyway
    with tempfile.TemporaryDirectory(prefix="optout-bug-report-") as tmp:
        results, drafts = capturing.run(env, request, Path(tmp), account)
        people = [d.username for d in request.capture.drafts.values()] + [r["account"] for r in rows]
        scrubber = Scrubber((*people, *request.capture.also), secrets=secrets_of(request.capture))
        scrubber.learn(str(Path.home()))  # evidence paths in details name the person's home folder
        report = document(request.capture, rows, results, scrubber)
        files = {REPORT: tomlkit.dumps(report).encode("utf-8")}
        for draft in drafts:
            for path in sorted(p for p in draft.rglob("*") if p.is_file()):
                files[f"capture/{path.relative_to(draft.parent.parent)}"] = path.read_bytes()
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    archive = private_dir(out) / f"optout-run-bug-report-{platform}-{stamp}.tar.gz"
    try:
        write_atomic(archive, tar(files))
    except OSError as exc:
        raise UserError(f"cannot write the bug report in {out} ({why_not_written(exc)})") from None
    return archive, list(files)


def latest(env: Environment, platform: str) -> list[sqlite3.Row]:
    try:
        with History.for_paths(env.paths) as history:
            return [row for row in history.latest() if row["platform"] == platform]
    except (HistoryError, sqlite3.Error, OSError):  # no history yet, or an unreadable one: the capture still helps
        return []


def secrets_of(capture: capturing.Capture) -> list[str]:
    return [s for d in capture.drafts.values() for s in d.secrets] + [v for values in capture.cookies.values() for v in values]


def versions(capture: capturing.Capture) -> dict[str, str]:
    def of(package: str) -> str:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return "not installed"

    return {
        "optout_run": capturing.version(),
        "playwright": of("playwright"),
        "browser": capture.browser_version or "none started (no page was reached)",
        "python": python_platform.python_version(),
        "system": python_platform.system(),
    }


def document(capture: capturing.Capture, rows: list[sqlite3.Row], results: list[Result], scrubber: Scrubber) -> tomlkit.TOMLDocument:
    doc = tomlkit.document()
    doc.add(tomlkit.comment("optout-run bug report: scrubbed of names, e-mails, ids and secrets before it was written."))
    doc["versions"] = versions(capture)
    last = tomlkit.aot()
    for row in rows:
        keys = row.keys()
        last.append(
            {
                "account": scrubber.text(row["account"]),
                "setting": scrubber.text(row["setting"]),
                "status": row["status"],
                "reason": row["reason"],
                "detail": scrubber.text(row["detail"]),
                "checked_at": row["checked_at"],
                # Locator health: "3/4" when the control was found only by its 3rd of 4 fallbacks; "" by its first.
                "locator": (row["locator"] if "locator" in keys else None) or "",
            }
        )
    doc["latest"] = last
    fresh = tomlkit.aot()
    for r in results:
        fresh.append(
            {
                "account": scrubber.text(r.account),
                "setting": scrubber.text(r.setting),
                "status": r.status.value,
                "reason": r.reason.value,
                "detail": scrubber.text(r.detail),
                "locator": r.locator,
            }
        )
    doc["capture_results"] = fresh
    return doc


def tar(files: dict[str, bytes]) -> bytes:
    """A gzipped tar of the files, owner-only modes, no user or host names in its headers."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o600, int(datetime.now(timezone.utc).timestamp())
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()
