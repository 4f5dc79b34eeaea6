"""Rewrite a Playwright trace.zip without the session material it records.

Playwright's tracing cannot leave out network data: trace.network holds every request's Cookie and Authorization
header and every Set-Cookie, trace.trace holds call parameters and results (a route's fulfilled headers and body,
filled values, the cookies storageState returned) and resources/ holds request and response bodies. A kept trace
would otherwise hold in the clear the very cookies the session files encrypt. The scrubbing is structural: JSON
lines are parsed, header values are redacted by header name, and fields whose names say cookie, token, session,
password, secret or csrf are redacted in headers, bodies and call parameters. What stays is what debugging needs:
URLs, methods, statuses, cookie and header names, page snapshots.

Not scrubbed: a token written into an HTML or script body as text (the DOM snapshots' input values are).
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

REDACTED = "[REDACTED]"

# Field and header names that carry session material. Long words match anywhere in a name (x-csrf-token,
# reddit_session, fb_dtsg); short ones only as a whole word (sid, but not "side").
_SECRET_PART = re.compile(
    r"passw(?:or)?d|passphrase|passcode|secret|token|csrf|xsrf|session|cookie|credential|authori[sz]ation"
    r"|authenticity|bearer|api_?key|dtsg",
    re.I,
)
_SECRET_WORD = {"pass", "pwd", "sid", "auth", "otp", "totp", "jwt"}
_TYPING = {"fill", "type", "insertText"}  # calls whose typed text the trace records as params.value / params.text
_TYPED_LOG = re.compile(r'^(\s*(?:fill|type|insertText)\()".*"(\)\s*)$', re.S)


def secret_name(name: str) -> bool:
    """Whether a header, field, cookie or input name says its value is session material."""
    return bool(_SECRET_PART.search(name)) or any(w in _SECRET_WORD for w in re.findall(r"[a-z0-9]+", name.lower()))


def redact_header(name: str, value: str) -> str:
    """Keep what debugging needs (cookie names and attributes, the auth scheme), never the values."""
    lower = name.lower()
    if lower == "cookie":
        return "; ".join(f"{pair.split('=', 1)[0].strip()}={REDACTED}" for pair in value.split(";") if pair.strip())
    if lower == "set-cookie":  # Playwright joins several Set-Cookie headers with newlines
        return "\n".join(_redact_set_cookie(line) for line in value.split("\n"))
    if lower in ("authorization", "proxy-authorization") and " " in value.strip():
        return f"{value.strip().split(' ', 1)[0]} {REDACTED}"
    return REDACTED


def _redact_set_cookie(line: str) -> str:
    first, sep, attributes = line.partition(";")
    return f"{first.split('=', 1)[0].strip()}={REDACTED}{sep}{attributes}"


class Scrubber:
    """One trace's scrubbing; remembers what was typed so the logs and DOM snapshots of that call lose it too."""

    def __init__(self) -> None:
        self.typed: set[str] = set()

    def value(self, data: Any) -> Any:
        """Walk parsed JSON: header-like {name, value} pairs, Playwright's serialized {k, v} pairs, cookie
        lists, fields with secret names, typed text, and JSON bodies inside strings."""
        if isinstance(data, list):
            return [self.value(item) for item in data]
        if isinstance(data, str):
            return self.string(data)
        if not isinstance(data, dict):
            return data
        out = {}
        pair_name = data.get("name") if isinstance(data.get("name"), str) else data.get("k")
        for key, item in data.items():
            if key in ("value", "v", "__playwright_value_") and isinstance(pair_name, str) and secret_name(pair_name):
                out[key] = redact_header(pair_name, item) if isinstance(item, str) else {"s": REDACTED}
            elif key == "cookies" and isinstance(item, list):
                out[key] = [{**c, "value": REDACTED} if isinstance(c, dict) and "value" in c else REDACTED for c in item]
            elif secret_name(key) and item is not None and not isinstance(item, bool):
                out[key] = redact_header(key, item) if isinstance(item, str) else REDACTED
            elif key in ("body", "text", "postData") and isinstance(item, str):
                out[key] = self.body(item, str(data.get("mimeType", "")))
            else:
                out[key] = self.value(item)
        return out

    def string(self, text: str) -> str:
        if text in self.typed:
            return REDACTED
        for typed in self.typed:
            if len(typed) >= 6:  # a shorter one replaced inside every string would wreck URLs and snapshots
                text = text.replace(typed, REDACTED)
        return text

    def body(self, text: str, mime: str = "") -> str:
        """A JSON or form body with its secret fields redacted; other bodies (HTML, scripts) as they are."""
        stripped = text.strip()
        if stripped[:1] in ("{", "[") or "json" in mime:
            try:
                return json.dumps(self.value(json.loads(stripped)), ensure_ascii=False, separators=(",", ":"))
            except ValueError:
                pass
        if "x-www-form-urlencoded" in mime:
            pairs = parse_qsl(text, keep_blank_values=True)
            return urlencode([(k, REDACTED if secret_name(k) else self.string(v)) for k, v in pairs])
        return self.string(text)

    def event(self, event: dict) -> dict:
        """One trace.trace line. Typed text is a secret wherever it shows: the call, its log lines, the DOM snapshots."""
        params = event.get("params")
        if event.get("type") == "before" and event.get("method") in _TYPING and isinstance(params, dict):
            for key in ("value", "text"):
                if isinstance(params.get(key), str) and params[key]:
                    self.typed.add(params[key])
                    params = {**params, key: REDACTED}
            event = {**event, "params": params}
        if event.get("type") == "log" and isinstance(event.get("message"), str):
            event = {**event, "message": _TYPED_LOG.sub(rf'\1"{REDACTED}"\2', event["message"])}
        return self.value(event)

    def lines(self, raw: bytes, on_event) -> bytes:
        """JSON lines through on_event; a line that does not parse is dropped, since it cannot be checked."""
        out = []
        for line in raw.decode("utf-8", errors="replace").splitlines():
            if not line.strip():
                continue
            try:
                event = json.loads(line)
            except ValueError:
                continue
            scrubbed = on_event(event) if isinstance(event, dict) else self.value(event)
            out.append(json.dumps(scrubbed, ensure_ascii=False, separators=(",", ":")))
        return ("\n".join(out) + "\n").encode() if out else b""


