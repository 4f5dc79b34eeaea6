"""Tell a person when a run needs one, through apprise (mail, ntfy, Matrix, Signal, a desktop, ...), once per problem.

Apprise URLs carry tokens, so they are secrets: each target's URL lives in the OS keyring (service
optout-run/notify, the target's name as user name), and [notify] in config.toml names only the targets and the
events. The history remembers what each target was told (table `notified`), so after a run each target gets one
message with what is new and what was resolved since its last one, and nothing when that is nothing.

apprise is imported only when a message goes out (it costs about 0.1 s). While it works every log record and
warning in the process is off: apprise, requests and urllib3 log URLs, paths and query strings, tokens and all.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import sqlite3
import tomllib
import warnings
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Iterator

import structlog

from runner.config import Config, ConfigError
from runner.config_edit import ConfigEditError
from runner.credentials import KeyringUnavailable, check_backend, get_secret
from runner.env import Environment
from runner.history import Drift, History, why_unusable
from runner.paths import write_atomic
from runner.results import Result, Status
from runner.stop import STOP

log = structlog.get_logger("optout.notify")

KEYRING = "notify"  # credentials.service("notify") == "optout-run/notify"; the target's name is the user name

# What a person can be told about, as [notify] events names them. problems() turns a run's results into the first
# three; new_setting is an AI-related setting no flow knows (runner/notices.py): the history already says each once.
EVENTS = {
    "drift": "re-enabled by the platform",
    "failed": "failed",
    "needs_manual": "needs you",
    "new_setting": "new AI-related setting",
}

UNUSABLE = (
    "apprise cannot use this URL: an unknown service, a malformed URL, more than one URL, or a service whose extra "
    "package is missing (`apprise --details` lists them)"
)

Key = tuple[str, str, str]  # (platform, account, setting)


@dataclass(frozen=True)
class Settings:
    targets: tuple[str, ...] = ()
    events: tuple[str, ...] = tuple(EVENTS)


def settings(path: Path) -> Settings:
    """[notify] from config.toml, checked with the whole file (a replay loads no config otherwise)."""
    Config.load(path)
    if not path.exists():
        return Settings()
    table = tomllib.loads(path.read_text(encoding="utf-8")).get("notify", {})
    return Settings(tuple(dict.fromkeys(table.get("targets", ()))), tuple(table.get("events", EVENTS)))


# -- what to say ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """Something a person should hear about; kind and reason together say whether it is still the same problem."""

    platform: str
    account: str
    setting: str
    kind: str  # one of EVENTS
    reason: str
    line: str  # what the message says about it

    @property
    def key(self) -> Key:
        return self.platform, self.account, self.setting


def problems(results: list[Result], drift: list[Drift]) -> dict[Key, Problem]:
    """This run's problems by setting: a re-enable by the platform outranks the status it left behind."""
    drifted = {d.key: d for d in drift}
    found: dict[Key, Problem] = {}
    for r in results:
        key = (r.platform, r.account, r.setting)
        if key in drifted:
            kind, line = "drift", drifted[key].line()
        elif r.status is Status.FAILED:
            kind, line = "failed", f"{' '.join(key)}: failed ({r.reason.value}): {short(r.detail)}"
        elif r.status is Status.NEEDS_MANUAL:
            kind, line = "needs_manual", f"{' '.join(key)}: needs you ({r.reason.value}): {short(r.detail)}"
        else:
            continue
        found[key] = Problem(*key, kind, r.reason.value, line)
    return found


