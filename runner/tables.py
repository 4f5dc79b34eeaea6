"""Tables for people: wrapped to the terminal's width on a TTY (rich), plain aligned columns in a pipe or a log.

rich is imported only when a terminal table is printed, so `--help` and cron runs never pay for it.
"""

from __future__ import annotations

import shutil

from runner.env import Environment

# A cell's colour by name; rich's style names, which plain output ignores.
Cell = str | tuple[str, str]  # text, or (text, style)


def text_of(cell: Cell) -> str:
    return cell[0] if isinstance(cell, tuple) else cell


def print_table(env: Environment, head: tuple[str, ...], rows: list[tuple[Cell, ...]]) -> None:
    """Every column but the last keeps its width; the last (a detail or note) wraps on a terminal.

    The width is the terminal's (COLUMNS wins, as shutil reads it); in a pipe lines are never cut or wrapped,
    so a log or a grep sees each row on one line."""
    if env.stdout_isatty:
        _rich_table(env, head, rows)
        return
    plain = [tuple(text_of(c) for c in row) for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in plain)) if plain else len(h) for i, h in enumerate(head)]
    for row in [head, *plain]:
        env.out("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())


def _rich_table(env: Environment, head: tuple[str, ...], rows: list[tuple[Cell, ...]]) -> None:
    console(env, env.stdout).print(rich_table(head, rows))


def console(env: Environment, stream):
    """A rich Console on stream, as wide as the terminal, coloured only when the Environment allows colour."""
    from rich.console import Console

    width = shutil.get_terminal_size().columns
    return Console(file=stream, width=width, no_color=not env.colour, highlight=False, soft_wrap=False)


def rich_table(head: tuple[str, ...], rows: list[tuple[Cell, ...]]):
    """The terminal table: the final results, and the live progress while a run goes (runner/report.py)."""
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, show_edge=False, pad_edge=False, header_style="bold", expand=False)
    for i, name in enumerate(head):
        last = i == len(head) - 1
        table.add_column(name, overflow="fold" if last else "ellipsis", no_wrap=not last, ratio=1 if last else None)
    for row in rows:
        table.add_row(*(Text(c[0], style=c[1]) if isinstance(c, tuple) else Text(c) for c in row))
    return table
