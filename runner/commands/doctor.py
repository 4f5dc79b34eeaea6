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


def not_writable(directory: Path) -> str:
    """Why optout-run cannot write in directory, or ''. Tried for real, with a file made and removed: root writes
    through mode bits, and neither a read-only mount nor a full disk shows in them. A directory not made yet is
    tried in its nearest existing parent, where it would be made."""
    from runner.paths import unwritable, why_not_written

    while not directory.exists() and directory != directory.parent:
        directory = directory.parent
    trouble = unwritable(directory)
    return "" if trouble is None else f"  NOT WRITABLE: {why_not_written(trouble)}"


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
    for name, shown, directory, private in (
        ("config", env.paths.config_file, env.paths.config_dir, False),
        ("data", env.paths.data_dir, env.paths.data_dir, True),
        ("state", env.paths.state_dir, env.paths.state_dir, True),
    ):
        trouble = not_writable(directory)
        env.out(f"{name + ':':<9} {describe(shown, private)}{trouble}")
        healthy = healthy and not trouble
    sessions = env.paths.state_dir / "sessions"
    count = len(list(sessions.glob("*.session"))) if sessions.is_dir() else 0
    env.out(f"sessions: {describe(sessions, private=True)}, {count} saved")
    click.get_current_context().exit(int(ExitStatus.OK if healthy else ExitStatus.USAGE))
