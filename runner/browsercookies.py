"""Sessions from the person's own browser (`optout-run login PLATFORM --from-browser firefox`): its cookies for the
platform's own domains, checked in a fresh context to really sign in, kept only in the encrypted session store.

Finding and decrypting browser cookie stores is yt-dlp's (`yt_dlp.cookies`, pinned exactly in pyproject.toml). It
is maintained, knows where Firefox, Chrome, Chromium, Brave and Edge keep their profiles on Linux, macOS and
Windows, and gets Chromium's key from the Secret Service, KWallet, the macOS Keychain or DPAPI. rookiepy 0.5.6, the
other candidate, has had no release for two years, passes Firefox's millisecond expiry (schema 16) through, gives
sameSite as a number and filters domains by substring. `yt_dlp.cookies` is internal API, hence the exact pin; the
tests read real stores through it, so an upgrade that breaks it fails there. Its own reader returns
http.cookiejar cookies, which carry neither httpOnly nor sameSite, so the rows are read here, read-only and never
copied (a copy of a Firefox store would be a plaintext file of every session), and only the values of the
platform's own cookies go through yt-dlp's decryptor.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

BROWSERS = ("firefox", "chrome", "chromium", "brave", "edge")
CHROMIUM_EPOCH_S = 11_644_473_600  # Chromium counts microseconds from 1601-01-01, Playwright seconds from 1970
FIREFOX_MS_SCHEMA = 16  # from this cookies.sqlite schema (Firefox 142) on, expiry is in milliseconds
SAME_SITE = {0: "None", 1: "Lax", 2: "Strict"}  # both browsers' numbers; Chromium's -1 and Firefox's 256: not set


class BrowserCookieError(Exception):
    """One line for the person: which browser, what is wrong, what to do. Never a cookie's value."""


class _Quiet:
    """yt-dlp reports through a logger; its words are for its own users and may name cookies, so they are dropped."""

    def debug(self, *args, **kwargs) -> None:
        pass

    info = warning = error = debug


@dataclass(frozen=True)
class Source:
    """`firefox`, or `chrome:Profile 1`, or `chromium:/path/to/profile`: a browser and maybe a profile."""

    browser: str
    profile: str = ""  # a profile's name or folder; empty: the profile used last

    @classmethod
    def parse(cls, spec: str) -> "Source":
        browser, _, profile = spec.partition(":")  # only the first colon: C:\Users\... is a profile
        browser = browser.strip().lower()
        if browser not in BROWSERS:
            raise BrowserCookieError(
                f"--from-browser {spec!r}: choose {', '.join(BROWSERS[:-1])} or {BROWSERS[-1]}, "
                "with :PROFILE for a profile's name or folder"
            )
        return cls(browser, os.path.expanduser(profile))

    @property
    def label(self) -> str:
        return f"{self.browser} (profile {self.profile})" if self.profile else self.browser


def platform_hosts(flow_cls) -> tuple[str, ...]:
    """The hosts of the platform's own pages, from its data: its home page, sign-in origins and settings pages."""
    urls = [flow_cls.home_url, *flow_cls.sign_in_origins, *(s.url for s in flow_cls.settings)]
    hosts = {urlsplit(url).hostname for url in urls if url.startswith(("https://", "http://"))}
    return tuple(sorted(h for h in hosts if h and "{" not in h))


def owned(cookie_domain: str, hosts: tuple[str, ...]) -> bool:
    """Whether a cookie is the platform's own: its domain is one of the platform's hosts or below one (api.x.com;
    with www. set aside, .linkedin.com for www.linkedin.com), or above one, so the browser sends it there
    (.google.com for gemini.google.com: browsers refuse cookies on public suffixes such as com or co.uk, so such a
    domain is the site's own). Exact labels only, never a substring: evilx.com and x.com.evil.org are not x.com's."""
    domain = cookie_domain.strip().lower().lstrip(".")
    if "." not in domain:
        return False
    for host in hosts:
        site = host.removeprefix("www.")
        if domain == site or domain.endswith(f".{site}") or host.endswith(f".{domain}"):
            return True
    return False


@dataclass
class Row:
    """One stored cookie, as both browsers keep it; `encrypted` holds Chromium's ciphertext when `value` is empty."""

    host: str
    name: str
    value: str
    path: str
    expires: float  # seconds since 1970; -1: ends with the browser session
    secure: bool
    http_only: bool
    same_site: int | None
    encrypted: bytes = b""

    def playwright(self, value: str) -> dict:
        """Playwright's cookie. SameSite is left out where the browser stored none, and for None without Secure,
        which Chromium refuses: Chromium then applies its own default, as to any cookie that names none."""
        cookie = dict(
            name=self.name, value=value, domain=self.host, path=self.path or "/", expires=self.expires,
            httpOnly=self.http_only, secure=self.secure,
        )
        same_site = SAME_SITE.get(self.same_site)
        if same_site and (same_site != "None" or self.secure):
            cookie["sameSite"] = same_site
        return cookie


