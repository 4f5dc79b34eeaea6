"""What a run will do, decided before any browser starts: a request becomes jobs, from the config or from scenarios.

Planning is where a request's mistakes surface (an unknown platform, no accounts, a broken scenario, a bad
OPTOUT_TIMEOUT_MS), so they are one line each and nothing has been opened yet. A replay plans in a throwaway
home and a throwaway keyring: fixture accounts never reach the user's data.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterator

import flows
from runner.commands import UserError
from runner.config import Account, Config
from runner.credentials import check_backend, set_secret, throwaway_keyring
from runner.engine import Job, PageWatcher
from runner.env import Environment
from runner.paths import Paths, why_not_written
from runner.replay import Harness, Scenario

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
    capture: "PageWatcher | None" = None  # a capture run (runner/capture.py): keeps each settings page it reads


@dataclass
class Plan:
    """The jobs of one run and what they run with; a replay's harnesses serve each job's scenario (by id(job))."""

    request: RunRequest
    jobs: list[Job]
    config: Config
    timeout_ms: float
    harnesses: dict[int, Harness] | None = None  # None: a live run

    def replay_summary(self) -> list[dict] | None:
        """What each fixture server saw (password submissions, saves, unexpected requests), for --json."""
        return None if self.harnesses is None else [h.summary() for h in self.harnesses.values()]


@contextlib.contextmanager
def home(env: Environment, request: RunRequest) -> Iterator[Environment]:
    """Where the run keeps its lock, history and evidence: a replay gets a throwaway home unless OPTOUT_HOME names
    one (tests, a kept demo). It is removed afterwards unless it holds evidence (a failure, --trace): then one line
    says where that is."""
    if request.replay is None or os.environ.get("OPTOUT_HOME"):
        yield env
        return
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


@contextlib.contextmanager
def prepare(env: Environment, request: RunRequest) -> Iterator[Plan]:
    """The run's plan, valid while in use: a replay's passwords live in a throwaway keyring until the run ends."""
    if request.replay is not None:
        with throwaway_keyring():
            jobs, harnesses = replay_jobs(replay_scenarios(request.replay, request))
            yield Plan(request, jobs, Config(), run_timeout_ms(REPLAY_TIMEOUT_MS), harnesses)
        return
    config = Config.load(env.paths.config_file)
    jobs = live_jobs(config, request)
    check_backend(env.stdin_isatty)
    yield Plan(request, jobs, config, run_timeout_ms(LIVE_TIMEOUT_MS))


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
