"""Storing credentials (issue 12, rows 3, 7, 9, 10), each fault provoked for real: a plaintext keyring backend,
read-only bind mounts, a hand-written config, a real terminal (pty) and a real pipe."""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import stat
import subprocess
import termios
import time
from pathlib import Path

import keyring
import keyring.backend
import pytest
from jaraco.classes import properties

from runner.config_edit import add_account, remove_account
from tests.conftest import OPTOUT_RUN, ROOT, in_process

PLAINTEXT = "keyrings.alt.file.PlaintextKeyring"


@pytest.fixture
def plaintext_home(tmp_path) -> dict[str, str]:
    """keyrings.alt's plaintext file backend, its file under tmp_path: the real home is never touched."""
    (tmp_path / "home").mkdir()
    (tmp_path / "xdg").mkdir()
    return {"PYTHON_KEYRING_BACKEND": PLAINTEXT, "HOME": str(tmp_path / "home"), "XDG_DATA_HOME": str(tmp_path / "xdg")}


def stored(env: dict[str, str], platform: str, username: str, monkeypatch) -> str | None:
    """What the plaintext backend of a finished subprocess holds, read back through that backend."""
    from keyrings.alt.file import PlaintextKeyring

    monkeypatch.setenv("XDG_DATA_HOME", env["XDG_DATA_HOME"])
    return PlaintextKeyring().get_password(f"optout-run/{platform}", username)


def optout_piped(*args: str, stdin: str = "", env: dict | None = None) -> subprocess.CompletedProcess:
    """The console script with stdin a real pipe, as in `echo pw | optout-run credentials set ...`."""
    return subprocess.run(
        [OPTOUT_RUN, *args], input=stdin, capture_output=True, text=True, cwd=ROOT, env={**os.environ, **(env or {})}, timeout=60
    )




def one_line(text: str) -> bool:
    return len(text.strip().splitlines()) == 1 and "Traceback" not in text


@contextlib.contextmanager
def read_only(directory: Path):
    """directory as a read-only bind mount of itself: every write in it fails with EROFS, for root too."""
    for args in (["--bind", str(directory), str(directory)], ["-o", "remount,bind,ro", str(directory)]):
        done = subprocess.run(["mount", *args], capture_output=True, text=True)
        if done.returncode:
            if args[0] != "--bind":
                subprocess.run(["umount", str(directory)], check=True)
            pytest.skip(f"cannot mount here ({done.stderr.strip() or done.returncode}); the fault needs a real mount")
    try:
        yield directory
    finally:
        subprocess.run(["umount", str(directory)], check=True)


# -- row 3: a plaintext keyring backend is refused unless the user opts in ------------------------------------


def test_a_plaintext_backend_is_refused_in_one_line_and_writes_nothing(tmp_path, plaintext_home):
    done = optout_piped("credentials", "set", "x", "jane", stdin="hunter2\n", env=plaintext_home)
    assert done.returncode == 2, done.stderr
    assert one_line(done.stderr), done.stderr
    for words in (PLAINTEXT, "OPTOUT_ALLOW_PLAINTEXT_KEYRING=1", "Secret Service", "passphrase typed at a prompt", "macOS"):
        assert words in done.stderr
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == [], "the backend wrote a file"
    doctor = optout_piped("doctor", env=plaintext_home)
    assert doctor.returncode == 2
    assert f"keyring:  NOT USABLE: refusing keyring backend {PLAINTEXT}" in doctor.stdout


def test_with_the_opt_in_a_plaintext_backend_works(plaintext_home, monkeypatch):
    env = {**plaintext_home, "OPTOUT_ALLOW_PLAINTEXT_KEYRING": "1"}
    done = optout_piped("credentials", "set", "x", "jane", stdin="hunter2\n", env=env)
    assert done.returncode == 0, done.stderr
    assert stored(env, "x", "jane", monkeypatch) == "hunter2"


def test_a_chainer_that_may_write_to_a_plaintext_backend_is_refused(tmp_path, plaintext_home):
    env = {**plaintext_home, "PYTHON_KEYRING_BACKEND": "keyring.backends.chainer.ChainerBackend"}
    done = optout_piped("credentials", "list", env=env)
    assert done.returncode == 2 and one_line(done.stderr), done.stderr
    assert PLAINTEXT in done.stderr and "OPTOUT_ALLOW_PLAINTEXT_KEYRING=1" in done.stderr


class Passphrased(keyring.backend.KeyringBackend):
    """An encrypted file backend's shape: a passphrase (keyring_key) that asking for would prompt."""

    @properties.classproperty
    def priority(cls) -> float:
        raise RuntimeError("installed explicitly, never detected")

    @properties.NonDataProperty
    def keyring_key(self):
        raise AssertionError("prompted for the passphrase")

    def get_password(self, service, username):
        return None

    def set_password(self, service, username, password):
        pass

    def delete_password(self, service, username):
        pass


