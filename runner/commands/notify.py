"""`optout-run notify add|list|remove|test`: apprise URLs go to the OS keyring, their names to [notify] in the config."""

from __future__ import annotations

import click

from runner.commands import UserError, environment
from runner.exitcodes import ExitStatus

ADD_ONE = "add one with `optout-run notify add NAME`"


def target_name(ctx, param, value: str | None) -> str | None:
    from runner.schema import TARGET_NAME

    if value is not None and not TARGET_NAME.fullmatch(value):
        raise UserError(  # never repeated: a URL typed here by mistake carries its token
            "bad target name: use up to 64 letters, digits, '-', '_' and '.'; the URL is asked for next, never given as an argument"
        )
    return value


NAME = click.argument("name", callback=target_name)


def _store():
    """The config first, then the keyring: a broken config is named even on a machine with no usable keyring."""
    from runner.config import ConfigError
    from runner.credentials import KeyringUnavailable, check_backend
    from runner.notify import settings

    env = environment()
    try:
        chosen = settings(env.paths.config_file)
        check_backend(env.stdin_isatty)
        return env, chosen
    except (ConfigError, KeyringUnavailable) as exc:
        raise UserError(str(exc)) from None


@click.group()
def notify() -> None:
    """Hear when a run needs you: apprise URLs (mail, ntfy, Matrix, a desktop, ...) kept in the OS keyring."""


@notify.command("add")
@NAME
def add(name: str) -> None:
    """Store the apprise URL for NAME and list NAME in [notify] targets (a URL already stored is replaced).

    At a terminal the URL is asked for twice, hidden; otherwise one line is read from standard input. Never taken
    from the command line: the URL carries tokens.
    """
    from runner import config_edit
    from runner.credentials import KeyringUnavailable, set_secret
    from runner.notify import KEYRING, add_target, unusable

    env, _ = _store()
    url = env.prompt_secret(f"apprise URL for {name}").strip()
    if not url:
        raise UserError("empty URL; nothing stored")
    why = unusable(url)
    if why:
        raise UserError(f"{why}; nothing stored")
    path = env.paths.config_file
    try:  # the name first, then its URL; the config goes back as it was if the keyring fails
        with config_edit.restored_on_error(path):
            listed = add_target(path, name)
            set_secret(KEYRING, name, url)
    except (OSError, config_edit.ConfigEditError, KeyringUnavailable) as exc:
        why = f"cannot write {path}: {exc.strerror or type(exc).__name__}" if isinstance(exc, OSError) else str(exc)
        raise UserError(f"{why}; nothing stored") from None
    where = f"; added it to [notify] targets in {path}" if listed else ""
    env.out(f"stored the URL for {name} in the keyring{where}; `optout-run notify test {name}` sends a test message")


@notify.command("list")
def list_() -> None:
    """The targets in [notify], whether a URL is stored for each and its kind (never the URL), and the events."""
    from runner.credentials import get_secret
    from runner.notify import KEYRING

    env, chosen = _store()
    if not chosen.targets:
        env.out(f"no notification targets yet; {ADD_ONE}")
        return
    for name in chosen.targets:
        url = get_secret(KEYRING, name)
        env.out(f"{name}  " + (f"{scheme(url)} URL stored" if url else f"no URL stored: `optout-run notify add {name}`"))
    env.out(f"events: {', '.join(chosen.events) or 'none'}")


def scheme(url: str) -> str:
    """The service part of a URL ("ntfys", "mailtos"), which holds no token; anything odd is not shown at all."""
    head, sep, _ = url.partition("://")
    return head.lower() if sep and head.isascii() and head.isalnum() and len(head) <= 20 else "a"


@notify.command("remove")
@NAME
def remove(name: str) -> None:
    """Forget NAME: its URL in the keyring and its entry in [notify] targets."""
    from runner import config_edit
    from runner.credentials import KeyringUnavailable, delete_secret
    from runner.notify import KEYRING, remove_target

    env, _ = _store()
    path = env.paths.config_file
    try:
        with config_edit.restored_on_error(path):  # the entry goes back if the keyring fails
            listed = remove_target(path, name)
            removed = delete_secret(KEYRING, name)
    except (OSError, config_edit.ConfigEditError, KeyringUnavailable) as exc:
        why = f"cannot write {path}: {exc.strerror or type(exc).__name__}" if isinstance(exc, OSError) else str(exc)
        raise UserError(f"{why}; nothing removed") from None
    if not listed and not removed:
        raise UserError(f"no notification target {name}")
    env.out(f"forgot the notification target {name}")


@notify.command("test")
@click.argument("name", required=False, callback=target_name)
def test(name: str | None) -> None:
    """Send a test message to NAME, or to every target in [notify]; exit 2 when one is not sent."""
    import socket

    from runner.notify import deliver

    env, chosen = _store()
    names = [name] if name else list(chosen.targets)
    if not names:
        raise UserError(f"no notification targets in [notify]; {ADD_ONE}")
    body = f"A test from optout-run on {socket.gethostname()}: runs will tell you here when a setting needs you."
    failed = False
    for target in names:
        why = deliver(target, "optout-run: test message", body, "info")
        if why:
            env.err(f"{target}: not sent: {why}")
            failed = True
        else:
            env.out(f"{target}: sent")
    click.get_current_context().exit(int(ExitStatus.USAGE if failed else ExitStatus.OK))