def body_types(network: bytes) -> dict[str, str]:
    """resources/<file> -> the MIME type trace.network gives for it (request and response bodies)."""
    types = {}
    for line in network.decode("utf-8", errors="replace").splitlines():
        try:
            entry = json.loads(line)["snapshot"]
            parts = [entry["request"].get("postData") or {}, entry["response"].get("content") or {}]
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
        for part in parts:
            for ref in (part.get("_file"), part.get("_sha1")) if isinstance(part, dict) else ():
                if isinstance(ref, str):
                    types[f"resources/{ref.removeprefix('resources/')}"] = str(part.get("mimeType", ""))
    return types


def scrub_trace(source: Path, target: Path) -> None:
    """Write a scrubbed copy of the trace at source to target (created 0600), with the same member names."""
    with zipfile.ZipFile(source) as archive:
        infos = archive.infolist()
        members = {info.filename: archive.read(info) for info in infos}
    scrubber = Scrubber()
    # trace.trace first: what it shows typed must be known before the snapshots and bodies are written.
    order = sorted(infos, key=lambda i: (not i.filename.endswith(".trace"), not i.filename.endswith(".network")))
    types = {k: v for name, data in members.items() if name.endswith(".network") for k, v in body_types(data).items()}
    scrubbed = {}
    for info in order:
        name, data = info.filename, members[info.filename]
        if name.endswith(".trace"):
            scrubbed[name] = scrubber.lines(data, scrubber.event)
        elif name.endswith(".network"):
            scrubbed[name] = scrubber.lines(data, scrubber.value)
        elif name.startswith("resources/") and _textual(types.get(name, "")):
            scrubbed[name] = scrubber.body(data.decode("utf-8", errors="surrogateescape"), types[name]).encode(
                "utf-8", errors="surrogateescape"
            )
        else:
            scrubbed[name] = data
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        os.fchmod(fd, 0o600)  # a leftover file keeps its old mode through O_TRUNC
        with zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as out:
            for info in infos:
                out.writestr(info, scrubbed[info.filename])
        fh.flush()
        os.fsync(fd)


def _textual(mime: str) -> bool:
    """Bodies worth parsing: JSON, forms, text (fetch sends a string body as text/plain); never images or fonts."""
    mime = mime.lower()
    return mime.startswith("text/") or any(t in mime for t in ("json", "x-www-form-urlencoded", "javascript", "xml"))
