"""`optout-run doctor`: what this machine gives optout-run (keyring, browser, paths and their permissions), and the
platforms with an AI-training switch that have no account yet."""

from __future__ import annotations

import stat
from pathlib import Path

import click

import flows
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


def ai_switches_unused(accounts) -> list[str]:
    """Platforms whose data marks a setting as its AI-training switch (`trains_ai`) that a run can switch (not
    app-only, not broken), and that have no account configured."""
    have = {a.platform for a in accounts}
    unused = []
    for name in flows.names():
        flow = flows.load(name)
        marked = {spec["id"] for spec in flow.site.settings if spec.get("trains_ai")}
        if name not in have and any(s.id in marked and s.needs_browser for s in flow.settings):
            unused.append(name)
    return unused


@click.command()
def doctor() -> None:
    """Report the keyring backend, the browser, the config and data paths with their permissions, and the
    platforms with an AI-training switch that have no account configured."""
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
        config = Config.load(env.paths.config_file)
    except ConfigError as exc:
        env.out(f"config:   NOT USABLE: {exc}")
        config, healthy = None, False
    configured = config.chromium if config else ""
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
    if config is not None:
        unused = ai_switches_unused(config.accounts)
        said = f"{len(config.accounts)} configured"
        if unused:
            said += f"; no account on {', '.join(unused)}, which have an AI-training switch (add one: `optout-run setup`)"
        env.out(f"accounts: {said}")
    click.get_current_context().exit(int(ExitStatus.OK if healthy else ExitStatus.USAGE))
