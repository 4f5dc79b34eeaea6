"""The environment a command runs in: streams, whether they are terminals, prompts. Swappable in tests (HTTPie style)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Callable, TextIO

import click

from runner.paths import Paths


@dataclass
class Environment:
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    stdin_isatty: bool = field(default_factory=lambda: sys.stdin.isatty())
    stdout_isatty: bool = field(default_factory=lambda: sys.stdout.isatty())
    paths: Paths = field(default_factory=Paths.from_env)
    colour: bool = field(default_factory=lambda: sys.stdout.isatty() and "NO_COLOR" not in os.environ)
    prompt_secret: Callable[[str], str] = field(
        default=lambda text: click.prompt(text, hide_input=True, confirmation_prompt=False, err=True)
    )

    def out(self, line: str = "") -> None:
        print(line, file=self.stdout, flush=True)

    def err(self, line: str) -> None:
        print(line, file=self.stderr, flush=True)
