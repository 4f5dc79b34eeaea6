"""What config.toml may hold, as one declarative table: a feature that adds a table or a key adds it to SCHEMA.

The whole file is checked before anything starts, so a typo fails loudly instead of being ignored. Every problem
is one line that names the key, its line in the file, what was expected and, for a near miss, what was meant.
tomllib gives the values but no positions, so the lines come from a scan of the text for table headers and keys.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from difflib import get_close_matches
from typing import Any

import flows

KeyPath = tuple[str | int, ...]  # ("account", 0, "username"): a value's place in the parsed file


@dataclass(frozen=True)
class Key:
    """One value: what it must be, in words the error repeats, and optionally the names it must be one of."""

    expected: str  # "a whole number of at least 1"
    valid: Callable[[Any], bool]
    required: bool = False
    choices: Callable[[], tuple[str, ...]] | None = None  # each value (each item of a list) must be one of these
    noun: str = ""  # what one choice is called: "platform"
    quoted: bool = True  # False: a wrong value may be a pasted secret (a notification URL), so errors never repeat it


@dataclass(frozen=True)
class Table:
    """A [table], or with many=True an [[array of tables]]; keys that are not listed are errors."""

    keys: Mapping[str, Key | Table | TableOf]
    many: bool = False
    misplaced: Mapping[str, str] = field(default_factory=dict)  # keys people reach for that belong elsewhere: where


@dataclass(frozen=True)
class TableOf:
    """[NAME.x] tables, one per known x (a platform), each with its own keys and a last check by its owner."""

    noun: str
    names: Callable[[], tuple[str, ...]]
    table: Callable[[str], Table]
    check: Callable[[str, dict], str]  # the owner's word on values the schema cannot judge ('' when fine)


def is_str(value: Any) -> bool:
    return isinstance(value, str)


def is_filled_str(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def at_least(low: float, types: tuple[type, ...]) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, types) and not isinstance(value, bool) and value >= low


TARGET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")  # a notification target; its URL is in the keyring


def is_target_list(value: Any) -> bool:
    return is_str_list(value) and all(TARGET_NAME.fullmatch(v) for v in value)


def notify_events() -> tuple[str, ...]:
    from runner.notify import EVENTS  # imported late: runner.notify reads the config, whose loader imports this module

    return tuple(EVENTS)


def platform_options(platform: str) -> dict[str, Key]:
    """Options a flow reads from its [platform.NAME] table besides `optional`: the [options.KEY] its data declares
    (selectors/<name>.toml), one source; their values are judged by Flow.option_error."""
    declared = flows.load(platform).site.options
    return {key: Key(f"a string: {' or '.join(map(json.dumps, spec['choices']))}", is_str) for key, spec in declared.items()}


def optional_ids(platform: str) -> tuple[str, ...]:
    return tuple(s.id for s in flows.load(platform).settings if not s.default)


def platform_table(platform: str) -> Table:
    ids = optional_ids(platform)
    example = f', like ["{ids[0]}"]' if ids else f" ({platform} has no optional settings)"
    optional = Key(f"a list of setting ids{example}", is_str_list, choices=lambda: ids, noun="optional setting")
    return Table({"optional": optional, **platform_options(platform)})


SCHEMA = Table(
    {
        "browser": Table({"chromium": Key("a string, the path of a Chromium binary", is_str)}),
        "account": Table(
            {
                "platform": Key("a string", is_str, required=True, choices=flows.names, noun="platform"),
                "username": Key("a non-empty string", is_filled_str, required=True),
                "name": Key("a string", is_str),
            },
            many=True,
            misplaced={
                "password": "passwords are kept in the OS keyring, never in this file: "
                "store one with `optout-run credentials set PLATFORM USERNAME`"
            },
        ),
        "platform": TableOf("platform", flows.names, platform_table, lambda name, o: flows.load(name).option_error(o)),
        "history": Table({"keep_runs": Key("a whole number of at least 1", at_least(1, (int,)))}),
        "run": Table({"account_deadline": Key("a number of seconds, at least 10", at_least(10, (int, float)))}),
        "notify": Table(
            {
                "targets": Key(
                    'a list of target names (letters, digits, "-", "_", "."), like ["phone"], each stored with '
                    "`optout-run notify add NAME`",
                    is_target_list,
                    quoted=False,
                ),
                "events": Key("a list of events", is_str_list, choices=notify_events, noun="event"),
            },
            misplaced={
                url: "notification URLs carry tokens and are kept in the OS keyring, never in this file: "
                "store one with `optout-run notify add NAME`"
                for url in ("url", "urls")
            },
        ),
    }
)


def problems(raw: dict, text: str) -> list[tuple[int | None, str]]:
    """Every problem in the parsed file, in file order, each with its line (None when the scan cannot tell)."""
    lines = line_index(text)
    found = [(locate(lines, path), message) for path, message in check_table(SCHEMA, raw, ())]
    return sorted(found, key=lambda problem: problem[0] or 0)


# -- checking -------------------------------------------------------------------------------------


def check(spec: Key | Table | TableOf, value: Any, path: KeyPath) -> Iterator[tuple[KeyPath, str]]:
    if isinstance(spec, Key):
        yield from check_key(spec, value, path)
    elif not isinstance(value, list if isinstance(spec, Table) and spec.many else dict):
        yield path, f"{key_label(path)} must be {expected_table(spec, path)}, not {show(value)}"
    elif isinstance(spec, TableOf):
        yield from check_table_of(spec, value, path)
    elif spec.many:
        for i, item in enumerate(value):
            if isinstance(item, dict):
                yield from check_table(spec, item, (*path, i))
            else:
                yield (*path, i), f"{key_label(path)} must be {expected_table(spec, path)}, not {show(item)}"
    else:
        yield from check_table(spec, value, path)


def check_key(key: Key, value: Any, path: KeyPath) -> Iterator[tuple[KeyPath, str]]:
    if not key.valid(value):
        got = f"not {show(value)}" if key.quoted else "(what it holds is not repeated here: it may carry a token)"
        yield path, f"{key_label(path)} must be {key.expected}, {got}"
        return
    if key.choices is None:
        return
    choices = key.choices()
    for item in value if isinstance(value, list) else [value]:
        if item not in choices:
            known = f"expected one of {', '.join(choices)}" if choices else "there are none"
            yield path, f"{key_label(path)}: unknown {key.noun} {show(item)}{did_you_mean(item, choices, show)}; {known}"


def check_table(table: Table, value: dict, path: KeyPath) -> Iterator[tuple[KeyPath, str]]:
    for name, item in value.items():
        spec = table.keys.get(name)
        if spec is not None:
            yield from check(spec, item, (*path, name))
        elif name in table.misplaced:
            yield (*path, name), f"{key_label((*path, name))}: {table.misplaced[name]}"
        else:
            yield (*path, name), unknown(table, (*path, name), item)
    required = [name for name, spec in table.keys.items() if isinstance(spec, Key) and spec.required]
    missing = [name for name in required if name not in value]
    if missing:
        yield path, f"{table_label(path)} needs {' and '.join(required)}; missing: {', '.join(missing)}"


def check_table_of(spec: TableOf, value: dict, path: KeyPath) -> Iterator[tuple[KeyPath, str]]:
    names = spec.names()
    for name, item in value.items():
        here = (*path, name)
        if name not in names:
            meant = did_you_mean(name, names, lambda n: table_label((*path, n)))
            yield here, f"{table_label(here)}: unknown {spec.noun}{meant}; expected one of {', '.join(names)}"
            continue
        found = list(check(spec.table(name), item, here))
        yield from found
        if not found and (message := spec.check(name, item)):
            yield here, message


def unknown(table: Table, path: KeyPath, value: Any) -> str:
    """An unknown key or table, with the nearest known one and, for a misplaced key, where it belongs."""
    parent, name = path[:-1], str(path[-1])
    is_table = isinstance(value, dict) or (isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value))
    hint = ""
    if meant := get_close_matches(name.casefold(), [*table.keys, *table.misplaced], n=1):
        spec = table.keys.get(meant[0])
        note = f" {table.misplaced[meant[0]]}" if meant[0] in table.misplaced else ""
        hint = f" (did you mean {written(spec, (*parent, meant[0])) if spec else meant[0]}?{note})"
    known = ", ".join(written(spec, (*parent, key)) for key, spec in table.keys.items())
    label, kind = (written(None, path, value), "table") if is_table else (key_label(path), "key")
    return f"{label}: unknown {kind}{hint}; expected one of {known}"


def did_you_mean(word: str, choices: tuple[str, ...], shown: Callable[[str], str]) -> str:
    """The nearest choice, case aside ("X" means "x"), as the file would write it; '' when none is near."""
    folded = {c.casefold(): c for c in choices}
    meant = get_close_matches(word.casefold(), list(folded), n=1)
    return f" (did you mean {shown(folded[meant[0]])}?)" if meant else ""


# -- naming things as the file writes them ---------------------------------------------------------


def dotted(path: KeyPath) -> str:
    return ".".join(str(p) for p in path if not isinstance(p, int))


def table_label(path: KeyPath) -> str:
    if path and isinstance(path[-1], int):
        return f"[[{dotted(path)}]] number {path[-1] + 1}"
    return f"[{dotted(path)}]"


def key_label(path: KeyPath) -> str:
    parent = path[:-1]
    return f"{table_label(parent)} {path[-1]}" if parent else str(path[-1])


def written(spec: Key | Table | TableOf | None, path: KeyPath, value: Any = None) -> str:
    """How a key or table is written in the file: chromium, [browser], [[account]], [platform.NAME]."""
    if isinstance(spec, Key):
        return str(path[-1])
    if isinstance(spec, TableOf):
        return f"[{dotted(path)}.NAME]"
    many = spec.many if spec else isinstance(value, list)
    return f"[[{dotted(path)}]]" if many else f"[{dotted(path)}]"


def expected_table(spec: Table | TableOf, path: KeyPath) -> str:
    if isinstance(spec, TableOf):
        return f"{written(spec, path)} tables, one per {spec.noun}"
    return f"one or more {written(spec, path)} tables" if spec.many else f"a {written(spec, path)} table"


def show(value: Any) -> str:
    """A value as the user wrote it, short enough for one line."""
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list) and any(isinstance(v, dict) for v in value):
        return "an array of tables"
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


# -- lines ----------------------------------------------------------------------------------------

_NAME = r"""[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*'"""  # a bare, "quoted" or 'literal' key
_PART = rf"\s*(?:{_NAME})\s*"
_DOTTED = rf"{_PART}(?:\.{_PART})*"
_HEADER = re.compile(rf"^\s*(\[\[?)({_DOTTED})\]\]?\s*(?:#.*)?$")
_KEY = re.compile(rf"^({_DOTTED})=")


def parts(dotted_key: str) -> tuple[str, ...]:
    return tuple(p.strip("\"'") for p in re.findall(_NAME, dotted_key))


def line_index(text: str) -> dict[KeyPath, int]:
    """The first line of each table header and key, by path; [[array]] entries count 0, 1, ... like the parsed list."""
    lines: dict[KeyPath, int] = {}
    counts: dict[KeyPath, int] = {}
    table: KeyPath = ()
    for number, line in enumerate(text.splitlines(), start=1):
        if header := _HEADER.match(line):
            table = parts(header.group(2))
            if header.group(1) == "[[":
                counts[table] = counts.get(table, -1) + 1
                table = (*table, counts[table])
            path = table
        elif key := _KEY.match(line):
            path = (*table, *parts(key.group(1)))
        else:
            continue
        for end in range(1, len(path) + 1):
            lines.setdefault(path[:end], number)
    return lines


def locate(lines: dict[KeyPath, int], path: KeyPath) -> int | None:
    """The line of path, else of the nearest enclosing table or key the scan found."""
    for end in range(len(path), 0, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None