class CookieStore:
    """One profile's cookie database, opened read-only. While the browser runs it is opened `immutable`: no lock is
    taken, so the browser never waits on us, and what it has not written to disk yet is not seen (`busy` says so)."""

    def __init__(self, source: Source, path: Path, db: sqlite3.Connection, busy: bool) -> None:
        self.source, self.path, self.db, self.busy = source, path, db, busy
        self._decryptor = None

    @classmethod
    @contextlib.contextmanager
    def open(cls, source: Source) -> Iterator["CookieStore"]:
        path = find_store(source)
        busy = running(path, source.browser)
        db = None
        if not busy:
            try:
                db = _connect(path, immutable=False)
            except sqlite3.OperationalError as exc:  # a browser whose lock file we do not know holds it
                busy = "locked" in str(exc)
        if db is None:
            try:
                db = _connect(path, immutable=True)
            except sqlite3.DatabaseError as exc:
                if busy:
                    raise BrowserCookieError(
                        f"{source.browser} is running and its cookie store {path} cannot be read now ({exc}): "
                        f"close {source.browser} and try again"
                    ) from None
                raise BrowserCookieError(f"cannot read {source.browser}'s cookie store {path} ({exc})") from None
        try:
            yield cls(source, path, db, busy)
        finally:
            db.close()

    @property
    def note(self) -> str:
        """What the person should know about how the store was read ('' when nothing)."""
        browser = self.source.browser
        return f"{browser} is running, so its cookies were read as last written to disk" if self.busy else ""

    def cookies_for(self, flow_cls) -> list[dict]:
        """The platform's own cookies, unexpired, in Playwright's format; decrypted only these."""
        hosts = platform_hosts(flow_cls)
        now = time.time()
        rows = self._firefox() if self.source.browser == "firefox" else self._chromium()
        try:
            mine = [r for r in rows if owned(r.host, hosts) and (r.expires == -1 or r.expires > now)]
        except sqlite3.DatabaseError as exc:  # a layout this reader does not know, or a page the browser is writing
            raise BrowserCookieError(f"cannot read {self.source.browser}'s cookie store {self.path} ({exc})") from None
        title = flow_cls.title
        return [r.playwright(self._decrypt(r.encrypted, title) if r.encrypted and not r.value else r.value) for r in mine]

    def _firefox(self) -> Iterator[Row]:
        schema = self.db.execute("PRAGMA user_version").fetchone()[0]
        scale = 1000 if schema >= FIREFOX_MS_SCHEMA else 1
        query = "SELECT host, name, value, path, expiry, isSecure, isHttpOnly, sameSite, originAttributes FROM moz_cookies"
        for host, name, value, path, expiry, secure, http_only, same_site, origin in self.db.execute(query):
            if origin:  # a container, a private window or a partition: not the profile's own session
                continue
            expires = expiry / scale if expiry else -1
            yield Row(host or "", name or "", value or "", path or "/", expires, bool(secure), bool(http_only), same_site)

    def _chromium(self) -> Iterator[Row]:
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(cookies)")}
        # Older stores call the flags secure and httponly.
        flags = [new if new in columns else old for new, old in (("is_secure", "secure"), ("is_httponly", "httponly"))]
        partition = "top_frame_site_key" if "top_frame_site_key" in columns else "''"
        query = (
            f"SELECT host_key, name, value, encrypted_value, path, expires_utc, {', '.join(flags)}, samesite, "
            f"{partition} FROM cookies"
        )
        for host, name, value, encrypted, path, expires_utc, secure, http_only, same_site, key in self.db.execute(query):
            if key:  # partitioned (CHIPS): set while embedded in another site, not the platform's own session
                continue
            expires = expires_utc / 1_000_000 - CHROMIUM_EPOCH_S if expires_utc else -1
            yield Row(host, name, value, path, expires, bool(secure), bool(http_only), same_site, encrypted or b"")

    def _decrypt(self, encrypted: bytes, title: str) -> str:
        """yt-dlp's decryptor, made on first need (on macOS it asks the Keychain). It raises when a keyring cannot be
        asked (no D-Bus, a locked collection, DPAPI) and returns None for a key it could not get."""
        from yt_dlp import cookies as ytc

        try:
            if self._decryptor is None:
                browser_dir = ytc._get_chromium_based_browser_settings(self.source.browser)["browser_dir"]
                key_root = os.path.dirname(self.source.profile) if ytc._is_path(self.source.profile) else browser_dir
                version = self.db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
                name = self.keyring_name()
                self._decryptor = ytc.get_cookie_decryptor(key_root, name, _Quiet(), meta_version=int(version[0]))
            value = self._decryptor.decrypt(encrypted)
        except Exception:  # whatever the keyring raised, the key is out of reach (its words are not passed on)
            value = None
        if value is None:
            raise BrowserCookieError(
                f"{self.source.browser}'s cookies for {title} are encrypted with a key kept in {self.keyring()}, which "
                "optout-run cannot reach: run it in your desktop session, with that keyring unlocked"
            )
        return value

    def keyring_name(self) -> str:
        from yt_dlp import cookies as ytc

        return ytc._get_chromium_based_browser_settings(self.source.browser)["keyring_name"]

    def keyring(self) -> str:
        """Where this browser keeps its cookie key, in the words of the tools that show it."""
        from yt_dlp import cookies as ytc

        name = self.keyring_name()
        if sys.platform == "darwin":
            return f"the macOS Keychain (item '{name} Safe Storage')"
        if sys.platform in ("win32", "cygwin"):
            return "Windows' DPAPI, or the app-bound encryption only the browser itself can open"
        kind = ytc._choose_linux_keyring(_Quiet()).name
        if kind.startswith("KWALLET"):
            return f"KWallet (folder '{name} Keys')"
        if kind == "GNOMEKEYRING":
            return f"the Secret Service (GNOME Keyring, item '{name} Safe Storage')"
        return "a desktop keyring (GNOME Keyring or KWallet; no desktop session is found here to ask)"


