"""`optout-run history`: what changed and when (status transitions), from the run history."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

import click

from runner.commands import PLATFORM, PLATFORMS_LISTED, UserError, environment
from runner.commands.status import local, open_history
from runner.tables import print_table

RELATIVE = re.compile(r"^(\d+)\s*([hdw])$")


def parse_since(text: str) -> str:
    """A date or time (local unless it says otherwise), or an age such as 12h, 7d, 2w; as the stored UTC form."""
    text = text.strip()
    match = RELATIVE.match(text)
    if match:
        hours = int(match[1]) * {"h": 1, "d": 24, "w": 24 * 7}[match[2]]
        try:
            moment = datetime.now(timezone.utc) - timedelta(hours=hours)
        except OverflowError:
            raise UserError(f"--since {text!r} reaches back before any date; give a smaller age or a date") from None
    else:
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
        except ValueError:
            raise UserError(f"--since {text!r}: give a date like 2026-11-29, a time like 2026-11-29T10:00, or an age like 7d") from None
        moment = moment.astimezone(timezone.utc)  # a naive time is local time
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def describe(row) -> str:
    before = row["previous_status"]
    if row["drift"]:
        return f"re-enabled by the platform; {'switched off again' if row['status'] == 'changed' else 'still exposed'}"
    if before is None:
        return f"first seen {row['status']}"
    if before == row["status"]:
        return f"{row['status']} again"
    return f"{before} -> {row['status']}"


@click.command()
@click.option(
    "-p",
    "--platform",
    type=PLATFORM,
    metavar="PLATFORM",
    help=f"Only this platform. {PLATFORMS_LISTED}",
)
@click.option("--since", metavar="DATE", help="Only changes since then: 2026-11-29, 2026-11-29T10:00 or an age (12h, 7d, 2w).")
@click.option("--json", "json_out", is_flag=True, help="One JSON document on stdout.")
def history(platform: str | None, since: str | None, json_out: bool) -> None:
    """What changed and when: each setting's status transitions, and what the platform re-enabled."""
    env = environment()
    since_utc = parse_since(since) if since else None
    platform = platform.lower() if platform else None
    rows = []
    db = open_history(env)
    if db is not None:
        with db:
            rows = db.changes(platform, since_utc)
    if json_out:
        changes = [
            {
                "at": r["at"],
                "run_id": r["run_id"],
                "platform": r["platform"],
                "account": r["account"],
                "setting": r["setting"],
                "from": r["previous_status"],
                "to": r["status"],
                "reason": r["reason"],
                "detail": r["detail"],
                "drift": bool(r["drift"]),
                "check": bool(r["check_mode"]),
                "replay": bool(r["replay"]),
            }
            for r in rows
        ]
        env.out(json.dumps({"changes": changes}, indent=2))
        return
    if not rows:
        env.out("no changes recorded" + (" for that selection" if platform or since else " yet"))
        return
    head = ("WHEN", "PLATFORM", "ACCOUNT", "SETTING", "CHANGE", "REASON")
    print_table(
        env,
        head,
        [
            (local(r["at"]), r["platform"], r["account"], r["setting"], describe(r), r["reason"] + (" (check)" if r["check_mode"] else ""))
            for r in rows
        ],
    )
