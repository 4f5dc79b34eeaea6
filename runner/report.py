"""What the user reads: progress while it runs, then a table (terminal), plain lines (pipes, cron) or JSON."""

from __future__ import annotations

import json
import logging
import shutil
import textwrap
from collections import Counter
from datetime import datetime
from typing import Sequence

import flows
from runner import tables
from runner.engine import Job
from runner.env import Environment
from runner.exitcodes import ExitStatus
from runner.paths import UNSAVED
from runner.results import Reason, Result, Status
from runner.stop import STOP
from runner.tables import Cell, print_table

MARK = {
    Status.COMPLIANT: "ok",
    Status.CHANGED: "fixed",
    Status.NON_COMPLIANT: "EXPOSED",
    Status.NEEDS_MANUAL: "ACTION",
    Status.FAILED: "FAILED",
}
COLOUR = {Status.COMPLIANT: "green", Status.CHANGED: "green", Status.NON_COMPLIANT: "yellow", Status.NEEDS_MANUAL: "yellow", Status.FAILED: "red"}


class Progress:
    """What each account is doing while a run goes, on stderr so stdout stays clean, and only when stdout is a
    terminal: cron and pipes get nothing. A terminal gets a row per account updated in place (rich's Live, with
    the final table's machinery), cleared when the last account is done since the final table follows; a stderr
    that is not a terminal (`2>log`) gets a plain line as each account starts and ends.

    jobs: the run's accounts in order, shown as waiting until they start (without them a row appears on start).
    """

    def __init__(self, env: Environment, enabled: bool, jobs: Sequence[Job] = ()) -> None:
        self.env = env
        self.enabled = enabled and env.stdout_isatty
        self.rows: dict[int, tuple[Cell, ...]] = {id(job): self.row(job, ("waiting", "dim")) for job in jobs}
        self.live = self.live_display() if self.enabled else None
        self.logs: list[tuple[logging.StreamHandler, object]] = []  # handlers writing through the live display

    def live_display(self):
        console = tables.console(self.env, self.env.stderr)
        if not console.is_terminal or console.is_dumb_terminal:
            return None
        from rich.live import Live

        return Live(console=console, auto_refresh=False, transient=True, redirect_stdout=False, redirect_stderr=False)

    @staticmethod
    def row(job: Job, state: Cell) -> tuple[Cell, ...]:
        return (job.platform, job.account.label, state)

    def __call__(self, event: str, job: Job, results: list[Result]) -> None:
        if not self.enabled:
            return
        if event == "start":
            state: Cell = ("working", "bold")
        else:
            counts = Counter(MARK[r.status] for r in results)
            worst = min((r.status for r in results), key=list(SEVERITY).index, default=Status.COMPLIANT)
            said = ", ".join(f"{n} {m}" for m, n in sorted(counts.items()))
            state = ("done" + (f": {said}" if said else ""), COLOUR[worst])
        self.rows[id(job)] = self.row(job, state)
        if self.live is None:
            who = f"{job.platform} ({job.account.label})"
            self.env.err(f"… {who}: working" if event == "start" else f"✓ {who}: {tables.text_of(state)}")
            return
        if not self.live.is_started:
            self.start()
        self.live.update(tables.rich_table(PROGRESS_HEAD, list(self.rows.values())), refresh=True)
        if all(tables.text_of(row[-1]).startswith("done") for row in self.rows.values()):
            self.close()

    def start(self) -> None:
        """Log lines to the terminal go through the live display while it shows, so they print above its rows
        instead of being drawn over (rich's FileProxy, as Live does for sys.stderr itself)."""
        from rich.file_proxy import FileProxy

        self.live.start()
        handlers = [h for h in logging.getLogger().handlers if type(h) is logging.StreamHandler and h.stream.isatty()]
        self.logs = [(h, h.setStream(FileProxy(self.live.console, h.stream))) for h in handlers]

    def close(self) -> None:
        """Take the live rows off the terminal (and give the cursor back); a run that ends early calls it too."""
        if self.live is not None and self.live.is_started:
            self.live.stop()
            for handler, stream in self.logs:
                handler.setStream(stream)