def test_a_passphrase_from_the_environment_counts_as_plaintext(monkeypatch):
    from runner.credentials import KeyringUnavailable, check_backend

    monkeypatch.setenv("KEYRING_PROPERTY_KEYRING_KEY", "kept-in-a-file")  # keyring sets it on every new backend
    keyring.set_keyring(Passphrased())
    with pytest.raises(KeyringUnavailable, match="plaintext by another name"):
        check_backend(interactive=True)
    monkeypatch.setenv("OPTOUT_ALLOW_PLAINTEXT_KEYRING", "1")
    assert "allowed by OPTOUT_ALLOW_PLAINTEXT_KEYRING=1" in check_backend(interactive=False)


def test_a_passphrase_backend_without_a_terminal_is_refused_without_prompting():
    from runner.credentials import KeyringUnavailable, check_backend

    keyring.set_keyring(Passphrased())
    with pytest.raises(KeyringUnavailable, match="no terminal is attached"):
        check_backend(interactive=False)
    assert check_backend(interactive=True) == "tests.test_credentials.Passphrased"  # at a terminal the user types it: fine


# -- row 7: the account and its password are stored together or not at all ----------------------------------


def test_a_config_that_cannot_be_written_leaves_no_password(optout_home, memory_keyring):
    config_dir = optout_home / "config"
    config_dir.mkdir(parents=True)
    with read_only(config_dir):
        code, _, err = in_process("credentials", "set", "x", "jane", stdin="hunter2")
    assert code == 2 and one_line(err), err
    assert "Read-only file system" in err and "nothing stored" in err
    assert memory_keyring._items == {}
    assert not (config_dir / "config.toml").exists()


def test_a_keyring_that_cannot_be_written_leaves_the_config_as_it_was(optout_home, plaintext_home, tmp_path):
    config = optout_home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('# mine\n[[account]]\nplatform = "x"\nusername = "jane"\n')
    before = config.read_bytes()
    env = {**plaintext_home, "OPTOUT_ALLOW_PLAINTEXT_KEYRING": "1"}
    with read_only(tmp_path / "xdg"):
        done = optout_piped("credentials", "set", "linkedin", "jane_work", stdin="hunter2\n", env=env)
    assert done.returncode == 2 and one_line(done.stderr), done.stderr
    assert "keyring error: Read-only file system; nothing stored" in done.stderr
    assert config.read_bytes() == before
    assert "hunter2" not in done.stderr


# -- row 9: config.toml is edited in place ---------------------------------------------------------------------

HAND_WRITTEN = """\
# optout-run, set up by hand on 2026-12-01

[browser]
chromium = "/usr/bin/chromium"     # Debian's

[[account]]
platform = "x"   # the main one
username = "jane@example.com"

# work, since the spring
[[account]]
platform = "linkedin"
username = "jane_work"
name = "work"

# partner sharing too: it is not worth it
[platform.linkedin]
optional = ["partner_sharing"]

[history]
keep_runs = 20   # a small disk
"""

ADDED = """\
[[account]]
platform = "reddit"
username = "jane_r"

"""


def test_set_and_delete_keep_a_hand_written_config_byte_for_byte(optout_home, memory_keyring):
    config = optout_home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(HAND_WRITTEN)
    code, _, err = in_process("credentials", "set", "reddit", "jane_r", stdin="hunter2")
    assert code == 0, err
    at = HAND_WRITTEN.index("# partner sharing")
    assert config.read_text() == HAND_WRITTEN[:at] + ADDED + HAND_WRITTEN[at:]
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    code, _, err = in_process("credentials", "delete", "reddit", "jane_r")
    assert code == 0, err
    assert config.read_text() == HAND_WRITTEN
    code, _, err = in_process("credentials", "delete", "linkedin", "jane_work")
    assert code == 0, err
    work = HAND_WRITTEN.index("[[account]]\nplatform = \"linkedin\"")
    assert config.read_text() == HAND_WRITTEN[:work] + HAND_WRITTEN[at:], "the comments above and below stay"


def test_the_editor_keeps_tables_it_does_not_know(tmp_path):
    """A table a later feature adds (and the schema learns) must survive an edit made before."""
    config = tmp_path / "config.toml"
    text = '[notifications]   # not known yet\nmail = "jane@example.com"\n\n[[account]]\nplatform = "x"\nusername = "jane"\n'
    config.write_text(text)
    assert add_account(config, "x", "jane_work", "work")
    assert config.read_text() == text + '\n[[account]]\nplatform = "x"\nusername = "jane_work"\nname = "work"\n'
    assert remove_account(config, "x", "jane_work") and config.read_text() == text


def test_accounts_split_by_another_table_are_refused_not_reordered(optout_home, memory_keyring):
    config = optout_home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    text = '[[account]]\nplatform = "x"\nusername = "a"\n\n[history]\nkeep_runs = 5\n\n[[account]]\nplatform = "x"\nusername = "b"\n'
    config.write_text(text)
    code, _, err = in_process("credentials", "set", "x", "c", stdin="hunter2")
    assert code == 2 and one_line(err) and "keep the [[account]] entries together" in err, err
    assert config.read_text() == text and memory_keyring._items == {}


