"""The environment a command runs in: streams, whether they are terminals, prompts. Swappable in tests (HTTPie style)."""

from __future__ import annotations

import getpass
import os
import sys
from dataclasses import dataclass, field
from typing import Callable, TextIO

from runner.commands import UserError
from runner.paths import Paths


def ask_secret(text: str) -> str:
    """A password or secret, never from argv: typed twice and hidden at a terminal, else one line of stdin.

    Twice, because a typo would be submitted and then held back for 24 hours. Piped input is read from stdin
    even when a terminal is attached (getpass would wait on /dev/tty instead, and warns when it has none), and
    only its line ending is removed: spaces may belong to the password.
    """
    if not sys.stdin.isatty():
        return sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    try:
        first = getpass.getpass(f"{text}: ")
        if getpass.getpass(f"{text} (again): ") != first:
            raise UserError("the two entries differ; nothing stored")
    except EOFError:  # Ctrl-D at the prompt
        return ""
    return first


def ask_text(text: str, default: str = "") -> str:
    """One answer typed at the terminal (click.prompt): Enter takes the default, shown in brackets when there is one."""
    import click

    return click.prompt(text, default=default, show_default=bool(default)).strip()


@dataclass
class Environment:
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    stdin_isatty: bool = field(default_factory=lambda: sys.stdin.isatty())
    stdout_isatty: bool = field(default_factory=lambda: sys.stdout.isatty())
    paths: Paths = field(default_factory=Paths.from_env)
    colour: bool = field(default_factory=lambda: sys.stdout.isatty() and "NO_COLOR" not in os.environ)
    prompt_secret: Callable[[str], str] = ask_secret
    prompt_text: Callable[[str, str], str] = ask_text  # (question, default) -> answer

    def out(self, line: str = "") -> None:
        print(line, file=self.stdout, flush=True)

    def err(self, line: str) -> None:
        print(line, file=self.stderr, flush=True)
