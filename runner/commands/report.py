"""`optout-run report`: every setting's state, proof image, history and what it does not cover, as HTML or PDF."""

from __future__ import annotations

from pathlib import Path

import click

from runner.commands import PLATFORM, PLATFORMS_LISTED, UserError, environment
from runner.commands.history import parse_since
from runner.commands.status import open_history

OUTPUT = click.Path(dir_okay=False, path_type=Path)


@click.command()
@click.option("--html", "html_file", type=OUTPUT, metavar="FILE", help="Write a self-contained HTML page (images inline).")
@click.option("--pdf", "pdf_file", type=OUTPUT, metavar="FILE", help="Write a PDF, printed by the browser runs use.")
@click.option("-p", "--platform", type=PLATFORM, metavar="PLATFORM", help=f"Only this platform. {PLATFORMS_LISTED}")
@click.option("--since", metavar="DATE", help="History since then: 2026-11-29, 2026-11-29T10:00 or an age (12h, 7d, 2w).")
def report(html_file: Path | None, pdf_file: Path | None, platform: str | None, since: str | None) -> None:
    """A report to keep or show: per platform and account, each setting's state, when it was last read, its proof
    image, its history (switched, re-enabled by the platform, failed) and what opting out there does not cover."""
    from runner import proofreport
    from runner.history import now

    if not (html_file or pdf_file):
        raise click.UsageError("choose where to write it: --html FILE, --pdf FILE, or both")
    env = environment()
    since_utc = parse_since(since) if since else None
    platform = platform.lower() if platform else None
    for target in (html_file, pdf_file):
        if target is not None and not target.parent.is_dir():
            raise UserError(f"cannot write {target}: the folder {target.parent} does not exist")
    latest, changes, notices = [], [], []
    db = open_history(env)
    if db is not None:
        with db:
            latest, changes, notices = db.latest(), db.changes(platform, since_utc), db.notices()
    platforms = proofreport.gather(env.paths.data_dir, latest, changes, platform)
    html = proofreport.render(platforms, now(), since_utc, notices)
    written = []
    if html_file is not None:
        write(html_file, html.encode())
        written.append(html_file)
    if pdf_file is not None:
        write(pdf_file, printed(env, html))
        written.append(pdf_file)
    settings = sum(len(entries) for p in platforms for entries in p.accounts.values())
    proofs = sum(1 for p in platforms for entries in p.accounts.values() for e in entries if e.image)
    env.out(f"{' and '.join(map(str, written))}: {settings} settings, {proofs} proof images")


def printed(env, html: str) -> bytes:
    """The PDF from the browser the config or OPTOUT_CHROMIUM names, as runs choose it."""
    import asyncio

    from runner.browser import BrowserNotFound
    from runner.config import Config, ConfigError
    from runner.proofreport import pdf

    try:
        chromium = Config.load(env.paths.config_file).chromium
        return asyncio.run(pdf(html, chromium))
    except (ConfigError, BrowserNotFound) as exc:
        raise UserError(str(exc)) from None


def write(path: Path, data: bytes) -> None:
    """Atomically and 0600: the report shows your accounts' settings and names them."""
    from runner.paths import why_not_written, write_atomic

    try:
        write_atomic(path, data)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {why_not_written(exc)}") from None
