"""Turn a command line into jobs, run them in one browser, and report: the glue between the CLI and the engine."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterator

import flows
from runner.browser import BrowserNotFound, launch_options, resolve_executable
from runner.commands import UserError
from runner.config import Account, Config, ConfigError
from runner.credentials import KeyringUnavailable, check_backend, set_secret, throwaway_keyring
from runner.engine import Job, Options, run_jobs
from runner.env import Environment
from runner.exitcodes import ExitStatus, exit_status
from runner.replay import Harness, Scenario, ScenarioError
from runner.evidence import Evidence
from runner.paths import UNSAVED, Paths, why_not_written
from runner.sessions import RejectedPasswords, SessionStore, stores
from runner import history, report, schedule
from runner.lock import run_lock
from runner.stop import STOP, exit_status as stopped_status

LIVE_TIMEOUT_MS = 20_000
REPLAY_TIMEOUT_MS = 3_000  # fixtures are local files: what has not appeared by then is not coming


@dataclass(frozen=True)
class RunRequest:
    platforms: tuple[str, ...]
    run_all: bool = False
    check: bool = False
    headed: bool = False
    slow_mo: int = 0
    jobs: int = 4
    json_out: bool = False
    replay: Path | None = None
    quiet: bool = False  # cron: nothing when all is well, a short report otherwise
    trace: bool = False  # keep Playwright traces of successful runs too (failures always keep theirs)
    pause: bool = False  # open the Playwright inspector at the first settings page


def chosen_settings(flow_cls, options: dict):
    error = flow_cls.option_error(options)
    if error:
        raise UserError(error)
    wanted = set(options.get("optional", []))
    return [s for s in flow_cls.settings if s.default or s.id in wanted]


def live_jobs(config: Config, request: RunRequest) -> list[Job]:
    unknown = sorted({a.platform for a in config.accounts} - set(flows.names()))
    if unknown:
        raise UserError(f"the config has accounts on unknown platforms: {', '.join(unknown)} (known: {', '.join(flows.names())})")
    jobs = []
    for account in config.accounts:
        if account.platform in request.platforms:
            flow_cls = flows.load(account.platform)
            options = config.options.get(account.platform, {})
            jobs.append(Job(flow_cls, account, chosen_settings(flow_cls, options), options))
    if not jobs:
        which = "any platform" if request.run_all else ", ".join(request.platforms)
        raise UserError(f"no accounts configured for {which}; add one with `optout-run credentials set PLATFORM USERNAME`")
    return jobs


def replay_scenarios(root: Path, request: RunRequest) -> list[Scenario]:
    """A scenario directory as given, or each chosen platform's `exposed` scenario under a fixtures root."""
    if (root / "manifest.toml").is_file():
        scenario = Scenario.load(root)
        if scenario.platform not in request.platforms:
            raise UserError(f"{root} is a {scenario.platform} scenario; run it with -p {scenario.platform}")
        return [scenario]
    found = [Scenario.load(root / p / "exposed") for p in request.platforms if (root / p / "exposed").is_dir()]
    if not found:
        raise UserError(f"{root} has no <platform>/exposed scenario for {', '.join(request.platforms)}")
    return found


def replay_jobs(scenarios: list[Scenario]) -> tuple[list[Job], dict[int, Harness]]:
    """Accounts come from each manifest; their passwords go into the (throwaway) keyring like a user's would."""
    jobs, harnesses = [], {}
    for scenario in scenarios:
        flow_cls = flows.load(scenario.platform)
        options = scenario.manifest.get("options", {})
        for entry in scenario.accounts:
            account = Account(scenario.platform, entry["username"], entry.get("name", ""))
            if entry.get("password"):
                set_secret(scenario.platform, account.username, entry["password"])
            if entry.get("totp") and entry.get("totp_stored", True):
                set_secret(scenario.platform, account.username, entry["totp"], kind="totp")
            job = Job(flow_cls, account, chosen_settings(flow_cls, options), options, scope=str(scenario.path.resolve()))
            harnesses[id(job)] = Harness(scenario)
            jobs.append(job)
    return jobs, harnesses


@contextlib.contextmanager
def replay_home(env: Environment) -> Iterator[Environment]:
    """A throwaway home for a replay, so fixture accounts never reach the user's history, sessions or evidence.

    It is removed afterwards unless it holds evidence (a failure, --trace): then one line says where that is.
    """
    try:
        root = Path(tempfile.mkdtemp(prefix="optout-replay-"))
    except OSError as exc:
        raise UserError(
            f"cannot make a throwaway home for the replay in {tempfile.gettempdir()} ({why_not_written(exc)})"
        ) from None
    try:
        yield replace(env, paths=Paths.under(root))
    finally:
        runs = root / "state" / "runs"
        if any(p.is_file() for p in runs.rglob("*")):
            with contextlib.suppress(OSError):  # a terminal that went away
                env.err(f"optout-run: this replay kept its evidence in {runs}; delete {root} when done with it")
        else:
            shutil.rmtree(root, ignore_errors=True)


