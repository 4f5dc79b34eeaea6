"""`optout-run setup`: a first run at a terminal, step by step, made of the commands that already exist.

Accounts go into the config as `credentials set` puts them there; each account signs in through `credentials
set`, `login` or `login --from-browser`; the check and the fix are the main command's run; the schedule is
`schedule install`. Setup only asks and calls them, so it can do nothing they would not. Every step can be
skipped (s or Enter), and a second setup shows what is configured and comes back to every step.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Callable

import click

import flows
from runner.commands import UserError, environment

SKIP = "s"
NOTHING = "nothing stored yet"
NOT_A_TERMINAL = (
    "setup asks its questions at a terminal; without one use `optout-run credentials set PLATFORM USERNAME`, "
    "`optout-run login PLATFORM`, `optout-run --all --check` and `optout-run schedule install`"
)


@click.command()
@click.option(
    "--replay",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    hidden=True,
    help="Check and fix against recorded fixtures instead of the sites (tests and demos).",
)
def setup(replay: Path | None) -> None:
    """A guided first run at a terminal: accounts, sign-in, check, fix, schedule. Run it again to change any step."""
    from runner.config import ConfigError
    from runner.credentials import KeyringUnavailable, check_backend

    env = environment()
    if not env.stdin_isatty:
        raise UserError(NOT_A_TERMINAL)
    ctx = click.get_current_context()
    env.out("optout-run setup: each step asks first; s or Enter skips it, and running setup again comes back to it.")
    try:
        check_backend(env.stdin_isatty)
    except KeyringUnavailable as exc:
        env.err(f"warning: {exc}; passwords and sessions cannot be stored until that is fixed")
    try:
        show_accounts(env)
        add_accounts(env)
        env.out()
        env.out("Step 2 of 5: how optout-run signs in")
        accounts = configured(env)
        if not accounts:
            env.out("no accounts configured, so nothing to sign in to")
        for account in accounts:
            sign_in(ctx, env, account)
        platforms = tuple(dict.fromkeys(a.platform for a in configured(env)))
    except ConfigError as exc:
        raise UserError(str(exc)) from None
    check_and_fix(env, platforms, replay)
    plan_schedule(ctx, env)
    env.out()
    env.out("setup is done. From now on `optout-run --all` fixes and `optout-run --all --check` only reads;")
    env.out("`optout-run setup` again changes any of this, and `optout-run doctor` checks this machine.")


def configured(env):
    from runner.config import Config

    return Config.load(env.paths.config_file).accounts


def show_accounts(env) -> None:
    accounts = configured(env)
    env.out(f"Accounts in {env.paths.config_file}:" if accounts else "No accounts yet.")
    for account in accounts:
        env.out(f"  {account.platform}  {account.label}: {signed_in_state(env, account)}")


def signed_in_state(env, account) -> str:
    """What a run would sign in with: a stored password, a saved session, both or nothing (never the secret)."""
    from runner.credentials import KeyringUnavailable, get_secret
    from runner.sessions import SessionStore

    found = []
    try:
        if get_secret(account.platform, account.username):
            found.append("password stored")
    except KeyringUnavailable:
        found.append("keyring not usable")
    if SessionStore(env.paths.state_dir / "sessions", b"").path(account.platform, account.username).is_file():
        found.append("session saved")
    return ", ".join(found) or NOTHING


def add_accounts(env) -> None:
    """Step 1: platforms from the registry, a user name for each; the account goes into the config at once."""
    from runner import catalog, config_edit

    env.out()
    env.out("Step 1 of 5: accounts. The platforms optout-run knows, and what it switches off:")
    names = flows.names()
    have = configured(env)
    for number, name in enumerate(names, 1):
        flow = flows.load(name)
        default = [s for s in flow.site.settings if s.get("default", True)]
        yours = ", ".join(a.label for a in have if a.platform == name)
        env.out(f"  {number:>2}  {name:<10} {catalog.settings_words(flow.site, default)}" + (f"  [yours: {yours}]" if yours else ""))
    chosen = ask_platforms(env, names)
    path = env.paths.config_file
    for name in chosen:
        title = flows.load(name).title
        username = env.prompt_text(f"Your user name (or e-mail) on {title}; Enter skips", "")
        if not username:
            continue
        try:
            added = config_edit.add_account(path, name, username)
        except (OSError, config_edit.ConfigEditError) as exc:
            why = f"cannot write {path}: {exc.strerror or type(exc).__name__}" if isinstance(exc, OSError) else str(exc)
            env.err(f"Error: {why}; {name} not added")
            continue
        env.out(f"added {username} on {name} to {path}" if added else f"{username} on {name} is already configured")


def ask_platforms(env, names: tuple[str, ...]) -> list[str]:
    """Numbers or names, asked again until each one is known; nothing (Enter or s) skips."""
    while True:
        answer = env.prompt_text("Add accounts on which platforms? Numbers or names, e.g. 1 3 pinterest; Enter skips", "")
        words = answer.replace(",", " ").lower().split()
        if words in ([], [SKIP]):
            return []
        chosen = [names[int(w) - 1] if w.isdigit() and 0 < int(w) <= len(names) else w for w in words]
        unknown = [w for w in chosen if w not in names]
        if not unknown:
            return list(dict.fromkeys(chosen))
        env.err(f"not a platform here: {', '.join(unknown)} (a number from 1 to {len(names)} or a name)")


def sign_in(ctx: click.Context, env, account) -> None:
    """Step 2 for one account: store a password, sign in in a window, or take the browser's session; asked
    again after a step that failed, until one works or the person skips."""
    flow_cls = flows.load(account.platform)
    who = f"{flow_cls.title} as {account.label}"
    if not any(s.needs_browser for s in flow_cls.settings):
        env.out(f"{who}: its settings are only in the app, so there is nothing to sign in to; each run lists the taps")
        return
    choices = {}
    if flow_cls.sign_in_url:
        choices["p"] = "store a password"
    choices |= {"b": "sign in in a browser window now", "f": "take the session from your browser", "r": "remove this account"}
    while True:
        state = signed_in_state(env, account)
        answer = choose(env, f"{who} ({state}): how should optout-run sign in?", choices, "skip" if state == NOTHING else "keep it")
        if answer == SKIP:
            return
        step = sign_in_step(env, answer, account)
        if step and attempt(env, lambda: ctx.invoke(step[0], **step[1])):
            return


def sign_in_step(env, answer: str, account) -> tuple[click.Command, dict] | None:
    """The command behind a sign-in choice, with its arguments; None when the person went back."""
    from runner.commands import credentials, session

    mine = {"platform": account.platform}
    if answer == "p":
        return credentials.set_, mine | {"username": account.username, "name": account.name}
    if answer == "b":
        return session.login, mine | {"wanted": account.username}
    if answer == "r":
        return credentials.delete, mine | {"username": account.username}
    spec = env.prompt_text("Which browser: firefox, chrome, chromium, brave or edge (:PROFILE after it if not the usual one); Enter goes back", "")
    return (session.login, mine | {"wanted": account.username, "from_browser": spec}) if spec else None


def check_and_fix(env, platforms: tuple[str, ...], replay: Path | None) -> None:
    """Steps 3 and 4: the main command's run with --check, then, when it found something, without it."""
    from runner.exitcodes import ExitStatus

    env.out()
    env.out("Step 3 of 5: check what is exposed")
    said = "nothing checked, so nothing to fix"
    if not platforms:
        env.out("no accounts configured, so nothing to check")
    elif choose(env, f"Check {', '.join(platforms)} now? This only reads each setting", {"y": "check"}) != SKIP:
        status = run(env, platforms, check=True, replay=replay)
        said = {None: "the check did not run", ExitStatus.OK: "nothing to fix"}.get(status, "")
    env.out()
    env.out("Step 4 of 5: fix what is exposed")
    if said:
        env.out(said)
    elif choose(env, "Switch every exposed setting to opted out now?", {"y": "fix"}) != SKIP:
        run(env, platforms, check=False, replay=replay)