def short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class News:
    """What one target has not heard yet: new problems (or ones that changed), and resolved ones."""

    new: list[Problem]
    resolved: list[tuple[sqlite3.Row, Result]]  # what the target was told, and the result that ends it
    forgotten: list[Key]  # no longer a problem it hears about: the resolved ones, and kinds it no longer follows
    still_open: int  # told before and not resolved
    notices: list = field(default_factory=list)  # new AI-related settings (runner/notices.py), new to the history

    @classmethod
    def since(
        cls, told: dict[Key, sqlite3.Row], current: dict[Key, Problem], results: list[Result], events, notices=()
    ) -> "News":
        """Only settings this run read can be resolved: a run of one platform says nothing about the others."""
        followed = {key: p for key, p in current.items() if p.kind in events}
        new = [p for key, p in followed.items() if key not in told or (told[key]["kind"], told[key]["reason"]) != (p.kind, p.reason)]
        read = {(r.platform, r.account, r.setting): r for r in results}
        forgotten = [key for key in told if key in read and key not in followed]
        resolved = [(told[key], read[key]) for key in forgotten if told[key]["kind"] in events]
        still_open = len(set(told) - set(forgotten) - {p.key for p in new})
        return cls(new, resolved, forgotten, still_open, list(notices) if "new_setting" in events else [])

    @property
    def worth_a_message(self) -> bool:
        return bool(self.new or self.resolved or self.notices)

    def message(self, replay: bool) -> tuple[str, str]:
        """The title and body of the one message."""
        counts = []
        if self.new:
            counts.append(f"{len(self.new)} new problem" + ("s" if len(self.new) > 1 else ""))
        if self.resolved:
            counts.append(f"{len(self.resolved)} resolved")
        if self.notices:
            counts.append(f"{len(self.notices)} new AI-related setting" + ("s" if len(self.notices) > 1 else ""))
        title = "optout-run: " + ", ".join(counts) + (" (replay)" if replay else "")
        when = f"{datetime.now().astimezone():%Y-%m-%d %H:%M %Z}"
        lines = [f"optout-run on {socket.gethostname()}, {when}" + (", a replay of recorded pages" if replay else "")]
        if self.new:
            lines += ["", "New:"] + [f"- {p.line}" for p in self.new]
        if self.resolved:
            lines += ["", "Resolved:"]
            for told, now in self.resolved:
                was = EVENTS[told["kind"]] if told["kind"] == "drift" else f"{EVENTS[told['kind']]} ({told['reason']})"
                lines.append(
                    f"- {now.platform} {now.account} {now.setting}: no longer {was}; now {now.status.value} ({now.reason.value})"
                )
        if self.notices:
            lines += ["", "New AI-related settings optout-run does not know yet (nothing was clicked):"]
            lines += [f"- {n.line()}" for n in self.notices]
        if self.still_open:
            lines += ["", f"Still open from earlier messages: {self.still_open} (`optout-run status` lists them)"]
        return title, "\n".join(lines)


# -- after a run ----------------------------------------------------------------------------------------------


def after_run(
    env: Environment, results: list[Result], history: History | None, drift: list[Drift], replay: bool, notices=()
) -> None:
    """Send each [notify] target its one message, if it has news. Nothing here changes the run's results or exit
    status: each trouble is one line on stderr. A run stopped by a signal sends nothing: the next run tells it.

    history None (it could not be opened, already said): every problem counts as new, and nothing is remembered.
    """
    if STOP.requested:
        return
    try:
        chosen = settings(env.paths.config_file)
    except ConfigError as exc:
        lines = str(exc).splitlines()
        more = f" (and {len(lines) - 1} more problems)" if len(lines) > 1 else ""
        env.err(f"optout-run: no notification sent: {lines[0]}{more}")
        return
    if not chosen.targets:
        return
    try:
        if history is not None:
            history.forget_targets(chosen.targets)
        told = {t: history.notified(t) if history is not None else {} for t in chosen.targets}
    except sqlite3.Error as exc:  # history is not None: nothing else reads the database
        why = why_unusable(exc, history.path)
        env.err(f"optout-run: cannot read what was notified before from {history.path} ({why}); messages may repeat")
        history, told = None, {t: {} for t in chosen.targets}
    current = problems(results, drift)
    news = {t: News.since(told[t], current, results, chosen.events, notices) for t in chosen.targets}
    if any(n.worth_a_message for n in news.values()):
        try:
            check_backend(env.stdin_isatty)
        except KeyringUnavailable as exc:
            env.err(f"optout-run: no notification sent: {exc}")
            return
    for target, said in news.items():
        if said.worth_a_message:
            why = deliver(target, *said.message(replay), notify_type="warning" if said.new or said.notices else "success")
            if why:
                env.err(f"optout-run: notification to {target} not sent: {why}")
                continue  # remembered only once told, so the next run tries again
            log.info("notification sent", target=target, new=len(said.new), resolved=len(said.resolved))
        if history is not None and (said.new or said.forgotten):
            try:
                history.remember_notified(target, [(*p.key, p.kind, p.reason) for p in said.new], said.forgotten)
            except sqlite3.Error as exc:
                why = why_unusable(exc, history.path)
                env.err(f"optout-run: not saved: what {target} was told, in {history.path} ({why}); it may be told again")


