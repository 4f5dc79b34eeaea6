"""The user's config: which accounts to run (passwords live in the keyring, never here) and browser settings."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from runner import schema


class ConfigError(Exception):
    """The config file cannot be used; the message is one line per problem, for the user."""


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
            text = path.read_text(encoding="utf-8")
            raw = tomllib.loads(text)
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc})") from None
        except OSError as exc:
            raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
        # Every problem at once, one line each: a hand-edited file is fixed in one go, not one error per attempt.
        found = schema.problems(raw, text)
        if found:
            raise ConfigError("\n".join(f"{path}:{line}: {problem}" if line else f"{path}: {problem}" for line, problem in found))
        return cls(
            [Account(a["platform"], a["username"], a.get("name", "")) for a in raw.get("account", [])],
            raw.get("browser", {}).get("chromium", ""),
            dict(raw.get("platform", {})),
            raw.get("history", {}).get("keep_runs", cls.keep_runs),
            float(raw.get("run", {}).get("account_deadline", cls.account_deadline)),
        )
