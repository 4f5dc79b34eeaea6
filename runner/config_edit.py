"""Add or remove one account in config.toml and leave every other byte as the user wrote it.

tomlkit parses the file and tells where each [[account]] entry begins and ends; the change is spliced into the
original text, so comments, blank lines and tables optout-run does not know (or does not know yet) survive.
Reading stays with tomllib in Config.load.
"""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path
from typing import Iterator

import tomlkit
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import AoT, Array, Table

from runner.paths import write_atomic


class ConfigEditError(Exception):
    """The config cannot be changed without changing what else it says or how; one line for the user."""


def add_account(path: Path, platform: str, username: str, name: str = "") -> bool:
    """Add an [[account]] after the last one (or at the end); False when it is already listed."""
    text, doc = _load(path)
    entries = doc.get("account")
    if _index(entries, platform, username) is not None:
        return False
    fields = {"platform": platform, "username": username, **({"name": name} if name else {})}
    if isinstance(entries, Array):  # `account = [{...}]` written inline: tomlkit extends the array as written
        entry = tomlkit.inline_table()
        entry.update(fields)
        entries.append(entry)
        write_atomic(path, tomlkit.dumps(doc).encode(), mode=0o600)
        return True
    lines, nl = text.splitlines(keepends=True), _newline(text)
    # After the last entry's keys and the blank lines below them; comments further down introduce what follows.
    at = _span(path, doc, text, entries[-1])[1] if entries else len(lines)
    before, after = "".join(lines[:at]), "".join(lines[at:])
    block = tomlkit.dumps({"account": [fields]}).replace("\n", nl)
    block = ("" if not before or before.endswith(nl * 2) else nl) + block + (nl if after else "")
    write_atomic(path, (before + block + after).encode(), mode=0o600)
    return True


def remove_account(path: Path, platform: str, username: str) -> bool:
    """Remove that account's [[account]] entry; False when it is not listed.

    Comments between the entry's last key and the next table stay: they introduce what follows.
    """
    text, doc = _load(path)
    entries = doc.get("account")
    index = _index(entries, platform, username)
    if index is None:
        return False
    if isinstance(entries, Array):
        del entries[index]
        write_atomic(path, tomlkit.dumps(doc).encode(), mode=0o600)
        return True
    header, comments = _span(path, doc, text, entries[index])
    lines = text.splitlines(keepends=True)
    before, after = "".join(lines[:header]), "".join(lines[comments:])
    if not after:  # the last entry of the file: no blank lines left dangling at its end
        before = before.rstrip("\r\n") + _newline(text) if before.strip() else ""
    write_atomic(path, (before + after).encode(), mode=0o600)
    return True


@contextlib.contextmanager
def restored_on_error(path: Path) -> Iterator[None]:
    """Put the config back byte for byte if the block fails, so a config edit and the keyring write that
    goes with it happen together or not at all."""
    before = path.read_bytes() if path.exists() else None
    try:
        yield
    except BaseException:  # Ctrl-C and SIGTERM too: they must not leave half an operation behind
        now = path.read_bytes() if path.exists() else None
        if now != before:
            if before is None:
                path.unlink()
            else:
                write_atomic(path, before, mode=0o600)
        raise


def _load(path: Path) -> tuple[str, tomlkit.TOMLDocument]:
    text = path.read_bytes().decode("utf-8") if path.exists() else ""  # as written: CRLF stays CRLF
    if text and not text.endswith("\n"):
        text += _newline(text)  # so a new entry starts on a line of its own
    try:
        return text, tomlkit.parse(text)
    except TOMLKitError as exc:
        raise ConfigEditError(f"{path}: cannot be edited ({exc}); add the account by hand") from None


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _index(entries, platform: str, username: str) -> int | None:
    for i, entry in enumerate(entries or []):
        if str(entry.get("platform", "")) == platform and str(entry.get("username", "")) == username:
            return i
    return None


def _span(path: Path, doc: tomlkit.TOMLDocument, text: str, entry: Table) -> tuple[int, int]:
    """Line numbers of an [[account]] entry's header and of the first comment below its last key (else of the
    line after the entry): the entry is the lines between, blank lines below its keys included.

    tomlkit renders the document with markers on the entry's header and after its last line; everything else
    must come out exactly as written, else an edit would move or rewrite the user's text (tomlkit moves a table
    written between two [[account]] entries, for one).
    """
    marker = f"optout-run-{uuid.uuid4().hex}"
    entry.comment(f"{marker}-header")
    entry.value.body.append((None, tomlkit.comment(f"{marker}-end")))
    marked = tomlkit.dumps(doc).splitlines(keepends=True)
    lines = text.splitlines(keepends=True)
    header = next(i for i, line in enumerate(marked) if f"{marker}-header" in line)
    end = next(i for i, line in enumerate(marked) if f"{marker}-end" in line)
    if marked[:header] + marked[header + 1 : end] + marked[end + 1 :] != lines[:header] + lines[header + 1 :]:
        raise ConfigEditError(
            f"{path}: tomlkit cannot edit this file without moving parts of it (are [[account]] entries split by "
            "other tables?); keep the [[account]] entries together, or edit the file by hand"
        )
    comments = end
    while comments > header + 1 and (not lines[comments - 1].strip() or lines[comments - 1].lstrip().startswith("#")):
        comments -= 1  # back over the blank lines and comments below the last key
    while comments < end and not lines[comments].strip():
        comments += 1  # forward over the blank lines: they stay with the entry
    return header, comments