def run(env, platforms: tuple[str, ...], check: bool, replay: Path | None):
    """The main command's own run (runner/run.py), so setup checks and fixes exactly as `optout-run` does. None
    when it could not start (its error said); a run stopped by a signal ends setup with the run's exit status."""
    from runner.exitcodes import ExitStatus
    from runner.plan import RunRequest
    from runner.run import execute
    from runner.stop import STOP

    status = None

    def step() -> None:
        nonlocal status
        status = execute(env, RunRequest(platforms=platforms, check=check, replay=replay))

    attempt(env, step)
    if STOP.requested:  # Ctrl-C during the run: the person wants out, not the next question
        click.get_current_context().exit(int(status or ExitStatus.INTERRUPTED))
    return None if status in (ExitStatus.USAGE, ExitStatus.LOCKED) else status


def plan_schedule(ctx: click.Context, env) -> None:
    """Step 5: show the schedule there is, then install (cron, or a systemd timer where there is no cron) or remove."""
    from runner.commands import schedule
    from runner.schedule import systemd_present

    env.out()
    env.out("Step 5 of 5: re-check on a schedule (platforms switch settings back on)")
    attempt(env, lambda: ctx.invoke(schedule.show))
    choices = {"d": "daily", "w": "weekly", "r": "remove the schedule"}
    answer = choose(env, "Run `optout-run --all --quiet` on a schedule?", choices)
    if answer == "r":
        attempt(env, lambda: ctx.invoke(schedule.remove))
    elif answer != SKIP:
        systemd = not os.environ.get("OPTOUT_CRONTAB_FILE") and not shutil.which("crontab") and systemd_present()
        attempt(env, lambda: ctx.invoke(schedule.install, every=choices[answer], use_systemd=systemd))


def choose(env, question: str, choices: dict[str, str], skip: str = "skip") -> str:
    """One letter of choices (letter: what it does) or s; Enter means s. Asked again until it is one of them."""
    listed = "; ".join(f"{letter} = {what}" for letter, what in {**choices, SKIP: skip}.items())
    while True:
        answer = env.prompt_text(f"{question} [{listed}]", SKIP).lower()
        if answer in choices or answer == SKIP:
            return answer
        env.err(f"type one of {', '.join([*choices, SKIP])}")


def attempt(env, step: Callable[[], None]) -> bool:
    """Run one step's command; its error is said as the command says it (one line) and setup goes on."""
    try:
        step()
    except click.ClickException as exc:
        env.err(f"Error: {exc.format_message()}")
        return False
    return True