# -- row 10: password entry --------------------------------------------------------------------------------------


@pytest.mark.parametrize("piped, password", [("  pass word \n", "  pass word "), ("tab\there\r\n", "tab\there"), ("no newline", "no newline")])
def test_a_piped_password_is_stored_exactly_and_quietly(plaintext_home, monkeypatch, piped, password):
    env = {**plaintext_home, "OPTOUT_ALLOW_PLAINTEXT_KEYRING": "1"}
    done = optout_piped("credentials", "set", "x", "jane", stdin=piped, env=env)
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr and done.stderr == ""
    assert stored(env, "x", "jane", monkeypatch) == password


def test_a_totp_secret_still_loses_its_spaces(memory_keyring):
    code, _, err = in_process("credentials", "set", "x", "jane", "--totp", stdin=" jbsw y3dp ehpk 3pxp ")
    assert code == 0, err
    assert memory_keyring.get_password("optout-run/x/totp", "jane") == "JBSWY3DPEHPK3PXP"


@pytest.mark.parametrize("username", ["", "   "])
def test_an_empty_username_is_a_usage_error(plaintext_home, tmp_path, username):
    env = {**plaintext_home, "OPTOUT_ALLOW_PLAINTEXT_KEYRING": "1"}
    done = optout_piped("credentials", "set", "x", username, stdin="hunter2\n", env=env)
    assert done.returncode == 2 and one_line(done.stderr), done.stderr
    assert "empty user name" in done.stderr
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def on_a_terminal(args: list[str], env: dict[str, str], stdin_pipe: str | None = None):
    """The console script with a real terminal (a pty, its controlling tty) on stdout and stderr, and on stdin
    too unless stdin_pipe is given: then stdin is a pipe carrying it."""
    master, slave = os.openpty()
    proc = subprocess.Popen(
        [OPTOUT_RUN, *args],
        stdin=slave if stdin_pipe is None else subprocess.PIPE,
        stdout=slave,
        stderr=slave,
        cwd=ROOT,
        env={**os.environ, **env},
        start_new_session=True,
        preexec_fn=lambda: fcntl.ioctl(1, termios.TIOCSCTTY, 0),  # /dev/tty is the pty, as in a terminal session
    )
    os.close(slave)
    if stdin_pipe is not None:
        proc.stdin.write(stdin_pipe.encode())
        proc.stdin.close()
    return proc, master


def read_until(master: int, wanted: str, seen: list[str], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while wanted not in "".join(seen):
        ready, _, _ = select.select([master], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            raise AssertionError(f"no {wanted!r} on the terminal; it showed {''.join(seen)!r}")
        try:
            seen.append(os.read(master, 4096).decode(errors="replace"))
        except OSError:  # EIO: the process has gone
            raise AssertionError(f"no {wanted!r} on the terminal; it showed {''.join(seen)!r}") from None


def finish(proc: subprocess.Popen, master: int, seen: list[str]) -> int:
    try:
        code = proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    with contextlib.suppress(OSError):
        while chunk := os.read(master, 4096):
            seen.append(chunk.decode(errors="replace"))
    os.close(master)
    return code


def test_at_a_terminal_the_password_is_asked_twice_and_a_mismatch_is_refused(plaintext_home, monkeypatch):
    env = {**plaintext_home, "OPTOUT_ALLOW_PLAINTEXT_KEYRING": "1"}
    proc, master = on_a_terminal(["credentials", "set", "x", "jane"], env)
    seen: list[str] = []
    read_until(master, "Password for jane on x: ", seen)
    os.write(master, b"hunter2\n")
    read_until(master, "(again): ", seen)
    os.write(master, b"hunter3\n")
    assert finish(proc, master, seen) == 2
    assert "the two entries differ; nothing stored" in "".join(seen) and "Traceback" not in "".join(seen)
    assert stored(env, "x", "jane", monkeypatch) is None

    proc, master = on_a_terminal(["credentials", "set", "x", "jane"], env)
    seen = []
    read_until(master, "Password for jane on x: ", seen)
    os.write(master, b" hunter2 \n")
    read_until(master, "(again): ", seen)
    os.write(master, b" hunter2 \n")
    assert finish(proc, master, seen) == 0, "".join(seen)
    assert "hunter2" not in "".join(seen), "the password was echoed"
    assert stored(env, "x", "jane", monkeypatch) == " hunter2 "


def test_a_pipe_is_read_even_with_a_terminal_attached(plaintext_home, monkeypatch):
    env = {**plaintext_home, "OPTOUT_ALLOW_PLAINTEXT_KEYRING": "1"}
    proc, master = on_a_terminal(["credentials", "set", "x", "jane"], env, stdin_pipe=" from the pipe \n")
    seen: list[str] = []
    assert finish(proc, master, seen) == 0, "".join(seen)  # getpass would wait on /dev/tty until the timeout
    assert "Warning" not in "".join(seen)
    assert stored(env, "x", "jane", monkeypatch) == " from the pipe "