PROGRESS_HEAD = ("PLATFORM", "ACCOUNT", "PROGRESS")
SEVERITY = (Status.FAILED, Status.NEEDS_MANUAL, Status.NON_COMPLIANT, Status.CHANGED, Status.COMPLIANT)  # worst first


def final(
    env: Environment,
    results: list[Result],
    status: ExitStatus,
    drift: list,
    json_out: bool,
    quiet: bool,
    replay: list[dict] | None,
    notices: list = (),
) -> None:
    """The run's last words: its results (JSON or for people), then, once, what the disk could not hold, so a disk
    that could not hold something never hides them. A terminal that hung up when a signal ended the run costs
    nothing: the history has every result, and the exit status says what happened."""
    try:
        if json_out:
            as_json(env, results, status, replay, drift, notices)
        else:
            human(env, results, status, drift, quiet, notices)
        if UNSAVED.line():
            env.err(UNSAVED.line())
    except OSError:
        if not STOP.requested:
            raise


def human(
    env: Environment, results: list[Result], status: ExitStatus, drift: list = (), quiet: bool = False, notices: list = ()
) -> None:
    """drift: history.Drift for settings re-enabled by the platform; notices: new AI-related settings no flow knows
    (runner/notices.py), said once. quiet (cron): nothing at all when every setting was already opted out and
    nothing is new, else a dated, short report without the settings that were fine. App-only settings are left out
    too: no run can act on them, and they would fill every cron mail."""
    drifted = {d.key for d in drift}
    if quiet:
        results = [r for r in results if r.status is not Status.COMPLIANT and r.reason is not Reason.APP_ONLY]
        if not drifted and not results and not notices:
            return
        env.out(f"optout-run, {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}:")
    if env.stdout_isatty:
        rows = [(r.platform, r.account, r.setting, (mark(r, drifted), COLOUR[r.status]), r.detail) for r in results]
        print_table(env, HEAD, rows)
    else:
        for r in results:
            again = " [re-enabled by the platform]" if (r.platform, r.account, r.setting) in drifted else ""
            env.out(f"{r.platform} {r.account} {r.setting}: {r.status.value} ({r.reason.value}){again} {r.detail}")
    for d in drift:
        env.out(d.line())
    if not quiet:  # cron's report stays short: what is not covered never changes from run to run
        for platform, sentences in not_covered(results).items():
            line = f"{platform} does not cover: {' '.join(sentences)}"
            env.out(textwrap.fill(line, shutil.get_terminal_size().columns, subsequent_indent="  ") if env.stdout_isatty else line)
    for n in notices:
        env.out(n.line())
    counts = Counter(r.status.value for r in results)
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "nothing to do"
    if drifted:
        summary += f", {len(drifted)} re-enabled by the platform"
    if notices:
        summary += f", {len(notices)} new AI-related setting" + ("s" if len(notices) > 1 else "")
    env.out(f"{summary}; exit {int(status)}: {status.meaning}")


HEAD = ("PLATFORM", "ACCOUNT", "SETTING", "STATE", "DETAIL")


def mark(r: Result, drifted: set) -> str:
    return MARK[r.status] + (" RE-ENABLED" if (r.platform, r.account, r.setting) in drifted else "")


def as_json(
    env: Environment, results: list[Result], status: ExitStatus, replay: list[dict] | None, drift: list = (), notices: list = ()
) -> None:
    document = {
        "exit_status": int(status),
        "results": [r.as_json() for r in results],
        "drift": [d.as_json() for d in drift],
        "not_covered": {platform: list(sentences) for platform, sentences in not_covered(results).items()},
        "notices": [n.as_json() for n in notices],
    }
    if replay is not None:
        document["replay"] = replay
    env.out(json.dumps(document, indent=2))


def not_covered(results: list[Result]) -> dict[str, tuple[str, ...]]:
    """What opting out does not cover, for each platform that ran, from its data ([flow] not_covered)."""
    return {platform: flows.load(platform).site.not_covered for platform in dict.fromkeys(r.platform for r in results)}
