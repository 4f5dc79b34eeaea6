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
@click.option("--totp", is_flag=True, help="Store the account's 2FA (TOTP) secret instead of its password.")
def set_(platform: str, username: str, name: str, totp: bool) -> None:
    """Store the password (or with --totp the 2FA secret) for USERNAME on PLATFORM.

    It is asked for, hidden, or read from standard input; never taken from the command line.
    """
    from runner.config import Account
    from runner.credentials import set_secret
    from runner.sessions import RejectedPasswords

    env, config = _store()
    what = "2FA (TOTP) secret" if totp else "password"
    secret = env.prompt_secret(f"{what.capitalize()} for {username} on {platform}").strip()
    if not secret:
        raise UserError(f"empty {what}; nothing stored")
    if totp:
        import base64
        import binascii

        secret = secret.replace(" ", "").upper()
        try:
            base64.b32decode(secret + "=" * (-len(secret) % 8))
        except binascii.Error:
            raise UserError("that is not a TOTP secret (base32, as shown under the QR code)") from None
    set_secret(platform, username, secret, kind="totp" if totp else "password")
    if not totp:  # a new password may be tried again at once
        RejectedPasswords(env.paths.state_dir / "rejected-passwords.json").clear(platform, username)
    if not any(a.platform == platform and a.username == username for a in config.accounts):
        config.accounts.append(Account(platform, username, name))
        config.save(env.paths.config_file)
    env.out(f"stored the {what} for {username} on {platform} in the keyring")


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
    delete_secret(platform, username, kind="totp")
    kept = [a for a in config.accounts if not (a.platform == platform and a.username == username)]
    if len(kept) == len(config.accounts) and not removed:
        raise UserError(f"no account {username} on {platform}")
    config.accounts = kept
    config.save(env.paths.config_file)
    env.out(f"forgot {username} on {platform}")