def execute(env: Environment, request: RunRequest) -> ExitStatus:
    """A replay runs in a throwaway home unless OPTOUT_HOME names one (tests, a kept demo)."""
    UNSAVED.clear()
    if request.replay is not None and not os.environ.get("OPTOUT_HOME"):
        with replay_home(env) as throwaway:
            return locked(throwaway, request)
    return locked(env, request)


def locked(env: Environment, request: RunRequest) -> ExitStatus:
    """The whole run holds the lock (a second one exits 75); each job's results reach the history as it ends."""
    with run_lock(env.paths):
        cron_log = schedule.log_file(env.paths)
        try:
            schedule.rotate_log(cron_log)
        except OSError as exc:
            UNSAVED.note("the rotated cron log", cron_log, exc)
        recorder = history.Recorder(env.paths, check=request.check, replay=request.replay is not None)
        try:
            return _execute(env, request, recorder)
        finally:
            recorder.close()


def _execute(env: Environment, request: RunRequest, recorder: history.Recorder) -> ExitStatus:
    try:
        if request.replay is not None:
            with throwaway_keyring():
                scenarios = replay_scenarios(request.replay, request)
                jobs, harnesses = replay_jobs(scenarios)
                config = Config()
                results = drive(env, request, jobs, harnesses, config, REPLAY_TIMEOUT_MS, recorder)
        else:
            config = Config.load(env.paths.config_file)
            jobs = live_jobs(config, request)
            check_backend(env.stdin_isatty)
            harnesses = None
            results = drive(env, request, jobs, None, config, LIVE_TIMEOUT_MS, recorder)
    except (ConfigError, KeyringUnavailable, BrowserNotFound, ScenarioError) as exc:
        raise UserError(str(exc)) from None
    status = stopped_status(STOP.signum) if STOP.requested else exit_status(results, recorder.drift)
    recorder.finish(status, config.keep_runs)
    try:
        if request.json_out:
            summaries = [h.summary() for h in harnesses.values()] if harnesses is not None else None
            report.as_json(env, results, status, summaries, recorder.drift)
        else:
            report.human(env, results, status, recorder.drift, request.quiet)
        if UNSAVED.line():  # after the results: a disk that could not hold something never hides them
            env.err(UNSAVED.line())
    except OSError:  # a hung-up terminal: the history has every result, and the exit status says what happened
        if not STOP.requested:
            raise
    return status


def run_timeout_ms(default: float) -> float:
    """OPTOUT_TIMEOUT_MS bounds every wait of the run (a click, a page load, a control to settle)."""
    raw = os.environ.get("OPTOUT_TIMEOUT_MS", "")
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = 0
    if value < 100:
        raise UserError(f"OPTOUT_TIMEOUT_MS={raw!r} is not a number of milliseconds (at least 100)")
    return value


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


def drive(env, request, jobs, harnesses, config, timeout_ms, recorder=None):
    from playwright.async_api import async_playwright

    from playwright.async_api import Error as PlaywrightError

    sessions, rejected = kept_stores(env.paths.state_dir, replay=harnesses is not None)
    timeout = run_timeout_ms(timeout_ms)
    progress = report.Progress(env, enabled=not (request.json_out or request.quiet))

    def on_event(event, job, results):  # into the history first, the moment a job ends; then the progress line
        if recorder is not None:
            recorder(event, job, results)
        with contextlib.suppress(OSError):  # a terminal that went away (SIGHUP) must not cost the run
            progress(event, job, results)

    async def prepare(job, context):
        await harnesses[id(job)].attach(context)

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
            # The run's history row is opened only once a browser runs; evidence is named by its id.
            run_folder = (recorder.start() if recorder is not None else None) or history.new_run_id()
            options = Options(
                check=request.check,
                jobs=request.jobs,
                timeout_ms=timeout,
                account_deadline_s=config.account_deadline,
                sessions=sessions,
                rejected=rejected,
                evidence=Evidence(env.paths.state_dir / "runs" / run_folder, keep_traces=request.trace),
                pause=request.pause,
                stop=STOP,
            )
            try:
                return await run_jobs(browser, jobs, options, prepare if harnesses else None, on_event)
            finally:
                with contextlib.suppress(Exception):
                    await browser.close()

    try:
        return asyncio.run(main())
    finally:
        STOP.leave_loop()
