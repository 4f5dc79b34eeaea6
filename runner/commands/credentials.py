"""`optout-run credentials set|list|delete`: passwords go to the OS keyring, the account list to the config."""

from __future__ import annotations

import click

from runner.commands import PLATFORM, PLATFORMS_LISTED, UserError, environment


def _store():
    """The config first, then the keyring: a broken config is named even on a machine with no usable keyring."""
    from runner.config import Config, ConfigError
    from runner.credentials import KeyringUnavailable, check_backend

    env = environment()
    try:
        config = Config.load(env.paths.config_file)
        check_backend(env.stdin_isatty)
        return env, config
    except (ConfigError, KeyringUnavailable) as exc:
        raise UserError(str(exc)) from None


def _failed(exc: Exception, path, nothing: str) -> UserError:
    """A config that cannot be written or a keyring that refuses, as one line; the config is as it was."""
    if isinstance(exc, OSError):
        return UserError(f"cannot write {path}: {exc.strerror or type(exc).__name__}; {nothing}")
    return UserError(f"{exc}; {nothing}")


@click.group()
def credentials() -> None:
    """Store, list and forget account credentials (kept in the OS keyring)."""


@credentials.command("set", epilog=PLATFORMS_LISTED)
@click.argument("platform", type=PLATFORM, metavar="PLATFORM")
@click.argument("username")
@click.option("--name", default="", help="A label for this account, when you have several on one platform.")
@click.option("--totp", is_flag=True, help="Store the account's 2FA (TOTP) secret instead of its password.")
def set_(platform: str, username: str, name: str, totp: bool) -> None:
    """Store the password (or with --totp the 2FA secret) for USERNAME on PLATFORM.

    At a terminal it is asked for twice, hidden; otherwise one line is read from standard input, exactly as
    given. Never taken from the command line.
    """
    from runner import config_edit
    from runner.credentials import KeyringUnavailable, set_secret
    from runner.sessions import RejectedPasswords

    if not username.strip():
        raise UserError("empty user name; nothing stored")
    env, _ = _store()
    what = "2FA (TOTP) secret" if totp else "password"
    secret = env.prompt_secret(f"{what.capitalize()} for {username} on {platform}")
    if not secret:
        raise UserError(f"empty {what}; nothing stored")
    if totp:
        import base64
        import binascii

        secret = "".join(secret.split()).upper()  # shown in groups of four under the QR code
        try:
            base64.b32decode(secret + "=" * (-len(secret) % 8))
        except binascii.Error:
            raise UserError("that is not a TOTP secret (base32, as shown under the QR code)") from None
    path = env.paths.config_file
    # The account first, then its secret; the config goes back as it was if the keyring fails, so there is never
    # a password without an account (the reverse would need the old password read back to undo it).
    try:
        with config_edit.restored_on_error(path):
            config_edit.add_account(path, platform, username, name)
            set_secret(platform, username, secret, kind="totp" if totp else "password")
    except (OSError, config_edit.ConfigEditError, KeyringUnavailable) as exc:
        raise _failed(exc, path, "nothing stored") from None
    if not totp:  # a new password may be tried again at once
        hold = env.paths.state_dir / "rejected-passwords.json"
        try:
            RejectedPasswords(hold).clear(platform, username)
        except OSError as exc:
            why = exc.strerror or type(exc).__name__
            env.err(f"warning: cannot write {hold} ({why}): the 24-hour hold after a rejected password stays")
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


@credentials.command("delete", epilog=PLATFORMS_LISTED)
@click.argument("platform", type=PLATFORM, metavar="PLATFORM")
@click.argument("username")
def delete(platform: str, username: str) -> None:
    """Forget USERNAME on PLATFORM: its password in the keyring and its entry in the config."""
    from runner import config_edit
    from runner.credentials import KeyringUnavailable, delete_secret

    env, _ = _store()
    path = env.paths.config_file
    try:
        with config_edit.restored_on_error(path):  # the entry goes back if the keyring fails
            listed = config_edit.remove_account(path, platform, username)
            removed = delete_secret(platform, username)
            delete_secret(platform, username, kind="totp")
    except (OSError, config_edit.ConfigEditError, KeyringUnavailable) as exc:
        raise _failed(exc, path, "nothing removed") from None
    if not listed and not removed:
        raise UserError(f"no account {username} on {platform}")
    env.out(f"forgot {username} on {platform}")
