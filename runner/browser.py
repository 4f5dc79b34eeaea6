"""Find a Chromium: OPTOUT_CHROMIUM or the config, then Playwright's own download, then one on PATH.

On PATH, headless runs take Chromium's headless shell first, as Playwright's own headless runs do: the full browser
builds a window's UI (its omnibox popup is a WebUI renderer) for every context, which on this project's 2-core
machine more than doubled the CPU of a run (README: Performance).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

SYSTEM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
HEADLESS_NAMES = ("chromium-headless-shell",)  # Debian's package of the same name; it cannot show a window

INSTALL_HINT = (
    "no Chromium found: run `playwright install chromium`, or install your system's Chromium "
    "(Debian: `sudo apt-get install chromium chromium-headless-shell`), or point OPTOUT_CHROMIUM at a Chromium or Chrome binary"
)


class BrowserNotFound(Exception):
    pass


def resolve_executable(configured: str, playwright_path: str, headed: bool = False) -> str | None:
    """The executable to pass to launch(); None means Playwright's own browser is installed and preferred."""
    explicit = os.environ.get("OPTOUT_CHROMIUM") or configured
    if explicit:
        if not Path(explicit).is_file():
            raise BrowserNotFound(f"Chromium not found at {explicit} (from OPTOUT_CHROMIUM or the config)")
        return explicit
    if playwright_path and Path(playwright_path).is_file():
        return None
    for name in SYSTEM_NAMES if headed else HEADLESS_NAMES + SYSTEM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise BrowserNotFound(INSTALL_HINT)


def launch_options(executable: str | None, headed: bool, slow_mo: float) -> dict:
    # The run answers Ctrl-C, SIGTERM and SIGHUP itself (runner/stop.py): it closes each account's context and
    # then the browser. Playwright's driver, in the same process group, would otherwise close the browser under it.
    options: dict = {"headless": not headed, "slow_mo": slow_mo, "handle_sigint": False, "handle_sigterm": False, "handle_sighup": False}
    if executable:
        options["executable_path"] = executable
    return options
