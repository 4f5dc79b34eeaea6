"""A plan's jobs run in one browser: launch it, run the jobs, close it, whatever happens in between.

From the browser's start to its close a signal cancels the jobs instead of raising (runner/stop.py), so every
account reports what it finished. Each job's results reach the history the moment it ends, before the progress
line. A session or a rejected password the disk cannot hold is noted for the end of the run (UNSAVED), never
raised in the account's place.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from runner import history, report
from runner.browser import BrowserNotFound, launch_options, resolve_executable
from runner.engine import Options, PageWatcher, run_jobs
from runner.env import Environment
from runner.evidence import Evidence
from runner.paths import UNSAVED
from runner.plan import Plan, RunRequest
from runner.proof import Proofs
from runner.results import Result
from runner.sessions import RejectedPasswords, SessionStore, stores
from runner.stop import STOP


def drive(env: Environment, plan: Plan, recorder: history.Recorder) -> list[Result]:
    from playwright.async_api import Error as PlaywrightError
    from playwright.async_api import async_playwright

    request, config = plan.request, plan.config
    sessions, rejected = kept_stores(env.paths.state_dir, replay=plan.harnesses is not None)
    progress = report.Progress(env, enabled=not (request.json_out or request.quiet), jobs=plan.jobs)

    def on_event(event, job, results):  # into the history first, the moment a job ends; then the progress line
        recorder(event, job, results)
        with contextlib.suppress(OSError):  # a terminal that went away (SIGHUP) must not cost the run
            progress(event, job, results)

    async def prepare(job, context):  # a replay: the job's pages are served from its scenario
        await plan.harnesses[id(job)].attach(context)

    async def main():
        STOP.enter_loop()
        async with async_playwright() as p:
            executable = resolve_executable(config.chromium, p.chromium.executable_path, request.headed)
            try:
                browser = await p.chromium.launch(**launch_options(executable, request.headed, request.slow_mo))
            except PlaywrightError as exc:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise BrowserNotFound(
                    f"the browser {executable or 'Playwright’s Chromium'} did not start ({first}); set OPTOUT_CHROMIUM "
                    "to a working Chromium, or run `optout-run doctor`"
                ) from None
            # The run's history row is opened only once a browser runs; evidence and proofs are named by its id.
            # Proofs live as long as the history keeps their run: without a history row, none is kept.
            run_id = recorder.start()
            run_folder = run_id or history.new_run_id()
            options = Options(
                check=request.check,
                jobs=request.jobs,
                timeout_ms=plan.timeout_ms,
                account_deadline_s=config.account_deadline,
                sessions=sessions,
                rejected=rejected,
                evidence=(request.capture.evidence if request.capture else Evidence)(
                    env.paths.state_dir / "runs" / run_folder, keep_traces=request.trace
                ),
                pause=request.pause,
                stop=STOP,
                watchers=page_watchers(request, recorder),
                proofs=Proofs(env.paths.data_dir, run_id) if run_id else None,
            )
            try:
                return await run_jobs(browser, plan.jobs, options, prepare if plan.harnesses else None, on_event)
            finally:
                with contextlib.suppress(Exception):
                    await browser.close()

    try:
        return asyncio.run(main())
    finally:
        with contextlib.suppress(OSError):
            progress.close()  # the live rows, if the run ended before its last account did
        STOP.leave_loop()


def page_watchers(request: RunRequest, recorder: history.Recorder) -> tuple[PageWatcher, ...]:
    """What looks at each settings page of this run, read only: new AI switches always, a capture when asked."""
    return tuple(w for w in (recorder.switches, request.capture) if w is not None)


class KeptSessions(SessionStore):
    """A session the disk cannot hold is noted for the end of the run; the account's results stand (it signs in
    again next time)."""

    def save(self, platform: str, username: str, state: dict) -> None:
        try:
            super().save(platform, username, state)
        except OSError as exc:
            UNSAVED.note("saved sessions", self.directory, exc)


class KeptRejections(RejectedPasswords):
    """A rejection the disk cannot hold is noted for the end of the run, never raised in the account's place."""

    def record(self, platform: str, username: str) -> None:
        try:
            super().record(platform, username)
        except OSError as exc:
            UNSAVED.note("the 24-hour hold on a rejected password", self.path, exc)


def kept_stores(state_dir: Path, replay: bool) -> tuple[SessionStore | None, RejectedPasswords | None]:
    try:
        sessions, rejected = stores(state_dir, replay)
    except OSError as exc:  # only a replay writes here (its session key): it runs without sessions
        UNSAVED.note("saved sessions", state_dir, exc)
        return None, None
    return KeptSessions(sessions.directory, sessions.key), KeptRejections(rejected.path)