def find_store(source: Source) -> Path:
    """The profile's cookie database, found the way yt-dlp finds it (the profile used last when none is named)."""
    from yt_dlp import cookies as ytc

    profile = source.profile
    if source.browser == "firefox":
        dirs = list(ytc._firefox_browser_dirs())
        roots = [profile] if ytc._is_path(profile) else [os.path.join(d, profile) for d in dirs] if profile else dirs
        found = ytc._newest(ytc._firefox_cookie_dbs(roots))
    else:
        browser_dir = ytc._get_chromium_based_browser_settings(source.browser)["browser_dir"]
        roots = [profile if ytc._is_path(profile) else os.path.join(browser_dir, profile)]
        found = ytc._newest(ytc._find_files(roots[0], "Cookies", _Quiet()))
    if found is None:
        raise BrowserCookieError(
            f"no {source.browser} cookie store in {', '.join(roots)}: is {source.browser} used by this user? "
            f"Name the profile with --from-browser {source.browser}:PROFILE (its name or its folder)"
        )
    return Path(found)


def running(store: Path, browser: str) -> bool:
    """Whether the browser has this profile open: its lock link (Firefox's `lock`, Chromium's `SingletonLock`,
    Linux and macOS) names a live process. Elsewhere SQLite's own lock tells (CookieStore.open)."""
    if os.name != "posix":  # os.kill(pid, 0) would end the process on Windows
        return False
    name = "lock" if browser == "firefox" else "SingletonLock"
    for folder in list(store.parents)[:3]:  # Firefox: the profile; Chromium: <user data>/Default/Network/Cookies
        link = folder / name
        if link.is_symlink():
            pid = re.split(r"[+-]", os.readlink(link))[-1]  # Firefox: 127.0.1.1:+4242, Chromium: host-4242
            return not pid.isdigit() or _alive(int(pid))
    return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _connect(path: Path, immutable: bool) -> sqlite3.Connection:
    """Read-only; `immutable` takes no lock at all (and so does not see what a running browser keeps in its WAL)."""
    mode = "mode=ro&immutable=1" if immutable else "mode=ro"
    db = sqlite3.connect(f"{path.as_uri()}?{mode}", uri=True, timeout=1)
    db.text_factory = lambda raw: raw.decode("utf-8", "replace")  # sqlite's own decode error would quote the value
    try:
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()  # the lock, if any, shows here
    except sqlite3.DatabaseError:
        db.close()
        raise
    return db


async def adopt(browser, job, cookies: list[dict], sessions, timeout_ms: float, where: str, prepare=None) -> None:
    """Load the first setting's page with these cookies in a fresh context, exactly as a run opens an account (no
    trace, no evidence), and keep the session under the job's key only when the page is signed in."""
    from runner import pagestate
    from runner.engine import AccountRun, Options

    title = job.flow_cls.title
    run = AccountRun(browser, job, Options(timeout_ms=timeout_ms, sessions=sessions), prepare)
    run.secrets = [c["value"] for c in cookies]  # scrubbed from any error text
    first = next(s for s in job.settings if s.needs_browser)
    try:
        page = await run.new_page({"cookies": cookies, "origins": []})
        found = await run.flow.open(page, first)
        if found is None:
            raise BrowserCookieError(
                f"could not tell whether the {title} cookies from {where} sign in: the page of {first.label!r} "
                f"showed nothing optout-run knows within {timeout_ms / 1000:g} s; nothing saved"
            )
        if pagestate.signed_out(page, run.flow, found):
            raise BrowserCookieError(
                f"the {title} cookies in {where} do not sign in ({title} showed its sign-in page): sign in to {title} "
                f"in {where} again, or use `optout-run login {job.platform}`; nothing saved"
            )
        await run.keep_session()
    except BrowserCookieError:
        raise
    except OSError as exc:
        from runner.paths import why_not_written

        raise BrowserCookieError(f"cannot save the session in {sessions.directory}: {why_not_written(exc)}") from None
    except Exception as exc:  # a challenge, a timeout, a browser error: the engine's words, cookie values scrubbed
        raise BrowserCookieError(f"{run.explain(exc)[2]} (with the cookies from {where}); nothing saved") from None
    finally:
        await run.close()