def deliver(target: str, title: str, body: str, notify_type: str) -> str | None:
    """Send to a stored target; None when its receiver took it, else why not, never quoting the URL."""
    try:
        url = get_secret(KEYRING, target)
    except KeyringUnavailable as exc:
        return str(exc)
    if url is None:
        return f"no URL stored for it: `optout-run notify add {target}`"
    return send(url, title, body, notify_type)


# -- apprise --------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def hushed() -> Iterator[None]:
    """No log record or warning anywhere in the process while apprise holds a URL (its libraries log them)."""
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logging.disable(previous)


def loaded(url: str):
    """An Apprise holding exactly this one URL, or None. Its persistent store stays in memory: nothing about a
    target is written to disk."""
    import apprise

    sender = apprise.Apprise(asset=apprise.AppriseAsset(storage_mode="memory"))
    return sender if sender.add(url) and len(sender) == 1 else None


def unusable(url: str) -> str | None:
    """Why apprise cannot use url, or None; checked before it is stored."""
    with hushed():
        try:
            return None if loaded(url) else UNUSABLE
        except Exception:  # noqa: BLE001 - apprise's parsers on any input: its text may quote the URL
            return UNUSABLE


def send(url: str, title: str, body: str, notify_type: str = "info") -> str | None:
    """One message through apprise; None when the receiver took it, else why not, in words that never quote url.

    A plugin's exception is named by its type only: its text may hold the URL.
    """
    with hushed():
        try:
            sender = loaded(url)
            if sender is None:
                return UNUSABLE
            import apprise

            sent = sender.notify(title=title, body=body, notify_type=notify_type, body_format=apprise.NotifyFormat.TEXT)
        except Exception as exc:  # noqa: BLE001 - any plugin, any failure: one line, never the URL
            return f"apprise failed ({type(exc).__name__})"
    return None if sent else "the receiver could not be reached, refused it or did not answer in time"


# -- config.toml ----------------------------------------------------------------------------------------------


def add_target(path: Path, name: str) -> bool:
    """Add name to [notify] targets in place (a [notify] table at the end when there is none); False when listed."""
    text, doc = load_for_edit(path)
    table = doc.get("notify")
    if table is None:
        import tomlkit

        nl = "\r\n" if "\r\n" in text else "\n"
        gap = "" if not text or text.endswith(nl * 2) else nl
        new = text + gap + tomlkit.dumps({"notify": {"targets": [name]}}).replace("\n", nl)
    elif name in [str(t) for t in table.get("targets", [])]:
        return False
    else:
        if "targets" in table:
            table["targets"].append(name)
        else:
            table["targets"] = [name]
        new = doc.as_string()
    write_checked(path, text, new, lambda targets: [*targets, name])
    return True


def remove_target(path: Path, name: str) -> bool:
    """Take name out of [notify] targets in place (an empty list stays); False when it is not listed."""
    text, doc = load_for_edit(path)
    targets = doc.get("notify", {}).get("targets", [])
    names = [str(t) for t in targets]
    if name not in names:
        return False
    del targets[names.index(name)]
    write_checked(path, text, doc.as_string(), lambda before: [t for t in before if t != name])
    return True


def load_for_edit(path: Path):
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    text = path.read_bytes().decode("utf-8") if path.exists() else ""  # as written: CRLF stays CRLF
    if text and not text.endswith("\n"):
        text += "\r\n" if "\r\n" in text else "\n"
    try:
        return text, tomlkit.parse(text)
    except TOMLKitError as exc:
        raise ConfigEditError(f"{path}: cannot be edited ({exc}); edit [notify] targets by hand") from None


def write_checked(path: Path, before: str, after: str, expected) -> None:
    """Write after only if it says what before said with [notify] targets changed as expected, and nothing else."""
    old, new = tomllib.loads(before), tomllib.loads(after)
    old_notify, new_notify = old.pop("notify", {}), new.pop("notify", {})
    want = {**old_notify, "targets": expected(old_notify.get("targets", []))}
    if old != new or new_notify != want:
        raise ConfigEditError(f"{path}: tomlkit cannot change [notify] targets without changing more; edit it by hand")
    write_atomic(path, after.encode(), mode=0o600)
