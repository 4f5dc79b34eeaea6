"""Proof of each opt-out: an image of the control and its label, taken the moment it reads opted out on a settled page
(already, or after the change and the reload), with when and where, kept in the data dir under proofs/<run id>/.

What names a person is masked in the image (Playwright's `mask`): avatars and profile photos, text that looks like
an e-mail address, and the account's user name. A setting's own label stays as the site words it, also where it
names the blog it is about. Files are 0600 in 0700 folders, named by the platform, a hash of the account and the
setting, never a user name or a blog name. Proofs live as long as the history keeps their run (`prune`), and the
newest proof of each setting as long as `latest` points at it. A proof that cannot be taken or kept costs the
proof only: the result stands, and disk trouble is said once after the results (UNSAVED).
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import structlog

from runner.pagestate import page_url
from runner.paths import UNSAVED, disk_error, private_dir, write_atomic

if TYPE_CHECKING:
    from playwright.async_api import ElementHandle, Locator, Page

    from runner.engine import Job
    from runner.flow import Flow, Setting

log = structlog.get_logger("optout.proof")

FOLDER = "proofs"  # under the data dir: proofs/<run id>/<platform>-<account hash>/<setting>.png and .json
MASK_COLOUR = "#FF00FF"  # Playwright's own: a masked area can never pass for part of the page
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
AVATARS = (
    "img[alt*='avatar' i], img[alt*='profile' i], [data-testid*='avatar' i], [class*='avatar' i], "
    "[aria-label*='avatar' i], [aria-label*='profile photo' i], [aria-label*='profile picture' i], [aria-label='Your profile' i]"
)
ROW_HEIGHT = 480  # px: a row or section taller than this is a page, not the setting's row

# The setting's row: the smallest ancestor of the control (itself included) that holds its label (its <label>s,
# aria-labelledby elements, or the words of its aria-label or of the setting's label) and is no taller than a row;
# null when there is none.
ROW = """(el, [words, maxHeight]) => {
  const norm = s => (s || '').toLowerCase().replace(/\\s+/g, ' ').trim();
  const ids = (el.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean);
  const labels = [...(el.labels || []), ...ids.map(id => document.getElementById(id)).filter(Boolean)];
  const texts = [el.getAttribute('aria-label'), ...words].map(norm).filter(t => t.length > 2);
  for (let n = el; n && n !== document.body; n = n.parentElement) {
    if (n.getBoundingClientRect().height > maxHeight) break;
    if (labels.length && labels.every(l => n.contains(l))) return n;
    if (!labels.length && n !== el && texts.some(t => norm(n.innerText).includes(t))) return n;
  }
  return null;
}"""


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def account_key(username: str) -> str:
    """The account as a folder name: a hash, like runner/evidence.py's, never the user name."""
    return hashlib.sha256(username.encode()).hexdigest()[:10]


def file_stem(setting: "Setting") -> str:
    """The setting id; a blog's name (tumblr's `id:blog`) hashed, since a blog name can be a user name."""
    base, _, subject = setting.id.partition(":")
    return f"{base}-{hashlib.sha256(subject.encode()).hexdigest()[:8]}" if subject else base


def label_words(setting: "Setting") -> list[str]:
    """Words the row shows: the label up to any "..." abbreviation, and the phrases that name the setting."""
    return [setting.label.split("...")[0], *setting.mentions]


class Proofs:
    """The ProofTaker of one run (runner/engine.py): images under <data dir>/proofs/<run id>/."""

    def __init__(self, data_dir: Path, run_id: str) -> None:
        self.data_dir = data_dir
        self.run_dir = data_dir / FOLDER / run_id

    async def __call__(self, page: "Page", flow: "Flow", job: "Job", setting: "Setting", changed: bool) -> str:
        """Where the proof was kept, relative to the data dir; "" when none could be (never raises for it)."""
        try:
            row = await self.row(page, flow, setting)
            if row is None:
                return ""
            image = await row.screenshot(
                mask=self.masks(page, job.account.username),
                mask_color=MASK_COLOUR,
                animations="disabled",
                timeout=min(flow.loc.timeout_ms, 5_000),
            )
            return self.keep(page.url, job, setting, changed, image)
        except Exception as exc:  # a proof never costs the result (a stop still cancels: CancelledError is no Exception)
            trouble = disk_error(exc)
            if trouble is not None:
                UNSAVED.note("proofs", self.run_dir, trouble)
            else:
                log.warning("no proof image", setting=setting.id, error=type(exc).__name__)
            return ""

    async def row(self, page: "Page", flow: "Flow", setting: "Setting") -> "ElementHandle | None":
        """The control's row with its label; else the setting's section where the data declares one (and it is no
        taller than a row); else the control alone."""
        control = await flow.control(page, setting)
        if control is None and setting.control.done:  # a one-way action done: its marker is what shows it
            control = await flow.loc.find(page, setting.control.done)
        if control is None:
            return None
        await control.scroll_into_view_if_needed()
        row = (await control.evaluate_handle(ROW, [label_words(setting), ROW_HEIGHT])).as_element()
        if row is not None:
            return row
        if setting.section:
            section = flow.loc.any_of(page, setting.section).filter(has=control, visible=True)
            if await section.count() == 1:
                box = await section.bounding_box()
                if box and box["height"] <= ROW_HEIGHT:
                    return await section.element_handle()
        return await control.element_handle()

    @staticmethod
    def masks(page: "Page", username: str) -> list["Locator"]:
        """What names a person, wherever it sits: a general rule, since no site marks its PII for us."""
        found = [page.locator(AVATARS), page.get_by_text(EMAIL)]
        if len(username.strip()) > 2:
            found.append(page.get_by_text(username.strip()))
        return found

    def keep(self, url: str, job: "Job", setting: "Setting", changed: bool, image: bytes) -> str:
        folder = private_dir(self.run_dir / f"{job.platform}-{account_key(job.account.username)}")
        png = folder / f"{file_stem(setting)}.png"
        about = {
            "taken_at": now(),
            "url": page_url(url),
            "platform": job.platform,
            "account": job.account.label,
            "setting": setting.id,
            "label": setting.label,
            "changed": changed,
        }
        write_atomic(png, image)
        write_atomic(sidecar(png), json.dumps(about, indent=2).encode())
        return str(png.relative_to(self.data_dir))


def sidecar(image: Path) -> Path:
    """The JSON next to a proof image: when, where, whose, which setting, and whether this run switched it."""
    return image.with_suffix(".json")


def prune(data_dir: Path, runs: set[str], referenced: set[str]) -> list[Path]:
    """Remove the proofs of runs the history no longer keeps, except the images `latest` still points at (one per
    setting at most) and their sidecars; folders left empty go too. Nothing here may fail a run: errors are logged."""
    root = data_dir / FOLDER
    if not root.is_dir():
        return []
    keep = {data_dir / p for p in referenced}
    keep |= {sidecar(p) for p in keep}
    removed = []
    for run in root.iterdir():
        if run.name in runs or not run.is_dir() or run.is_symlink():
            continue
        for path in sorted(run.rglob("*"), key=lambda p: len(p.parts), reverse=True):  # files before their folders
            try:
                if path.is_dir() and not path.is_symlink():
                    if not any(path.iterdir()):
                        path.rmdir()
                elif path not in keep:
                    path.unlink()
                    removed.append(path)
            except OSError as exc:
                log.warning("could not prune an old proof", error=str(exc))
        try:
            if not any(run.iterdir()):
                run.rmdir()
        except OSError as exc:
            log.warning("could not prune an old proof folder", error=str(exc))
    return removed
