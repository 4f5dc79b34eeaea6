"""Notifications: one message per run when something needs a person, nothing for the same problem again, and the
apprise URL (it carries tokens) only ever in the keyring. Every message goes to a real HTTP server on loopback
through apprise's json:// service; the runs are the installed console script, as cron would start it."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from runner import history as h
from runner.notify import News, problems
from runner.results import Reason, Result, Status
from tests.conftest import OPTOUT_RUN, ROOT, in_process

TOKEN = "tok-9f3e-SENTINEL"  # the password part of the URL: sent as HTTP basic auth, never written anywhere else
PATH_TOKEN = "hook-SENTINEL-7c1d"  # a token in the URL's path, as ntfy topics and Telegram bot tokens are


class Receiver:
    """A real HTTP server on 127.0.0.1 that keeps each message apprise posts to it."""

    def __init__(self, port: int = 0) -> None:
        messages = self.messages = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                messages.append({"path": self.path, "auth": self.headers.get("Authorization"), **json.loads(body)})
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"json://optout:{TOKEN}@127.0.0.1:{self.port}/{PATH_TOKEN}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


class User:
    """Runs optout-run as a person would, with a file keyring outside OPTOUT_HOME, and keeps all it printed."""

    def __init__(self, tmp_path: Path, home: Path) -> None:
        self.home = home
        self.env = {
            **os.environ,
            "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",  # the subprocess cannot see a MemoryKeyring
            "OPTOUT_ALLOW_PLAINTEXT_KEYRING": "1",
            "XDG_DATA_HOME": str(tmp_path / "xdg-data"),  # where that keyring keeps its file
        }
        self.printed: list[str] = []

    def __call__(self, *args: str, stdin: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [OPTOUT_RUN, *args],
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**self.env, **(env or {})},
            timeout=120,
        )
        self.printed += [done.stdout, done.stderr]
        return done

    def replay(self, scenario: str, *options: str) -> subprocess.CompletedProcess:
        return self("-p", "x", "--replay", f"fixtures/x/{scenario}", *options)

    def assert_no_url_anywhere(self, receiver: Receiver) -> None:
        """Neither the URL nor its tokens in anything printed, nor in any file under OPTOUT_HOME."""
        secrets = [receiver.url, TOKEN, PATH_TOKEN]
        for text in self.printed:
            assert not [s for s in secrets if s in text], text
        files = [p for p in self.home.rglob("*") if p.is_file()]
        assert any(p.name == "config.toml" for p in files)
        for path in files:
            data = path.read_bytes()
            assert not [s for s in secrets if s.encode() in data], path


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture
def user(tmp_path, optout_home):
    return User(tmp_path, optout_home)


def add_target(user: User, receiver: Receiver, name: str = "phone") -> None:
    done = user("notify", "add", name, stdin=receiver.url + "\n")
    assert done.returncode == 0, done.stderr
    assert not receiver.messages, "adding a target sends nothing"


def test_a_drift_sends_one_message_and_the_same_drift_again_and_a_compliant_run_none(user, receiver):
    add_target(user, receiver)

    first = user.replay("compliant")
    assert first.returncode == 0, first.stderr
    assert receiver.messages == [], "all compliant: nothing to say"

    drifted = user.replay("exposed", "--json")
    assert drifted.returncode == 5, drifted.stderr
    assert {d["setting"] for d in json.loads(drifted.stdout)["drift"]} == {"grok_training", "partner_sharing"}
    [message] = receiver.messages
    assert message["title"] == "optout-run: 2 new problems (replay)"
    assert message["type"] == "warning"
    body = message["message"]
    assert "New:\n- x jane_doe_demo grok_training: re-enabled by the platform (it was opted out at " in body
    assert "x jane_doe_demo partner_sharing: re-enabled by the platform" in body and "switched off again" in body
    assert "Resolved" not in body
    assert message["path"] == f"/{PATH_TOKEN}" and base64.b64decode(message["auth"].split()[1]).decode() == f"optout:{TOKEN}"

    again = user.replay("exposed")  # the platform switched it on again, the run switched it off again: same problem
    assert again.returncode == 5, again.stderr
    assert "re-enabled by the platform" in again.stdout
    assert len(receiver.messages) == 1, "the same unchanged problem is not told twice"

    assert (user.home / "data" / h.FILE_NAME).exists(), "what was told is in the history, which is searched too"
    user.assert_no_url_anywhere(receiver)


def test_a_failure_is_told_once_a_person_needed_once_and_their_resolution_once(user, receiver):
    add_target(user, receiver)

    for _ in range(2):  # the platform refuses the save: both settings fail, and stay exposed
        failed = user.replay("save-rejected")
        assert failed.returncode == 1, failed.stderr
    [told] = receiver.messages
    assert told["title"] == "optout-run: 2 new problems (replay)"
    assert "New:\n- x jane_doe_demo grok_training: failed (verify_mismatch): " in told["message"]

    locked = user.replay("locked")  # another problem with the same settings: told as new
    assert locked.returncode == 3, locked.stderr
    assert len(receiver.messages) == 2
    assert "x jane_doe_demo partner_sharing: needs you (challenge): X asks for a security check" in receiver.messages[1]["message"]

    for _ in range(2):
        fine = user.replay("compliant")
        assert fine.returncode == 0, fine.stderr
    assert len(receiver.messages) == 3, "the resolution is said once"
    resolved = receiver.messages[2]
    assert resolved["title"] == "optout-run: 2 resolved (replay)" and resolved["type"] == "success"
    assert (
        "Resolved:\n- x jane_doe_demo grok_training: no longer needs you (challenge); now compliant (already_opted_out)"
        in resolved["message"]
    )
    assert "New" not in resolved["message"] and "Still open" not in resolved["message"]
    user.assert_no_url_anywhere(receiver)


def test_a_receiver_that_is_down_costs_one_stderr_line_and_is_tried_again_next_run(user, receiver):
    add_target(user, receiver)
    assert user.replay("compliant").returncode == 0
    port = receiver.port
    receiver.stop()

    down = user.replay("exposed", "--json")
    assert down.returncode == 5, "the run's exit status, as with a receiver that is up"
    assert json.loads(down.stdout)["exit_status"] == 5
    [line] = [line for line in down.stderr.splitlines() if "notif" in line]
    assert line == (
        "optout-run: notification to phone not sent: the receiver could not be reached, refused it or did not answer in time"
    )
    assert "Traceback" not in down.stderr

    back = Receiver(port)  # what was not told is not remembered as told
    try:
        again = user.replay("exposed")
        assert again.returncode == 5 and "notification" not in again.stderr, again.stderr
        [message] = back.messages
        assert message["title"] == "optout-run: 2 new problems (replay)"
        assert back.url == receiver.url
    finally:
        back.stop()
    user.assert_no_url_anywhere(receiver)


def test_debug_logs_never_show_the_url(user, receiver):
    """-vv logs everything the run does at debug level, apprise's and urllib3's records included if they leaked."""
    add_target(user, receiver)
    assert user.replay("compliant", "-vv").returncode == 0
    drifted = user.replay("exposed", "-vv")
    assert drifted.returncode == 5, drifted.stderr
    assert "notification sent" in drifted.stderr and "phone" in drifted.stderr, "our own log says what was sent, to whom"
    assert len(receiver.messages) == 1
    user.assert_no_url_anywhere(receiver)


def test_notify_add_list_test_remove(user, receiver):
    config = user.home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('# my accounts\n[[account]]\nplatform = "x"\nusername = "jane"\n')
    add_target(user, receiver)
    assert config.read_text() == '# my accounts\n[[account]]\nplatform = "x"\nusername = "jane"\n\n[notify]\ntargets = ["phone"]\n'

    listed = user("notify", "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout == "phone  json URL stored\nevents: drift, failed, needs_manual, new_setting\n"

    tested = user("notify", "test")
    assert tested.returncode == 0 and tested.stdout == "phone: sent\n", tested.stderr
    [message] = receiver.messages
    assert message["title"] == "optout-run: test message" and "A test from optout-run" in message["message"]

    removed = user("notify", "remove", "phone")
    assert removed.returncode == 0, removed.stderr
    assert 'targets = []' in config.read_text() and "jane" in config.read_text()
    gone = user("notify", "test", "phone")
    assert gone.returncode == 2 and gone.stderr == "phone: not sent: no URL stored for it: `optout-run notify add phone`\n"
    again = user("notify", "remove", "phone")
    assert again.returncode == 2 and again.stderr == "Error: no notification target phone\n"
    user.assert_no_url_anywhere(receiver)


def test_notify_test_with_the_receiver_down_is_one_line_and_exit_2(user, receiver):
    add_target(user, receiver)
    receiver.stop()
    done = user("notify", "test", "phone")
    assert done.returncode == 2
    assert done.stderr == "phone: not sent: the receiver could not be reached, refused it or did not answer in time\n"
    user.assert_no_url_anywhere(receiver)


def test_a_replay_in_its_throwaway_home_sends_nothing(user, receiver, tmp_path, monkeypatch):
    """The demo never messages your phone: a replay without OPTOUT_HOME reads no config and no history of yours."""
    monkeypatch.delenv("OPTOUT_HOME")
    xdg = {f"XDG_{kind}_HOME": str(tmp_path / kind.lower()) for kind in ("CONFIG", "STATE")}
    user.env = {**{k: v for k, v in user.env.items() if k != "OPTOUT_HOME"}, **xdg}
    add_target(user, receiver)
    assert 'targets = ["phone"]' in (tmp_path / "config" / "optout-run" / "config.toml").read_text()
    assert user.replay("compliant").returncode == 0
    assert user.replay("exposed").returncode == 0, "a throwaway history: no drift either"
    assert user.replay("ui-changed").returncode == 1
    assert receiver.messages == []


# -- in-process: bad input and both-or-neither, with the test's MemoryKeyring -----------------------------------




URL = f"ntfys://{TOKEN}@ntfy.example.com/{PATH_TOKEN}"


@pytest.mark.parametrize(
    "args, stdin, message",
    [
        (("notify", "add", URL), "", "bad target name: use up to 64 letters"),
        (("notify", "add", "phone"), "", "empty URL; nothing stored"),
        (("notify", "add", "phone"), f"nosuchservice://{TOKEN}@host/{PATH_TOKEN}", "apprise cannot use this URL"),
        (("notify", "add", "phone"), f"{URL} {URL}", "more than one URL"),
        (("notify", "test"), "", "no notification targets in [notify]; add one with `optout-run notify add NAME`"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_never_repeats_the_url(optout_home, memory_keyring, args, stdin, message):
    code, out, err = in_process(*args, stdin=stdin)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert TOKEN not in out + err and PATH_TOKEN not in out + err
    assert memory_keyring._items == {} and not (optout_home / "config" / "config.toml").exists()


@pytest.mark.parametrize(
    "config, message",
    [
        (f'[notify]\nurl = "{URL}"\n', "[notify] url: notification URLs carry tokens and are kept in the OS keyring"),
        (f'[notify]\ntargets = ["{URL}"]\n', "[notify] targets must be a list of target names"),
        (f'[notify]\ntargets = "{URL}"\n', "(what it holds is not repeated here: it may carry a token)"),
        ('[notify]\nevents = ["drfit"]\n', '[notify] events: unknown event "drfit" (did you mean "drift"?)'),
    ],
)
def test_a_url_in_the_config_is_refused_without_repeating_it(optout_home, config, message):
    path = optout_home / "config" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text(config)
    code, out, err = in_process("notify", "list")
    assert code == 2 and message in err, err
    assert TOKEN not in out + err and PATH_TOKEN not in out + err


def test_the_config_goes_back_when_the_keyring_refuses_the_url(optout_home, memory_keyring, monkeypatch):
    import keyring.errors

    path = optout_home / "config" / "config.toml"
    path.parent.mkdir(parents=True)
    before = '[history]\nkeep_runs = 3  # mine\n'
    path.write_text(before)

    def refuse(*args):
        raise keyring.errors.PasswordSetError("locked")

    monkeypatch.setattr(memory_keyring, "set_password", refuse)
    code, _, err = in_process("notify", "add", "phone", stdin=URL)
    assert code == 2 and "keyring error: PasswordSetError; nothing stored" in err, err
    assert path.read_text() == before


def test_a_stored_url_is_replaced_and_listed_once(optout_home, memory_keyring):
    assert in_process("notify", "add", "phone", stdin=URL)[0] == 0
    code, out, _ = in_process("notify", "add", "phone", stdin=URL.replace("ntfys", "ntfy"))
    assert code == 0 and "added it" not in out
    assert memory_keyring.get_password("optout-run/notify", "phone") == URL.replace("ntfys", "ntfy")
    assert (optout_home / "config" / "config.toml").read_text() == '[notify]\ntargets = ["phone"]\n'


# -- what is news, straight from the history --------------------------------------------------------------------


def result(platform: str, setting: str, status: Status, reason: Reason) -> Result:
    return Result(platform, "jane", setting, status, reason, f"{setting} detail")


def test_news_retells_a_changed_problem_and_resolves_only_what_the_run_read(tmp_path):
    events = ("drift", "failed", "needs_manual")
    with h.History.open(tmp_path / "history.sqlite3") as db:
        first = [result("x", "a", Status.FAILED, Reason.TIMEOUT), result("linkedin", "b", Status.NEEDS_MANUAL, Reason.CHALLENGE)]
        news = News.since(db.notified("phone"), problems(first, []), first, events)
        assert [p.setting for p in news.new] == ["a", "b"] and news.worth_a_message
        db.remember_notified("phone", [(*p.key, p.kind, p.reason) for p in news.new], news.forgotten)

        only_x = [result("x", "a", Status.FAILED, Reason.SELECTOR_NOT_FOUND)]  # another failure: told again
        news = News.since(db.notified("phone"), problems(only_x, []), only_x, events)
        assert [p.line for p in news.new] == ["x jane a: failed (selector_not_found): a detail"]
        assert news.resolved == [] and news.still_open == 1, "linkedin was not read: still open, not resolved"
        db.remember_notified("phone", [(*p.key, p.kind, p.reason) for p in news.new], news.forgotten)

        news = News.since(db.notified("phone"), problems(only_x, []), only_x, events)
        assert not news.worth_a_message

        ignored = News.since(db.notified("phone"), problems(only_x, []), only_x, ("drift",))
        assert ignored.new == [] and ignored.resolved == [] and ignored.forgotten == [("x", "jane", "a")]

        db.forget_targets(("mail",))
        assert db.notified("phone") == {}, "a target taken out of [notify] starts afresh"
