"""`optout-run status`: the latest state of every (platform, account, setting) from the run history."""

from __future__ import annotations

import json
from datetime import datetime

import click

from runner.commands import UserError, environment
from runner.results import fallback_words
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
    said = []
    if row["reenabled_at"]:
        text = f"re-enabled by the platform {local(row['reenabled_at'])}"
        if row["drift"]:
            text += "; still exposed" if row["status"] == "non_compliant" else "; switched off again"
        said.append(text)
    if row["locator"]:  # locator health: found only by a later fallback, an early sign that the page changed
        said.append(f"matched by {fallback_words(row['locator'])}: the page may be changing")
    return "; ".join(said)


def notice_rows(history) -> list[dict]:
    from runner.notices import notice_id

    return [
        {
            "id": notice_id(r["platform"], r["page"], r["label"]),
            "platform": r["platform"],
            "account": r["account"],
            "page": r["page"],
            "label": r["label"],
            "kind": r["kind"],
            "state": r["state"],
            "first_seen": r["first_seen"],
            "last_seen": r["last_seen"],
        }
        for r in history.notices()
    ]


@click.command()
@click.option("--json", "json_out", is_flag=True, help="One JSON document on stdout.")
def status(json_out: bool) -> None:
    """The latest state of every setting: when it was last checked, last changed, and re-enabled by the platform."""
    env = environment()
    history = open_history(env)
    rows, notices = [], []
    if history is not None:
        with history:
            rows, notices = history.latest(), notice_rows(history)
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
                "locator": r["locator"] or "",
                "proof": r["proof"] or "",
                "run_id": r["run_id"],
            }
            for r in rows
        ]
        env.out(json.dumps({"settings": settings, "notices": notices}, indent=2))
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
    if notices:
        env.out("")
        env.out("New AI-related settings optout-run does not know yet (left alone; `optout-run ack ID` dismisses one):")
        print_table(
            env,
            ("ID", "PLATFORM", "ACCOUNT", "SETTING", "STATE", "PAGE", "FIRST SEEN"),
            [
                (n["id"], n["platform"], n["account"], n["label"], n["state"], n["page"], local(n["first_seen"]))
                for n in notices
            ],
        )


@click.command()
@click.argument("ids", nargs=-1, metavar="ID...")
@click.option("--all", "every", is_flag=True, help="Dismiss every open notice.")
def ack(ids: tuple[str, ...], every: bool) -> None:
    """Dismiss new-AI-setting notices by the IDs `optout-run status` shows: they are never reported again."""
    env = environment()
    if bool(ids) == every:
        raise click.UsageError("give the IDs `optout-run status` lists, or --all")
    history = open_history(env)
    if history is None:
        raise UserError("no runs recorded yet: there is nothing to acknowledge")
    with history:
        known = {n["id"] for n in notice_rows(history)}
        unknown = sorted(set(ids) - known)
        if unknown:
            raise UserError(f"no open notice {', '.join(unknown)}; `optout-run status` lists them")
        dismissed = history.acknowledge(None if every else set(ids))
    for row in dismissed:
        env.out(f"dismissed: {row['platform']} {row['account']} {row['label']!r}")
