"""Shared test set-up: a real in-process keyring, a throwaway OPTOUT_HOME, and the browser this machine has."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import keyring
import pytest

from runner.browser import launch_options, resolve_executable
from runner.credentials import MemoryKeyring

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
OPTOUT_RUN = str(Path(sys.executable).parent / "optout-run")  # the console script of the Python running the tests, PATH or not


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, playwright):
    """Playwright's own Chromium where installed, else OPTOUT_CHROMIUM or the system's (Debian's /usr/bin/chromium)."""
    executable = resolve_executable("", playwright.chromium.executable_path)
    return {**browser_type_launch_args, **launch_options(executable, headed=False, slow_mo=0), "headless": True}


@pytest.fixture(autouse=True)
def memory_keyring():
    previous = keyring.get_keyring()
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    yield memory
    keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def optout_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "optout-home"
    monkeypatch.setenv("OPTOUT_HOME", str(home))
    return home


@pytest.fixture
def scenario_copy(tmp_path):
    """Copy one platform's fixtures somewhere writable, to vary a scenario without touching the bundled data."""

    def copy(platform: str) -> Path:
        target = tmp_path / "fixtures" / platform
        shutil.copytree(FIXTURES / platform, target)
        return target

    return copy


async def replay_run(browser, *scenarios, on_event=None, **options):
    """Run scenarios through the engine in the shared test browser; return results and the harnesses."""
    from runner.credentials import throwaway_keyring
    from runner.engine import Options, run_jobs
    from runner.plan import REPLAY_TIMEOUT_MS, replay_jobs

    with throwaway_keyring():
        jobs, harnesses = replay_jobs(list(scenarios))

        async def prepare(job, context):
            await harnesses[id(job)].attach(context)

        results = await run_jobs(browser, jobs, Options(timeout_ms=REPLAY_TIMEOUT_MS, **options), prepare, on_event)
    return results, list(harnesses.values())


def in_process(*args: str, stdin: str = "") -> tuple[int, str, str]:
    """A command in this process, with the test's in-memory keyring (a subprocess cannot see it); `stdin` answers
    the secret prompt. Returns the exit code, stdout and stderr."""
    import io

    from click.testing import CliRunner

    from runner.cli import cli
    from runner.env import Environment
    from runner.paths import Paths

    out, err = io.StringIO(), io.StringIO()
    env = Environment(stdout=out, stderr=err, stdin_isatty=False, stdout_isatty=False, paths=Paths.from_env())
    env.prompt_secret = lambda text: stdin
    result = CliRunner().invoke(cli, list(args), obj=env, catch_exceptions=False)
    return result.exit_code, out.getvalue() + result.stdout, err.getvalue() + result.stderr


def optout(*args: str, env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    """Run the installed console script as a user would, stdin closed like cron's."""
    return subprocess.run(
        [OPTOUT_RUN, *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=120,
        **kwargs,
    )
