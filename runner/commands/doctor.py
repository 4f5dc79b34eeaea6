"""`optout-run doctor`: what this machine gives optout-run (keyring, browser, paths and their permissions)."""

from __future__ import annotations

import stat
from pathlib import Path

import click

from runner.commands import environment
from runner.exitcodes import ExitStatus


def describe(path: Path, private: bool) -> str:
    if not path.exists():
        return f"{path} (not created yet)"
    mode = stat.S_IMODE(path.stat().st_mode)
    warning = "  WARNING: readable by others; chmod go-rwx" if private and mode & 0o077 else ""
    return f"{path} ({mode:04o}){warning}"


@click.command()
def doctor() -> None:
    """Report the keyring backend, the browser, and the config and data paths with their permissions."""
    from playwright.sync_api import sync_playwright

    from runner.browser import BrowserNotFound, resolve_executable
    from runner.config import Config, ConfigError
    from runner.credentials import KeyringUnavailable, check_backend

    env = environment()
    healthy = True
    try:
        env.out(f"keyring:  {check_backend(env.stdin_isatty)}")
    except KeyringUnavailable as exc:
        env.out(f"keyring:  NOT USABLE: {exc}")
        healthy = False
    try:
        configured = Config.load(env.paths.config_file).chromium
    except ConfigError as exc:
        env.out(f"config:   NOT USABLE: {exc}")
        configured, healthy = "", False
    try:
        with sync_playwright() as p:
            own = "Playwright's Chromium at " + p.chromium.executable_path
            env.out(f"browser:  {resolve_executable(configured, p.chromium.executable_path) or own}")
            env.out(f"headed:   {resolve_executable(configured, p.chromium.executable_path, headed=True) or own} (login, --headed)")
    except BrowserNotFound as exc:
        env.out(f"browser:  NOT FOUND: {exc}")
        healthy = False
    env.out(f"config:   {describe(env.paths.config_file, private=False)}")
    env.out(f"data:     {describe(env.paths.data_dir, private=True)}")
    env.out(f"state:    {describe(env.paths.state_dir, private=True)}")
    sessions = env.paths.state_dir / "sessions"
    count = len(list(sessions.glob("*.session"))) if sessions.is_dir() else 0
    env.out(f"sessions: {describe(sessions, private=True)}, {count} saved")
    click.get_current_context().exit(int(ExitStatus.OK if healthy else ExitStatus.USAGE))
