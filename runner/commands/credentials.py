"""`optout-run credentials set|list|delete`: passwords go to the OS keyring, the account list to the config."""

from __future__ import annotations

import click

import flows
from runner.commands import UserError, environment

PLATFORM = click.Choice(flows.names(), case_sensitive=False)


def _store():
    from runner.config import Config, ConfigError
    from runner.credentials import KeyringUnavailable, check_backend

    env = environment()
    try:
        check_backend(env.stdin_isatty)
        return env, Config.load(env.paths.config_file)
    except (ConfigError, KeyringUnavailable) as exc:
        raise UserError(str(exc)) from None


@click.group()
def credentials() -> None:
    """Store, list and forget account credentials (kept in the OS keyring)."""


@credentials.command("set")
@click.argument("platform", type=PLATFORM)
@click.argument("username")
@click.option("--name", default="", help="A label for this account, when you have several on one platform.")
def set_(platform: str, username: str, name: str) -> None:
    """Store the password for USERNAME on PLATFORM (asked for, hidden; never taken from the command line)."""
    from runner.config import Account
    from runner.credentials import set_secret

    env, config = _store()
    password = env.prompt_secret(f"Password for {username} on {platform}")
    if not password:
        raise UserError("empty password; nothing stored")
    set_secret(platform, username, password)
    if not any(a.platform == platform and a.username == username for a in config.accounts):
        config.accounts.append(Account(platform, username, name))
        config.save(env.paths.config_file)
    env.out(f"stored the password for {username} on {platform} in the keyring")


@credentials.command("list")
def list_() -> None:
    """The configured accounts and whether a password is stored (never the password)."""
    from runner.credentials import get_secret

    env, config = _store()
    if not config.accounts:
        env.out("no accounts yet; add one with `optout-run credentials set PLATFORM USERNAME`")
    for a in config.accounts:
        stored = "password stored" if get_secret(a.platform, a.username) else "no password"
        env.out(f"{a.platform}  {a.username}" + (f"  ({a.name})" if a.name else "") + f"  {stored}")


@credentials.command("delete")
@click.argument("platform", type=PLATFORM)
@click.argument("username")
def delete(platform: str, username: str) -> None:
    """Forget USERNAME on PLATFORM: its password in the keyring and its entry in the config."""
    from runner.credentials import delete_secret

    env, config = _store()
    removed = delete_secret(platform, username)
    kept = [a for a in config.accounts if not (a.platform == platform and a.username == username)]
    if len(kept) == len(config.accounts) and not removed:
        raise UserError(f"no account {username} on {platform}")
    config.accounts = kept
    config.save(env.paths.config_file)
    env.out(f"forgot {username} on {platform}")
