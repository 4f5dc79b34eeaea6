"""`optout-run status`: the latest state of every (platform, account, setting) from the run history."""

from __future__ import annotations

import json
from datetime import datetime

import click

from runner.commands import UserError, environment
from runner.tables import print_table


def open_history(env):
    """The history database, or None when no run was recorded yet; read-only commands never take the run lock."""
    from runner.history import History, HistoryError, database_path

    path = database_path(env.paths)
    if not path.exists():
        return None
    try:
        return History.open(path)
    except (HistoryError, OSError) as exc:
        raise UserError(str(exc)) from None


def local(stamp: str | None) -> str:
    """A stored UTC time, shown in local time to the minute."""
    if not stamp:
        return "-"
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone().strftime("%Y-%m-%d %H:%M")


def last_changed(row) -> str:
    """A setting no run could ever read (it only failed or needed a person) has no known change: '-'."""
    return local(row["changed_at"]) if row["known_at"] else "-"


def note(row) -> str:
    if not row["reenabled_at"]:
        return ""
    text = f"re-enabled by the platform {local(row['reenabled_at'])}"
    if row["drift"]:
        text += "; still exposed" if row["status"] == "non_compliant" else "; switched off again"
    return text


@click.command()
@click.option("--json", "json_out", is_flag=True, help="One JSON document on stdout.")
def status(json_out: bool) -> None:
    """The latest state of every setting: when it was last checked, last changed, and re-enabled by the platform."""
    env = environment()
    history = open_history(env)
    rows = []
    if history is not None:
        with history:
            rows = history.latest()
    if json_out:
        settings = [
            {
                "platform": r["platform"],
                "account": r["account"],
                "setting": r["setting"],
                "status": r["status"],
                "reason": r["reason"],
                "detail": r["detail"],
                "last_checked": r["checked_at"],
                "last_changed": r["changed_at"] if r["known_at"] else None,
                "reenabled_at": r["reenabled_at"],
                "drift": bool(r["drift"]),
                "run_id": r["run_id"],
            }
            for r in rows
        ]
        env.out(json.dumps({"settings": settings}, indent=2))
        return
    if not rows:
        env.out("no runs recorded yet; run `optout-run --all --check` to see where you stand")
        return
    head = ("PLATFORM", "ACCOUNT", "SETTING", "STATUS", "LAST CHECKED", "LAST CHANGED", "NOTE")
    print_table(
        env,
        head,
        [
            (r["platform"], r["account"], r["setting"], r["status"], local(r["checked_at"]), last_changed(r), note(r))
            for r in rows
        ],
    )
    drifted = sum(1 for r in rows if r["drift"])
    if drifted:
        env.out(f"{drifted} setting{'s' if drifted != 1 else ''} re-enabled by the platform at the last check")
