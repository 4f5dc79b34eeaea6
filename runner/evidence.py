"""What a failure leaves behind for whoever debugs it: screenshot, HTML, URL and a trace of the opt-out part.

Kept per run under the state dir's runs/<history run id>/ folder (0700). File names carry only the platform, a hash of the
account and the setting id, never a user name or a secret; traces are kept only once scrubbed of cookies and tokens.
"""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

from playwright.async_api import Page

from runner.paths import private_dir, write_atomic
from runner.tracescrub import scrub_trace


class Evidence:
    def __init__(self, run_dir: Path, keep_traces: bool) -> None:
        self.run_dir = run_dir
        self.keep_traces = keep_traces  # --trace: keep traces of successful runs too

    def folder(self, platform: str, username: str) -> Path:
        account = hashlib.sha256(username.encode()).hexdigest()[:10]
        return self.run_dir / f"{platform}-{account}"

    async def capture(self, page: Page, platform: str, username: str, what: str, secrets: list[str]) -> Path | None:
        """Screenshot, HTML (secrets scrubbed) and URL of the page as it is now; None if the page is gone."""
        folder = private_dir(self.folder(platform, username))
        try:
            png = await page.screenshot(full_page=True)
            html = await page.content()
        except Exception:  # the page or browser may be what failed
            return None
        for secret in secrets:
            if secret:
                html = html.replace(secret, "[REDACTED]")
        write_atomic(folder / f"{what}.png", png)
        write_atomic(folder / f"{what}.html", html.encode())
        write_atomic(folder / f"{what}.url.txt", page.url.encode())
        return folder

    def trace_path(self, platform: str, username: str) -> Path:
        return private_dir(self.folder(platform, username)) / "trace.zip"

    async def keep_trace(self, tracing, platform: str, username: str) -> None:
        """Stop tracing into a temporary file and keep only a copy scrubbed of cookies and tokens."""
        path = self.trace_path(platform, username)
        raw = path.with_name(f".{path.name}.raw.tmp")
        try:
            await tracing.stop(path=raw)
        except BaseException:
            raw.unlink(missing_ok=True)
            raise
        # In a thread: a large trace must not hold up the other accounts, and a stop signal arriving meanwhile
        # must not leave half a file or the raw trace behind.
        await asyncio.to_thread(scrub_into_place, raw, path)


def scrub_into_place(raw: Path, path: Path) -> None:
    """Write the scrubbed copy (runner/tracescrub.py) to a 0600 temporary file and rename it into place; the raw
    trace (Playwright writes it 0644) is removed whatever happens."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        raw.chmod(0o600)
        scrub_trace(raw, tmp)
        tmp.replace(path)
    finally:
        raw.unlink(missing_ok=True)
        tmp.unlink(missing_ok=True)


def pointer(folder: Path, trace: bool) -> str:
    """The words a failed result's detail ends with."""
    opener = f"; open the trace with `playwright show-trace {folder / 'trace.zip'}`" if trace else ""
    return f" (evidence: {folder}{opener})"
