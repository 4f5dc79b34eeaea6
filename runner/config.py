"""The user's config: which accounts to run (passwords live in the keyring, never here) and browser settings."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import tomli_w

from runner.paths import write_atomic


class ConfigError(Exception):
    """The config file cannot be used; the message is one line for the user."""


@dataclass(frozen=True)
class Account:
    platform: str
    username: str
    name: str = ""  # optional label, for several accounts on one platform

    @property
    def label(self) -> str:
        return self.name or self.username


@dataclass
class Config:
    accounts: list[Account] = field(default_factory=list)
    chromium: str = ""  # explicit browser path; OPTOUT_CHROMIUM wins over it
    options: dict[str, dict] = field(default_factory=dict)  # per-platform choices, e.g. [platform.facebook]
    keep_runs: int = 50  # [history] keep_runs: runs kept in the history, run folders and logs
    account_deadline: float = 300  # [run] account_deadline: seconds one account may take before it is stopped

    @classmethod
    def load(cls, path: Path) -> "Config":
        if not path.exists():
            return cls()
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc})") from None
        accounts = []
        for i, entry in enumerate(raw.get("account", [])):
            if not isinstance(entry, dict) or not entry.get("platform") or not entry.get("username"):
                raise ConfigError(f"{path}: [[account]] number {i + 1} needs platform and username")
            accounts.append(Account(str(entry["platform"]), str(entry["username"]), str(entry.get("name", ""))))
        browser = raw.get("browser", {})
        history = raw.get("history", {})
        keep_runs = history.get("keep_runs", cls.keep_runs) if isinstance(history, dict) else None
        if not isinstance(keep_runs, int) or isinstance(keep_runs, bool) or keep_runs < 1:
            raise ConfigError(f"{path}: [history] keep_runs must be a whole number of at least 1")
        run = raw.get("run", {})
        deadline = run.get("account_deadline", cls.account_deadline) if isinstance(run, dict) else None
        if not isinstance(deadline, (int, float)) or isinstance(deadline, bool) or deadline < 10:
            raise ConfigError(f"{path}: [run] account_deadline must be a number of seconds, at least 10")
        return cls(accounts, str(browser.get("chromium", "")), dict(raw.get("platform", {})), keep_runs, float(deadline))

    def save(self, path: Path) -> None:
        raw: dict = {}
        if self.chromium:
            raw["browser"] = {"chromium": self.chromium}
        if self.keep_runs != 50:
            raw["history"] = {"keep_runs": self.keep_runs}
        if self.account_deadline != 300:
            raw["run"] = {"account_deadline": self.account_deadline}
        if self.options:
            raw["platform"] = self.options
        raw["account"] = [
            {k: v for k, v in (("platform", a.platform), ("username", a.username), ("name", a.name)) if v}
            for a in self.accounts
        ]
        write_atomic(path, tomli_w.dumps(raw).encode(), mode=0o600)
