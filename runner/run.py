"""One run of the main command: plan (runner/plan.py), drive (runner/drive.py), report (runner/report.py).

The whole run holds the lock (a second one exits 75), and each job's results reach the history as it ends.
"""

from __future__ import annotations

from runner import history, notify, plan, report, schedule
from runner.browser import BrowserNotFound
from runner.commands import UserError
from runner.config import ConfigError
from runner.credentials import KeyringUnavailable
from runner.drive import drive
from runner.env import Environment
from runner.exitcodes import ExitStatus, exit_status
from runner.lock import run_lock
from runner.paths import UNSAVED
from runner.plan import RunRequest
from runner.replay import ScenarioError
from runner.stop import STOP, exit_status as stopped_status


def execute(env: Environment, request: RunRequest) -> ExitStatus:
    UNSAVED.clear()
    with plan.home(env, request) as env, run_lock(env.paths):
        cron_log = schedule.log_file(env.paths)
        try:
            schedule.rotate_log(cron_log)
        except OSError as exc:
            UNSAVED.note("the rotated cron log", cron_log, exc)
        recorder = history.Recorder(env.paths, check=request.check, replay=request.replay is not None)
        try:
            try:
                with plan.prepare(env, request) as planned:
                    results = drive(env, planned, recorder)
            except (ConfigError, KeyringUnavailable, BrowserNotFound, ScenarioError) as exc:
                raise UserError(str(exc)) from None
            status = stopped_status(STOP.signum) if STOP.requested else exit_status(results, recorder.drift)
            recorder.finish(status, planned.config.keep_runs)
            report.final(
                env, results, status, recorder.drift, request.json_out, request.quiet, planned.replay_summary(),
                recorder.notices,
            )
            notify.after_run(env, results, recorder.history, recorder.drift, request.replay is not None, recorder.notices)
            return status
        finally:
            recorder.close()
